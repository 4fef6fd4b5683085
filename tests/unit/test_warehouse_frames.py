"""fetch_frame: the same pandas frame as DuckDB's .df(), converted in chunks."""

from __future__ import annotations

import duckdb
import pandas as pd

from trustloop.warehouse import fetch_frame

SQL = """
    select range as n, 'case-' || range as ticket_id, timestamp '2026-01-01' + to_seconds(range) as handled_at,
           case when range % 7 = 0 then null else range / 3 end as score, range % 2 = 0 as flag
    from range(?) order by n desc
"""


def test_fetch_frame_matches_df_across_chunk_boundaries():
    con = duckdb.connect()
    for rows in (0, 1, 2048, 2049, 50_001):
        expected = con.execute(SQL, [rows]).df()
        for vectors in (1, 3, 10):
            got = fetch_frame(con, SQL, [rows], vectors=vectors)
            pd.testing.assert_frame_equal(got, expected)
            assert list(got.index) == list(range(rows))
