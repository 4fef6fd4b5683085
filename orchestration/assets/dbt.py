"""The dbt project as Dagster assets; dbt tests become asset checks.

The project is split in two multi-assets so that the Python risk model runs
between them in one job run:

- ``trustloop_dbt`` (evidence): every model not downstream of the model's
  predictions (staging, intermediate, the trust marts, the feature mart...);
- ``trustloop_dbt_decisions``: ``source:ml+``, the models that read
  ``ml.case_predictions`` (case-type risk, autonomy recommendations, and
  anything built on them), which therefore run after the model asset.

A new model lands in the right half by its lineage alone.
"""


from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration import dbt_in_process
from orchestration.resources import WarehouseResource, dbt_project, ensure_manifest, keep_dbt_state
from trustloop.controls import dbt_tests

LAYER_GROUPS = {"staging": "staging", "intermediate": "intermediate", "marts": "marts"}


class TrustloopTranslator(DagsterDbtTranslator):
    """Asset keys are <schema>/<model>; groups follow the dbt folder (layer)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        meta_key = (dbt_resource_props.get("meta") or {}).get("dagster", {}).get("asset_key")
        if meta_key:
            return AssetKey(meta_key)
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        schema = dbt_resource_props.get("schema") or "main"
        return AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn") or []
        layer = fqn[1] if len(fqn) > 2 else None
        return LAYER_GROUPS.get(layer, "marts")

    def get_owners(self, dbt_resource_props: Mapping[str, Any]):
        return ["team:analytics-engineering"]


translator = TrustloopTranslator(settings=DagsterDbtTranslatorSettings(
    # the tests on ml.case_predictions (a source here) are checks of that asset, not anonymous observations
    enable_asset_checks=True, enable_source_tests_as_checks=True, enable_duplicate_source_asset_keys=True,
))

DBT_BUILD_ARGS = ["build", "--exclude-resource-type", "unit_test"]


def _build(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    invocation = dbt.cli(DBT_BUILD_ARGS, context=context)
    try:
        yield from invocation.stream()
    except Exception:
        try:  # a failed test is the outcome most worth keeping, but never in place of dbt's own error
            _record_tests(context, warehouse, invocation.target_path)
        except Exception as exc:  # noqa: BLE001 - logged, and dbt's error is the one raised
            context.log.warning(f"the dbt test outcomes of this step were not kept: {exc}")
        raise
    else:
        _record_tests(context, warehouse, invocation.target_path)
    finally:
        dbt_in_process.stop(invocation.process)  # an in-process dbt interrupted between two events
        keep_dbt_state(invocation.target_path)


def _record_tests(context: AssetExecutionContext, warehouse: WarehouseResource, target_path: Path) -> None:
    """Keep the invocation's data-test outcomes in quality.dbt_test_results (read by the control map)."""
    folder = target_path if target_path.is_absolute() else Path(dbt_project.project_dir) / target_path
    rows = dbt_tests.read_invocation(folder)
    con = warehouse.connect()
    try:
        written = dbt_tests.record(con, context.run_id, rows)
    finally:
        con.close()
    context.log.info(f"{written} dbt test outcome(s) kept in {dbt_tests.TABLE}")


# the models that read the risk model's predictions, and everything built on them
DECISIONS_SELECT = "source:ml+"


@dbt_assets(
    manifest=ensure_manifest(),
    project=dbt_project,
    dagster_dbt_translator=translator,
    name="trustloop_dbt",
    exclude=DECISIONS_SELECT,
)
def trustloop_dbt(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    """Build the evidence models and run their tests (unit tests run in the test suite, not here)."""
    yield from _build(context, dbt, warehouse)


@dbt_assets(
    manifest=ensure_manifest(),
    project=dbt_project,
    dagster_dbt_translator=translator,
    name="trustloop_dbt_decisions",
    select=DECISIONS_SELECT,
)
def trustloop_dbt_decisions(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    """Build the models downstream of ml.case_predictions (risk per case type, recommendations) and test them."""
    yield from _build(context, dbt, warehouse)
