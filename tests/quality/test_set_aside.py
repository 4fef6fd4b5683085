"""`trustloop set-aside`: the way out when rows already stored stop every run.

The contract sample plus four escalation triggers sent without attributes: 4 of 97 triggers, over the
2 % the raw agent-log suite allows (a trigger without `required` hides whether a human was needed).
The run stops, and every later run would: the rows stay in raw, and a corrected copy of the file
re-uses their event ids (a conflict). Set aside, the four leave raw with their text and the reason, the
ledger still verifies, the files still reconcile, the rebuild gives the sample's own export, and the
corrected copy then loads.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import (
    CONTRACT_SAMPLE,
    execute,
    export_differences,
    query,
    run_trustloop,
    step_lines,
    trustloop_env,
)

pytestmark = pytest.mark.slow

IDS = [f"trig-{i}" for i in range(4)]
FILE = "agent_logs/events_triggers.jsonl"


def _trigger(event_id: str, ticket: str, attributes: dict | None) -> str:
    event = {"event_id": event_id, "ticket_id": ticket, "occurred_at": "2026-03-20T10:00:00Z",
             "actor_type": "system", "actor_id": "guard", "event_type": "escalation_trigger"}
    return json.dumps(event | ({"attributes": attributes} if attributes is not None else {}))


@pytest.fixture(scope="module")
def blocked(tmp_path_factory):
    work = tmp_path_factory.mktemp("set_aside")
    landing = work / "landing"
    shutil.copytree(CONTRACT_SAMPLE / "landing", landing)
    lines = [_trigger(i, "T11-000322", None) for i in IDS]
    (landing / FILE).write_text("\n".join(lines) + "\n")
    env = trustloop_env(work, landing)
    first = run_trustloop(["run"], env, check=False)
    verified = run_trustloop(["verify", "--json"], env, check=False)
    again = run_trustloop(["run", "--force"], env, check=False)
    dry = run_trustloop(["set-aside", "agent_logs", "--where", "event_type = 'escalation_trigger' and attributes is null",
                         "--reason", "x", "--dry-run"], env, check=False)
    aside = run_trustloop(["set-aside", "agent_logs", *(f"--key={i}" for i in IDS[:3]), f"--row={FILE}:4",
                           "--reason", "sent without attributes; the platform resends them"], env, check=False)
    return work, landing, env, lines, first, again, verified, dry, aside


def test_the_stored_rows_stop_every_run(blocked):
    *_, first, again, _verified, _dry, _aside = blocked
    for proc in (first, again):
        assert proc.returncode == 1 and "FAILED raw/agent_logs:gx_raw_agent_logs" in proc.stdout, proc.stdout[-1500:]
        assert "`trustloop set-aside --help`" in proc.stdout  # the summary says where the way out is


def test_verify_says_the_stopped_runs_rows_are_not_chained_yet(blocked):
    """The run stopped at the raw suite, before the ledger's append: not tampering, but not protected yet."""
    *_, verified, _dry, _aside = blocked
    report = json.loads(verified.stdout)
    assert verified.returncode == 0 and report["ok"] and report["problem_count"] == 0, verified.stdout[-2000:]
    # every row the stopped run stored: all of the contract sample's, and the four triggers
    assert report["awaiting_append"] == report["raw_rows"] == 2614
    assert any("not in the ledger yet" in note for note in report["notes"])


def test_a_dry_run_finds_them_by_condition_and_changes_nothing(blocked):
    *_, dry, _aside = blocked
    assert dry.returncode == 0, dry.stderr[-2000:]
    assert dry.stdout.splitlines()[0] == "dry run: 4 row(s) of raw.agent_logs would be set aside (nothing changed)"
    assert [line.split()[0] for line in dry.stdout.splitlines()[1:5]] == IDS
    assert "rebuild" not in dry.stdout  # and the set-aside below finds all four still stored
    assert " steps" not in dry.stderr and step_lines(dry.stderr) == []  # no run started


