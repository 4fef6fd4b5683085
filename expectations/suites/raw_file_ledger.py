"""raw.file_ledger: one consistent row per landing file read; every file's counts add up."""

from __future__ import annotations

from expectations.batches import gx, rows_batch, schema_batch
from expectations.config import Thresholds
from expectations.core import Suite
from trustloop.ingest.contract import FORMATS, SOURCES

STATUSES = ("loaded", "rejected", "skipped_duplicate_file")
COLUMNS = (
    "file", "source", "format", "sha256", "size_bytes", "status", "rows_read", "rows_loaded", "rows_new",
    "rows_duplicate", "rows_quarantined", "error", "duplicate_of", "run_id", "loaded_at",
)
SCHEMA = {
    "file": "VARCHAR", "source": "VARCHAR", "format": "VARCHAR", "sha256": "VARCHAR", "size_bytes": "BIGINT",
    "status": "VARCHAR", "rows_read": "BIGINT", "rows_loaded": "BIGINT", "rows_new": "BIGINT",
    "rows_duplicate": "BIGINT", "rows_quarantined": "BIGINT", "error": "VARCHAR", "duplicate_of": "VARCHAR",
    "landing_dir": "VARCHAR", "run_id": "VARCHAR", "loaded_at": "TIMESTAMP",
}


def _row_expectations(_: Thresholds) -> list:
    x = gx()
    return [
        *(x.ExpectColumnValuesToNotBeNull(column=c) for c in ("file", "source", "format", "sha256", "status",
                                                               "run_id", "loaded_at")),
        x.ExpectColumnValuesToBeInSet(column="source", value_set=list(SOURCES)),
        x.ExpectColumnValuesToBeInSet(column="format", value_set=sorted(set(FORMATS.values()))),
        x.ExpectColumnValuesToBeInSet(column="status", value_set=list(STATUSES)),
        x.ExpectColumnValuesToMatchRegex(column="sha256", regex=r"^[0-9a-f]{64}$"),
        *(x.ExpectColumnValuesToBeBetween(column=c, min_value=0)
          for c in ("rows_read", "rows_loaded", "rows_new", "rows_duplicate", "rows_quarantined")),
        x.ExpectColumnPairValuesToBeEqual(
            column_A="rows_read", column_B="loaded_plus_quarantined",
            description="rows read = rows loaded + rows quarantined"),
        x.ExpectColumnPairValuesToBeEqual(
            column_A="rows_loaded", column_B="new_plus_duplicate",
            description="rows loaded = rows new + rows duplicate"),
        x.ExpectColumnValuesToBeInSet(
            column="rejected_has_error", value_set=[True],
            description="a rejected file says why (error is set)"),
    ]


SUITE = Suite(
    name="raw_file_ledger",
    table="raw.file_ledger",
    description="The file ledger: one consistent row per landing file read, counts that add up.",
    batches=(
        schema_batch("raw.file_ledger", SCHEMA, exact=True),
        rows_batch(
            "raw.file_ledger", COLUMNS, _row_expectations, index_columns=("file", "status", "run_id"),
            computed={
                "loaded_plus_quarantined": "rows_loaded + rows_quarantined",
                "new_plus_duplicate": "rows_new + rows_duplicate",
                "rejected_has_error": "status <> 'rejected' or error is not null",
            },
        ),
    ),
)
