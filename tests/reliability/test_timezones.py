"""Time-zone independence: the export does not depend on the process's TZ, nor on DST transitions.

Each run loads the contract fixture plus a small hand-written folder of cases
around the 2026 daylight-saving changes (US: 8 March, 1 November; EU: 29 March,
25 October), written with the offsets a local system would use on either side
of the change, naive UTC times, and instants whose local date is another day
(or ISO week) than their UTC date. A week is the ISO week in UTC, so:

- a handoff 4 minutes after its trigger across the spring-forward gap, or
  "before" it on the wall clock across the fall-back repeat, is 240 s late
  (compliant);
- a resolution at 22:30 on Sunday 8 March in New York (02:30 UTC Monday)
  belongs to the week of 9 March;
- evaluations at 01:30 New York time, twice on 1 November (before and after
  the clocks go back), are two instants of the same UTC week;
- an incident detected at 01:30 on 1 November in Kolkata is October's.

The runs happen under TZ=America/New_York and TZ=Asia/Kolkata; the UTC
run is the conformance fixture's own (``conformance_build``) when the suite
runs in UTC. Every run must give the fixture's expected export and the
hand-computed rows of the DST cases, both in the warehouse and in the CSV
written by ``trustloop metrics export`` (run under the same TZ).
"""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

import pytest

from tests.conftest import CONTRACT_SAMPLE, build_warehouse, run_trustloop
from tests.reliability.helpers import POLICY, expected_export, export_rows, ledger_problems
from tests.reliability.landing_tools import copy_landing, csv_text
from tests.reliability.reference_landing import read_landing
from tests.reliability.reference_metrics import (
    compare,
    metrics_export,
    policy_max_handoff_delay,
    rows_from_table,
)

AGENT, CASE_TYPE = "agent_dst", "dst_check"

DST_TICKETS = [
    # ticket_id, case_type spelling, disputed_at, dispute_outcome
    ("D1", "DST Check", "", ""), ("D2", "dst-check", "", ""), ("D3", " dst_check ", "", ""),
    ("D4", "Dst  Check", "", ""), ("D5", "DST-CHECK", "2026-03-10T10:00:00-04:00", "Upheld"),
    ("D6", "dst_check", "", ""), ("D7", "dst check", "", ""), ("D8", "dst_check", "", ""),
]

DST_EVENTS = [
    # ticket, event_type, occurred_at as a local system writes it, attributes
    # D1, US spring forward: trigger 06:59Z, handoff 07:03Z (01:59 EST -> 03:03 EDT): 240 s
    ("D1", "case_assigned", "2026-03-08T01:50:00-05:00", {}),
    ("D1", "escalation_trigger", "2026-03-08T01:59:00-05:00", {"required": True}),
    ("D1", "handoff_to_human", "2026-03-08T03:03:00-04:00", {}),
    # D2, US fall back: trigger 05:58Z, handoff 06:02Z (01:58 EDT -> 01:02 EST, "earlier" on the wall): 240 s
    ("D2", "case_assigned", "2026-11-01T01:40:00-04:00", {}),
    ("D2", "escalation_trigger", "2026-11-01T01:58:00-04:00", {"required": True}),
    ("D2", "handoff_to_human", "2026-11-01T01:02:00-05:00", {}),
    # D3, EU spring forward: 00:59:30Z -> 01:04:30Z: exactly 300 s, compliant
    ("D3", "case_assigned", "2026-03-29T01:00:00+01:00", {}),
    ("D3", "escalation_trigger", "2026-03-29T01:59:30+01:00", {"required": True}),
    ("D3", "handoff_to_human", "2026-03-29T03:04:30+02:00", {}),
    # D4, EU fall back: 00:59Z -> 01:05Z (02:59 CEST -> 02:05 CET): 360 s, late
    ("D4", "case_assigned", "2026-10-25T02:30:00+02:00", {}),
    ("D4", "escalation_trigger", "2026-10-25T02:59:00+02:00", {"required": True}),
    ("D4", "handoff_to_human", "2026-10-25T02:05:00+01:00", {}),
    # D5: resolved Sunday 22:30 in New York = Monday 02:30 UTC: the week of 9 March; disputed, upheld
    ("D5", "case_assigned", "2026-03-08T22:00:00-04:00", {}),
    ("D5", "case_resolved", "2026-03-08T22:30:00-04:00", {}),
    # D6: resolved Monday 00:30 in Berlin = Sunday 22:30 UTC: the week of 23 March
    ("D6", "case_assigned", "2026-03-30T00:10:00+02:00", {}),
    ("D6", "case_resolved", "2026-03-30T00:30:00+02:00", {}),
    # D7: evaluations at 01:30 New York time before and after the clocks go back, and around midnight UTC
    ("D7", "case_assigned", "2026-10-31T12:00:00Z", {}),
    ("D7", "evaluation", "2026-11-01T01:30:00-04:00", {"dimension": "accuracy", "passed": True}),
    ("D7", "evaluation", "2026-11-01T01:30:00-05:00", {"dimension": "accuracy", "passed": False}),
    ("D7", "evaluation", "2026-11-02T00:30:00+01:00", {"dimension": "accuracy", "passed": True}),
    ("D7", "evaluation", "2026-11-01 23:59:59.999999", {"dimension": "tone", "passed": True}),
    ("D7", "evaluation", "2026-11-02T00:00:00Z", {"dimension": "tone", "passed": False}),
    # D8: naive UTC trigger, handoff at a New York wall time that does not exist (02:02:59 on 8 March),
    # written with its offset: 06:58:00Z -> 07:02:59Z = 299 s
    ("D8", "case_assigned", "2026-03-08 01:00:00", {}),
    ("D8", "escalation_trigger", "2026-03-08 06:58:00", {"required": True}),
    ("D8", "handoff_to_human", "2026-03-08T02:02:59-05:00", {}),
]

