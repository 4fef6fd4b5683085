"""Great Expectations guards the evidence: suites defined in code, one per guarded table.

- ``expectations.config``: every threshold, in one place.
- ``expectations.suites``: the suites (``SUITES``), one module per table.
- ``expectations.runner``: fetch batches from DuckDB via Arrow, validate with
  GX 1.x, append the results to ``quality.validation_results`` and write the
  Data Docs to ``<output>/data_docs``.

Importing this package does not import Great Expectations; running a suite does.
"""

from expectations.config import THRESHOLDS, NullRateRule, Thresholds
from expectations.core import Batch, Suite
from expectations.suites import SUITES, SUITES_BY_NAME, get_suite

__all__ = ["THRESHOLDS", "NullRateRule", "Thresholds", "Batch", "Suite", "SUITES", "SUITES_BY_NAME", "get_suite"]
