"""The read-only trust snapshot: what the lookup, the packets and the HTTP service read.

DuckDB lets one process write a file and blocks every other process while it
does, so readers that must keep answering during a run (``trustloop serve``)
cannot read the warehouse. Each run therefore publishes, when its marts are
built, a small separate DuckDB file with copies of the tables the trust
lookup and the evidence packets need (PII already redacted: they come from
staging on). It is written to a temporary file and moved into place with
``os.replace``, so a reader sees either the previous snapshot or the new one,
never half of one.
"""

from __future__ import annotations

import contextlib
import json
import os
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
    ("intermediate", "int_events__on_cases", True),
    ("intermediate", "int_incidents__current", True),
    ("intermediate", "int_case_types__policy", True),
    ("staging", "stg_incidents__ticket_links", True),
    ("ledger", "records", False),
    ("ledger", "checkpoints", False),
)


# Of the two largest tables the snapshot keeps only the columns its readers read (the evidence packets):
# the rest serve the dbt models. At 1M tickets that is 7.3M events and 9.1M ledger entries, ~5 s less
# to copy and a smaller file. Every other table is copied whole.
EVENT_COLUMNS = (
    "event_id", "ticket_id", "occurred_at", "actor_type", "actor_id", "event_type", "is_known_event_type",
    "agent_version", "autonomy_mode", "confidence", "policy_version", "attributes", "source_file",
    "source_line", "row_hash",
)
LEDGER_COLUMNS = ("seq", "source", "record_key", "file", "line", "row_hash", "raw_sha256", "chain_hash")
SNAPSHOT_COLUMNS: dict[tuple[str, str], tuple[str, ...]] = {
    ("intermediate", "int_events__on_cases"): EVENT_COLUMNS,
    ("ledger", "records"): LEDGER_COLUMNS,
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


def publish_snapshot(warehouse: Path, out: Path, run_id: str | None = None) -> dict:
    """Copy the served tables of ``warehouse`` into a new snapshot file, then move it to ``out``.

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
    con = duckdb.connect(str(tmp))
    try:
        configure(con)
        # the copies need not keep the warehouse's physical row order (every reader orders
        # or filters by key): the copy then streams instead of buffering, 1.09 GiB to 0.7 GiB at 1M
        con.execute("SET preserve_insertion_order = false")
        con.execute(f"ATTACH {_sql_str(str(warehouse))} AS {_quote(catalog)} (READ_ONLY)")
        present = _tables_in(con, catalog)
        missing = [f"{s}.{t}" for s, t, required in SNAPSHOT_TABLES if required and (s, t) not in present]
        if missing:
            raise RuntimeError(f"cannot publish the trust snapshot: {', '.join(missing)} missing in {warehouse}")
        for schema, table, _required in SNAPSHOT_TABLES:
            if (schema, table) not in present:
                continue
            con.execute(f"create schema if not exists {_quote(schema)}")
            columns = SNAPSHOT_COLUMNS.get((schema, table))
            selected = ", ".join(_quote(c) for c in columns) if columns else "*"
            con.execute(
                f"create table {_quote(schema)}.{_quote(table)} as "
                f"select {selected} from {_quote(catalog)}.{_quote(schema)}.{_quote(table)}"
            )
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
