"""The tamper-evident ledger: a clean build verifies; flipping, deleting, reordering or inserting is detected."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import execute, run_trustloop
from tests.trust.conftest import TICKET, clone_build
from trustloop.trust.ledger import (
    GENESIS,
    RECORD_FIELDS,
    anchor_path,
    append_new_records,
    chain_hash,
    row_hash_sql,
    verify,
)


@pytest.fixture
def tampered(pii_build, tmp_path):
    """A private copy of the built warehouse (and its anchors) to tamper with; yields (warehouse, anchors)."""
    warehouse, env = clone_build(pii_build, tmp_path)
    yield warehouse, anchor_path(Path(env["TRUSTLOOP_OUTPUT_DIR"]), warehouse), env


def _verify(warehouse: Path, anchors: Path):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return verify(con, anchors)
    finally:
        con.close()


def test_clean_build_verifies_and_covers_every_raw_row(pii_build):
    workdir, warehouse, env, _out = pii_build
    report = _verify(warehouse, anchor_path(Path(env["TRUSTLOOP_OUTPUT_DIR"]), warehouse))
    assert report.ok, report.render()
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        raw = sum(con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in ("tickets", "agent_logs", "incidents"))
        entries = con.execute("select count(*), min(seq), max(seq) from ledger.records").fetchone()
        checkpoints = con.execute("select count(*) from ledger.checkpoints").fetchone()[0]
        text_columns = con.execute(
            """select count(*) from information_schema.columns where table_schema = 'ledger'
               and column_name in ('subject', 'description', 'summary', 'attributes', '_raw', 'customer_id')"""
        ).fetchone()[0]
    finally:
        con.close()
    assert entries == (raw, 1, raw)
    assert checkpoints == 1
    assert text_columns == 0  # hashes and pseudonymous keys only
    assert report.records == raw and report.raw_rows == raw and report.anchors == 1
    # the CLI says the same, with exit code 0
    proc = run_trustloop(["verify", "--json"], env)
    assert json.loads(proc.stdout)["ok"] is True


def test_append_is_idempotent_and_deterministic(tampered, tmp_path):
    warehouse, anchors, _env = tampered
    con = duckdb.connect(str(warehouse))
    try:
        before = con.execute("select max(seq), max(chain_hash) from ledger.records").fetchone()
        again = append_new_records(con, "second-run", anchors)
        # a fresh ledger over the same rows gives the same chain (deterministic order)
        heads = con.execute("select chain_hash from ledger.records order by seq desc limit 1").fetchone()[0]
        con.execute("drop schema ledger cascade")
        rebuilt = append_new_records(con, "rebuild", None)
    finally:
        con.close()
    assert again.appended == 0 and again.total == before[0]
    assert rebuilt.head_hash == heads


def test_every_entry_hash_is_the_documented_chain_hash(tampered):
    """Each entry's hash, recomputed in Python field by field (``chain_hash``), over the whole chain: a NULL
    key and non-ASCII text included, and across more than one batch of the append."""
    warehouse, anchors, _env = tampered
    execute(
        warehouse,
        "insert into raw.tickets select * replace (null as ticket_id, 99997 as _line, 'late-run' as _run_id, "
        "'Ünïcode ✓ ' || _raw as _raw) "
        f"from raw.tickets where ticket_id = '{TICKET}'",
    )
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("drop schema ledger cascade")
        import trustloop.trust.ledger as ledger

        batch, ledger.LEDGER_BATCH = ledger.LEDGER_BATCH, 7  # several batches, chained across their edges
        try:
            result = append_new_records(con, "rebuild", None)
        finally:
            ledger.LEDGER_BATCH = batch
        rows = con.execute(
            f"select {', '.join(RECORD_FIELDS)}, prev_hash, chain_hash from ledger.records order by seq"
        ).fetchall()
    finally:
        con.close()
    prev = GENESIS
    for row in rows:
        assert row[-2] == prev
        prev = chain_hash(prev, list(row[:-2]))
        assert row[-1] == prev, row
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1)) and len(rows) == result.total > 14
    assert result.head_hash == prev
    assert any(r[2] is None and r[4] == 99997 for r in rows)


def test_flipped_byte_in_a_value_is_detected(tampered):
    warehouse, anchors, _env = tampered
    execute(warehouse, f"update raw.tickets set amount_at_stake = amount_at_stake + 1 where ticket_id = '{TICKET}'")
    report = _verify(warehouse, anchors)
    assert not report.ok
    assert any(TICKET in p and "altered" in p for p in report.problems), report.render()


def test_flipped_byte_in_the_original_text_is_detected(tampered):
    warehouse, anchors, _env = tampered
    execute(warehouse, "update raw.agent_logs set _raw = replace(_raw, 'e', 'E') where event_id = 'ev-pii-0003'")
    report = _verify(warehouse, anchors)
    assert not report.ok
    assert any("ev-pii-0003" in p and "original text" in p for p in report.problems), report.render()


def test_altered_value_with_recomputed_row_hash_is_detected(tampered):
    from trustloop.trust.ledger import row_hash_sql

    warehouse, anchors, _env = tampered
    execute(
        warehouse,
        "update raw.agent_logs set actor_id = 'someone_else' where event_id = 'ev-pii-0004'",
        f"update raw.agent_logs set _row_hash = {row_hash_sql('agent_logs')} where event_id = 'ev-pii-0004'",
    )
    report = _verify(warehouse, anchors)
    assert any("ev-pii-0004" in p and "differs from ledger entry" in p for p in report.problems), report.render()


def test_deleted_record_is_detected(tampered):
    warehouse, anchors, _env = tampered
    execute(warehouse, "delete from raw.agent_logs where event_id = 'ev-pii-0007'")
    report = _verify(warehouse, anchors)
    assert report.problem_count == 1
    assert "deleted" in report.problems[0] and "ev-pii-0007" in report.problems[0]


def test_reordered_records_are_detected(tampered):
    warehouse, anchors, _env = tampered
    # swap the delivery positions of two events
    execute(
        warehouse,
        "update raw.agent_logs set _line = -1 where event_id = 'ev-pii-0001'",
        "update raw.agent_logs set _line = 1 where event_id = 'ev-pii-0002'",
        "update raw.agent_logs set _line = 2 where event_id = 'ev-pii-0001'",
    )
    report = _verify(warehouse, anchors)
    assert {p.split(" (")[0] for p in report.problems} >= {
        "raw.agent_logs agent_logs/zz_planted.jsonl:1", "raw.agent_logs agent_logs/zz_planted.jsonl:2"
    }, report.render()


def test_reordered_ledger_entries_are_detected(tampered):
    warehouse, anchors, _env = tampered
    execute(
        warehouse,
        "update ledger.records set seq = -5 where seq = 5",
        "update ledger.records set seq = 5 where seq = 6",
        "update ledger.records set seq = 6 where seq = -5",
    )
    report = _verify(warehouse, anchors)
    assert any("ledger.records seq 5" in p for p in report.problems), report.render()
    assert any("ledger.records seq 6" in p for p in report.problems), report.render()


def test_a_relinked_entry_breaks_the_chain_on_both_sides(tampered):
    """Entry 7 pointed at a forged predecessor, its own hash made consistent again: its link and the
    next entry's link break (found by the join of an intact 1..n sequence)."""
    warehouse, anchors, _env = tampered
    con = duckdb.connect(str(warehouse))
    try:
        values = con.execute(f"select {', '.join(RECORD_FIELDS)} from ledger.records where seq = 7").fetchone()
        forged = "f" * 64
        con.execute("update ledger.records set prev_hash = ?, chain_hash = ? where seq = 7",
                    [forged, chain_hash(forged, list(values))])
    finally:
        con.close()
    report = _verify(warehouse, anchors)
    chain = [p for p in report.problems if p.startswith("ledger.records seq")]
    assert chain == [f"ledger.records seq {n}: prev_hash does not link to the entry before "
                     "(reordered, inserted or removed entry)" for n in (7, 8)], report.render()


