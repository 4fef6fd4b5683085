"""The control map: each policy control, the tables that evidence it, the checks on them and their outcomes.

Built from real runs: the session's demo build for the map itself, and an in-process Dagster run of the
decision half of the dbt project, on a warehouse whose predictions were tampered with, for a failed test.
"""

from __future__ import annotations

import csv
from collections import Counter

from tests.conftest import execute, query, run_trustloop
from tests.quality.conftest import copy_warehouse, quality_env  # noqa: F401 - a fixture
from tests.reporting.page_checks import external_references
from trustloop.controls import control_map, dbt_tests

RULES = ["pact_accuracy", "pact_escalation", "pact_tone", "pact_policy_adherence",
         "escalation", "dispute", "model_risk", "evidence", "freeze"]


def _manifest() -> dict:
    from orchestration.resources import load_manifest

    return load_manifest()


def test_each_test_is_kept_with_the_table_it_guards():
    manifest = {
        "nodes": {
            "model.p.fct_a": {"resource_type": "model", "name": "fct_a", "alias": "fct_a", "schema": "marts"},
            "test.p.not_null_fct_a_id": {
                "resource_type": "test", "name": "not_null_fct_a_id", "attached_node": "model.p.fct_a",
                "column_name": "id", "test_metadata": {"name": "not_null"}, "config": {"severity": "warn"},
                "depends_on": {"nodes": ["model.p.fct_a"]}},
            "test.p.unique_src_id": {
                "resource_type": "test", "name": "unique_src_id", "attached_node": None, "column_name": "id",
                "test_metadata": {"name": "unique"}, "config": {}, "depends_on": {"nodes": ["source.p.ml.preds"]}},
            "test.p.assert_a_positive": {
                "resource_type": "test", "name": "assert_a_positive", "column_name": None, "config": {},
                "depends_on": {"nodes": ["model.p.fct_a"]}},
            "unit_test.p.fct_a.t": {"resource_type": "unit_test", "name": "t"},
        },
        "sources": {"source.p.ml.preds": {"resource_type": "source", "name": "preds", "identifier": "case_preds",
                                           "schema": "ml"}},
    }
    run_results = {"metadata": {"invocation_id": "inv-1", "generated_at": "2026-12-06T10:00:09Z"}, "results": [
        {"unique_id": "model.p.fct_a", "status": "success"},
        {"unique_id": "test.p.not_null_fct_a_id", "status": "warn", "failures": 2, "message": "Got 2 results",
         "timing": [{"name": "execute", "completed_at": "2026-12-06T10:00:05.25Z"}]},
        {"unique_id": "test.p.unique_src_id", "status": "fail", "failures": 1, "timing": []},
        {"unique_id": "test.p.assert_a_positive", "status": "skipped", "failures": None, "timing": []},
    ]}
    rows = dbt_tests.outcomes(run_results, manifest)
    assert [(r["test_name"], r["test_type"], r["table_name"], r["column_name"], r["severity"], r["status"],
             r["failures"], r["executed_at"]) for r in rows] == [
        ("not_null_fct_a_id", "not_null", "marts.fct_a", "id", "WARN", "warn", 2, "2026-12-06T10:00:05.25"),
        ("unique_src_id", "unique", "ml.case_preds", "id", "ERROR", "fail", 1, "2026-12-06T10:00:09"),
        ("assert_a_positive", "singular", "marts.fct_a", None, "ERROR", "skipped", None, "2026-12-06T10:00:09"),
    ]
    assert {r["invocation_id"] for r in rows} == {"inv-1"}


