"""dbt's data tests, kept in the warehouse: what each test checks and how it ended, run by run.

dbt writes a test's outcome to the invocation's ``run_results.json`` and its definition to the
invocation's ``manifest.json``; both are in a folder that is pruned after a few runs and shared by
every warehouse built from this project. After each dbt step of a run the outcomes are appended to
``quality.dbt_test_results`` with the run id, so the control map (and anyone with SQL) can say which
test guarded which table at which run, and whether it passed, as ``quality.validation_results`` does
for the Great Expectations suites.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

TABLE = "quality.dbt_test_results"
COLUMNS = ("run_id", "invocation_id", "test_id", "test_name", "test_type", "table_name", "column_name",
           "severity", "status", "failures", "message", "executed_at")
DDL = f"""
create table if not exists {TABLE} (
    run_id varchar not null,
    invocation_id varchar not null,
    test_id varchar not null,
    test_name varchar not null,
    test_type varchar not null,
    table_name varchar,
    column_name varchar,
    severity varchar,
    status varchar not null,
    failures bigint,
    message varchar,
    executed_at timestamp not null
)
"""


def relation(node: dict[str, Any]) -> str:
    """``schema.name`` of a model or source node of the manifest (the name the warehouse uses)."""
    name = node.get("alias") or node.get("identifier") or node["name"]
    return f"{node['schema']}.{name}"


def tested_node(test: dict[str, Any]) -> str | None:
    """The unique id of the model or source a test guards: its attached node, else the one it reads."""
    if test.get("attached_node"):
        return test["attached_node"]
    nodes = (test.get("depends_on") or {}).get("nodes") or []
    return nodes[0] if len(nodes) == 1 else None


def test_type(test: dict[str, Any]) -> str:
    """``not_null``, ``accepted_values``, ...; ``singular`` for a test written as a SQL file."""
    meta = test.get("test_metadata") or {}
    return meta.get("name") or "singular"


def manifest_tests(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every data test of the manifest (unit tests are not data tests), by unique id, with the table it guards."""
    everything = {**manifest.get("nodes", {}), **manifest.get("sources", {})}
    tests = {}
    for uid, node in manifest.get("nodes", {}).items():
        if node.get("resource_type") != "test":
            continue
        guarded = everything.get(tested_node(node) or "")
        tests[uid] = {
            "test_id": uid,
            "test_name": node["name"],
            "test_type": test_type(node),
            "table_name": relation(guarded) if guarded else None,
            "column_name": node.get("column_name"),
            "severity": ((node.get("config") or {}).get("severity") or "ERROR").upper(),
        }
    return tests


def outcomes(run_results: dict[str, Any], manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per data test that the invocation ran (or skipped), in the order dbt reports them."""
    tests = manifest_tests(manifest)
    invocation = run_results["metadata"]["invocation_id"]
    rows = []
    for result in run_results.get("results", []):
        test = tests.get(result["unique_id"])
        if test is None:
            continue
        timing = [t.get("completed_at") for t in result.get("timing") or [] if t.get("completed_at")]
        rows.append({
            **test,
            "invocation_id": invocation,
            "status": result["status"],
            "failures": result.get("failures"),
            "message": result.get("message"),
            "executed_at": (timing[-1] if timing else run_results["metadata"]["generated_at"]).rstrip("Z"),
        })
    return rows


def read_invocation(folder: Path) -> list[dict[str, Any]]:
    """The data-test outcomes of one dbt invocation folder; none when dbt left no run results."""
    results, manifest = folder / "run_results.json", folder / "manifest.json"
    if not (results.is_file() and manifest.is_file()):
        return []
    return outcomes(json.loads(results.read_text()), json.loads(manifest.read_text()))


def record(con: duckdb.DuckDBPyConnection, run_id: str, rows: list[dict[str, Any]]) -> int:
    """Append the outcomes to quality.dbt_test_results under ``run_id``; returns the rows written."""
    con.execute("create schema if not exists quality")
    con.execute(DDL)
    if rows:
        con.executemany(
            f"insert into {TABLE} ({', '.join(COLUMNS)}) values ({', '.join('?' * len(COLUMNS))})",
            [[run_id if c == "run_id" else r[c] for c in COLUMNS] for r in rows],
        )
    return len(rows)
