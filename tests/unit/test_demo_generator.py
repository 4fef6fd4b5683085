"""The demo generator writes a landing folder that follows the contract and carries its planted truth.

Everything here reads the written files back with plain Python (csv, json,
pyarrow for the one Parquet file) and an independent reading of
``landing-contract.md``; nothing reuses the generator's internals.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from trustloop.demo import generate
from trustloop.demo.__main__ import main

N, SEED = 2000, 7

CHANNELS = {"email", "chat", "voice", "social", "web"}
PRIORITIES = {"low", "normal", "high", "urgent"}
STATUSES = {"new", "open", "pending", "solved", "closed"}
OUTCOMES = {"upheld", "rejected", "pending"}
ACTOR_TYPES = {"ai_agent", "human", "customer", "system"}
MODES = {"shadow", "triage", "suggest", "resolve"}
SEVERITIES = {"sev1", "sev2", "sev3", "sev4"}
CATEGORIES = {
    "incorrect_autonomous_action",
    "missed_escalation",
    "policy_breach",
    "tone_violation",
    "data_exposure",
    "outage",
    "other",
}
EVENT_TYPES = {
    "case_assigned",
    "customer_message",
    "message_sent",
    "action_taken",
    "suggestion_made",
    "suggestion_reviewed",
    "escalation_trigger",
    "handoff_to_human",
    "human_takeover",
    "case_resolved",
    "evaluation",
}
DIMENSIONS = {"accuracy", "escalation", "tone", "policy_adherence"}

TICKET_COLUMNS = {
    "ticket_id",
    "updated_at",
    "created_at",
    "channel",
    "case_type",
    "priority",
    "customer_id",
    "status",
    "solved_at",
    "subject",
    "description",
    "amount_at_stake",
    "csat_score",
    "reopened_count",
    "disputed_at",
    "dispute_outcome",
}
TICKET_REQUIRED = (
    "ticket_id",
    "updated_at",
    "created_at",
    "channel",
    "case_type",
    "priority",
    "customer_id",
    "status",
)
EVENT_COLUMNS = {
    "event_id",
    "ticket_id",
    "occurred_at",
    "actor_type",
    "actor_id",
    "event_type",
    "agent_version",
    "autonomy_mode",
    "confidence",
    "policy_version",
    "attributes",
}
EVENT_REQUIRED = ("event_id", "ticket_id", "occurred_at", "actor_type", "actor_id", "event_type")
INCIDENT_COLUMNS = {
    "incident_id",
    "updated_at",
    "started_at",
    "detected_at",
    "resolved_at",
    "severity",
    "category",
    "agent_id",
    "case_type",
    "ticket_ids",
    "customers_affected",
    "remediation_cost",
    "summary",
}
INCIDENT_REQUIRED = ("incident_id", "started_at", "detected_at", "severity", "category")

TS = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})?")


# --------------------------------------------------------------------------- reading the folder back


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def ts(value) -> datetime | None:
    """ISO 8601 as the contract reads it (naive = UTC); None when it does not parse."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if not isinstance(value, str) or not TS.fullmatch(value.strip()):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def enum(value) -> str:
    return value.strip().lower() if isinstance(value, str) else value


def case_type(value: str) -> str:
    return re.sub(r"[\s\-]+", "_", value.strip().lower()).strip("_")


def number(value):
    if blank(value):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def read_rows(path: Path) -> list[tuple[str, object]]:
    """(file, row) pairs; a row is a dict, or the raw text of a JSONL line that does not parse."""
    rel = path.as_posix()
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            return [(rel, row) for row in csv.DictReader(handle)]
    if path.suffix == ".jsonl":
        out = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                out.append((rel, json.loads(line)))
            except json.JSONDecodeError:
                out.append((rel, line))
        return out
    return [(rel, row) for row in pq.read_table(path).to_pylist()]


def source_rows(root: Path, source: str) -> list[tuple[str, object]]:
    rows = []
    for path in sorted((root / source).iterdir()):
        rows.extend(read_rows(path))
    return rows