DST_INCIDENTS = [
    # incident_id, started_at, detected_at, resolved_at
    # detected 01:30 on 1 Nov in Kolkata = 20:00 UTC on 31 Oct: October; recovery 10.5 h, detection 1 h
    ("DI1", "2026-10-31T19:00:00Z", "2026-11-01T01:30:00+05:30", "2026-11-01T01:30:00-05:00"),
    # detected 23:30 on 31 Mar at UTC-1 = 00:30 UTC on 1 Apr: April; recovery 0.5 h, detection 2.5 h
    ("DI2", "2026-03-31T22:00:00Z", "2026-03-31T23:30:00-01:00", "2026-04-01T02:00:00+01:00"),
]

# the export rows of the DST cases, computed by hand from the comments above (both grains)
DST_EXPECTED = {
    ("escalation_compliance_rate", "", "2026-03-02"): (2, 2, 1.0),
    ("escalation_compliance_rate", "", "2026-03-23"): (1, 1, 1.0),
    ("escalation_compliance_rate", "", "2026-10-19"): (0, 1, 0.0),
    ("escalation_compliance_rate", "", "2026-10-26"): (1, 1, 1.0),
    ("dispute_rate", "", "2026-03-09"): (1, 1, 1.0),
    ("upheld_dispute_rate", "", "2026-03-09"): (1, 1, 1.0),
    ("dispute_rate", "", "2026-03-23"): (0, 1, 0.0),
    ("upheld_dispute_rate", "", "2026-03-23"): (0, 1, 0.0),
    ("pact_pass_rate", "accuracy", "2026-10-26"): (2, 3, 2 / 3),
    ("pact_pass_rate", "tone", "2026-10-26"): (1, 1, 1.0),
    ("pact_pass_rate", "tone", "2026-11-02"): (0, 1, 0.0),
    ("recovery_hours_median", "", "2026-10-01"): (None, 1, 10.5),
    ("recovery_hours_p90", "", "2026-10-01"): (None, 1, 10.5),
    ("detection_hours_median", "", "2026-10-01"): (None, 1, 1.0),
    ("detection_hours_p90", "", "2026-10-01"): (None, 1, 1.0),
    ("recovery_hours_median", "", "2026-04-01"): (None, 1, 0.5),
    ("recovery_hours_p90", "", "2026-04-01"): (None, 1, 0.5),
    ("detection_hours_median", "", "2026-04-01"): (None, 1, 2.5),
    ("detection_hours_p90", "", "2026-04-01"): (None, 1, 2.5),
}


