"""The autonomy history: every run appends its recommendations, with the run id and as-of date.

Idempotent per (as_of_date, run_id): re-running the append for the same run
replaces that run's rows. Columns follow marts.rpt_autonomy_recommendations
by name; a column the history does not have yet is added (older rows keep
NULL), so the history survives changes of the recommendation table.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

HISTORY_SCHEMA = "history"
HISTORY_TABLE = f"{HISTORY_SCHEMA}.autonomy_recommendations"
SOURCE_TABLE = "marts.rpt_autonomy_recommendations"


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> dict[str, str]:
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    return {name: dtype for name, dtype in rows}


def append_history(con: duckdb.DuckDBPyConnection, run_id: str, recorded_at: datetime) -> int:
    """Append the current recommendations to the history; return the rows written for this run."""
    source = _columns(con, "marts", "rpt_autonomy_recommendations")
    if not source:
        raise RuntimeError(f"{SOURCE_TABLE} does not exist: build the dbt models first")
    con.execute(f"create schema if not exists {HISTORY_SCHEMA}")
    con.execute("begin transaction")
    try:
        con.execute(
            f"create table if not exists {HISTORY_TABLE} as "
            f"select cast(null as varchar) as run_id, cast(null as timestamp) as recorded_at, * "
            f"from {SOURCE_TABLE} where false"
        )
        existing = _columns(con, HISTORY_SCHEMA, "autonomy_recommendations")
        for name, dtype in source.items():
            if name not in existing:
                con.execute(f'alter table {HISTORY_TABLE} add column "{name}" {dtype}')
        # a run has one as-of date: replacing the run's rows keeps (as_of_date, run_id) unique
        con.execute(f"delete from {HISTORY_TABLE} where run_id = ?", [run_id])
        con.execute(
            f"insert into {HISTORY_TABLE} by name "
            f"select cast(? as varchar) as run_id, cast(? as timestamp) as recorded_at, * from {SOURCE_TABLE}",
            [run_id, recorded_at],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return con.execute(f"select count(*) from {HISTORY_TABLE} where run_id = ?", [run_id]).fetchone()[0]