def ticket_problem(row: dict) -> str | None:
    if any(blank(row.get(c)) for c in TICKET_REQUIRED):
        return "missing_required"
    if any(ts(row[c]) is None for c in ("updated_at", "created_at")):
        return "bad_timestamp"
    if (
        enum(row["channel"]) not in CHANNELS
        or enum(row["priority"]) not in PRIORITIES
        or enum(row["status"]) not in STATUSES
    ):
        return "bad_enum"
    if not blank(row.get("dispute_outcome")) and enum(row["dispute_outcome"]) not in OUTCOMES:
        return "bad_enum"
    for c in ("solved_at", "disputed_at"):
        if not blank(row.get(c)) and ts(row[c]) is None:
            return "bad_timestamp"
    amount = row.get("amount_at_stake")
    if not blank(amount) and (number(amount) is None or number(amount) < 0):
        return "negative_amount"
    return None


def event_problem(row) -> str | None:
    if isinstance(row, str):
        return "not_json"
    if any(blank(row.get(c)) for c in EVENT_REQUIRED):
        return "missing_required"
    if ts(row["occurred_at"]) is None:
        return "bad_timestamp"
    if enum(row["actor_type"]) not in ACTOR_TYPES:
        return "bad_enum"
    if not blank(row.get("autonomy_mode")) and enum(row["autonomy_mode"]) not in MODES:
        return "bad_enum"
    return None


def incident_problem(row: dict) -> str | None:
    if any(blank(row.get(c)) for c in INCIDENT_REQUIRED):
        return "missing_required"
    if enum(row["severity"]) not in SEVERITIES or enum(row["category"]) not in CATEGORIES:
        return "bad_enum"
    cost = row.get("remediation_cost")
    if not blank(cost) and (number(cost) is None or number(cost) < 0):
        return "negative_amount"
    started, detected = ts(row["started_at"]), ts(row["detected_at"])
    resolved = None if blank(row.get("resolved_at")) else ts(row["resolved_at"])
    if detected < started or (resolved is not None and resolved < detected):
        return "time_order"
    return None


def attributes(row: dict) -> dict:
    value = row.get("attributes")
    if blank(value):
        return {}
    return json.loads(value) if isinstance(value, str) else value


def canonical_event(row: dict) -> tuple:
    """An event after parsing: instants in UTC, enums lower-cased, empty values dropped."""
    fields = []
    for column in sorted(EVENT_COLUMNS - {"attributes"}):
        value = row.get(column)
        if blank(value):
            continue
        if column == "occurred_at":
            value = ts(value)
        elif column in ("actor_type", "event_type", "autonomy_mode"):
            value = enum(value)
        elif column == "confidence":
            value = float(value)
        fields.append((column, value))
    return tuple(fields) + (("attributes", json.dumps(attributes(row), sort_keys=True)),)