def test_inserted_record_is_detected(tampered):
    warehouse, anchors, _env = tampered
    execute(
        warehouse,
        "insert into raw.tickets select * replace ('T-FORGED' as ticket_id, 99999 as _line) "
        f"from raw.tickets where ticket_id = '{TICKET}'",
    )
    report = _verify(warehouse, anchors)
    assert any("T-FORGED" in p and "not in the ledger" in p for p in report.problems), report.render()


def test_append_takes_unseen_runs_rows_and_does_not_absorb_a_forged_one(tampered):
    """The next run's append picks up rows whose run never reached the ledger (a run that crashed
    after loading); a row slipped into raw under a run the ledger has seen stays reported."""
    warehouse, anchors, _env = tampered
    execute(
        warehouse,
        "insert into raw.tickets select * replace ('T-FORGED' as ticket_id, 99999 as _line) "
        f"from raw.tickets where ticket_id = '{TICKET}'",
        "insert into raw.tickets select * replace ('T-LATE' as ticket_id, 99998 as _line, 'crashed-run' as _run_id) "
        f"from raw.tickets where ticket_id = '{TICKET}'",
        f"update raw.tickets set _row_hash = {row_hash_sql('tickets')} where ticket_id = 'T-LATE'",
    )
    con = duckdb.connect(str(warehouse))
    try:
        result = append_new_records(con, "next-run", anchors)
        added = con.execute("select record_key, line, loaded_run_id from ledger.records where run_id = 'next-run'").fetchall()
    finally:
        con.close()
    assert result.appended == 1
    assert added == [("T-LATE", 99998, "crashed-run")]
    report = _verify(warehouse, anchors)
    problems = [p for p in report.problems if "T-" in p]
    assert len(problems) == 1 and "T-FORGED" in problems[0] and "not in the ledger" in problems[0], report.render()