def test_the_control_map_of_a_run(demo_build, tmp_path):
    warehouse, env, _ = demo_build
    proc = run_trustloop(["controls", "--out", str(tmp_path / "map")], env)
    recs = {r[0]: dict(zip(["case_type", *RULES], r, strict=True)) for r in query(
        warehouse, f"select case_type, {', '.join('rule_' + r for r in RULES)} from marts.rpt_autonomy_recommendations")}
    assert f"control map: {9 * len(recs)} controls" in proc.stdout
    with open(tmp_path / "map" / "control_map.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))

    # every case type has its nine controls, each with the outcome the recommendation judged
    controls = {(r["case_type"], r["control_id"]): r for r in rows}
    assert len(controls) == 9 * len(recs)
    for (case_type, control_id), row in controls.items():
        rule = control_id.split(":")[-1] if ":" in control_id else "pact_" + control_id.rsplit("-", 1)[-1]
        assert row["status"] == recs[case_type][rule], (control_id, row["status"])
    # a pact of the policy file is named by its id and carries its own claim
    for case_type, dimension, pact_id, claim in query(
            warehouse, "select case_type, dimension, pact_id, claim from marts.dim_case_type_pacts where is_catalogued_pact"):
        row = controls[(case_type, pact_id)]
        assert row["claim"] == claim and row["control"] == dimension.replace("_", " ").capitalize() + " pact"

    # the checks of a table: every dbt test the manifest attaches to it, and every expectation of its suite
    manifest_tests = dbt_tests.manifest_tests(_manifest())
    on_evaluations = {t["test_name"] for t in manifest_tests.values() if t["table_name"] == "marts.fct_evaluations"}
    evaluations = [r for r in rows if r["control_id"] == "account_access:evidence"
                   and r["evidence_table"] == "marts.fct_evaluations"]
    assert {r["check_name"] for r in evaluations if r["check_framework"] == "dbt"} == on_evaluations
    gx_expected = query(warehouse, "select count(*) from quality.validation_results "  # the build's one run
                                   "where table_name = 'marts.fct_evaluations'")[0][0]
    assert Counter(r["check_framework"] for r in evaluations) == {"dbt": len(on_evaluations),
                                                                    "great_expectations": gx_expected}
    assert {r["check_status"] for r in evaluations} == {"pass"}

    # the run kept the outcome of every data test of the project, once
    kept = query(warehouse, "select test_id, status from quality.dbt_test_results")
    assert sorted(t for t, _ in kept) == sorted(manifest_tests) and {s for _, s in kept} == {"pass"}
    # the predictions the risk rule rests on are guarded too
    assert {r["check_name"] for r in rows if r["evidence_table"] == "ml.case_predictions"} == {
        "source_primary_key_ml_case_predictions_ticket_id", "source_not_null_ml_case_predictions_model_version"}

    html = (tmp_path / "map" / "control_map.html").read_text()
    assert html.count("<tr data-control=") == 9 * len(recs) and external_references(html) == []
    printed = run_trustloop(["controls", "--case-type", "fraud_report"], env).stdout
    assert "fraud_report:model_risk" in printed and "account_access" not in printed
    assert "  ml.case_predictions                        2 passed" in printed


def test_an_unknown_case_type_is_a_clear_error(demo_build):
    proc = run_trustloop(["controls", "--case-type", "teleportation"], demo_build[1], check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "trustloop: error: no case type 'teleportation' in marts.rpt_autonomy_recommendations"]


def test_a_failing_test_is_kept_and_the_map_shows_it(conformance_build, quality_env):  # noqa: F811
    """Two predictions for one case, and one for no case: the decision half of dbt fails its primary-key test
    (two offending keys: the repeated one and NULL), the step fails, and the failure is kept and shown
    against the risk rule of every case type."""
    from dagster import AssetSelection, DagsterInstance, Definitions, define_asset_job

    from orchestration.assets.dbt import trustloop_dbt_decisions
    from orchestration.definitions import defs

    warehouse = copy_warehouse(conformance_build[0], quality_env.warehouse)
    execute(warehouse, "insert into ml.case_predictions select * from ml.case_predictions limit 1",
            "insert into ml.case_predictions select * replace (null as ticket_id) from ml.case_predictions limit 1")
    before = query(warehouse, "select count(*) from quality.dbt_test_results")[0][0]
    job = define_asset_job("decisions_only", selection=AssetSelection.assets(trustloop_dbt_decisions))
    result = Definitions(assets=defs.assets, asset_checks=defs.asset_checks, jobs=[job],
                         resources=defs.resources).resolve_job_def("decisions_only").execute_in_process(
        instance=DagsterInstance.ephemeral(), raise_on_error=False)
    assert not result.success

    kept = query(warehouse, "select test_name, table_name, status, failures, run_id from quality.dbt_test_results "
                            f"where run_id = '{result.run_id}' and status <> 'pass'")
    failed = [k[:4] for k in kept if k[2] != "skipped"]
    assert failed == [("source_primary_key_ml_case_predictions_ticket_id", "ml.case_predictions", "fail", 2)]
    # what the failure kept from being built is kept as skipped: the decision tables' tests
    assert {k[1] for k in kept if k[2] == "skipped"} == {"marts.rpt_case_type_risk", "marts.rpt_autonomy_recommendations"}
    assert query(warehouse, "select count(*) from quality.dbt_test_results")[0][0] > before

    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        built = control_map.build(con, _manifest())
    finally:
        con.close()
    assert built.summary("ml.case_predictions") == {"passed": 1, "not passed": 1, "not run": 0}
    html = control_map.render_html(built)
    assert '<td class="bad">fail</td>' in html and '<td class="bad">skipped</td>' in html
    assert "ml.case_predictions</code></a> <span class=\"bad\">1 passed, 1 not passed</span>" in html


def test_report_links_the_control_map_or_says_why_there_is_none(demo_build, tmp_path):
    from tests.reporting.page_checks import parse

    warehouse, env, _ = demo_build
    proc = run_trustloop(["report", "--out", str(tmp_path / "out")], env)
    html = next((tmp_path / "out").glob("scorecard_*.html")).read_text()
    links = [e.attrs["href"] for e in parse(html).elements if e.tag == "a" and "controls" in e.attrs.get("class", "")]
    assert links == ["controls/control_map.html"] and (tmp_path / "out" / links[0]).is_file()
    assert "control map: control_map.csv, control_map.html in" in proc.stdout

    bare = copy_warehouse(warehouse, tmp_path / "bare" / "warehouse.duckdb")
    execute(bare, "drop table marts.rpt_autonomy_recommendations")
    (tmp_path / "bare_out" / "controls").mkdir(parents=True)  # a map of an earlier report in the same folder
    (tmp_path / "bare_out" / "controls" / "control_map.html").write_text("an earlier build's map")
    proc = run_trustloop(["report", "--out", str(tmp_path / "bare_out")],
                         dict(env, TRUSTLOOP_WAREHOUSE=str(bare)))
    assert proc.stdout.rstrip().endswith("control map: not written (marts.rpt_autonomy_recommendations does not "
                                         "exist: run `trustloop run` first)")
    html = next((tmp_path / "bare_out").glob("scorecard_*.html")).read_text()
    assert "control_map.html" not in html and list((tmp_path / "bare_out" / "controls").iterdir()) == []