def write_dst_cases(landing: Path) -> None:
    import json

    tickets = [[t, "2026-12-01T00:00:00Z", "2026-03-01T00:00:00Z", "chat", ct, "normal", "C-DST", "solved", d, o]
               for t, ct, d, o in DST_TICKETS]
    (landing / "tickets" / "zz_dst.csv").write_text(csv_text(
        ["ticket_id", "updated_at", "created_at", "channel", "case_type", "priority", "customer_id", "status",
         "disputed_at", "dispute_outcome"], tickets))
    lines = []
    for i, (ticket, kind, when, attrs) in enumerate(DST_EVENTS):
        actor_type, actor = ("human", "qa_dst") if kind == "evaluation" else ("ai_agent", AGENT)
        if kind == "escalation_trigger":
            actor_type, actor = "system", "detector"
        lines.append(json.dumps({"event_id": f"DE-{i:02d}", "ticket_id": ticket, "occurred_at": when,
                                 "actor_type": actor_type, "actor_id": actor, "event_type": kind,
                                 "attributes": attrs}))
    (landing / "agent_logs" / "zz_dst.jsonl").write_text("\n".join(lines) + "\n")
    (landing / "incidents" / "zz_dst.csv").write_text(csv_text(
        ["incident_id", "started_at", "detected_at", "resolved_at", "severity", "category", "agent_id", "case_type"],
        [[i, s, d, r, "sev3", "policy_breach", AGENT, "DST Check"] for i, s, d, r in DST_INCIDENTS]))


def dst_rows(rows) -> dict:
    return {(r.metric, r.dimension, r.period_start, r.grain): (r.numerator, r.denominator, r.value)
            for r in rows if (r.grain, r.grain_value) in (("agent", AGENT), ("case_type", CASE_TYPE))}


def expected_dst_rows() -> dict:
    return {(m, d, p, grain): v for (m, d, p), v in DST_EXPECTED.items() for grain in ("agent", "case_type")}


def assert_export(rows) -> None:
    got = dst_rows(rows)
    want = expected_dst_rows()
    assert set(got) == set(want), f"DST rows: extra {sorted(set(got) - set(want))}, missing {sorted(set(want) - set(got))}"
    for key, (num, den, value) in want.items():
        assert got[key][:2] == (num, den) and got[key][2] == pytest.approx(value, abs=1e-9), (key, got[key])
    rest = [r for r in rows if (r.grain, r.grain_value) not in (("agent", AGENT), ("case_type", CASE_TYPE))]
    problems = compare(rest, expected_export())
    assert not problems, "\n".join(problems[:20])


def test_the_hand_computed_dst_rows_agree_with_the_reference(tmp_path):
    landing = tmp_path / "landing"
    for source in ("tickets", "agent_logs", "incidents"):
        (landing / source).mkdir(parents=True)
    write_dst_cases(landing)
    rows = metrics_export(*read_landing(landing), policy_max_handoff_delay(POLICY))
    got, want = dst_rows(rows), expected_dst_rows()
    assert set(got) == set(want)
    for key, (num, den, value) in want.items():
        assert got[key][:2] == (num, den) and got[key][2] == pytest.approx(value, abs=1e-12), key


def read_export_csv(path: Path):
    with open(path, newline="") as handle:
        return rows_from_table(tuple(r.values()) for r in csv.DictReader(handle))


@pytest.mark.slow
@pytest.mark.parametrize("tz", ["America/New_York", "Asia/Kolkata"])
def test_export_is_the_same_whatever_the_process_time_zone(tmp_path, tz):
    landing = copy_landing(CONTRACT_SAMPLE / "landing", tmp_path / "landing")
    write_dst_cases(landing)
    warehouse, env, _ = build_warehouse(tmp_path / "work", landing, TZ=tz)
    assert ledger_problems(warehouse) == []
    assert_export(rows_from_table(export_rows(warehouse)))
    out = tmp_path / "export.csv"
    run_trustloop(["metrics", "export", "--out", str(out)], env)
    assert_export(read_export_csv(out))


@pytest.mark.slow
def test_export_in_utc(conformance_build, tmp_path):
    """The UTC leg: the conformance fixture's own run, when the suite itself runs in UTC."""
    time.tzset()
    if time.strftime("%z") != "+0000" or os.environ.get("TZ", "UTC") not in ("", "UTC", "Etc/UTC", "UTC0"):
        pytest.skip("the session does not run in UTC; the other legs compare with the time-zone-free truth")
    warehouse, env, _ = conformance_build
    rows = rows_from_table(export_rows(warehouse))
    assert not compare(rows, expected_export())
    out = tmp_path / "export.csv"
    run_trustloop(["metrics", "export", "--out", str(out)], env)
    assert not compare(read_export_csv(out), expected_export())
