"""Fixtures of the unit tests."""

from __future__ import annotations

import duckdb
import pytest


@pytest.fixture()
def con(tmp_path):
    """A fresh DuckDB warehouse file in UTC (test_normalise defines its own in-memory one)."""
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    connection.execute("set TimeZone = 'UTC'")
    yield connection
    connection.close()