def test_rows_of_a_run_stopped_before_the_append_are_noted_not_reported(tampered):
    """A run that a blocking check stops loads its files (file ledger and raw) but never reaches the ledger's
    append: verify says so in a note, not as tampering. A row under a run the file ledger does not know is
    still reported."""
    warehouse, anchors, _env = tampered
    execute(
        warehouse,
        "insert into raw.tickets select * replace ('T-WAITING' as ticket_id, 99998 as _line, 'stopped-run' as _run_id) "
        f"from raw.tickets where ticket_id = '{TICKET}'",
        "insert into raw.file_ledger select * replace ('stopped-run' as run_id) from raw.file_ledger "
        "where source = 'tickets' and file = (select _file from raw.tickets where ticket_id = 'T-WAITING')",
        "insert into raw.tickets select * replace ('T-NOFILE' as ticket_id, 99997 as _line, 'other-run' as _run_id) "
        f"from raw.tickets where ticket_id = '{TICKET}'",
        f"update raw.tickets set _row_hash = {row_hash_sql('tickets')} where ticket_id in ('T-WAITING', 'T-NOFILE')",
    )
    report = _verify(warehouse, anchors)
    problems = [p for p in report.problems if "T-" in p]
    assert len(problems) == 1 and "T-NOFILE" in problems[0] and "not in the ledger" in problems[0], report.render()
    assert report.awaiting_append == 1
    assert any(n.startswith("1 raw record(s) loaded by run(s) stopped-run are not in the ledger yet") for n in report.notes)


def test_inserted_ledger_entry_is_detected(tampered):
    warehouse, anchors, _env = tampered
    execute(warehouse, "update ledger.records set seq = seq + 1 where seq >= 10",
         "insert into ledger.records select * replace (10 as seq) from ledger.records where seq = 12")
    report = _verify(warehouse, anchors)
    assert any("ledger.records seq 10" in p for p in report.problems), report.render()


def test_altered_ledger_entry_is_detected(tampered):
    warehouse, anchors, _env = tampered
    execute(warehouse, "update ledger.records set row_hash = repeat('0', 64) where seq = 3")
    report = _verify(warehouse, anchors)
    assert any("ledger.records seq 3: chain hash" in p for p in report.problems), report.render()


