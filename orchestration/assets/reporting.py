"""Reporting assets: finance's cost assumptions in, the weekly scorecard and the finance export out.

Thin wrappers: the work is in trustloop.finance (costs, export) and trustloop.reports.

- ``raw/policy_costs`` (group ingest): the policy file's ``costs:`` section, validated and published
  for the ROI marts (dbt source ``raw_finance.policy_costs``).
- ``reports/weekly_scorecard`` (group reports): the scorecard HTML of a week (config ``week``;
  default the latest complete ISO week) in ``<output>/reports/``, and the control map it links in
  ``<output>/reports/controls/``.
- ``reports/finance_export`` (group reports): the ROI tables as CSV and .xlsx in
  ``<output>/reports/finance/``.

Both report assets depend on the marts they read, so Dagster runs them after those marts and
their checks; a blocking check that fails upstream keeps them from running on broken evidence.
"""

import datetime as dt
from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, Config, MaterializeResult, MetadataValue, asset

from orchestration.resources import WarehouseResource, load_manifest
from trustloop.controls import control_map
from trustloop.finance.costs import load_costs, write_cost_table
from trustloop.finance.export import write_finance_export
from trustloop.reports.scorecard import write_scorecard
from trustloop.reports.weeks import parse_week
from trustloop.settings import get_settings

OWNERS = ["team:analytics-engineering"]
SCORECARD_OP = "reports__weekly_scorecard"

# the marts each report reads (asset keys marts/<model>); optional ones are used when the dbt project has them
SCORECARD_MARTS = (
    "fct_cases", "fct_trust_metrics", "fct_incidents", "rpt_judge_agreement", "rpt_roi_total", "rpt_roi_monthly",
    "rpt_roi_assumptions", "rpt_autonomy_recommendations",
)
FINANCE_MARTS = ("rpt_roi_monthly", "rpt_roi_total", "rpt_roi_assumptions")
# the asset that writes the approval memos the scorecard links to (orchestration/assets/autonomy.py)
MEMOS_KEY = AssetKey(["history", "autonomy_recommendations"])


def _models_in_project() -> set[str]:
    try:
        nodes = load_manifest()["nodes"].values()
    except (OSError, ValueError, KeyError):
        return set()
    return {n["name"] for n in nodes if n.get("resource_type") == "model"}


_MODELS = _models_in_project()


def _mart_deps(names: tuple[str, ...]) -> list[AssetKey]:
    return [AssetKey(["marts", name]) for name in names if name in _MODELS]


@asset(
    key=AssetKey(["raw", "policy_costs"]),
    group_name="ingest",
    owners=OWNERS,
    description=(
        "Finance's cost assumptions from the policy file's costs section (each with value and unit; human cost "
        "per case by case type with a default), validated and published as raw.policy_costs for the ROI marts."
    ),
    kinds={"duckdb", "yaml"},
)
def policy_costs(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    policy_file = get_settings().policy_file
    costs = load_costs(policy_file)
    if costs is None:
        context.log.warning(
            f"{policy_file} has no costs section: raw.policy_costs is empty and the ROI tables carry no costs"
        )
    con = warehouse.connect()
    try:
        rows = write_cost_table(con, costs)
    finally:
        con.close()
    return MaterializeResult(
        metadata={
            "file": str(policy_file),
            "assumptions": rows,
            "currency": costs.currency if costs else "",
            "table": MetadataValue.md(
                "| name | case type | value | unit |\n|---|---|---|---|\n"
                + "\n".join(f"| {a.name} | {a.case_type or 'default'} | {a.value:g} | {a.unit} |"
                            for a in (costs.assumptions if costs else []))
            ),
        }
    )


class ScorecardConfig(Config):
    week: str = ""  # any date of the week (YYYY-MM-DD) or YYYY-Www; empty: the latest complete ISO week


@asset(
    key=AssetKey(["reports", "weekly_scorecard"]),
    deps=[*_mart_deps(SCORECARD_MARTS), AssetKey(["raw", "file_ledger"]), MEMOS_KEY],
    group_name="reports",
    owners=OWNERS,
    description=(
        "The weekly scorecard for support leaders: one offline HTML file (inline SVG charts, printable) with the "
        "headline metrics per case type, agent and agent version, pact pass rates, judge agreement, incidents, "
        "recommendations and memos, data quality, ROI and the cost assumptions; and beside it the control map "
        "(each pact and rule, the tables that evidence it and their checks), which it links."
    ),
    kinds={"html"},
)
def weekly_scorecard(context: AssetExecutionContext, config: ScorecardConfig,
                     warehouse: WarehouseResource) -> MaterializeResult:
    settings = get_settings()
    week = parse_week(config.week) if config.week else None
    control_map_html = _write_control_map(context, warehouse, settings.reports_dir / control_map.FOLDER)
    result = write_scorecard(settings.reports_dir, week, settings=_with_warehouse(settings, warehouse))
    latest = settings.reports_dir / "scorecard_latest.html"
    latest.write_bytes(result.path.read_bytes())
    data = result.data
    context.log.info(f"scorecard for {result.week_label} written to {result.path}")
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(result.path)),
            "week": result.week_label,
            "week_start": str(result.week_start),
            "cases_in_week": data["glance"]["cases_total"],
            "open_incidents": len(data["incidents"]["open"]),
            "recommendations_available": data["recommendations"]["available"],
            "quality_results_available": data["quality"]["validation"]["available"],
            "bytes": result.path.stat().st_size,
            "control_map": MetadataValue.path(str(control_map_html)) if control_map_html else "not written",
        }
    )


def _write_control_map(context: AssetExecutionContext, warehouse: WarehouseResource, folder: Path) -> Path | None:
    """The control map beside the scorecard (which then links it); its HTML file, or None without recommendations."""
    manifest = load_manifest()
    con = warehouse.connect()
    try:
        built = control_map.build(con, manifest)
    except LookupError as exc:
        context.log.warning(f"no control map beside the scorecard: {exc}")
        control_map.remove(folder)
        return None
    finally:
        con.close()
    return next(p for p in control_map.write(folder, built) if p.suffix == ".html")


@asset(
    key=AssetKey(["reports", "finance_export"]),
    deps=_mart_deps(FINANCE_MARTS),
    group_name="reports",
    owners=OWNERS,
    description="Finance's ROI tables (per case type x month, and in total) and assumptions as CSV and .xlsx.",
    kinds={"csv", "excel"},
)
def finance_export(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    settings = get_settings()
    result = write_finance_export(settings.reports_dir / "finance", settings=_with_warehouse(settings, warehouse))
    context.log.info(f"finance export written to {result.folder}")
    return MaterializeResult(
        metadata={
            "folder": MetadataValue.path(str(result.folder)),
            "files": MetadataValue.json([p.name for p in result.files]),
            **{f"rows_{k}": v for k, v in result.rows.items()},
        }
    )


def _with_warehouse(settings, warehouse: WarehouseResource):
    """The settings, pointing at the warehouse the resource is configured with."""
    from dataclasses import replace

    return replace(settings, warehouse=warehouse.resolved_path())


def scorecard_run_config(week_start: dt.date) -> dict:
    """Run config that makes the scorecard asset cover the week starting ``week_start``."""
    return {"ops": {SCORECARD_OP: {"config": {"week": week_start.isoformat()}}}}


reporting_assets = [policy_costs, weekly_scorecard, finance_export]

__all__ = ["policy_costs", "weekly_scorecard", "finance_export", "reporting_assets", "scorecard_run_config"]
