"""The risk model asset: train on the feature mart, score every case, write ml.case_predictions.

Thin: the work is in models/ (pure functions). It runs between the two halves
of the dbt project: after marts.fct_case_features (evidence), before
marts.rpt_case_type_risk and the recommendations (decisions), which read
ml.case_predictions as a dbt source. Every training writes a versioned
artifact (named by the hash of its training data) and a model card.
"""


from datetime import UTC, datetime

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from models.artifacts import save_artifact
from models.card import write_model_card
from models.risk import MODEL_COLUMNS, PREDICTION_COLUMNS, predictions_frame, train
from orchestration.resources import WarehouseResource
from trustloop.settings import get_settings
from trustloop.warehouse import fetch_frame, release_memory

OWNERS = ["team:analytics-engineering"]
FEATURES_KEY = AssetKey(["marts", "fct_case_features"])

MODEL_RUNS_DDL = """
create table if not exists ml.model_runs (
    run_id varchar, trained_at timestamp, model_version varchar, model_kind varchar, is_fallback boolean,
    data_sha256 varchar, rows_scored bigint, rows_train bigint, rows_validation bigint,
    roc_auc double, pr_auc double, brier double, brier_base_rate double, ece double,
    artifact varchar, model_card varchar, notes varchar
)
"""


def _round(value):
    return round(value, 4) if isinstance(value, float) else value


@asset(
    key=AssetKey(["ml", "case_predictions"]),
    deps=[FEATURES_KEY],
    group_name="model",
    owners=OWNERS,
    description=(
        "The case risk model (scikit-learn, calibrated, time-based validation) trained on "
        "marts.fct_case_features, and its predictions: one row per AI-handled case. Writes the versioned "
        "artifact and the model card with every training."
    ),
    kinds={"scikit-learn", "duckdb"},
)
def case_predictions(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    settings = get_settings()
    con = warehouse.connect()
    try:
        frame = fetch_frame(
            con, f"select {', '.join(MODEL_COLUMNS)} from marts.fct_case_features order by handled_at, ticket_id"
        )
    finally:
        con.close()

    trained = train(frame)
    now = datetime.now(UTC).replace(tzinfo=None)
    scored = predictions_frame(trained, frame, scored_at=now)
    run_id = context.run.run_id
    artifact = save_artifact(
        trained, settings.artifacts_dir / "models", extra={"trained_at": now.isoformat(), "run_id": run_id}
    )
    card = write_model_card(
        trained, settings.reports_dir / "model_card", context={"trained at (UTC)": now.isoformat(timespec="seconds")}
    )
    for note in trained.notes:
        context.log.warning(note)

    m = trained.metrics
    con = warehouse.connect()
    try:
        con.execute("create schema if not exists ml")
        con.register("scored_cases", scored)
        con.execute(
            f"create or replace table ml.case_predictions as select {', '.join(PREDICTION_COLUMNS)} from scored_cases"
        )
        con.unregister("scored_cases")
        con.execute(MODEL_RUNS_DDL)
        con.execute("delete from ml.model_runs where run_id = ?", [run_id])
        con.execute(
            "insert into ml.model_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id, now, trained.version, trained.kind, trained.is_fallback, trained.data_sha256,
                trained.rows["scored"], trained.rows["train"], trained.rows["validation"],
                m.get("roc_auc"), m.get("pr_auc"), m.get("brier"), m.get("brier_base_rate"), m.get("ece"),
                str(artifact), str(card["markdown"]), " ".join(trained.notes) or None,
            ],
        )
    finally:
        con.close()
    # the frames are no longer needed: give their memory back before the steps that follow
    del frame, scored
    release_memory()

    return MaterializeResult(
        metadata={
            "model_version": trained.version,
            "model_kind": trained.kind,
            "is_fallback": trained.is_fallback,
            "training_data_sha256": trained.data_sha256,
            "rows": MetadataValue.json(trained.rows),
            "metrics": MetadataValue.json({k: _round(v) for k, v in m.items()}),
            "top_features": MetadataValue.json([f["feature"] for f in trained.importances[:5]]),
            "notes": MetadataValue.md("\n".join(f"- {n}" for n in trained.notes) or "none"),
            "artifact": MetadataValue.path(str(artifact)),
            "model_card": MetadataValue.path(str(card["html"])),
        }
    )


__all__ = ["case_predictions"]
