"""The staging tables built incrementally on DuckDB (stg_agent_logs__events, stg_tickets__snapshots): a build
derives only the raw rows that are new or changed, drops the rows whose raw row is gone or changed, and derives
every row again when its logic changed. Whatever happened in between, the table equals a full rebuild."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import execute, query
from trustloop.settings import DBT_PROJECT_DIR
from trustloop.trust.ledger import row_hash_sql

pytestmark = pytest.mark.slow

DBT = str(Path(sys.executable).with_name("dbt"))
STG = "staging.stg_agent_logs__events"
FINGERPRINT = """select comment from duckdb_tables()
                  where schema_name = 'staging' and table_name = 'stg_agent_logs__events'"""


@pytest.fixture
def warehouse(conformance_build, tmp_path):
    built, env, _stdout = conformance_build
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(built, copy)
    dbt_env = dict(env, TRUSTLOOP_WAREHOUSE=str(copy), DBT_PROFILES_DIR=str(DBT_PROJECT_DIR))
    common = ["--project-dir", str(DBT_PROJECT_DIR), "--target-path", str(tmp_path / "target"),
              "--log-path", str(tmp_path / "logs")]

    def build(*extra: str, model: str = "stg_agent_logs__events") -> str:
        proc = subprocess.run([DBT, "run", "--select", model, *extra, *common],
                              env=dbt_env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout[-4000:]
        return proc.stdout

    return copy, build


def _rows(path: Path) -> list[tuple]:
    return query(path, f"select * from {STG} order by event_id")


def test_new_amended_and_deleted_raw_rows_reach_the_table_and_nothing_else_is_derived(warehouse):
    path, build = warehouse
    [(fingerprint,)] = query(path, FINGERPRINT)
    assert fingerprint.startswith("logic:")
    amended, deleted, copied, untouched = (
        row[0] for row in query(path, "select event_id from raw.agent_logs order by event_id limit 4")
    )
    rehash = f"_row_hash = {row_hash_sql('agent_logs')}"
    execute(
        path,
        # an erasure-style amendment: new text, new row hash
        "update raw.agent_logs set attributes = '{\"text\": \"call me on +1 415 555 0199\"}' "
        f"where event_id = '{amended}'",
        f"update raw.agent_logs set {rehash} where event_id = '{amended}'",
        f"delete from raw.agent_logs where event_id = '{deleted}'",
        # a new event (as a new file would bring)
        "insert into raw.agent_logs select * replace ('ev-new-1' as event_id, 'agent_logs/later.jsonl' as _file) "
        f"from raw.agent_logs where event_id = '{copied}'",
        f"update raw.agent_logs set {rehash} where event_id = 'ev-new-1'",
        # a derived row changed behind dbt's back: an incremental build leaves it alone (it is not re-derived)
        f"update {STG} set attr_queue = 'stale' where event_id = '{untouched}'",
    )
    build()
    got = {r[0]: r for r in query(path, f"select event_id, attributes, attr_queue from {STG}")}
    assert deleted not in got
    assert "ev-new-1" in got
    assert got[amended][1] == '{"text": "call me on [phone redacted]"}'
    assert got[untouched][2] == "stale"
    raw_count = query(path, "select count(*) from raw.agent_logs")[0][0]
    assert len(got) == raw_count

    # a change of logic (another fingerprint on the table) derives every row again
    execute(path, f"comment on table {STG} is 'logic:older'")
    build()
    assert query(path, f"select attr_queue from {STG} where event_id = '{untouched}'") != [("stale",)]
    assert query(path, FINGERPRINT) == [(fingerprint,)]

    # and the table is what a full rebuild gives
    incremental = _rows(path)
    build("--full-refresh")
    assert _rows(path) == incremental
    assert len(incremental) == raw_count


def test_a_build_that_only_adds_keeps_every_row_and_one_after_a_deletion_drops_it(warehouse):
    """The search for rows to drop is skipped when the table holds no more rows than raw: check both sides."""
    path, build = warehouse
    first, copied = (row[0] for row in query(path, "select event_id from raw.agent_logs order by event_id limit 2"))
    execute(
        path,
        "insert into raw.agent_logs select * replace ('ev-new-2' as event_id, 'agent_logs/later.jsonl' as _file) "
        f"from raw.agent_logs where event_id = '{copied}'",
        f"update raw.agent_logs set _row_hash = {row_hash_sql('agent_logs')} where event_id = 'ev-new-2'",
    )
    build()
    raw_ids = [r[0] for r in query(path, "select event_id from raw.agent_logs order by event_id")]
    assert [r[0] for r in query(path, f"select event_id from {STG} order by event_id")] == raw_ids

    execute(path, f"delete from raw.agent_logs where event_id = '{first}'")
    build()
    got = [r[0] for r in query(path, f"select event_id from {STG} order by event_id")]
    assert first not in got
    assert got == raw_ids[1:]


TICKETS = "staging.stg_tickets__snapshots"


def test_ticket_snapshots_new_amended_and_deleted_reach_the_table_and_equal_a_full_rebuild(warehouse):
    path, build = warehouse
    [(fingerprint,)] = query(path, FINGERPRINT.replace("stg_agent_logs__events", "stg_tickets__snapshots"))
    assert fingerprint.startswith("logic:")
    amended, deleted, copied, untouched = (
        row[0] for row in query(path, "select _row_hash from raw.tickets order by _row_hash limit 4")
    )
    rehash = f"_row_hash = {row_hash_sql('tickets')}"
    execute(
        path,
        # an erasure-style amendment: new text, new row hash
        f"update raw.tickets set description = 'write to ann@example.org' where _row_hash = '{amended}'",
        f"update raw.tickets set {rehash} where description = 'write to ann@example.org'",
        f"delete from raw.tickets where _row_hash = '{deleted}'",
        # a new snapshot (as a new file would bring)
        "insert into raw.tickets select * replace ('T-NEW-1' as ticket_id, 'tickets/later.csv' as _file) "
        f"from raw.tickets where _row_hash = '{copied}'",
        f"update raw.tickets set {rehash} where ticket_id = 'T-NEW-1'",
        # a derived row changed behind dbt's back: an incremental build leaves it alone
        f"update {TICKETS} set channel = 'stale' where row_hash = '{untouched}'",
    )
    build(model="stg_tickets__snapshots")
    got = {r[0]: r for r in query(path, f"select row_hash, ticket_id, description, channel from {TICKETS}")}
    assert deleted not in got and amended not in got
    assert [r[2] for r in got.values() if r[2] and "ann@" in r[2]] == []
    assert "write to [email redacted]" in {r[2] for r in got.values()}
    assert "T-NEW-1" in {r[1] for r in got.values()}
    assert got[untouched][3] == "stale"
    assert len(got) == query(path, "select count(*) from raw.tickets")[0][0]

    execute(path, f"comment on table {TICKETS} is 'logic:older'")
    build(model="stg_tickets__snapshots")
    assert query(path, f"select channel from {TICKETS} where row_hash = '{untouched}'") != [("stale",)]
    incremental = query(path, f"select * from {TICKETS} order by row_hash")
    build("--full-refresh", model="stg_tickets__snapshots")
    assert query(path, f"select * from {TICKETS} order by row_hash") == incremental
