"""The read-only trust snapshot: what the lookup, the packets and the HTTP service read.

DuckDB lets one process write a file and blocks every other process while it
does, so readers that must keep answering during a run (``trustloop serve``)
cannot read the warehouse. Each run therefore publishes, when its marts are
built, a small separate DuckDB file with copies of the tables the trust
lookup and the evidence packets need (PII already redacted: they come from
staging on). It is written to a temporary file and moved into place with
``os.replace``, so a reader sees either the previous snapshot or the new one,
never half of one.

The ledger and the agent-log events are the largest tables and mostly grow:
a new snapshot starts from a copy of the previous file, keeps the ledger
entries it already holds once they are shown to be the warehouse's (see
``ledger_prefix``), appends the newer ones, brings its events up to date
with the events of the newly ledgered raw rows (see ``append_events``) and
copies every other table anew. After an erasure the snapshot is written from
scratch instead, so that no block of the file keeps a copy of the erased rows.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from trustloop.settings import Settings, get_settings
from trustloop.warehouse import configure

SNAPSHOT_NAME = "trust.duckdb"

# (schema, table, required): what the snapshot serves. Optional tables are
# copied when the warehouse has them.
SNAPSHOT_TABLES: tuple[tuple[str, str, bool], ...] = (
    ("marts", "rpt_agent_scores", True),
    ("marts", "rpt_agent_case_types", True),
    ("marts", "fct_cases", True),
    ("marts", "fct_evaluations", True),
    ("marts", "fct_escalations", True),
    ("marts", "fct_autonomous_resolutions", True),
    ("marts", "fct_incidents", True),
    ("marts", "rpt_autonomy_recommendations", False),
    ("intermediate", "int_tickets__current", True),
    ("staging", "stg_agent_logs__events", True),
    ("intermediate", "int_incidents__current", True),
    ("intermediate", "int_case_types__policy", True),
    ("staging", "stg_incidents__ticket_links", True),
    ("ledger", "records", False),
    ("ledger", "checkpoints", False),
)


# Of the two largest tables the snapshot keeps only the columns its readers read (the evidence packets):
# the rest serve the dbt models. At 1M tickets that is 7.3M events and 9.1M ledger entries, ~5 s less
# to copy and a smaller file. Every other table is copied whole. The events come from staging (redacted
# there); the warehouse's intermediate.int_events__on_cases is a view adding the case type, which the
# packets do not read.
EVENT_COLUMNS = (
    "event_id", "ticket_id", "occurred_at", "actor_type", "actor_id", "event_type", "is_known_event_type",
    "agent_version", "autonomy_mode", "confidence", "policy_version", "attributes", "source_file",
    "source_line", "row_hash",
)
LEDGER_COLUMNS = ("seq", "source", "record_key", "file", "line", "row_hash", "raw_sha256", "chain_hash")
LEDGER = ("ledger", "records")
EVENTS = ("staging", "stg_agent_logs__events")
SNAPSHOT_COLUMNS: dict[tuple[str, str], tuple[str, ...]] = {
    EVENTS: EVENT_COLUMNS,
    LEDGER: LEDGER_COLUMNS,
}


class SnapshotMissing(RuntimeError):
    """Neither a snapshot nor a warehouse to read from."""


def snapshot_path(settings: Settings | None = None) -> Path:
    settings = settings or get_settings()
    return settings.output_dir / "snapshot" / SNAPSHOT_NAME


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tables_in(con: duckdb.DuckDBPyConnection, catalog: str) -> set[tuple[str, str]]:
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables where table_catalog = ?", [catalog]
    ).fetchall()
    return {(s, t) for s, t in rows}


def publish_snapshot(warehouse: Path, out: Path, run_id: str | None = None, reuse: bool = True) -> dict:
    """Write the served tables of ``warehouse`` into a new snapshot file, then move it to ``out``.

    With ``reuse`` (the default) the new file starts as a copy of the previous
    snapshot, whose ledger entries are kept when ``ledger_prefix`` shows them
    to be the warehouse's; every other table is copied anew. ``reuse=False``,
    or an erasure since the previous snapshot, writes a fresh file.

    Returns what was published (tables and their row counts). Raises when a
    required table is missing (the previous snapshot stays in place).
    """
    warehouse = Path(warehouse)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.publishing")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    # the warehouse is attached under its own database name: its views name it
    catalog = warehouse.stem
    published: dict[str, int] = {}
    copied = reuse and out.exists()
    if copied:
        shutil.copyfile(out, tmp)
    try:
        con = _open(tmp, warehouse, catalog)
    except duckdb.Error:
        if not copied:
            raise
        # a previous snapshot DuckDB cannot open is not worth keeping: start afresh
        copied = False
        con = _open(tmp, warehouse, catalog, afresh=True)
    try:
        present = _tables_in(con, catalog)
        missing = [f"{s}.{t}" for s, t, required in SNAPSHOT_TABLES if required and (s, t) not in present]
        if missing:
            raise RuntimeError(f"cannot publish the trust snapshot: {', '.join(missing)} missing in {warehouse}")
        erasures = _erasure_entries(con, catalog, present)
        if copied and _previous_erasures(con) != erasures:
            # erased rows may sit in the copy's blocks even once its tables are dropped: start afresh
            con.close()
            con = _open(tmp, warehouse, catalog, afresh=True)
        kept = ledger_prefix(con, catalog) if LEDGER in present else 0
        events_logic = _staging_logic(con, catalog, EVENTS)
        reuse_events = bool(kept) and events_reusable(con, events_logic)
        _clear(con, keep=({LEDGER} if kept else set()) | ({EVENTS} if reuse_events else set()))
        events_appended: int | None = None
        for schema, table, _required in SNAPSHOT_TABLES:
            if (schema, table) not in present:
                continue
            con.execute(f"create schema if not exists {_quote(schema)}")
            columns = SNAPSHOT_COLUMNS.get((schema, table))
            selected = ", ".join(_quote(c) for c in columns) if columns else "*"
            source = f"{_quote(catalog)}.{_quote(schema)}.{_quote(table)}"
            reused = (schema, table) == LEDGER and bool(kept)
            if reused:
                con.execute(f"insert into ledger.records select {selected} from {source} where seq > ?", [kept])
            elif (schema, table) == EVENTS and reuse_events:
                events_appended = append_events(con, catalog, kept)
                reused = events_appended is not None
            if not reused:
                con.execute(f"create table {_quote(schema)}.{_quote(table)} as select {selected} from {source}")
            published[f"{schema}.{table}"] = con.execute(
                f"select count(*) from {_quote(schema)}.{_quote(table)}"
            ).fetchone()[0]
        con.execute(f"DETACH {_quote(catalog)}")
        policy_version = None
        with contextlib.suppress(duckdb.Error):
            row = con.execute("select max(policy_version) from intermediate.int_case_types__policy").fetchone()
            policy_version = row[0] if row else None
        meta = {
            "published_at": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
            "run_id": run_id,
            "policy_version": policy_version,
            "tables": published,
            "ledger_entries_kept": kept,
            "erasure_entries": erasures,
            "events_appended": events_appended,
            "events_logic": events_logic,
        }
        con.execute("create schema if not exists trust_snapshot")
        con.execute("create table trust_snapshot.meta (key varchar, value varchar)")
        con.executemany(
            "insert into trust_snapshot.meta values (?, ?)",
            [[k, json.dumps(v) if not isinstance(v, str) else v] for k, v in meta.items() if v is not None],
        )
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, out)
    return meta


def _open(path: Path, warehouse: Path, catalog: str, afresh: bool = False) -> duckdb.DuckDBPyConnection:
    """The snapshot file being written, with the warehouse attached read-only under ``catalog``
    (``afresh``: an empty file, whatever was copied there before)."""
    if afresh:
        path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        configure(con)
        # the copies need not keep the warehouse's physical row order (every reader orders
        # or filters by key): the copy then streams instead of buffering, 1.09 GiB to 0.7 GiB at 1M
        con.execute("SET preserve_insertion_order = false")
        con.execute(f"ATTACH {_sql_str(str(warehouse))} AS {_quote(catalog)} (READ_ONLY)")
    except BaseException:
        con.close()
        raise
    return con


def ledger_prefix(con: duckdb.DuckDBPyConnection, catalog: str) -> int:
    """How many leading ledger entries the snapshot being written (a copy of the previous one) may keep.

    It may keep its entries 1..n when it holds exactly those, with the
    columns this version serves, and the warehouse's ledger holds exactly
    one entry per seq up to n with the same chain hash at n. Each entry's
    chain hash covers its fields and the chain hash before it, so an equal
    hash at n means the same n entries (a rewritten or re-chained warehouse
    ledger differs at n). Anything else: 0, and the ledger is copied whole.
    """
    if _own_columns(con, LEDGER) != LEDGER_COLUMNS:
        return 0
    count, low, high = con.execute("select count(*), min(seq), max(seq) from ledger.records").fetchone()
    if not count or low != 1 or high != count:
        return 0
    mine = con.execute("select chain_hash from ledger.records where seq = ?", [high]).fetchall()
    theirs = con.execute(
        f"select count(*), max(chain_hash) filter (where seq = ?), count(*) filter (where seq = ?) "
        f"from {_quote(catalog)}.ledger.records where seq <= ?", [high, high, high]
    ).fetchone()
    if theirs != (high, mine[0][0], 1):
        return 0
    return int(high)


def events_reusable(con: duckdb.DuckDBPyConnection, logic: str | None) -> bool:
    """May the copied snapshot's events be brought up to date rather than copied anew?

    Only when they were published from staging built with the same logic (the fingerprint the
    incremental staging model keeps in its table comment) and hold the columns this version serves.
    """
    if logic is None or _previous_meta(con, "events_logic") != logic:
        return False
    return _own_columns(con, EVENTS) == EVENT_COLUMNS


def _own_columns(con: duckdb.DuckDBPyConnection, relation: tuple[str, str]) -> tuple[str, ...]:
    """The columns, in order, of a table of the snapshot being written (none when it has no such table)."""
    own = con.execute("select current_database()").fetchone()[0]
    return tuple(r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_catalog = ? and table_schema = ? "
        "and table_name = ? order by ordinal_position", [own, *relation]).fetchall())


def append_events(con: duckdb.DuckDBPyConnection, catalog: str, kept: int) -> int | None:
    """Bring the copied snapshot's events up to date with the warehouse's; returns how many events it
    wrote, or None when the result could not be shown equal to the warehouse's (the table is then
    dropped, and the caller copies it whole).

    The copied events are those of the raw rows of ledger entries 1..``kept`` (they were published
    with that ledger). A staging row depends on its raw row alone (and the logic, checked by
    ``events_reusable``), so what changed since is the events of the raw rows ledgered after
    ``kept``: they replace any copied event with the same id and are added. The result must then
    hold the warehouse's rows: the same count and the same sum of hash(event_id, row_hash); anything
    else (say a staging row dropped since) and the table is dropped, to be copied whole.
    """
    table = ".".join(_quote(p) for p in EVENTS)
    source = f"{_quote(catalog)}.{table}"
    columns = ", ".join(_quote(c) for c in EVENT_COLUMNS)
    con.execute(
        f"""create temp table _new_events as
            select {columns} from {source} e
            semi join (select file, line from {_quote(catalog)}.ledger.records
                       where seq > ? and source = 'agent_logs') l
                on l.file = e.source_file and l.line = e.source_line""",
        [kept],
    )
    try:
        con.execute(f"delete from {table} where event_id in (select event_id from _new_events)")
        (written,) = con.execute(f"insert into {table} select * from _new_events").fetchone()
    finally:
        con.execute("drop table _new_events")
    digest = "select count(*), sum(hash(event_id, row_hash)) from {}"
    if con.execute(digest.format(table)).fetchone() != con.execute(digest.format(source)).fetchone():
        con.execute(f"drop table {table}")
        return None
    return int(written)


def _staging_logic(con: duckdb.DuckDBPyConnection, catalog: str, relation: tuple[str, str]) -> str | None:
    """The fingerprint of the logic an incremental staging table was built with (its table comment)."""
    row = con.execute(
        "select comment from duckdb_tables() where database_name = ? and schema_name = ? and table_name = ?",
        [catalog, *relation],
    ).fetchone()
    return row[0] if row and row[0] else None


def _erasure_entries(con: duckdb.DuckDBPyConnection, catalog: str, present: set[tuple[str, str]]) -> int:
    if ("ledger", "erasures") not in present:
        return 0
    return int(con.execute(f"select count(*) from {_quote(catalog)}.ledger.erasures").fetchone()[0])


def _previous_erasures(con: duckdb.DuckDBPyConnection) -> int | None:
    """The erasure-log size the copied snapshot was published at (None: no previous snapshot, or none recorded)."""
    value = _previous_meta(con, "erasure_entries")
    return int(value) if value is not None else None


def _previous_meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    """A value of the copied snapshot's meta (None: no previous snapshot, or the key not recorded)."""
    try:
        row = con.execute("select value from trust_snapshot.meta where key = ?", [key]).fetchone()
    except duckdb.Error:
        return None
    return row[0] if row else None


