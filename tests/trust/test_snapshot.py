"""The trust snapshot starts from a copy of the previous one and keeps its ledger entries only when they are
shown to be the warehouse's; whatever it reuses, it equals a snapshot written from scratch."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import execute, query
from tests.trust.conftest import CUSTOMER, clone_build
from trustloop.trust.snapshot import SNAPSHOT_TABLES, publish_snapshot

LATER = 5  # ledger entries the "previous run" did not have yet


@pytest.fixture
def warehouses(pii_build, tmp_path):
    """(before, now): the built warehouse as the previous run left it (its last LATER entries not yet
    appended) and as it is now."""
    now, _env = clone_build(pii_build, tmp_path / "now")
    before = tmp_path / "before" / "warehouse.duckdb"
    before.parent.mkdir()
    shutil.copy(now, before)
    execute(before, f"delete from ledger.records where seq > (select max(seq) - {LATER} from ledger.records)")
    return before, now


def _tables(path: Path) -> dict[str, list[tuple]]:
    """Every served table of a snapshot, rows sorted."""
    got = {}
    for schema, table, _required in SNAPSHOT_TABLES:
        if query(path, "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                 [schema, table]) == [(1,)]:
            got[f"{schema}.{table}"] = sorted(query(path, f"select * from {schema}.{table}"), key=repr)
    return got


def test_the_next_snapshot_keeps_the_ledger_entries_it_shares_and_equals_a_fresh_one(warehouses, tmp_path):
    before, now = warehouses
    out = tmp_path / "snapshot" / "trust.duckdb"
    assert publish_snapshot(before, out)["ledger_entries_kept"] == 0
    [(entries,)] = query(now, "select count(*) from ledger.records")

    meta = publish_snapshot(now, out)
    assert meta["ledger_entries_kept"] == entries - LATER
    assert meta["tables"]["ledger.records"] == entries
    fresh = publish_snapshot(now, tmp_path / "fresh" / "trust.duckdb", reuse=False)
    assert fresh["ledger_entries_kept"] == 0
    assert _tables(out) == _tables(tmp_path / "fresh" / "trust.duckdb")
    # the events the packets read come from staging, redacted there
    assert meta["tables"]["staging.stg_agent_logs__events"] == query(now, "select count(*) from raw.agent_logs")[0][0]


def test_a_rewritten_warehouse_ledger_is_copied_whole(warehouses, tmp_path):
    before, now = warehouses
    out = tmp_path / "trust.duckdb"
    publish_snapshot(before, out)
    # an entry the previous snapshot holds is no longer the warehouse's: its chain hash differs at the seam
    execute(now, f"update ledger.records set chain_hash = 'forged' where seq = (select max(seq) - {LATER} "
                 "from ledger.records)")
    meta = publish_snapshot(now, out)
    assert meta["ledger_entries_kept"] == 0
    assert query(out, "select count(*) from ledger.records where chain_hash = 'forged'") == [(1,)]


def test_a_snapshot_missing_an_entry_is_not_reused(warehouses, tmp_path):
    before, now = warehouses
    out = tmp_path / "trust.duckdb"
    publish_snapshot(before, out)
    execute(out, "delete from ledger.records where seq = 2")
    meta = publish_snapshot(now, out)
    assert meta["ledger_entries_kept"] == 0
    assert query(out, "select count(*) from ledger.records") == query(now, "select count(*) from ledger.records")


def test_after_an_erasure_the_snapshot_is_written_afresh(warehouses, tmp_path):
    """A copy would keep the erased rows in the freed blocks of the tables it drops: none may survive."""
    before, now = warehouses
    out = tmp_path / "trust.duckdb"
    marker = "erased-subject-" + "q" * 40
    execute(before, f"update marts.fct_cases set customer_id = '{marker}' where customer_id = '{CUSTOMER}'")
    publish_snapshot(before, out)
    assert marker.encode() in out.read_bytes()
    execute(now, "insert into ledger.erasures by name select 1 as seq, 'erase-x' as erasure_id, 'k' as subject_key, "
                 "'tickets' as source, 'f' as file, 1 as line, 'deleted' as action, now()::timestamp as erased_at, "
                 "'' as prev_hash, 'c' as chain_hash")
    meta = publish_snapshot(now, out)
    assert meta["erasure_entries"] == 1
    assert meta["ledger_entries_kept"] == 0
    assert marker.encode() not in out.read_bytes()


def test_a_previous_snapshot_that_cannot_be_opened_is_replaced(warehouses, tmp_path):
    _before, now = warehouses
    out = tmp_path / "trust.duckdb"
    out.write_bytes(b"not a database")
    meta = publish_snapshot(now, out)
    assert meta["ledger_entries_kept"] == 0
    assert query(out, "select count(*) from ledger.records") == query(now, "select count(*) from ledger.records")


NEW_EVENTS = 5  # agent-log rows the "previous run" had not ledgered nor staged yet


@pytest.fixture
def event_warehouses(pii_build, tmp_path):
    """(before, now, new): the warehouse before its last NEW_EVENTS agent-log rows were ledgered and
    staged, and as it is now; ``new`` are the event ids of those rows."""
    now, _env = clone_build(pii_build, tmp_path / "now")
    before = tmp_path / "before" / "warehouse.duckdb"
    before.parent.mkdir()
    shutil.copy(now, before)
    [(first,)] = query(now, "select min(seq) from (select seq from ledger.records where source = 'agent_logs' "
                            f"order by seq desc limit {NEW_EVENTS})")
    new = [r[0] for r in query(now, """select e.event_id from staging.stg_agent_logs__events e
        join ledger.records l on l.source = 'agent_logs' and l.file = e.source_file and l.line = e.source_line
        where l.seq >= ? order by 1""", [first])]
    assert len(new) == NEW_EVENTS
    execute(before, f"delete from staging.stg_agent_logs__events where event_id in ({_ids(new)})",
            f"delete from ledger.records where seq >= {first}")
    return before, now, new


def _ids(ids: list[str]) -> str:
    return ", ".join(f"'{i}'" for i in ids)


def _fresh(warehouse: Path, tmp_path: Path) -> Path:
    """A snapshot of ``warehouse`` written from scratch."""
    fresh = tmp_path / "fresh" / "trust.duckdb"
    publish_snapshot(warehouse, fresh, reuse=False)
    return fresh


def test_the_next_snapshot_appends_the_events_of_newly_ledgered_rows(event_warehouses, tmp_path):
    before, now, new = event_warehouses
    out = tmp_path / "trust.duckdb"
    assert publish_snapshot(before, out).get("events_appended") is None  # no previous snapshot: copied
    assert query(out, f"select count(*) from staging.stg_agent_logs__events where event_id in ({_ids(new)})") == [(0,)]

    meta = publish_snapshot(now, out)
    assert meta["events_appended"] == NEW_EVENTS and meta["ledger_entries_kept"] > 0
    assert _tables(out) == _tables(_fresh(now, tmp_path))


def test_a_newer_version_of_a_copied_event_replaces_it(event_warehouses, tmp_path):
    """An event the previous snapshot holds in an older version (its raw row since replaced, and
    ledgered anew) is there once, in its current version."""
    before, now, new = event_warehouses
    execute(before, "insert into staging.stg_agent_logs__events select * replace ('older version' as attributes, "
                    f"'old-hash' as row_hash) from staging.stg_agent_logs__events where event_id = '{new[0]}'")
    out = tmp_path / "trust.duckdb"
    publish_snapshot(before, out)
    meta = publish_snapshot(now, out)
    assert meta["events_appended"] == NEW_EVENTS
    assert query(out, f"select row_hash <> 'old-hash' from staging.stg_agent_logs__events where event_id = '{new[0]}'") \
        == [(True,)]
    assert _tables(out) == _tables(_fresh(now, tmp_path))


def test_events_that_cannot_be_shown_equal_are_copied_whole(event_warehouses, tmp_path):
    """A staging row gone since the previous snapshot (no ledger entry says so): the appended table does not
    add up to the warehouse's, so it is copied whole."""
    before, now, new = event_warehouses
    out = tmp_path / "trust.duckdb"
    publish_snapshot(before, out)
    [(gone,)] = query(now, f"select min(event_id) from staging.stg_agent_logs__events where event_id not in ({_ids(new)})")
    execute(now, f"delete from staging.stg_agent_logs__events where event_id = '{gone}'")
    meta = publish_snapshot(now, out)
    assert meta.get("events_appended") is None and meta["ledger_entries_kept"] > 0
    assert query(out, f"select count(*) from staging.stg_agent_logs__events where event_id = '{gone}'") == [(0,)]
    assert _tables(out) == _tables(_fresh(now, tmp_path))


def test_events_staged_with_other_logic_are_copied_whole(event_warehouses, tmp_path):
    """Staging re-derived under new logic keeps each row's hash but may change its values: the fingerprint
    in the staging table's comment differs, and the events are copied whole."""
    before, now, _new = event_warehouses
    out = tmp_path / "trust.duckdb"
    publish_snapshot(before, out)
    execute(now, "update staging.stg_agent_logs__events set attributes = 'derived by new logic'",
            "comment on table staging.stg_agent_logs__events is 'logic:another'")
    meta = publish_snapshot(now, out)
    assert meta.get("events_appended") is None and meta["events_logic"] == "logic:another"
    assert query(out, "select count(*) from staging.stg_agent_logs__events where attributes <> 'derived by new logic'") \
        == [(0,)]