class Landing:
    """The folder read back: valid rows per source, problems found, planted truth."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.truth = json.loads((root / "_truth.json").read_text(encoding="utf-8"))
        self.problems: dict[str, Counter] = {s: Counter() for s in ("tickets", "agent_logs", "incidents")}
        self.tickets: list[dict] = []
        for _, row in source_rows(root, "tickets"):
            problem = ticket_problem(row)
            if problem:
                self.problems["tickets"][problem] += 1
            else:
                self.tickets.append(row)
        self.events: dict[str, dict] = {}
        self.duplicates = 0
        for _, row in source_rows(root, "agent_logs"):
            problem = event_problem(row)
            if problem:
                self.problems["agent_logs"][problem] += 1
                continue
            seen = self.events.get(row["event_id"])
            if seen is None:
                self.events[row["event_id"]] = row
            elif canonical_event(seen) == canonical_event(row):
                self.duplicates += 1
            else:
                self.problems["agent_logs"]["conflict"] += 1
        self.incidents: list[dict] = []
        for _, row in source_rows(root, "incidents"):
            problem = incident_problem(row)
            if problem:
                self.problems["incidents"][problem] += 1
            else:
                self.incidents.append(row)

    def current_tickets(self) -> dict[str, dict]:
        current: dict[str, dict] = {}
        for row in self.tickets:  # delivered order; the latest updated_at wins, a tie goes to the later row
            prev = current.get(row["ticket_id"])
            if prev is None or ts(row["updated_at"]) >= ts(prev["updated_at"]):
                current[row["ticket_id"]] = row
        return current

    def current_incidents(self) -> dict[str, dict]:
        current: dict[str, dict] = {}
        for row in self.incidents:
            prev = current.get(row["incident_id"])
            if (
                prev is None
                or blank(row.get("updated_at"))
                or blank(prev.get("updated_at"))
                or (ts(row["updated_at"]) >= ts(prev["updated_at"]))
            ):
                current[row["incident_id"]] = row
        return current


def sha256_files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def spearman(xs: list[float], ys: list[float]) -> float:
    def ranks(values):
        order = sorted(range(len(values)), key=lambda i: values[i])
        r = [0.0] * len(values)
        for rank, i in enumerate(order):
            r[i] = float(rank)
        return r

    rx, ry = ranks(xs), ranks(ys)
    n = len(xs)
    return 1 - 6 * sum((a - b) ** 2 for a, b in zip(rx, ry, strict=True)) / (n * (n * n - 1))


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("demo") / "landing"
    summary = generate(root, tickets=N, seed=SEED, progress=False)
    return root, summary


@pytest.fixture(scope="module")
def landing(demo) -> Landing:
    return Landing(demo[0])


# --------------------------------------------------------------------------- layout and contract


def test_layout_uses_all_three_formats_and_summary_lists_every_file(demo):
    root, summary = demo
    written = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert written == set(summary["files"]) | {"_truth.json"}
    for source in ("tickets", "agent_logs", "incidents"):
        assert any(name.startswith(source + "/") for name in summary["files"])
    suffixes = {Path(name).suffix for name in summary["files"]}
    assert {".csv", ".jsonl", ".parquet"} <= suffixes
    assert json.loads((root / "_truth.json").read_text())["seed"] == SEED
    assert summary["tickets"] == N
    # the summary's row counts are the rows in the files
    for name, rows in summary["files"].items():
        assert len(read_rows(root / name)) == rows, name
    assert summary["rows"]["tickets"] == sum(
        v for k, v in summary["files"].items() if k.startswith("tickets/")
    )


def test_every_file_has_all_contract_columns(demo):
    root, summary = demo
    expected = {"tickets": TICKET_COLUMNS, "agent_logs": EVENT_COLUMNS, "incidents": INCIDENT_COLUMNS}
    for name in summary["files"]:
        path = root / name
        source = name.split("/")[0]
        if path.suffix == ".csv":
            with path.open(newline="", encoding="utf-8") as handle:
                columns = set(next(csv.reader(handle)))
            assert expected[source] <= columns, name
        elif path.suffix == ".parquet":
            columns = set(pq.read_schema(path).names)
            assert expected[source] <= columns, name
        else:
            keys = set()
            for _, row in read_rows(path):
                if isinstance(row, dict):
                    keys |= set(row)
            required = {
                "tickets": TICKET_REQUIRED,
                "agent_logs": EVENT_REQUIRED,
                "incidents": INCIDENT_REQUIRED,
            }[source]
            assert set(required) <= keys, name
    # an extra vendor column rides along in the tickets
    with (
        root / sorted(n for n in summary["files"] if n.endswith(".csv") and n.startswith("tickets/"))[0]
    ).open() as h:
        assert "vendor_sla_tier" in next(csv.reader(h))


def test_every_event_type_all_dimensions_and_both_evaluators(landing):
    types = Counter(enum(e["event_type"]) for e in landing.events.values())
    assert EVENT_TYPES <= set(types)
    unknown = set(types) - EVENT_TYPES
    assert unknown == {"sentiment_snapshot"}
    assert types["sentiment_snapshot"] == landing.truth["kept"]["unknown_event_type"]
    evals = [attributes(e) for e in landing.events.values() if enum(e["event_type"]) == "evaluation"]
    assert {a["dimension"] for a in evals} == DIMENSIONS
    assert {a["evaluator"] for a in evals} == {"human_qa", "auto_eval"}
    verdicts = {
        attributes(e)["verdict"]
        for e in landing.events.values()
        if enum(e["event_type"]) == "suggestion_reviewed"
    }
    assert verdicts == {"accepted", "edited", "rejected"}
    reasons = Counter(
        (attributes(e)["reason"], attributes(e)["required"])
        for e in landing.events.values()
        if enum(e["event_type"]) == "escalation_trigger"
    )
    assert any(required for _, required in reasons) and any(not required for _, required in reasons)


def test_judges_agree_mostly_but_not_always(landing):
    scores: dict[tuple, dict[str, bool]] = defaultdict(dict)
    for e in landing.events.values():
        if enum(e["event_type"]) == "evaluation":
            a = attributes(e)
            scores[(e["ticket_id"], a["dimension"])][a["evaluator"]] = a["passed"]
    pairs = [v for v in scores.values() if len(v) == 2]
    assert len(pairs) >= 50
    agreement = sum(v["human_qa"] == v["auto_eval"] for v in pairs) / len(pairs)
    assert 0.8 <= agreement <= 0.95


def test_noise_spellings_present(landing):
    occurred = [e["occurred_at"] for e in landing.events.values()]
    assert any(v.endswith("Z") for v in occurred)
    assert any(re.search(r"[+-]\d{2}:\d{2}$", v) and not v.endswith("+00:00") for v in occurred)
    assert any(" " in v and not v.endswith("Z") for v in occurred)
    raw_types = {t["case_type"] for t in landing.tickets}
    assert any(v != case_type(v) for v in raw_types)  # e.g. "Billing Refund"
    assert {case_type(v) for v in raw_types} == set(landing.truth["case_types"])
    assert any(t["channel"] != enum(t["channel"]) for t in landing.tickets)
    # free text carries PII now and then
    text = " ".join(t.get("description") or "" for t in landing.tickets)
    assert re.search(r"[a-z]+[._]?[a-z]+@(mail\.)?example\.(com|org|net)", text)
    assert re.search(r"\+1 415 555 01\d\d|\+44 20 7946 0\d{3}", text)


# --------------------------------------------------------------------------- planted bad rows, orphans, duplicates


def test_planted_malformed_rows_match_truth(landing):
    truth = landing.truth
    for source in ("tickets", "agent_logs", "incidents"):
        assert dict(landing.problems[source]) == truth["malformed"][source], source
        assert sum(landing.problems[source].values()) == truth["malformed"]["quarantined_rows"][source]
    # every kind the brief asks for is there
    assert {"bad_enum", "bad_timestamp", "missing_required", "negative_amount"} <= set(
        truth["malformed"]["tickets"]
    )
    assert {"bad_enum", "bad_timestamp", "missing_required", "not_json", "conflict"} <= set(
        truth["malformed"]["agent_logs"]
    )
    assert "time_order" in truth["malformed"]["incidents"]


def test_orphans_duplicates_and_distinct_counts(landing):
    truth = landing.truth
    ticket_ids = {t["ticket_id"] for t in landing.tickets}
    orphans = [e for e in landing.events.values() if e["ticket_id"] not in ticket_ids]
    assert len(orphans) == truth["kept"]["orphan_events"] > 0
    assert len({e["ticket_id"] for e in orphans}) == truth["kept"]["orphan_tickets"]
    assert landing.duplicates == truth["kept"]["redelivered_duplicates"] > 0
    assert len(ticket_ids) == truth["counts"]["tickets_distinct"] == N
    assert len(landing.events) == truth["counts"]["events_distinct"]
    assert len({i["incident_id"] for i in landing.incidents}) == truth["counts"]["incidents_distinct"]


def test_redelivered_rows_are_spelled_differently(landing):
    root = landing.root
    originals = {}
    for name in sorted((root / "agent_logs").glob("events_2*.jsonl")):
        for _, row in read_rows(name):
            if isinstance(row, dict):
                originals.setdefault(row["event_id"], row)
    respelled = 0
    for _, row in read_rows(root / "agent_logs" / "events_redelivered.jsonl"):
        orig = originals[row["event_id"]]
        if canonical_event(orig) == canonical_event(row):
            assert row != orig
            respelled += 1
    assert respelled == landing.truth["kept"]["redelivered_duplicates"]


def test_snapshots_have_no_ties_and_at_most_three_csv_rows(landing):
    per_ticket = defaultdict(list)
    for t in landing.tickets:
        per_ticket[t["ticket_id"]].append((ts(t["updated_at"]), enum(t["status"])))
    for rows in per_ticket.values():
        stamps = [stamp for stamp, _ in rows]
        assert len(stamps) == len(set(stamps))
        # a case is "new" only in its first snapshot
        statuses = [status for _, status in sorted(rows)]
        assert "new" not in statuses[1:]
    current = landing.current_tickets()
    assert any(int(t.get("reopened_count") or 0) > 0 for t in current.values())
    assert {
        enum(t["dispute_outcome"]) for t in current.values() if not blank(t.get("dispute_outcome"))
    } == OUTCOMES
    cutoff = ts(landing.truth["window"]["export_cutoff"])
    assert all(ts(t["updated_at"]) < cutoff for t in landing.tickets)
    # however a row spells its times, all snapshots of a ticket agree on when it was opened
    created = defaultdict(set)
    for t in landing.tickets:
        created[t["ticket_id"]].add(ts(t["created_at"]))
    assert all(len(v) == 1 for v in created.values())


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_files_and_other_seed_differs(demo, tmp_path):
    root, _ = demo
    again = tmp_path / "again"
    generate(again, tickets=N, seed=SEED, progress=False)
    assert sha256_files(again) == sha256_files(root)
    other = tmp_path / "other"
    generate(other, tickets=N, seed=SEED + 1, progress=False)
    a, b = sha256_files(root), sha256_files(other)
    differing = [name for name in a if a.get(name) != b.get(name)]
    assert len(differing) >= len(a) - 1


def test_regenerating_in_place_and_refusing_a_foreign_folder(tmp_path):
    demo_dir = tmp_path / "demo"
    generate(demo_dir, tickets=300, seed=1, progress=False)
    generate(demo_dir, tickets=300, seed=1, progress=False)  # a demo folder is replaced in place
    with pytest.raises(FileExistsError):
        generate(demo_dir, tickets=300, seed=1, progress=False, overwrite=False)
    foreign = tmp_path / "real_landing"
    (foreign / "tickets").mkdir(parents=True)
    (foreign / "tickets" / "export.csv").write_text("ticket_id\n")
    with pytest.raises(FileExistsError):
        generate(foreign, tickets=300, seed=1, progress=False)
    assert (foreign / "tickets" / "export.csv").read_text() == "ticket_id\n"


def test_cli_writes_a_folder(tmp_path, capsys):
    out = tmp_path / "cli"
    assert (
        main(
            [
                "--out",
                str(out),
                "--tickets",
                "300",
                "--seed",
                "3",
                "--no-progress",
                "--end-date",
                "2026-06-28",
            ]
        )
        == 0
    )
    truth = json.loads((out / "_truth.json").read_text())
    assert truth["tickets"] == 300 and truth["seed"] == 3
    assert truth["window"]["export_cutoff"] == "2026-06-29T00:00:00Z"
    assert "wrote" in capsys.readouterr().out


# --------------------------------------------------------------------------- the planted truth shows in the evidence


def test_true_risks_differ_and_tiers_are_on_the_ladder(landing):
    case_types = landing.truth["case_types"]
    risks = [c["true_risk"] for c in case_types.values()]
    assert len(case_types) >= 6
    assert len(set(risks)) == len(risks)
    tiers = {name: c["tier"] for name, c in case_types.items()}
    assert set(tiers.values()) <= MODES
    assert "resolve" in tiers.values() and {"triage", "shadow"} & set(tiers.values())
    riskiest_resolve = max(c["true_risk"] for c in case_types.values() if c["tier"] == "resolve")
    assert riskiest_resolve >= 0.15  # a risky case type runs autonomously: a demotion is plausible


def test_wrong_evidence_ranks_like_true_risk(landing):
    current = landing.current_tickets()
    ai_cases: dict[str, str] = {}
    for e in landing.events.values():
        if (
            enum(e["event_type"]) == "case_assigned"
            and enum(e["actor_type"]) == "ai_agent"
            and e["ticket_id"] in current
        ):
            ai_cases[e["ticket_id"]] = case_type(current[e["ticket_id"]]["case_type"])
    evaluated: set[str] = set()
    failed: set[str] = set()
    for e in landing.events.values():
        if e["ticket_id"] in ai_cases and enum(e["event_type"]) == "evaluation":
            a = attributes(e)
            evaluated.add(e["ticket_id"])
            if a["dimension"] in ("accuracy", "policy_adherence") and not a["passed"]:
                failed.add(e["ticket_id"])
    flagged = set(failed) | non_compliant_escalations(landing)
    for e in landing.events.values():
        if enum(e["event_type"]) == "suggestion_reviewed" and attributes(e)["verdict"] == "rejected":
            flagged.add(e["ticket_id"])
    for tid in ai_cases:
        t = current[tid]
        if int(t.get("reopened_count") or 0) > 0 or enum(t.get("dispute_outcome") or "") in (
            "upheld",
            "pending",
        ):
            flagged.add(tid)
    totals = Counter(ai_cases.values())
    evaluated_per_type = Counter(ai_cases[t] for t in evaluated)
    fail_share = {c: sum(1 for t in failed if ai_cases[t] == c) / evaluated_per_type[c] for c in totals}
    any_share = {c: sum(1 for t in flagged if ai_cases[t] == c) / totals[c] for c in totals}
    risk = {c: v["true_risk"] for c, v in landing.truth["case_types"].items()}
    by_risk = sorted(risk, key=risk.get)
    # failed accuracy / policy evaluations per evaluated case rank like the true risk
    assert spearman([risk[c] for c in by_risk], [fail_share[c] for c in by_risk]) >= 0.85
    assert fail_share[by_risk[-1]] > 2.5 * fail_share[by_risk[0]]
    # and so does any evidence of a wrong handling (evaluations, reopens, disputes), per AI-handled case
    assert spearman([risk[c] for c in by_risk], [any_share[c] for c in by_risk]) >= 0.75
    low = sum(any_share[c] for c in by_risk[:3]) / 3
    high = sum(any_share[c] for c in by_risk[-3:]) / 3
    assert high > 2 * low


def escalation_outcomes(landing: Landing) -> dict[str, str]:
    """Per case with a required trigger: timely, late, takeover or missing (metrics.md, metric 1)."""
    by_ticket = defaultdict(list)
    for e in landing.events.values():
        by_ticket[e["ticket_id"]].append(e)
    outcomes: dict[str, str] = {}
    for tid, events in by_ticket.items():
        triggers = [
            ts(e["occurred_at"])
            for e in events
            if enum(e["event_type"]) == "escalation_trigger" and attributes(e)["required"] is True
        ]
        if not triggers:
            continue
        t = min(triggers)
        handoffs = [
            ts(e["occurred_at"])
            for e in events
            if enum(e["event_type"]) == "handoff_to_human"
            and enum(e["actor_type"]) == "ai_agent"
            and ts(e["occurred_at"]) >= t
        ]
        ai_resolved = [
            ts(e["occurred_at"])
            for e in events
            if enum(e["event_type"]) == "case_resolved" and enum(e["actor_type"]) == "ai_agent"
        ]
        if handoffs and min(handoffs) - t <= timedelta(seconds=300):
            resolved_first = any(t <= r <= min(handoffs) for r in ai_resolved)
            outcomes[tid] = "missing" if resolved_first else "timely"
        elif handoffs:
            outcomes[tid] = "late"
        elif any(enum(e["event_type"]) == "human_takeover" for e in events):
            outcomes[tid] = "takeover"
        else:
            outcomes[tid] = "missing"
    return outcomes


def non_compliant_escalations(landing: Landing) -> set[str]:
    return {tid for tid, outcome in escalation_outcomes(landing).items() if outcome != "timely"}


def test_escalation_outcomes_vary(landing):
    outcomes = Counter(escalation_outcomes(landing).values())
    assert set(outcomes) == {"timely", "late", "takeover", "missing"}
    assert outcomes["timely"] > sum(outcomes.values()) / 2


def test_incidents_cover_open_outage_updates_and_recent_severe(landing):
    current = landing.current_incidents()
    rows_per_id = Counter(i["incident_id"] for i in landing.incidents)
    assert any(n > 1 for n in rows_per_id.values())  # snapshot updates
    assert any(blank(i.get("agent_id")) and enum(i["category"]) == "outage" for i in current.values())
    assert all(
        not blank(i.get("agent_id"))
        for i in current.values()
        if enum(i["category"]) not in ("outage", "other")
    )
    cutoff = ts(landing.truth["window"]["export_cutoff"])
    by_risk = sorted(landing.truth["case_types"], key=lambda c: -landing.truth["case_types"][c]["true_risk"])
    for ct in by_risk[:2]:
        assert any(
            case_type(i.get("case_type") or "") == ct
            and enum(i["severity"]) in ("sev1", "sev2")
            and cutoff - timedelta(days=14) <= ts(i["detected_at"]) < cutoff
            for i in current.values()
        ), ct
    ticket_ids = {t["ticket_id"] for t in landing.tickets}
    linked = [
        tid
        for i in current.values()
        for tid in (
            i["ticket_ids"] if isinstance(i["ticket_ids"], list) else (i.get("ticket_ids") or "").split(";")
        )
        if tid
    ]
    assert linked and set(linked) <= ticket_ids


def test_increment_shaped_like_another_folder(tmp_path):
    """The increment the benchmark adds to a folder not generated here: its period and its case types,
    in every spelling the demo writes (read back as the contract normalises them)."""
    from trustloop.demo.generator import write_increment

    landing = tmp_path / "landing"
    for source in ("tickets", "agent_logs", "incidents"):
        (landing / source).mkdir(parents=True)
    added = write_increment(landing, 600, tmp_path / "work", end_date="2026-03-14", weeks=6,
                            case_types=["seat_upgrade", "flight_change", "baggage_claim"])
    files = sorted(landing.rglob("zz_increment_*"))
    assert added == len(files) > 3
    tickets = [row for path in files if path.parent.name == "tickets" and path.suffix == ".csv"
               for row in csv.DictReader(path.open(newline=""))]
    assert len({row["ticket_id"] for row in tickets}) == 600
    spelled = Counter(row["case_type"] for row in tickets)
    normalised = {re.sub(r"[\s\-]+", "_", value.strip().lower()) for value in spelled}
    assert normalised == {"seat_upgrade", "flight_change", "baggage_claim"}
    assert any(value != value.strip().lower() for value in spelled)  # noisy spellings were renamed too
    created = [datetime.fromisoformat(row["created_at"].replace("Z", "+00:00")) for row in tickets
               if row["created_at"][:4].isdigit()]
    created = [c if c.tzinfo else c.replace(tzinfo=UTC) for c in created]
    assert min(created) >= datetime(2026, 2, 1, tzinfo=UTC) - timedelta(days=1)
    assert max(created) < datetime(2026, 3, 15, 12, tzinfo=UTC)
