"""After the recommendations are built: append them to the history and write the approval memos.

Thin: the history append is trustloop.autonomy.history, the memos
trustloop.autonomy.memo. Memos go to <reports>/memos/<as_of_date>/, one
markdown and one HTML file per promote or demote; memos of the same as-of
date that no longer apply (the recommendation changed) are removed.
"""


from datetime import UTC, datetime

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from orchestration.resources import WarehouseResource
from trustloop.autonomy.history import HISTORY_TABLE, append_history
from trustloop.autonomy.memo import write_memos
from trustloop.settings import get_settings
from trustloop.warehouse import fetch_dicts

OWNERS = ["team:analytics-engineering"]
RECOMMENDATIONS_KEY = AssetKey(["marts", "rpt_autonomy_recommendations"])

INCIDENTS_SQL = """
select incident_id, severity, category, detected_at, resolved_at
from marts.fct_incidents
where case_type = ? and (is_open or (severity in ('sev1', 'sev2') and detected_at >= ?))
order by detected_at desc, incident_id
"""


@asset(
    key=AssetKey(["history", "autonomy_recommendations"]),
    deps=[RECOMMENDATIONS_KEY],
    group_name="marts",
    owners=OWNERS,
    description=(
        "Every run's autonomy recommendations, appended with the run id and as-of date (the audit history), "
        "and an approval memo (markdown + HTML) per recommended promotion or demotion."
    ),
    kinds={"duckdb", "markdown", "html"},
)
def autonomy_history(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    settings = get_settings()
    run_id = context.run.run_id
    now = datetime.now(UTC).replace(tzinfo=None)
    con = warehouse.connect()
    try:
        rows_written = append_history(con, run_id, now)
        recommendations = fetch_dicts(con, "select * from marts.rpt_autonomy_recommendations order by case_type")
        incidents = {
            rec["case_type"]: fetch_dicts(con, INCIDENTS_SQL, [rec["case_type"], rec["freeze_start_at"]])
            for rec in recommendations
            if rec["action"] in ("promote", "demote")
        }
        runs = con.execute(f"select count(distinct run_id) from {HISTORY_TABLE}").fetchone()[0]
    finally:
        con.close()
    memos = write_memos(recommendations, incidents, settings.reports_dir / "memos", {"run": run_id})
    actions = {a: sum(1 for r in recommendations if r["action"] == a) for a in ("promote", "hold", "demote")}
    return MaterializeResult(
        metadata={
            "rows_appended": rows_written,
            "runs_in_history": runs,
            "as_of_date": str(recommendations[0]["as_of_date"]) if recommendations else "n/a",
            **{f"{a}_count": n for a, n in actions.items()},
            "recommendations": MetadataValue.md(
                "| case type | current | recommended | action |\n|---|---|---|---|\n"
                + "\n".join(
                    f"| {r['case_type']} | {r['current_tier']} | {r['recommended_tier']} | {r['action']} |"
                    for r in recommendations
                )
            ),
            "memos": MetadataValue.json([str(p) for p in memos]),
        }
    )


__all__ = ["autonomy_history"]
