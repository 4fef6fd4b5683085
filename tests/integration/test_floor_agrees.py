"""The benchmark floor (bench/floor.sql, bare DuckDB straight from the landing files) is an
independent implementation of the metric definitions: it must agree with the pipeline."""

from __future__ import annotations

import csv
import math

import pytest

from bench.floor import floor_export
from tests.conftest import CONTRACT_SAMPLE, PROJECT, run_trustloop

pytestmark = pytest.mark.slow


def _export(env, tmp_path):
    out = tmp_path / "export.csv"
    run_trustloop(["metrics", "export", "--out", str(out)], env)
    with open(out, newline="") as handle:
        return {
            (r["metric"], r["grain"], r["grain_value"], r["dimension"], r["period"], r["period_start"]): r
            for r in csv.DictReader(handle)
        }


def _compare(floor_rows, ours):
    floor = {
        (m, g, gv, d or "", p, str(ps)): (n, den, v) for m, g, gv, d, p, ps, n, den, v in floor_rows
    }
    assert set(floor) == set(ours)
    for key, (n, den, v) in floor.items():
        row = ours[key]
        assert (float(row["numerator"]) if row["numerator"] else None) == (float(n) if n is not None else None), key
        assert float(row["denominator"]) == float(den), key
        assert math.isclose(float(row["value"]), v, abs_tol=1e-9), key


def test_floor_reproduces_the_conformance_export(conformance_build, tmp_path):
    _w, env, _ = conformance_build
    rows, _seconds = floor_export(CONTRACT_SAMPLE / "landing", PROJECT / "policy" / "policy.yml")
    _compare(rows, _export(env, tmp_path))


def test_floor_agrees_with_the_pipeline_on_demo_data(demo_build, demo_landing, tmp_path):
    _w, env, _ = demo_build
    rows, _seconds = floor_export(demo_landing, PROJECT / "policy" / "policy.yml")
    assert len(rows) > 500
    _compare(rows, _export(env, tmp_path))
