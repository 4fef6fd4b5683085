"""The same dbt project on Apache Spark: the conformance fixture built on Spark gives the same
metrics export as on DuckDB, row for row and to the last digit, and the same rows in every model.

Run by `make test-spark` (pytest -m spark): needs the spark extra and Java 17. The DuckDB side is
the session's conformance build (`trustloop run` on tests/fixtures/contract-sample); the Spark side
is `trustloop spark build` on that warehouse's sources, in a fresh process, like a user.
"""

from __future__ import annotations

import csv
import json
import math

import duckdb
import pytest

from tests.conftest import CONTRACT_SAMPLE, query, run_trustloop

pytestmark = pytest.mark.spark

KEY = ("metric", "grain", "grain_value", "dimension", "period", "period_start")
MODEL_SCHEMAS = ("staging", "intermediate", "marts")


def _read(path):
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


@pytest.fixture(scope="module")
def spark_build(conformance_build, tmp_path_factory):
    _warehouse, env, _stdout = conformance_build
    root = tmp_path_factory.mktemp("spark")
    env = dict(env, TRUSTLOOP_SPARK_DIR=str(root / "spark"))
    spark_export = root / "spark_export.csv"
    proc = run_trustloop(["spark", "build", "--export", str(spark_export)], env, timeout=2400)
    summary = json.loads((root / "spark" / "build_summary.json").read_text())
    duckdb_export = root / "duckdb_export.csv"
    run_trustloop(["metrics", "export", "--out", str(duckdb_export)], env)
    return {
        "stdout": proc.stdout, "summary": summary, "spark_dir": root / "spark",
        "spark_export": spark_export, "duckdb_export": duckdb_export,
    }


def _duckdb_models(warehouse) -> dict[str, int]:
    names = query(
        warehouse,
        "select table_schema, table_name from information_schema.tables"
        " where table_schema in ('staging', 'intermediate', 'marts') order by 1, 2",
    )
    return {f"{s}.{t}": query(warehouse, f'select count(*) from "{s}"."{t}"')[0][0] for s, t in names}


def test_whole_project_builds_and_tests_green_on_spark(spark_build, conformance_warehouse, capsys):
    summary = spark_build["summary"]
    assert summary["failed"] == [], summary["failed"]
    duck = _duckdb_models(conformance_warehouse)
    # every model, not only those upstream of the export: nothing is excluded on Spark
    assert set(summary["models"]) == set(duck)
    assert len(duck) >= 34
    # the data tests and the YAML unit tests ran on Spark too, and passed: every data test DuckDB ran
    ran_on_duckdb = query(conformance_warehouse, "select count(distinct test_id) from quality.dbt_test_results")[0][0]
    assert summary["tests"].get("test:pass", 0) == ran_on_duckdb >= 120
    assert summary["tests"].get("unit_test:pass", 0) >= 12
    assert not any(k.startswith(("test:", "unit_test:")) and not k.endswith(":pass") for k in summary["tests"])
    # the raw layer, the policy tables and the model's predictions reached Spark in full
    for name, rows in summary["sources"].items():
        schema, table = name.split(".")
        assert rows == query(conformance_warehouse, f'select count(*) from "{schema}"."{table}"')[0][0], name
    assert summary["sources"]["raw.agent_logs"] == 2081 and summary["sources"]["ml.case_predictions"] == 344
    assert "spark build" in spark_build["stdout"] and ": OK" in spark_build["stdout"]
    with capsys.disabled():
        print(f"\n[spark] built {len(summary['models'])} models and passed "
              f"{summary['tests'].get('test:pass', 0)} data tests and {summary['tests'].get('unit_test:pass', 0)} "
              f"unit tests on Spark in {summary['seconds']} s")


def test_every_model_has_the_same_rows_on_both_engines(spark_build, conformance_warehouse, capsys):
    """Row counts of all models; the full contents of every table (views have no files of their own)."""
    summary = spark_build["summary"]
    duck = _duckdb_models(conformance_warehouse)
    assert summary["models"] == duck

    warehouse_dir = spark_build["spark_dir"] / "warehouse"
    con = duckdb.connect()
    compared_tables = compared_rows = 0
    try:
        con.execute(f"attach '{conformance_warehouse}' as duck (read_only)")
        for name in sorted(duck):
            schema, table = name.split(".")
            folder = warehouse_dir / f"{schema}.db" / table
            if not folder.is_dir():  # a view on Spark
                continue
            columns = [r[0] for r in con.execute(
                "select column_name from information_schema.columns where table_catalog = 'duck'"
                " and table_schema = ? and table_name = ? order by ordinal_position", [schema, table]).fetchall()]
            cols = ", ".join(f'"{c}"' for c in columns)
            spark = f"read_parquet('{folder}/*.parquet')"
            spark_cols = [r[0] for r in con.execute(f"describe select * from {spark}").fetchall()]
            assert spark_cols == columns, name
            # doubles compared exactly: the models spell their arithmetic so both engines round alike
            only_duck = con.execute(
                f"select count(*) from (select {cols} from duck.{schema}.{table} except all select {cols} from {spark})"
            ).fetchone()[0]
            only_spark = con.execute(
                f"select count(*) from (select {cols} from {spark} except all select {cols} from duck.{schema}.{table})"
            ).fetchone()[0]
            assert (only_duck, only_spark) == (0, 0), f"{name}: {only_duck} rows only on DuckDB, {only_spark} only on Spark"
            compared_tables += 1
            compared_rows += duck[name]
    finally:
        con.close()
    # every model but the views (the staging models bar the agent-log events, int_events__on_cases)
    assert compared_tables >= 25
    with capsys.disabled():
        print(f"[spark] {len(duck)} models: same row counts; {compared_tables} tables, {compared_rows} rows "
              "identical value for value on DuckDB and Spark")


def test_metrics_export_is_identical_on_both_engines(spark_build, capsys):
    duck = _read(spark_build["duckdb_export"])
    spark = _read(spark_build["spark_export"])
    assert spark[0] == duck[0] == [*KEY, "numerator", "denominator", "value"]
    assert len(duck) - 1 == 719 and spark_build["summary"]["export_rows"] == 719
    assert len(spark) == len(duck)
    mismatched = [(i, d, s) for i, (d, s) in enumerate(zip(duck, spark, strict=True)) if d != s]
    assert mismatched == [], f"{len(mismatched)} rows differ, e.g. {mismatched[:3]}"
    assert spark_build["spark_export"].read_bytes() == spark_build["duckdb_export"].read_bytes()
    with capsys.disabled():
        print(f"[spark] metrics export: compared {len(duck) - 1} rows x {len(duck[0])} columns, "
              "DuckDB and Spark identical as text")


def test_spark_export_reproduces_expected_metrics(spark_build, capsys):
    """The independent fixture's expectations hold on Spark too (as the DuckDB conformance test checks them)."""
    header, *rows = _read(spark_build["spark_export"])
    got = {tuple(r[:6]): r for r in rows}
    expected_header, *expected_rows = _read(CONTRACT_SAMPLE / "expected_metrics.csv")
    expected = {tuple(r[:6]): r for r in expected_rows}
    assert header == expected_header
    assert set(got) == set(expected) and len(got) == len(rows)
    for key, exp in expected.items():
        row = got[key]
        for i in (6, 7):  # numerator, denominator
            assert (float(row[i]) if row[i] else None) == (float(exp[i]) if exp[i] else None), key
        assert math.isclose(float(row[8]), float(exp[8]), rel_tol=0, abs_tol=1e-9), key
    with capsys.disabled():
        print(f"[spark] expected_metrics.csv: {len(expected)} rows reproduced on Spark")
