"""The Dagster UI: the webserver serves the project's asset graph, schedules and sensors over GraphQL.

The asset graph (keys, groups, deps, owners) is also kept as a snapshot,
``asset_graph.snapshot.json`` beside this file, so that a change to the graph
shows up in review. When the graph changes on purpose, update it with

    TRUSTLOOP_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/ergonomics/test_dagster_ui.py

and commit the new snapshot with the change.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.ergonomics.dagster_ui import asset_graph, free_port, running_ui, ui_env
from trustloop.commands.dev import ui_command

SNAPSHOT = Path(__file__).with_name("asset_graph.snapshot.json")
UPDATE_ENV = "TRUSTLOOP_UPDATE_SNAPSHOTS"

# the layer each asset-key prefix belongs to (its group in the UI)
LAYER_OF_PREFIX = {
    "raw": "ingest",
    "staging": "staging",
    "intermediate": "intermediate",
    "marts": "marts",
    "reports": "reports",
}
EXPECTED_KEYS = {
    "raw/tickets", "raw/agent_logs", "raw/incidents", "raw/policy", "raw/file_ledger", "raw/quarantine",
    "staging/stg_tickets__snapshots", "staging/stg_agent_logs__events", "staging/stg_incidents__snapshots",
    "intermediate/int_cases__ai_handling", "marts/fct_cases", "marts/fct_trust_metrics",
    "marts/rpt_metrics_export",
}
# assets of the risk model, the reports and the autonomy decisions, when their modules are in the Definitions
OPTIONAL_KEYS = {
    "ml/case_predictions", "marts/fct_case_features", "marts/rpt_case_type_risk",
    "marts/rpt_autonomy_recommendations", "marts/rpt_roi_monthly", "marts/rpt_roi_total",
    "reports/weekly_scorecard", "reports/finance_export",
}


@pytest.fixture(scope="module")
def ui_graph(tmp_path_factory) -> dict:
    """Start dagster-webserver alone (it stops on SIGTERM), read the graph, stop it."""
    workdir = tmp_path_factory.mktemp("dagster_ui")
    cmd = ui_command("127.0.0.1", free_port(), webserver_only=True)
    with running_ui(cmd, ui_env(workdir), workdir / "webserver.log") as ui:
        ui.wait_until_ready()
        graph = asset_graph(ui)
        exit_code = ui.stop(signal.SIGTERM)
    graph["_exit_code"] = exit_code
    return graph


def test_webserver_serves_the_asset_graph(ui_graph):
    keys = {a["key"] for a in ui_graph["assets"]}
    assert EXPECTED_KEYS <= keys, f"missing: {sorted(EXPECTED_KEYS - keys)}"
    deps = {a["key"]: set(a["deps"]) for a in ui_graph["assets"]}
    # lineage crosses the Python/dbt boundary: the staging views hang off the ingestion assets
    assert "raw/tickets" in deps["staging/stg_tickets__snapshots"]
    assert "raw/agent_logs" in deps["staging/stg_agent_logs__events"]
    assert "marts/fct_trust_metrics" in deps["marts/rpt_metrics_export"]
    if "ml/case_predictions" in keys:
        assert "marts/fct_case_features" in deps["ml/case_predictions"]
        assert "ml/case_predictions" in deps["marts/rpt_case_type_risk"]
    present_optional = OPTIONAL_KEYS & keys
    print(f"{len(keys)} assets; optional assets present: {sorted(present_optional)}")


def test_assets_are_grouped_by_layer_with_owners_and_descriptions(ui_graph):
    wrong_group, no_owner, no_description = [], [], []
    for asset in ui_graph["assets"]:
        layer = LAYER_OF_PREFIX.get(asset["key"].split("/")[0])
        if layer and asset["group"] != layer:
            wrong_group.append((asset["key"], asset["group"], layer))
        if not asset["owners"]:
            no_owner.append(asset["key"])
        if not asset["has_description"]:
            no_description.append(asset["key"])
    assert not wrong_group, f"assets outside their layer's group (key, group, expected): {wrong_group}"
    assert not no_owner, f"assets without an owner: {no_owner}"
    assert not no_description, f"assets without a description: {no_description}"
    groups = {a["group"] for a in ui_graph["assets"]}
    assert {"ingest", "staging", "intermediate", "marts"} <= groups


def test_schedules_sensors_and_jobs_are_visible(ui_graph):
    assert "trustloop_job" in ui_graph["jobs"]
    assert ui_graph["schedules"], "no schedule in the Definitions"
    assert ui_graph["sensors"], "no sensor in the Definitions"
    assert all(name.endswith("_schedule") for name in ui_graph["schedules"])
    assert all(name.endswith("_sensor") for name in ui_graph["sensors"])


def test_webserver_stops_on_sigterm(ui_graph):
    assert ui_graph["_exit_code"] is not None, "dagster-webserver did not exit on SIGTERM"


def test_asset_graph_matches_snapshot(ui_graph):
    current = {k: v for k, v in ui_graph.items() if not k.startswith("_")}
    for asset in current["assets"]:
        asset.pop("has_description", None)
    text = json.dumps(current, indent=1, sort_keys=True) + "\n"
    if os.environ.get(UPDATE_ENV) == "1":
        SNAPSHOT.write_text(text)
        print(f"snapshot written to {SNAPSHOT}")
        return
    assert SNAPSHOT.exists(), f"no snapshot yet: create it with {UPDATE_ENV}=1 (see this module's docstring)"
    stored = json.loads(SNAPSHOT.read_text())
    if stored != current:
        stored_assets = {a["key"]: a for a in stored["assets"]}
        current_assets = {a["key"]: a for a in current["assets"]}
        added = sorted(current_assets.keys() - stored_assets.keys())
        removed = sorted(stored_assets.keys() - current_assets.keys())
        changed = sorted(k for k in current_assets.keys() & stored_assets.keys() if current_assets[k] != stored_assets[k])
        other = sorted(k for k in ("jobs", "schedules", "sensors") if stored.get(k) != current.get(k))
        pytest.fail(
            f"the asset graph changed: added {added}, removed {removed}, changed {changed}, {other} differ. "
            f"If on purpose: {UPDATE_ENV}=1 .venv/bin/python -m pytest tests/ergonomics/test_dagster_ui.py"
        )


@pytest.mark.slow
def test_trustloop_ui_starts_dagster_dev_and_stops_on_ctrl_c(tmp_path):
    """`trustloop ui` (what `make ui` runs): webserver and daemon come up, Ctrl-C (SIGINT) stops them."""
    port = free_port()
    cmd = [str(Path(sys.executable).with_name("trustloop")), "ui", "--port", str(port)]
    with running_ui(cmd, ui_env(tmp_path), tmp_path / "dagster_dev.log", stop_signal=signal.SIGINT) as ui:
        ui.wait_until_ready()
        graph = asset_graph(ui)
        assert "raw/tickets" in {a["key"] for a in graph["assets"]}
        assert graph["schedules"]
        exit_code = ui.stop(signal.SIGINT)
    assert exit_code is not None, f"dagster dev did not stop on SIGINT:\n{ui.log_tail()}"