def _clear(con: duckdb.DuckDBPyConnection, keep: set[tuple[str, str]]) -> None:
    """Drop every table of the copied snapshot but ``keep``; the checkpoint frees their blocks for the new copies."""
    own = con.execute("select current_database()").fetchone()[0]
    for schema, table in sorted(_tables_in(con, own) - keep):
        con.execute(f"drop table {_quote(schema)}.{_quote(table)}")
    con.execute("CHECKPOINT")


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Source:
    """Where the trust readers read from: the snapshot (normally) or the warehouse (fallback)."""

    kind: str  # snapshot | warehouse
    path: Path


def current_source(settings: Settings | None = None, allow_warehouse: bool = True) -> Source:
    """The snapshot when one is published; else (when allowed) the warehouse itself, read-only.

    The HTTP service never falls back: a reader of the warehouse would block a run.
    """
    settings = settings or get_settings()
    snap = snapshot_path(settings)
    if snap.exists():
        return Source("snapshot", snap)
    if allow_warehouse and settings.warehouse.exists():
        return Source("warehouse", settings.warehouse)
    raise SnapshotMissing(f"no trust snapshot at {snap}: run `trustloop run` first")


@contextlib.contextmanager
def open_source(source: Source | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-only connection to the snapshot (or the warehouse when there is none)."""
    source = source or current_source()
    if source.kind == "warehouse":
        from trustloop.warehouse import open_connection

        con = open_connection(source.path, read_only=True)
    else:
        con = duckdb.connect(str(source.path), read_only=True)
        configure(con)
    try:
        yield con
    finally:
        con.close()


def has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


def snapshot_meta(con: duckdb.DuckDBPyConnection) -> dict:
    if not has_table(con, "trust_snapshot", "meta"):
        return {}
    meta = {}
    for key, value in con.execute("select key, value from trust_snapshot.meta").fetchall():
        try:
            meta[key] = json.loads(value) if key == "tables" else value
        except ValueError:
            meta[key] = value
    return meta