def test_rewritten_chain_is_caught_by_the_external_anchor(tampered):
    """Recomputing the whole chain (and the checkpoint) inside the file still breaks the anchor outside it."""
    warehouse, anchors, _env = tampered
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("delete from raw.agent_logs where event_id = 'ev-pii-0007'")
        con.execute("drop schema ledger cascade")
        append_new_records(con, "forger", None)
    finally:
        con.close()
    report = _verify(warehouse, anchors)
    assert not report.ok
    assert any("anchors.jsonl" in p for p in report.problems), report.render()


def test_cli_verify_exits_non_zero_on_tampering(tampered):
    warehouse, _anchors, env = tampered
    execute(warehouse, "delete from raw.incidents where incident_id = 'INC-PII-1'")
    proc = run_trustloop(["verify"], env, check=False)
    assert proc.returncode == 1
    assert "TAMPERING DETECTED" in proc.stdout and "INC-PII-1" in proc.stdout


def test_a_run_over_a_tampered_warehouse_fails(tampered):
    """The run's ledger check does not block the evidence build, but the run is not reported as passing."""
    warehouse, _anchors, env = tampered
    # a value altered in place: every count still reconciles, only the ledger sees it
    execute(warehouse, f"update raw.tickets set amount_at_stake = amount_at_stake + 1 where ticket_id = '{TICKET}'")
    proc = run_trustloop(["run", "--force"], env, check=False)
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert ": FAILED" in proc.stdout.splitlines()[0]
    assert "FAILED ledger/records:ledger_verifies" in proc.stdout


def test_a_missing_anchor_file_is_a_warning_and_the_ok_says_what_was_not_proven(tampered, tmp_path):
    warehouse, anchors, env = tampered
    assert _verify(warehouse, anchors).anchors_checked
    assert run_trustloop(["verify", "--strict"], env).returncode == 0  # nothing to warn of: strict passes
    shutil.move(anchors, tmp_path / "elsewhere.jsonl")
    report = _verify(warehouse, anchors)
    assert report.ok and not report.anchors_checked
    assert len(report.warnings) == 1 and "no external anchor file" in report.warnings[0], report.render()
    proc = run_trustloop(["verify"], env)
    assert "WARNING: no external anchor file" in proc.stdout
    assert "NOT proven against the external anchors" in proc.stdout.splitlines()[-1]
    assert json.loads(run_trustloop(["verify", "--json"], env).stdout)["anchors_checked"] is False
    strict = run_trustloop(["verify", "--strict"], env, check=False)
    assert strict.returncode == 1 and "WARNING: no external anchor file" in strict.stdout


def test_a_checkpoint_written_outside_a_run_is_a_warning(tampered):
    """Records appended and checkpointed without an anchor (as a forger who cannot reach the anchor file
    would): the chain holds, so it is no proof of tampering, but verify says the tail is unanchored."""
    warehouse, anchors, _env = tampered
    execute(
        warehouse,
        "insert into raw.tickets select * replace ('T-ADDED' as ticket_id, 99996 as _line, 'side-run' as _run_id) "
        f"from raw.tickets where ticket_id = '{TICKET}'",
        f"update raw.tickets set _row_hash = {row_hash_sql('tickets')} where ticket_id = 'T-ADDED'",
    )
    con = duckdb.connect(str(warehouse))
    try:
        assert append_new_records(con, "side-run", None).appended == 1
    finally:
        con.close()
    report = _verify(warehouse, anchors)
    assert report.ok and not report.anchors_checked and report.checkpoints == 2 and report.anchors == 1
    assert report.warnings == [
        f"1 checkpoint after the last anchored one, of run(s) side-run, has no anchor in {anchors.name} "
        "(a run stopped between its commit and its anchor, or entries were checkpointed outside a run)"
    ], report.render()


