"""`trustloop erase --customer`: gone from every layer and from the file's bytes; the ledger still verifies."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import run_trustloop, step_lines
from tests.trust.conftest import AGENT, CUSTOMER, EMAIL, PHONE, PHONE_UK, TICKET, TICKET_DISPUTED, clone_build
from trustloop.trust.erase import mention_regex, subject_key

# what must be gone from the file's bytes (the planted text of the customer's tickets and events)
ERASED_TEXT = (EMAIL, "zelda.planted", PHONE, PHONE_UK, "4539-1488-0343-6467", "4539148803436467")


@pytest.fixture(scope="module")
def erased(pii_build, tmp_path_factory):
    """A copy of the planted build, before and after `trustloop erase --customer C-PII-0001`."""
    workdir = tmp_path_factory.mktemp("erase")
    warehouse, env = clone_build(pii_build, workdir)
    before = warehouse.read_bytes()
    proc = run_trustloop(["erase", "--customer", CUSTOMER], env, check=False)
    return warehouse, env, before, proc


def _q(path: Path, sql: str, params=None):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_erase_succeeds(erased):
    _warehouse, _env, _before, proc = erased
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "OK: no table of the warehouse or the snapshot references the customer" in proc.stdout
    assert CUSTOMER not in proc.stdout and EMAIL not in proc.stdout + proc.stderr
    # the landing folder is the upstream copy: not touched, but named (paths relative to it)
    assert ("note: 3 landing file(s) still hold the customer (the upstream copy; erase it there too): "
            "agent_logs/zz_planted.jsonl, incidents/zz_planted.csv, tickets/zz_planted.csv\n") in proc.stdout
    assert "rebuild run: OK" in proc.stdout and "NOT FOUND" not in proc.stdout
    # its phases on stderr as they began, by the erasure's id (never the customer's), the rebuild's steps
    # among them
    erasure_id = proc.stdout.split()[1]
    phases = [line.split(": ", 1)[1] for line in proc.stderr.splitlines() if line.startswith(erasure_id + ": ")]
    assert [p.split()[0] for p in phases] == ["removed", "compacting", "publishing", "checking"], proc.stderr
    steps = step_lines(proc.stderr)
    assert len(steps) >= 20 and "trustloop_dbt" in {step for _, _, step, *_ in steps}, proc.stderr[-3000:]
    assert CUSTOMER not in proc.stderr and "zelda" not in proc.stderr.lower()


def test_text_gone_from_the_file_bytes(erased):
    warehouse, _env, before, _proc = erased
    present_before = [t for t in ERASED_TEXT if t.encode() in before]
    assert present_before, "the planted text should be in the file before erasure (raw layer)"
    after = warehouse.read_bytes()
    assert [t for t in ERASED_TEXT if t.encode() in after] == []
    assert CUSTOMER.encode() not in after
    assert not warehouse.with_name(warehouse.name + ".wal").exists()


def test_gone_from_every_layer(erased):
    warehouse, env, _before, _proc = erased
    assert _q(warehouse, "select count(*) from raw.tickets where customer_id = ?", [CUSTOMER]) == [(0,)]
    assert _q(warehouse, "select count(*) from raw.agent_logs where ticket_id in (?, ?) or actor_id = ?",
              [TICKET, TICKET_DISPUTED, CUSTOMER]) == [(0,)]
    assert _q(warehouse, "select count(*) from raw.quarantine where regexp_matches(raw, ?)",
              [mention_regex([CUSTOMER])]) == [(0,)]
    assert _q(warehouse, "select count(*) from marts.fct_cases where customer_id = ? or ticket_id in (?, ?)",
              [CUSTOMER, TICKET, TICKET_DISPUTED]) == [(0,)]
    # the incident stays (it happened) without the reference to the erased ticket or customer
    [(ticket_ids, summary, raw)] = _q(warehouse, "select ticket_ids, summary, _raw from raw.incidents "
                                                 "where incident_id = 'INC-PII-1'")
    assert ticket_ids is None and raw is None and CUSTOMER not in summary and "[erased customer]" in summary
    snapshot = Path(env["TRUSTLOOP_OUTPUT_DIR"]) / "snapshot" / "trust.duckdb"
    assert _q(snapshot, "select count(*) from intermediate.int_tickets__current where customer_id = ?",
              [CUSTOMER]) == [(0,)]
    assert CUSTOMER.encode() not in snapshot.read_bytes()


def test_erasure_log_and_ledger_still_verify(erased):
    warehouse, env, _before, _proc = erased
    rows = _q(warehouse, "select action, count(*) from ledger.erasures group by 1 order by 1")
    assert dict(rows) == {"amended": 1, "deleted": 2 + 11, "quarantine_deleted": 1}
    assert _q(warehouse, "select distinct subject_key from ledger.erasures") == [(subject_key(CUSTOMER),)]
    proc = run_trustloop(["verify", "--json"], env, check=False)
    report = json.loads(proc.stdout)
    assert proc.returncode == 0 and report["ok"], report
    assert report["erasures"] == 15
    assert (report["customer_erasures"], report["customer_erasure_entries"], report["set_asides"]) == (1, 15, 0)


def test_reconciliation_accounts_for_erasures(erased):
    warehouse, _env, _before, _proc = erased
    from trustloop.ingest.reconcile import file_reconciliation, reconciliation_problems

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert reconciliation_problems(con) == []
        rows = {r["file"]: r for r in file_reconciliation(con)}
    finally:
        con.close()
    tickets = rows["tickets/zz_planted.csv"]
    assert tickets["rows_erased"] == 2 and tickets["rows_erased_from_quarantine"] == 1 and tickets["reconciles"]


def test_lookup_still_answers_after_erasure(erased):
    _warehouse, env, _before, _proc = erased
    result = json.loads(run_trustloop(["lookup", AGENT], env).stdout)
    assert result["agent_id"] == AGENT and 0 <= result["score"] <= 1000


def test_erasing_an_unknown_customer_changes_nothing_but_the_log(pii_build, tmp_path):
    warehouse, env = clone_build(pii_build, tmp_path)
    counts = _q(warehouse, "select (select count(*) from raw.tickets), (select count(*) from raw.agent_logs)")
    from trustloop.trust.erase import plan_and_apply

    con = duckdb.connect(str(warehouse))
    try:
        plan = plan_and_apply(con, "C-NOBODY", "erase-test")
    finally:
        con.close()
    assert plan.entries == [] and plan.ticket_ids == []
    assert _q(warehouse, "select (select count(*) from raw.tickets), (select count(*) from raw.agent_logs)") == counts


def test_erasing_an_id_found_nowhere_says_so_logs_it_and_rebuilds_nothing(pii_build, pii_landing, tmp_path):
    """A mistyped id: the request is logged (a checkpoint of the erasure log), the output says plainly that
    the id is in no table, and no run rebuilds the warehouse. Six landing files name the id (delivered but
    not loaded yet): five are named, relative to the landing folder, and the sixth counted."""
    landing = tmp_path / "landing"
    shutil.copytree(pii_landing, landing)
    for n in range(6):
        (landing / "tickets" / f"zz_later_{n}.csv").write_text(f"C-NOWHERE-1 asked on day {n}\n")
    warehouse, env = clone_build(pii_build, tmp_path / "work", landing)
    checkpoints = _q(warehouse, "select count(*) from ledger.checkpoints")[0][0]
    marts = _q(warehouse, "select count(*) from marts.fct_cases")
    proc = run_trustloop(["erase", "--customer", "C-NOWHERE-1"], env, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert "rebuild run: not needed (nothing was removed)" in out
    phases = [line.split(": ", 1)[1].split()[0] for line in proc.stderr.splitlines() if line.startswith("erase-")]
    assert phases == ["compacting", "publishing", "checking"] and step_lines(proc.stderr) == [], proc.stderr
    assert out.rstrip().endswith("NOT FOUND: this customer id is in no table of the warehouse or the snapshot "
                                 "(raw, quarantine, set-aside, marts); nothing was erased. Check the id for a typo.")
    assert ("note: 6 landing file(s) still hold the customer (the upstream copy; erase it there too): "
            + ", ".join(f"tickets/zz_later_{n}.csv" for n in range(5)) + " and 1 more\n") in out
    assert "OK: no table" not in out
    # logged: one checkpoint, no entries; no run added its own checkpoint, nothing was rebuilt
    [(erasure_id,)] = _q(warehouse, "select run_id from ledger.checkpoints order by checkpoint_at desc limit 1")
    assert erasure_id.startswith("erase-") and erasure_id in out
    assert _q(warehouse, "select count(*) from ledger.checkpoints")[0][0] == checkpoints + 1
    assert _q(warehouse, "select count(*) from ledger.erasures") == [(0,)]
    assert _q(warehouse, "select count(*) from marts.fct_cases") == marts
    assert not (tmp_path / "work" / "dagster_home" / "history").exists()
    verified = run_trustloop(["verify", "--json"], env, check=False)
    assert verified.returncode == 0 and json.loads(verified.stdout)["ok"], verified.stdout[-2000:]


def test_the_landing_note_names_paths_and_counts_what_it_leaves_out(tmp_path):
    from trustloop.trust.erase import landing_note

    files = [tmp_path / "tickets" / f"t{n}.csv" for n in range(3)] + [tmp_path / "incidents" / "i.csv"]
    assert landing_note(files, tmp_path, shown=3) == (
        "4 landing file(s) still hold the customer (the upstream copy; erase it there too): "
        "tickets/t0.csv, tickets/t1.csv, tickets/t2.csv and 1 more")
    assert landing_note(files[:1], tmp_path).endswith(": tickets/t0.csv")


def test_a_file_is_searched_in_chunks_and_a_match_across_two_is_found(tmp_path):
    from trustloop.trust.erase import file_contains, files_mentioning

    path = tmp_path / "events.jsonl"
    path.write_bytes(b"x" * 10 + b"CUST-42" + b"y" * 10)
    # chunks of 4 bytes: the id spans chunks 3-5 (bytes 10-16); every chunk size finds it, none finds a near miss
    for chunk in (1, 3, 4, 7, 8, 11, 16, 1 << 20):
        assert file_contains(path, b"CUST-42", chunk), chunk
        assert not file_contains(path, b"CUST-43", chunk), chunk
        assert not file_contains(path, b"yCUST", chunk), chunk
    assert file_contains(path, b"x", 4) and file_contains(path, b"y" * 10, 3)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert not file_contains(empty, b"CUST-42")
    assert files_mentioning(tmp_path, "CUST-42") == [path]
    assert files_mentioning(tmp_path, "CUST-42", skip=(path,)) == []