def test_set_aside_moves_the_rows_and_the_rebuild_succeeds(blocked):
    work, _landing, env, lines, *_, aside = blocked
    assert aside.returncode == 0, aside.stdout[-2000:] + aside.stderr[-2000:]
    assert "4 row(s) of raw.agent_logs moved to raw.set_aside" in aside.stdout
    assert "rebuild run: OK" in aside.stdout
    # the rebuild's steps were shown as they ended, as `trustloop run` shows them
    steps = step_lines(aside.stderr)
    assert len(steps) >= 20 and all(outcome is None for *_, outcome in steps), aside.stderr[-3000:]
    assert "trustloop_dbt" in {step for _, _, step, *_ in steps}
    warehouse = Path(env["TRUSTLOOP_WAREHOUSE"])
    assert query(warehouse, "select count(*) from raw.agent_logs where event_id like 'trig-%'") == [(0,)]
    assert query(warehouse, "select record_key, file, line, reason, raw from raw.set_aside order by line") == [
        (i, FILE, n + 1, "sent without attributes; the platform resends them", lines[n]) for n, i in enumerate(IDS)]
    assert query(warehouse, "select count(*) from ledger.erasures where action = 'set_aside'") == [(4,)]


def test_the_ledger_verifies_and_the_file_reconciles(blocked):
    _work, _landing, env, *_ = blocked
    proc = run_trustloop(["verify", "--json"], env, check=False)
    report = json.loads(proc.stdout)
    assert proc.returncode == 0 and report["ok"], proc.stdout[-2000:]
    # the erasure log holds one set-aside of four rows and no customer's erasure, and says so
    assert (report["erasures"], report["set_asides"], report["set_aside_entries"], report["customer_erasures"]) == (
        4, 1, 4, 0)
    text = run_trustloop(["verify"], env, check=False)
    assert text.returncode == 0 and "erasure log: 0 customer erasures, 1 set-aside (4 rows);" in text.stdout
    warehouse = Path(env["TRUSTLOOP_WAREHOUSE"])
    [(read, loaded, quarantined)] = query(
        warehouse, "select rows_read, rows_loaded, rows_quarantined from raw.file_ledger where file = ?", [FILE])
    assert (read, loaded, quarantined) == (4, 4, 0)
    from trustloop.ingest.reconcile import file_reconciliation_sql

    [(erased, reconciles)] = query(warehouse, f"select rows_erased, reconciles from ({file_reconciliation_sql()}) "
                                              "where file = ?", [FILE])
    assert (erased, reconciles) == (4, True)


def test_the_export_is_the_samples_own_and_the_rows_are_listed(blocked, tmp_path):
    _work, _landing, env, *_ = blocked
    out = tmp_path / "metrics.csv"
    run_trustloop(["metrics", "export", "--out", str(out)], env)
    assert export_differences(out, CONTRACT_SAMPLE / "expected_metrics.csv") == {
        "missing": [], "extra": [], "different": []}
    listed = run_trustloop(["quarantine", "--set-aside"], env).stdout
    assert listed.startswith("4 set-aside row(s)")
    assert f"{FILE}:4  set aside (set-aside-" in listed


def test_listing_the_set_aside_rows_when_none_were_set_aside(conformance_build):
    _warehouse, env, _ = conformance_build
    for args in (["quarantine", "--set-aside"], ["quarantine", "--set-aside", "--source", "tickets"]):
        proc = run_trustloop(args, env, check=False)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert proc.stdout.startswith("no rows were set aside") and proc.stderr == ""
    assert "from tickets" in proc.stdout
    csv_proc = run_trustloop(["quarantine", "--set-aside", "--format", "csv"], env, check=False)
    assert csv_proc.returncode == 0 and csv_proc.stdout == "source,file,line,reason\n"


def test_a_corrected_delivery_then_loads_and_asking_again_is_an_error(blocked):
    _work, landing, env, *_ = blocked
    fixed = [_trigger(i, "T11-000322", {"reason": "low_confidence", "required": False}) for i in IDS]
    (landing / "agent_logs" / "events_triggers_resent.jsonl").write_text("\n".join(fixed) + "\n")
    proc = run_trustloop(["run"], env, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:]
    warehouse = Path(env["TRUSTLOOP_WAREHOUSE"])
    assert query(warehouse, "select count(*) from raw.agent_logs where event_id like 'trig-%' "
                            "and _file = 'agent_logs/events_triggers_resent.jsonl'") == [(4,)]
    assert query(warehouse, "select count(*) from raw.quarantine where file like '%triggers%'") == [(0,)]
    again = run_trustloop(["set-aside", "agent_logs", "--key", "no-such-event", "--reason", "x"], env, check=False)
    assert again.returncode != 0 and "no row of raw.agent_logs matches: no-such-event" in again.stderr
    bad = run_trustloop(["set-aside", "agent_logs", "--where", "no_such_column = 1", "--reason", "x"], env, check=False)
    assert bad.returncode != 0 and "cannot select the rows" in bad.stderr and "no_such_column" in bad.stderr


