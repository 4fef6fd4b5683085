"""Per-file reconciliation of the raw layer against the file ledger."""

from __future__ import annotations

import duckdb

from trustloop.ingest.contract import SOURCES


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
    stored_union = " union all ".join(
        f"select '{name}' as source, _file as file, count(*) as n from raw.{name} group by _file" for name in SOURCES
    )
    rows = con.execute(
        f"""
        with ledger as (
            select source, file, sum(rows_new) as rows_new, sum(rows_quarantined) as rows_quarantined
            from raw.file_ledger group by source, file
        ),
        stored as ({stored_union}),
        quarantined as (select source, file, count(*) as n from raw.quarantine group by source, file)
        select coalesce(l.source, s.source, q.source), coalesce(l.file, s.file, q.file),
               coalesce(l.rows_new, 0), coalesce(s.n, 0), coalesce(l.rows_quarantined, 0), coalesce(q.n, 0)
        from ledger l
        full join stored s on s.source = l.source and s.file = l.file
        full join quarantined q on q.source = coalesce(l.source, s.source) and q.file = coalesce(l.file, s.file)
        where coalesce(l.rows_new, 0) <> coalesce(s.n, 0) or coalesce(l.rows_quarantined, 0) <> coalesce(q.n, 0)
        order by 1, 2
        """
    ).fetchall()
    problems += [
        f"{source} {file}: ledger says {new} new / {quar} quarantined, warehouse holds {stored} / {held}"
        for source, file, new, stored, quar, held in rows
    ]
    return problems
