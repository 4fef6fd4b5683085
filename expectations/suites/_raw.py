"""Helpers for the raw-table suites: the expected schema, derived from the landing contract."""

from __future__ import annotations

from expectations.batches import schema_batch
from expectations.core import Batch
from trustloop.ingest.contract import SOURCES
from trustloop.ingest.loader import SQL_TYPES

META_TYPES = {
    "_extra": "VARCHAR",
    "_file": "VARCHAR",
    "_line": "BIGINT",
    "_row_hash": "VARCHAR",
    "_raw": "VARCHAR",
    "_run_id": "VARCHAR",
    "_loaded_at": "TIMESTAMP",
}
# what every raw row must carry (its delivery position and identity)
META_REQUIRED = ("_file", "_line", "_row_hash", "_run_id", "_loaded_at")


def raw_schema_batch(source: str) -> Batch:
    """Every contract column with the type the loader gives it, plus the delivery columns."""
    expected: dict[str, str | None] = {
        c.name: SQL_TYPES[c.kind].upper().replace(" ", "") for c in SOURCES[source].columns
    }
    expected.update(META_TYPES)
    return schema_batch(f"raw.{source}", expected, exact=True)