def test_verify_partitions_group_whole_files_in_order():
    from trustloop.trust.ledger import verify_partitions

    files = {("tickets", "t/b.csv"): 40, ("agent_logs", "a/1.jsonl"): 70, ("agent_logs", "a/2.jsonl"): 250,
             ("tickets", "t/a.csv"): 20, ("incidents", "i/x.csv"): 5}
    assert verify_partitions(files, 100) == [
        {"agent_logs": ["a/1.jsonl"]},
        {"agent_logs": ["a/2.jsonl"]},  # larger than the limit: a partition of its own
        {"incidents": ["i/x.csv"], "tickets": ["t/a.csv", "t/b.csv"]},
    ]
    assert verify_partitions(files, 10_000) == [
        {"agent_logs": ["a/1.jsonl", "a/2.jsonl"], "incidents": ["i/x.csv"], "tickets": ["t/a.csv", "t/b.csv"]}
    ]
    assert verify_partitions({}, 100) == []


def test_file_by_file_verification_finds_what_the_whole_join_finds(tampered, monkeypatch):
    """With one file per partition, a clean ledger still verifies, and a row moved to another file, a row
    in a file the ledger never saw and a deleted row are each reported as when all files are joined at once."""
    from trustloop.trust import ledger

    warehouse, anchors, _env = tampered
    monkeypatch.setattr(ledger, "VERIFY_PARTITION_ROWS", 1)
    assert _verify(warehouse, anchors).ok
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        files = con.execute("select count(distinct _file) from raw.tickets").fetchone()[0]
        other = con.execute(
            f"select min(_file) from raw.tickets where _file <> (select _file from raw.tickets "
            f"where ticket_id = '{TICKET}' limit 1)").fetchone()[0]
    finally:
        con.close()
    assert files >= 2 and other
    execute(
        warehouse,
        f"update raw.tickets set _file = '{other}', _line = 999999 where ticket_id = '{TICKET}' and _line = "
        f"(select min(_line) from raw.tickets where ticket_id = '{TICKET}')",
        "insert into raw.agent_logs select * replace ('ev-forged' as event_id, 'agent_logs/zz_forged.jsonl' as _file) "
        "from raw.agent_logs where event_id = 'ev-pii-0003'",
        "delete from raw.agent_logs where event_id = 'ev-pii-0007'",
    )
    by_file = _verify(warehouse, anchors)
    monkeypatch.setattr(ledger, "VERIFY_PARTITION_ROWS", 10**9)
    whole = _verify(warehouse, anchors)
    assert by_file.problems == whole.problems and by_file.problem_count == whole.problem_count == 4, whole.render()
    assert sum("not in the ledger (inserted)" in p for p in by_file.problems) == 2  # the moved row, the forged one
    assert sum("(deleted)" in p for p in by_file.problems) == 2  # the moved row's old place, ev-pii-0007


class _CommitFails:
    """A DuckDB connection whose next COMMIT fails (as a full disk or a killed process would make it)."""

    def __init__(self, con):
        self._con = con

    def execute(self, sql, *args):
        if sql.strip().lower() == "commit":
            raise duckdb.IOException("commit failed (planted)")
        return self._con.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._con, name)


def test_a_set_aside_whose_commit_fails_leaves_no_anchor(tampered):
    """The erasure log's checkpoint is anchored only once its transaction committed: an anchor of a
    checkpoint rolled back would make the next verify report tampering that never happened."""
    from trustloop.ingest.set_aside import set_aside_rows

    warehouse, anchors, _env = tampered
    before = anchors.read_text()
    con = duckdb.connect(str(warehouse))
    try:
        with pytest.raises(duckdb.IOException, match="planted"):
            set_aside_rows(_CommitFails(con), "tickets", [TICKET], [], "test", "set-aside-fails", anchors)
        assert con.execute("select count(*) from raw.tickets where ticket_id = ?", [TICKET]).fetchone()[0] > 0
        report = set_aside_rows(con, "tickets", [TICKET], [], "test", "set-aside-ok", anchors)
    finally:
        con.close()
    assert len(report.rows) > 0
    added = anchors.read_text()[len(before):].splitlines()
    assert anchors.read_text().startswith(before) and len(added) == 1 and '"set-aside-ok"' in added[0]
    verified = _verify(warehouse, anchors)
    assert verified.ok and verified.anchors_checked and verified.set_asides == 1, verified.render()
