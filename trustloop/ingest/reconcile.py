"""Per-file reconciliation of the raw layer against the file ledger.

One row per landing file (source, path) with what the ledger says and what
the warehouse holds. A file reconciles when

- rows_read = rows_loaded + rows_quarantined (the landing contract's rule),
- rows_loaded = rows_new + rows_duplicate,
- the rows stored from it = rows_new, and
- the rows quarantined from it = rows_quarantined,

where rows a customer erasure removed (``trustloop erase``; logged in
``ledger.erasures`` with their file and line) count as stored / quarantined:
an erased row was loaded, and the log says where it went. Rows an operator
set aside (``trustloop set-aside``, logged there too) count as stored alike,
and as erased in ``rows_erased``.

``reconciliation_problems`` lists the files that do not (the ingestion
assets fail on it); the quality suites validate and store the same rows per
file (expectations/suites/raw_*.py).
"""

from __future__ import annotations

import duckdb

from trustloop.ingest.contract import SOURCES
from trustloop.warehouse import fetch_dicts, table_exists

RECONCILIATION_COLUMNS = (
    "source", "file", "files_in_ledger", "rows_read", "rows_loaded", "rows_new", "rows_duplicate",
    "rows_quarantined", "rows_stored", "rows_held_in_quarantine", "rows_erased", "rows_erased_from_quarantine",
    "loaded_plus_quarantined", "new_plus_duplicate", "reconciles", "observed",
)


def file_reconciliation_sql(source: str | None = None, erasure_log: bool = True) -> str:
    """SELECT giving one row per (source, file) with the reconciliation counts (RECONCILIATION_COLUMNS).

    Files the ledger skipped as duplicates of an earlier file count zero
    rows. Files present in the raw tables or the quarantine but absent from
    the ledger appear too (with zero ledger counts), so they never reconcile.
    rows_stored and rows_held_in_quarantine include the rows erased from the
    file (rows_erased, rows_erased_from_quarantine) when ``erasure_log`` (the
    table ledger.erasures, which every run creates; see has_erasure_log).
    """
    if source is not None and source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    names = [source] if source else list(SOURCES)
    stored_union = " union all ".join(
        f"select '{name}' as source, _file as file, count(*) as n from raw.{name} group by _file" for name in names
    )
    source_filter = f"where source = '{source}'" if source else ""
    if erasure_log:
        erased = f"""
            select source, file,
                   count(*) filter (where action in ('deleted', 'set_aside')) as deleted,
                   count(*) filter (where action = 'quarantine_deleted') as quarantine_deleted
            from ledger.erasures {source_filter} group by source, file"""
    else:
        erased = "select '' as source, '' as file, 0 as deleted, 0 as quarantine_deleted where false"
    return f"""
        with ledger as (
            select source, file, count(*) as files_in_ledger,
                   sum(rows_read) as rows_read, sum(rows_loaded) as rows_loaded, sum(rows_new) as rows_new,
                   sum(rows_duplicate) as rows_duplicate, sum(rows_quarantined) as rows_quarantined
            from raw.file_ledger {source_filter} group by source, file
        ),
        stored as ({stored_union}),
        quarantined as (
            select source, file, count(*) as n from raw.quarantine {source_filter} group by source, file
        ),
        erased as ({erased}),
        joined as (
            select
                coalesce(l.source, s.source, q.source) as source,
                coalesce(l.file, s.file, q.file) as file,
                cast(coalesce(l.files_in_ledger, 0) as bigint) as files_in_ledger,
                cast(coalesce(l.rows_read, 0) as bigint) as rows_read,
                cast(coalesce(l.rows_loaded, 0) as bigint) as rows_loaded,
                cast(coalesce(l.rows_new, 0) as bigint) as rows_new,
                cast(coalesce(l.rows_duplicate, 0) as bigint) as rows_duplicate,
                cast(coalesce(l.rows_quarantined, 0) as bigint) as rows_quarantined,
                cast(coalesce(s.n, 0) + coalesce(e.deleted, 0) as bigint) as rows_stored,
                cast(coalesce(q.n, 0) + coalesce(e.quarantine_deleted, 0) as bigint) as rows_held_in_quarantine,
                cast(coalesce(e.deleted, 0) as bigint) as rows_erased,
                cast(coalesce(e.quarantine_deleted, 0) as bigint) as rows_erased_from_quarantine
            from ledger l
            full join stored s on s.source = l.source and s.file = l.file
            full join quarantined q on q.source = coalesce(l.source, s.source) and q.file = coalesce(l.file, s.file)
            left join erased e
                on e.source = coalesce(l.source, s.source, q.source) and e.file = coalesce(l.file, s.file, q.file)
        )
        select
            *,
            rows_loaded + rows_quarantined as loaded_plus_quarantined,
            rows_new + rows_duplicate as new_plus_duplicate,
            (files_in_ledger > 0
             and rows_read = rows_loaded + rows_quarantined
             and rows_loaded = rows_new + rows_duplicate
             and rows_stored = rows_new
             and rows_held_in_quarantine = rows_quarantined) as reconciles,
            'read ' || rows_read || ' = loaded ' || rows_loaded || ' (new ' || rows_new || ' + duplicate '
                || rows_duplicate || ') + quarantined ' || rows_quarantined || '; stored ' || rows_stored
                || ', in quarantine ' || rows_held_in_quarantine
                || case when rows_erased + rows_erased_from_quarantine > 0
                        then ' (erased or set aside ' || rows_erased || ' + ' || rows_erased_from_quarantine
                             || ' quarantined)'
                        else '' end
                || case when files_in_ledger = 0 then '; not in the file ledger' else '' end as observed
        from joined
        order by source, file
    """


def has_erasure_log(con: duckdb.DuckDBPyConnection) -> bool:
    return table_exists(con, "ledger", "erasures")


def file_reconciliation(con: duckdb.DuckDBPyConnection, source: str | None = None) -> list[dict]:
    """The per-file reconciliation rows (dicts keyed by RECONCILIATION_COLUMNS)."""
    return fetch_dicts(con, file_reconciliation_sql(source, erasure_log=has_erasure_log(con)))


def reconciliation_problems(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every way the ledger and the raw layer disagree; empty when all files reconcile.

    For every file: rows_read = rows_loaded + rows_quarantined, rows_loaded =
    rows_new + rows_duplicate, and the rows stored / quarantined from it equal
    the ledger's rows_new / rows_quarantined.
    """
    problems = [
        f"{file}: read {read} != loaded {loaded} + quarantined {quarantined}"
        for file, read, loaded, quarantined in con.execute(
            """select file, rows_read, rows_loaded, rows_quarantined from raw.file_ledger
               where rows_read <> rows_loaded + rows_quarantined or rows_loaded <> rows_new + rows_duplicate
               order by file"""
        ).fetchall()
    ]
    problems += [
        f"{r['source']} {r['file']}: ledger says {r['rows_new']} new / {r['rows_quarantined']} quarantined, "
        f"warehouse holds {r['rows_stored']} / {r['rows_held_in_quarantine']}"
        for r in file_reconciliation(con)
        if r["rows_new"] != r["rows_stored"] or r["rows_quarantined"] != r["rows_held_in_quarantine"]
    ]
    return problems
