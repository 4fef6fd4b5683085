"""dbt docs: every model and every model column described, exposures declared, the site built offline."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_trustloop
from trustloop.commands.dev import DOCS_FILES, database_name, docs_profile

PROJECT = Path(__file__).resolve().parents[2]
DBT_PROJECT = PROJECT / "dbt_project"
DBT = str(Path(sys.executable).with_name("dbt"))

# consumer -> marts it must declare (a subset: the exposure may list more)
EXPOSURES = {
    "weekly_scorecard": {"fct_trust_metrics", "rpt_roi_total", "rpt_autonomy_recommendations"},
    "finance_roi_export": {"rpt_roi_monthly", "rpt_roi_total", "rpt_roi_assumptions"},
    "autonomy_recommendations": {"rpt_autonomy_recommendations"},
    "metrics_export": {"rpt_metrics_export"},
    "trust_lookup": {"rpt_agent_scores"},
    "control_map": {"dim_case_type_pacts", "fct_evaluations", "fct_autonomy_evidence", "rpt_autonomy_recommendations"},
}


def models(manifest: dict) -> dict[str, dict]:
    return {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}


def documented_columns(node: dict) -> dict[str, str]:
    return {name.lower(): (col.get("description") or "").strip() for name, col in node["columns"].items()}


@pytest.fixture(scope="module")
def parsed_manifest(tmp_path_factory) -> dict:
    """`dbt parse` into a scratch target (the project's own target/ belongs to the pipeline)."""
    target = tmp_path_factory.mktemp("dbt_parse")
    env = dict(os.environ, TRUSTLOOP_WAREHOUSE=":memory:", DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    proc = subprocess.run(
        [DBT, "parse", "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
         "--target-path", str(target), "--log-path", str(target / "logs"), "--no-partial-parse"],
        cwd=DBT_PROJECT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads((target / "manifest.json").read_text())


def test_every_model_has_a_description(parsed_manifest):
    missing = sorted(n["name"] for n in models(parsed_manifest).values() if not (n.get("description") or "").strip())
    assert not missing, f"models without a description: {missing}"


def test_every_documented_column_has_a_description(parsed_manifest):
    """Every model (staging, intermediate and marts) lists its columns in YAML, none with an empty description."""
    all_models = list(models(parsed_manifest).values())
    layers = {n["fqn"][1] for n in all_models if len(n["fqn"]) > 1}
    assert {"staging", "intermediate", "marts"} <= layers, layers
    undocumented = {n["name"]: [c for c, d in documented_columns(n).items() if not d] for n in all_models}
    undocumented = {k: v for k, v in undocumented.items() if v}
    no_columns = sorted(n["name"] for n in all_models if not n["columns"])
    assert not undocumented, f"columns with an empty description: {undocumented}"
    assert not no_columns, f"models whose YAML lists no columns: {no_columns}"


def test_exposures_declare_the_consumers(parsed_manifest):
    exposures = {e["name"]: e for e in parsed_manifest["exposures"].values()}
    assert set(EXPOSURES) <= set(exposures), f"missing exposures: {sorted(set(EXPOSURES) - set(exposures))}"
    names = {uid: n["name"] for uid, n in models(parsed_manifest).items()}
    for name, required in EXPOSURES.items():
        exposure = exposures[name]
        assert (exposure.get("description") or "").strip(), name
        assert exposure["owner"].get("name") or exposure["owner"].get("email"), name
        depends = {names[uid] for uid in exposure["depends_on"]["nodes"] if uid in names}
        assert required <= depends, f"{name} does not declare {sorted(required - depends)}"
        assert all(uid.startswith("model.") for uid in exposure["depends_on"]["nodes"])


def test_docs_profile_attaches_the_warehouse_read_only(tmp_path):
    warehouse = tmp_path / "my-warehouse.duckdb"
    text = docs_profile(warehouse)
    assert "path: ':memory:'" in text
    assert f"path: '{warehouse}'" in text
    assert "read_only: true" in text
    assert "database: my_warehouse" in text and "alias: my_warehouse" in text
    assert database_name(Path("/x/2026.duckdb")) == "db_2026"
    assert "attach" not in docs_profile(None)


@pytest.mark.slow
def test_trustloop_docs_builds_the_site_from_the_demo_warehouse(demo_build, tmp_path):
    warehouse, env, _ = demo_build
    before = (warehouse.stat().st_size, warehouse.stat().st_mtime_ns)
    out = tmp_path / "docs"
    proc = run_trustloop(["docs", "--out", str(out)], env)
    assert str(out) in proc.stdout
    for name in DOCS_FILES:
        assert (out / name).stat().st_size > 0, name
    # read-only: the warehouse is untouched
    assert (warehouse.stat().st_size, warehouse.stat().st_mtime_ns) == before

    manifest = json.loads((out / "manifest.json").read_text())
    catalog = json.loads((out / "catalog.json").read_text())
    assert not catalog.get("errors")
    all_models = models(manifest)
    # every model is in the catalog (built), and the catalog's database is the one dbt builds into
    assert set(all_models) <= set(catalog["nodes"]), sorted(set(all_models) - set(catalog["nodes"]))
    assert {n["metadata"]["database"] for n in catalog["nodes"].values()} == {database_name(warehouse)}

    # every column a model (any layer) really has is described in YAML, and YAML describes no column it lacks
    undocumented, stale = {}, {}
    for uid, node in all_models.items():
        actual = {c.lower() for c in catalog["nodes"][uid]["columns"]}
        documented = documented_columns(node)
        missing = sorted(c for c in actual if not documented.get(c))
        extra = sorted(set(documented) - actual)
        if missing:
            undocumented[node["name"]] = missing
        if extra:
            stale[node["name"]] = extra
    assert not undocumented, f"model columns without a description: {undocumented}"
    assert not stale, f"YAML documents columns the models do not have: {stale}"

    # the static page is one self-contained file: manifest and catalog inside, nothing fetched
    page = (out / "static_index.html").read_text()
    assert "rpt_roi_monthly" in page and "finance_roi_export" in page
    assert not re.findall(r"<(?:script|link)[^>]+(?:src|href)=[\"']https?://", page)
