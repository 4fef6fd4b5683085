"""The dbt project as Dagster assets; dbt tests become asset checks."""


from collections.abc import Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration.resources import dbt_project, ensure_manifest

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


translator = TrustloopTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_duplicate_source_asset_keys=True))

DBT_BUILD_ARGS = ["build", "--exclude-resource-type", "unit_test"]


@dbt_assets(manifest=ensure_manifest(), project=dbt_project, dagster_dbt_translator=translator, name="trustloop_dbt")
def trustloop_dbt(context: AssetExecutionContext, dbt: DbtCliResource):
    """Build the dbt models and run their tests (unit tests run in the test suite, not here)."""
    yield from dbt.cli(DBT_BUILD_ARGS, context=context).stream()
