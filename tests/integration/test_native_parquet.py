"""Conformance with Parquet as a warehouse export would write it: native types, not text.

The contract sample rewritten as Parquet files whose columns carry their own types - timestamps
as timestamp[us, tz=UTC], the agent-log attributes as a struct (the union of every event's keys,
absent ones null), an incident's ticket_ids as list<string>, counts as integers, amounts as
doubles - must give the very same metrics export as the original text files. The sample's
unparseable JSON line cannot exist in Parquet and is left out; its other bad rows stay bad.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import CONTRACT_SAMPLE, build_warehouse, export_differences, query, run_trustloop
from tests.reliability.landing_tools import parse_ts

pytestmark = pytest.mark.slow

TIMESTAMPS = {"updated_at", "created_at", "solved_at", "disputed_at", "occurred_at", "started_at", "detected_at",
              "resolved_at"}
NUMBERS = {"amount_at_stake": pa.float64(), "confidence": pa.float64(), "remediation_cost": pa.float64(),
           "customers_affected": pa.int64(), "csat_score": pa.int64(), "reopened_count": pa.int64()}


def _typed(name: str, values: list) -> pa.Array:
    """A column with its native type when every present value has one, else text (a bad value stays bad)."""
    present = [v for v in values if v not in (None, "")]
    if name in TIMESTAMPS and all(parse_ts(str(v)) for v in present):
        return pa.array([parse_ts(str(v)) if v not in (None, "") else None for v in values],
                        pa.timestamp("us", tz="UTC"))
    if name in NUMBERS:
        kind = NUMBERS[name]
        try:
            cast = [None if v in (None, "") else (int(float(v)) if kind == pa.int64() else float(v)) for v in values]
        except ValueError:
            cast = None
        if cast is not None and (kind != pa.int64() or all(float(v) == int(float(v)) for v in present)):
            return pa.array(cast, kind)
    if name == "attributes":
        return pa.array([v if isinstance(v, dict) else None for v in values])
    if name == "ticket_ids":
        return pa.array([[t.strip() for t in str(v).split(";") if t.strip()] if v not in (None, "") else None
                         for v in values], pa.list_(pa.string()))
    return pa.array([None if v in (None, "") else str(v) for v in values], pa.string())


def _write(rows: list[dict], path: Path) -> None:
    names = list(dict.fromkeys(k for r in rows for k in r))
    pq.write_table(pa.table({n: _typed(n, [r.get(n) for r in rows]) for n in names}), path)


def _records(path: Path) -> list[dict]:
    if path.suffix == ".csv":
        with open(path, newline="") as handle:
            return list(csv.DictReader(handle))
    records = []
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # not representable in Parquet
        if isinstance(record, dict):
            records.append(record)
    return records


@pytest.fixture(scope="module")
def parquet_build(tmp_path_factory):
    work = tmp_path_factory.mktemp("native_parquet")
    source = CONTRACT_SAMPLE / "landing"
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        target = work / "landing" / path.relative_to(source).with_suffix(".parquet")
        target.parent.mkdir(parents=True, exist_ok=True)
        _write(_records(path), target)
    return build_warehouse(work, work / "landing"), work


def test_the_files_are_parquet_with_native_types(parquet_build):
    _, work = parquet_build
    landing = work / "landing"
    assert sorted(p.suffix for p in landing.rglob("*") if p.is_file()) == [".parquet"] * 5
    events = pq.read_schema(landing / "agent_logs" / "events_1.parquet")
    assert pa.types.is_struct(events.field("attributes").type)
    incidents = pq.read_schema(landing / "incidents" / "incidents.parquet")
    assert incidents.field("started_at").type == pa.timestamp("us", tz="UTC")
    assert incidents.field("ticket_ids").type == pa.list_(pa.string())
    assert parse_ts("2026-04-04T05:08:31+02:00") == dt.datetime(2026, 4, 4, 3, 8, 31, tzinfo=dt.UTC)


def test_the_export_is_the_expected_one(parquet_build, tmp_path):
    (warehouse, env, stdout), _ = parquet_build
    assert "FAILED" not in stdout, stdout[-3000:]
    out = tmp_path / "metrics.csv"
    run_trustloop(["metrics", "export", "--out", str(out)], env)
    assert export_differences(out, CONTRACT_SAMPLE / "expected_metrics.csv") == {
        "missing": [], "extra": [], "different": []}
    expected = json.loads((CONTRACT_SAMPLE / "expected_counts.json").read_text())
    bad = dict(query(warehouse, "select source, count(*) from raw.quarantine group by 1"))
    assert bad.get("tickets", 0) == expected["tickets_bad_rows"]
    assert bad.get("incidents", 0) == expected["incidents_bad_rows"]
    assert bad.get("agent_logs", 0) == expected["agent_logs_bad_rows"] - 1  # the unparseable line
