"""Every DuckDB connection the product opens carries the settings' memory and thread caps.

``trustloop.warehouse.configure`` sets them; a connection opened without it gets DuckDB's default
memory limit, 80 % of the machine. That happened once: checking that an erased customer is gone
scanned every text column of a 1M-ticket warehouse in 2.4 GiB instead of 0.75 GiB. This reads the
product's code for every ``duckdb.connect(`` and requires ``configure(`` on the lines that follow.
"""

from __future__ import annotations

import re

from tests.conftest import PROJECT

PRODUCT = ("trustloop", "orchestration", "expectations", "models")
FOLLOWING_LINES = 8  # open_connection retries on a lock before configuring


def test_every_duckdb_connection_is_configured():
    opened = 0
    unconfigured = []
    for folder in PRODUCT:
        for path in sorted((PROJECT / folder).rglob("*.py")):
            lines = path.read_text().splitlines()
            for n, line in enumerate(lines):
                if not re.search(r"\bduckdb\.connect\(", line):
                    continue
                opened += 1
                if not any("configure(" in later for later in lines[n + 1:n + 1 + FOLLOWING_LINES]):
                    unconfigured.append(f"{path.relative_to(PROJECT)}:{n + 1}: {line.strip()}")
    assert opened >= 4  # the warehouse, the snapshot, the compaction, the erasure check
    assert not unconfigured, "DuckDB connections without configure():\n" + "\n".join(unconfigured)