def test_a_row_already_in_the_ledger_set_aside_still_verifies(blocked):
    """The four above never reached the ledger (their run stopped at the raw suite, before the append); a row
    of the corrected copy has its ledger entry, which the erasure log now says has no row."""
    _work, _landing, env, *_ = blocked
    resent = "agent_logs/events_triggers_resent.jsonl"
    proc = run_trustloop(["set-aside", "agent_logs", "--row", f"{resent}:2", "--reason", "retracted by the platform"],
                         env, check=False)
    assert proc.returncode == 0 and "rebuild run: OK" in proc.stdout, proc.stdout[-2000:]
    warehouse = Path(env["TRUSTLOOP_WAREHOUSE"])
    [(key, seq)] = query(warehouse, "select e.record_key, e.ledger_seq from ledger.erasures e "
                                    "where e.action = 'set_aside' and e.file = ?", [resent])
    assert key == "trig-1" and seq == query(warehouse, "select seq from ledger.records where file = ? and line = 2",
                                            [resent])[0][0]
    verified = run_trustloop(["verify", "--json"], env, check=False)
    assert verified.returncode == 0 and json.loads(verified.stdout)["ok"], verified.stdout[-2000:]
    assert query(warehouse, "select count(*) from raw.agent_logs where event_id like 'trig-%'") == [(3,)]


def test_verify_checks_the_set_aside_copies_against_the_erasure_log(blocked, tmp_path):
    """On a copy of the output folder (after the tests above: five rows set aside, one of them ledgered), a copy
    altered, one removed, an original text changed and a row slipped in are each reported."""
    _work, landing, env, *_ = blocked
    shutil.copytree(Path(env["TRUSTLOOP_OUTPUT_DIR"]), tmp_path / "output")
    copy = trustloop_env(tmp_path, landing)
    clean = run_trustloop(["verify", "--json"], copy, check=False)
    assert clean.returncode == 0 and json.loads(clean.stdout)["set_aside_rows"] == 5, clean.stdout[-2000:]
    resent = "agent_logs/events_triggers_resent.jsonl"
    execute(Path(copy["TRUSTLOOP_WAREHOUSE"]),
            f"update raw.set_aside set row_hash = md5(row_hash) where file = '{FILE}' and line = 1",
            f"delete from raw.set_aside where file = '{FILE}' and line = 2",
            f"update raw.set_aside set raw = replace(raw, 'T11-000322', 'T11-000999') where file = '{resent}'",
            f"""insert into raw.set_aside select set_aside_id, source, 'trig-x', file, 99, reason, raw, row_hash,
                set_aside_at from raw.set_aside where file = '{FILE}' and line = 3""")
    tampered = run_trustloop(["verify", "--json"], copy, check=False)
    report = json.loads(tampered.stdout)
    assert tampered.returncode != 0 and report["problem_count"] == 4, tampered.stdout[-3000:]
    problems = "\n".join(report["problems"])
    assert f"raw.set_aside agent_logs {FILE}:1 (trig-0): row hash or key differs" in problems
    assert f"raw.set_aside agent_logs {FILE}:2 (trig-1): set aside by set-aside-" in problems
    assert f"raw.set_aside agent_logs {resent}:2 (trig-1): original text differs from ledger entry" in problems
    assert f"raw.set_aside agent_logs {FILE}:99 (trig-x): row not in the erasure log (inserted)" in problems


def test_erasing_the_customer_erases_their_set_aside_rows_too(blocked):
    """The set-aside copies keep the original text, so they name the customer's ticket: erase removes them."""
    _work, _landing, env, *_ = blocked
    warehouse = Path(env["TRUSTLOOP_WAREHOUSE"])
    [(customer,)] = query(warehouse, "select distinct customer_id from raw.tickets where ticket_id = 'T11-000322'")
    proc = run_trustloop(["erase", "--customer", customer], env, check=False)
    assert proc.returncode == 0 and "set aside: 5 row(s) deleted" in proc.stdout, proc.stdout[-2000:]
    assert query(warehouse, "select count(*) from raw.set_aside") == [(0,)]
    assert query(warehouse, "select count(*) from ledger.erasures where action = 'set_aside_deleted'") == [(5,)]
    verified = run_trustloop(["verify", "--json"], env, check=False)
    assert verified.returncode == 0 and json.loads(verified.stdout)["ok"], verified.stdout[-2000:]
