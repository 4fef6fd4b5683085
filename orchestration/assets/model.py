"""The risk model asset: score every case of the feature mart, training first when needed; write ml.case_predictions.

Thin: the work is in models/ (pure functions). It runs between the two halves
of the dbt project: after marts.fct_case_features (evidence), before
marts.rpt_case_type_risk and the recommendations (decisions), which read
ml.case_predictions as a dbt source. Whether a run trains is decided by
models/retrain.py (TRUSTLOOP_RETRAIN); every training writes a versioned
artifact (named by the hash of its training data) and a model card, and every
run a row of ml.model_runs saying which model scored and why it was (not) trained.
"""

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from models.artifacts import load_artifact, save_artifact
from models.card import write_model_card
from models.retrain import RetrainRules, StoredModel, learning_profile, retrain_decision
from models.risk import KEY, MODEL_COLUMNS, PREDICTION_COLUMNS, predictions_frame, train
from orchestration.resources import WarehouseResource
from trustloop.settings import get_settings
from trustloop.warehouse import fetch_frame, release_memory, table_exists

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
# added since the first release: a warehouse made before gets them on its next run
MODEL_RUNS_ADDED = ("run_at timestamp", "retrained boolean", "retrain_reason varchar")


def _round(value):
    return round(value, 4) if isinstance(value, float) else value


def stored_model(con) -> tuple[StoredModel | None, str | None]:
    """The model of this warehouse's latest run (its artifact, loaded), or None and why not."""
    if not table_exists(con, "ml", "model_runs"):
        return None, None
    row = con.execute(
        "select trained_at, artifact, model_card from ml.model_runs order by trained_at desc, artifact limit 1"
    ).fetchone()
    if row is None or not row[1]:
        return None, None
    trained_at, artifact, card = row
    if not Path(artifact).is_file():
        return None, f"the stored model's artifact {artifact} is gone"
    try:
        return StoredModel(load_artifact(Path(artifact)), trained_at, artifact, card), None
    except Exception as exc:  # an artifact another version wrote: train a new one
        return None, f"the stored model's artifact {artifact} could not be loaded ({type(exc).__name__}: {exc})"


def stored_predictions(con, version: str) -> pd.DataFrame:
    """The stored model's predictions (ticket_id, data_split, predicted_risk, features_hash; the hash is
    NULL in predictions written before it was kept)."""
    hashed = "features_hash" in {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = 'ml' "
        "and table_name = 'case_predictions'").fetchall()}
    return fetch_frame(
        con,
        "select ticket_id, data_split, predicted_risk, "
        f"{'features_hash' if hashed else 'null::bigint as features_hash'} "
        "from ml.case_predictions where model_version = ?",
        [version],
    )


def stored_splits(previous: pd.DataFrame, keys: pd.Series) -> pd.Series:
    """Each case's data_split under the stored model: as written when it trained; "scored" for cases added since."""
    known = previous.drop_duplicates("ticket_id").set_index("ticket_id")["data_split"]
    return keys.astype(str).map(known).fillna("scored")


