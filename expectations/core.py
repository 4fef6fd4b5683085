"""What a suite is: a guarded table and the batches GX validates for it.

A *batch* is one DuckDB query whose result (fetched via Arrow as a pandas
frame) GX validates against one GX expectation suite: the table's rows (whole,
or a bounded sample for large raw tables), its schema from the information
schema, or an aggregate computed inside DuckDB (weekly volume, null rates,
per-file reconciliation, pass-rate drift). A *suite* groups the batches of one
guarded table and becomes one Dagster asset check on that table's asset.

Expectations are built by functions, so importing the suites does not import
Great Expectations (the Dagster code location loads fast; GX is imported when
a check runs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from expectations.config import Thresholds


@dataclass(frozen=True)
class PerRow:
    """Store one result per frame row (e.g. per landing file), besides the expectation results."""

    rule: str  # the rule the row is judged by, e.g. "file reconciles: read = loaded + quarantined"
    subject: str  # column naming the row, e.g. "file"
    success: str  # boolean column
    observed: str  # text column


@dataclass(frozen=True)
class Batch:
    name: str
    description: str
    query: Callable[[Thresholds], str]
    expectations: Callable[[Thresholds], list[Any]]
    # columns that identify a failing row in the failing sample
    index_columns: tuple[str, ...] = ()
    # validate a bounded, repeatable sample of the query's rows (large raw tables)
    sampled: bool = False
    # when set, the SQL of that sample, given its size and seed: it picks the rows by rowid before reading
    # their columns (else the runner samples the query's result, reading every column of every row)
    sample_query: Callable[[int, int], str] | None = None
    per_row: PerRow | None = None
    # tables (schema.table) the query reads besides the suite's own
    requires: tuple[str, ...] = ()
    # a small aggregate: keep its rows (up to 20) as the observed value of its expectations
    observe: bool = False
    # when set, builds the query from an open connection (e.g. to adapt to optional tables)
    query_for: Callable[[Any, Thresholds], str] | None = None

    def sql(self, con, thresholds: Thresholds) -> str:
        return self.query_for(con, thresholds) if self.query_for is not None else self.query(thresholds)


@dataclass(frozen=True)
class Suite:
    name: str  # e.g. raw_incidents; the Dagster check is gx_<name>
    table: str  # schema.table; its asset key is <schema>/<table>
    description: str
    batches: tuple[Batch, ...]
    # blocking suites fail the check with ERROR severity and stop everything downstream in the run
    blocking: bool = True
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def schema(self) -> str:
        return self.table.split(".", 1)[0]

    @property
    def table_name(self) -> str:
        return self.table.split(".", 1)[1]

    @property
    def asset_key(self) -> tuple[str, str]:
        return (self.schema, self.table_name)

    @property
    def check_name(self) -> str:
        return f"gx_{self.name}"

    @property
    def severity(self) -> str:
        return "ERROR" if self.blocking else "WARN"

    def gx_suite_name(self, batch: Batch) -> str:
        return f"{self.name}.{batch.name}"