@asset(
    key=AssetKey(["ml", "case_predictions"]),
    deps=[FEATURES_KEY],
    group_name="model",
    owners=OWNERS,
    description=(
        "The case risk model (scikit-learn, calibrated, time-based validation) and its predictions: one row per "
        "AI-handled case of marts.fct_case_features. A run trains on the feature mart when models/retrain.py "
        "says so (no stored model, new case types, the training cases moved by 5 %, a week old; or "
        "TRUSTLOOP_RETRAIN=always), writing the versioned artifact and the model card; otherwise the stored "
        "model scores the cases."
    ),
    kinds={"scikit-learn", "duckdb"},
)
def case_predictions(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    settings = get_settings()
    rules = RetrainRules(settings.retrain_mode, settings.retrain_share, settings.retrain_days)
    now = datetime.now(UTC).replace(tzinfo=None)
    con = warehouse.connect()
    try:
        frame = fetch_frame(
            con, f"select {', '.join(MODEL_COLUMNS)} from marts.fct_case_features order by handled_at, ticket_id"
        )
        stored, unusable = stored_model(con)
        if unusable:
            retrain, reason = True, unusable
        else:
            decision = retrain_decision(stored, learning_profile(frame), now, rules)
            retrain, reason = decision.retrain, decision.reason
        previous = None if retrain else stored_predictions(con, stored.model.version)
        splits = None if retrain else stored_splits(previous, frame[KEY])
    finally:
        con.close()

    run_id = context.run.run_id
    if retrain:
        context.log.info(f"training the risk model: {reason}")
        trained = train(frame)
        trained_at = now
        artifact = str(save_artifact(
            trained, settings.artifacts_dir / "models", extra={"trained_at": now.isoformat(), "run_id": run_id}
        ))
        card = str(write_model_card(
            trained, settings.reports_dir / "model_card", context={"trained at (UTC)": now.isoformat(timespec="seconds")}
        )["markdown"])
        for note in trained.notes:
            context.log.warning(note)
    else:
        trained, trained_at, artifact, card = stored.model, stored.trained_at, stored.artifact, stored.model_card
        context.log.info(f"scoring with the stored model {trained.version} (trained {trained_at:%Y-%m-%d %H:%M}): "
                         f"{reason}")
    scored = predictions_frame(trained, frame, scored_at=now, splits=splits, previous=previous)
    if previous is not None:
        context.log.info(f"{scored.attrs['reused']:,} of {len(scored):,} cases kept their prediction (inputs unchanged)")

    m = trained.metrics
    con = warehouse.connect()
    try:
        con.execute("create schema if not exists ml")
        con.execute(MODEL_RUNS_DDL)
        for column in MODEL_RUNS_ADDED:
            con.execute(f"alter table ml.model_runs add column if not exists {column}")
        # the predictions and the run row that names their model land together (the next run's stored
        # model is the one this row names, and the splits it keeps are those of its predictions)
        con.execute("begin transaction")
        con.register("scored_cases", scored)
        con.execute(
            f"create or replace table ml.case_predictions as select {', '.join(PREDICTION_COLUMNS)} from scored_cases"
        )
        con.unregister("scored_cases")
        con.execute("delete from ml.model_runs where run_id = ?", [run_id])
        row = {
            "run_id": run_id, "trained_at": trained_at, "model_version": trained.version, "model_kind": trained.kind,
            "is_fallback": trained.is_fallback, "data_sha256": trained.data_sha256, "rows_scored": len(scored),
            "rows_train": trained.rows["train"], "rows_validation": trained.rows["validation"],
            "roc_auc": m.get("roc_auc"), "pr_auc": m.get("pr_auc"), "brier": m.get("brier"),
            "brier_base_rate": m.get("brier_base_rate"), "ece": m.get("ece"), "artifact": artifact,
            "model_card": card, "notes": " ".join(trained.notes) or None, "run_at": now,
            "retrained": retrain, "retrain_reason": reason,
        }
        con.execute(
            f"insert into ml.model_runs ({', '.join(row)}) values ({', '.join('?' for _ in row)})", list(row.values())
        )
        con.execute("commit")
    finally:
        con.close()
    rows_scored, reused = len(scored), scored.attrs["reused"]
    # the frames are no longer needed: give their memory back before the steps that follow
    del frame, scored, previous
    release_memory()

    return MaterializeResult(
        metadata={
            "model_version": trained.version,
            "retrained": retrain,
            "retrain_reason": reason,
            "rows_scored": rows_scored,
            "predictions_reused": reused,
            "model_kind": trained.kind,
            "is_fallback": trained.is_fallback,
            "training_data_sha256": trained.data_sha256,
            "rows": MetadataValue.json(trained.rows),
            "metrics": MetadataValue.json({k: _round(v) for k, v in m.items()}),
            "top_features": MetadataValue.json([f["feature"] for f in trained.importances[:5]]),
            "notes": MetadataValue.md("\n".join(f"- {n}" for n in trained.notes) or "none"),
            "artifact": MetadataValue.path(artifact),
            "model_card": MetadataValue.path(str(Path(card).with_suffix(".html"))) if card else "none",
        }
    )


__all__ = ["case_predictions"]
