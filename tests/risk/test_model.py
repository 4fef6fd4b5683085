"""The risk model as pure functions: determinism, metrics, the card, the artifact, the fallbacks."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from models.artifacts import load_artifact, save_artifact
from models.card import render_model_card_html, render_model_card_markdown, write_model_card
from models.risk import (
    CATEGORICAL_FEATURES,
    FALLBACK_KIND,
    FEATURES,
    KEY,
    LABEL,
    MATURE,
    MODEL_KIND,
    NUMERIC_FEATURES,
    SMOOTHING_CASES,
    TIME,
    calibration_table,
    data_split,
    evaluate,
    predict,
    predictions_frame,
    prepare_features,
    train,
    training_data_sha256,
)
from tests.risk.synthetic import PLANTED, feature_frame


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return feature_frame(rows=3000, seed=3)


@pytest.fixture(scope="module")
def trained(frame):
    return train(frame)


def _validation(trained, frame):
    rows = frame[data_split(trained, frame) == "validation"]
    return rows, rows["is_handling_wrong"].astype(int).to_numpy()


def test_trains_a_calibrated_model_on_the_earlier_weeks(trained, frame):
    assert trained.kind == MODEL_KIND and not trained.is_fallback
    assert trained.calibration_method == "sigmoid"  # fewer than 5000 training cases
    split = data_split(trained, frame)
    # only mature labels are used, and the validation cases are the latest of them
    assert set(split[~frame["is_label_mature"]]) == {"scored"}
    train_times = frame.loc[split == "train", "handled_at"]
    valid_times = frame.loc[split == "validation", "handled_at"]
    assert train_times.max() < valid_times.min()
    assert trained.rows["train"] == (split == "train").sum() == 2160
    assert trained.rows["validation"] == (split == "validation").sum() == 540
    assert trained.rows["immature_excluded"] == 300
    assert trained.split["cutoff_at"] == valid_times.min().isoformat()
    # the model learned the planted order of the case types
    p = predict(trained, frame)
    by_type = pd.Series(p).groupby(frame["case_type"].to_numpy()).mean()
    assert by_type["low"] < by_type["mid"] < by_type["high"]
    assert trained.metrics["roc_auc"] > 0.6
    assert trained.metrics["brier"] < trained.metrics["brier_base_rate"]
    assert trained.importances[0]["feature"] in ("case_type", "confidence")


def test_training_is_deterministic(trained, frame):
    again = train(frame.sample(frac=1.0, random_state=11))  # same data, other row order
    assert again.version == trained.version
    assert again.data_sha256 == trained.data_sha256
    assert again.metrics == trained.metrics
    assert again.importances == trained.importances
    np.testing.assert_array_equal(predict(again, frame), predict(trained, frame))


def test_the_data_hash_follows_the_data(frame):
    base = training_data_sha256(frame)
    assert training_data_sha256(frame.iloc[::-1]) == base
    changed = frame.copy()
    changed.loc[5, "is_handling_wrong"] = not changed.loc[5, "is_handling_wrong"]
    assert training_data_sha256(changed) != base
    older = frame.copy()
    older.loc[5, "handled_at"] = older.loc[5, "handled_at"] - pd.Timedelta(seconds=1)
    assert training_data_sha256(older) != base


def test_metrics_match_a_recomputation(trained, frame):
    rows, y = _validation(trained, frame)
    p = predict(trained, rows)
    m = trained.metrics
    base_rate = frame.loc[data_split(trained, frame) == "train", "is_handling_wrong"].mean()
    assert m["rows"] == len(rows) and m["positives"] == int(y.sum())
    assert m["roc_auc"] == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert m["pr_auc"] == pytest.approx(average_precision_score(y, p), abs=1e-12)
    assert m["brier"] == pytest.approx(brier_score_loss(y, p), abs=1e-12)
    assert m["brier_base_rate"] == pytest.approx(brier_score_loss(y, np.full(len(y), base_rate)), abs=1e-12)
    # ECE by hand: 10 equal-count bins of the sorted predictions
    order = np.argsort(p, kind="stable")
    ece = sum(len(b) / len(p) * abs(p[b].mean() - y[b].mean()) for b in np.array_split(order, 10))
    assert m["ece"] == pytest.approx(ece, abs=1e-12)
    assert [b["rows"] for b in trained.calibration] == [54] * 10
    assert sum(b["rows"] * b["observed_rate"] for b in trained.calibration) == pytest.approx(y.sum())


def test_calibration_table_and_ece_on_a_small_example():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.4, 0.35, 0.8])
    table = calibration_table(y, p, bins=2)
    assert table == [
        {"bin": 1, "rows": 2, "predicted_min": 0.1, "predicted_max": 0.35, "mean_predicted": pytest.approx(0.225),
         "observed_rate": 0.5},
        {"bin": 2, "rows": 2, "predicted_min": 0.4, "predicted_max": 0.8, "mean_predicted": pytest.approx(0.6),
         "observed_rate": 0.5},
    ]
    m = evaluate(y, p, base_rate=0.5, bins=2)
    assert m["ece"] == pytest.approx(0.5 * 0.275 + 0.5 * 0.1)
    assert m["brier_base_rate"] == pytest.approx(0.25)
    assert m["roc_auc"] == pytest.approx(0.75)
    one_class = evaluate(np.zeros(3), np.array([0.1, 0.2, 0.3]), base_rate=0.1)
    assert one_class["roc_auc"] is None and one_class["pr_auc"] is None and one_class["brier"] is not None


def test_card_and_artifact_agree_with_a_recomputation(trained, frame, tmp_path):
    path = save_artifact(trained, tmp_path / "models")
    assert path.name == f"{trained.version}.joblib"
    meta = json.loads((tmp_path / "models" / f"{trained.version}.json").read_text())
    assert meta["data_sha256"] == training_data_sha256(frame)
    assert json.loads((tmp_path / "models" / "latest.json").read_text())["version"] == trained.version
    loaded = load_artifact(tmp_path / "models")
    rows, y = _validation(loaded, frame)
    recomputed = evaluate(y, predict(loaded, rows), loaded.split["train_label_rate"])
    assert recomputed.pop("calibration") == meta["calibration"]
    assert recomputed == pytest.approx(meta["metrics"])

    paths = write_model_card(loaded, tmp_path / "card")
    card = paths["markdown"].read_text()
    assert paths["versioned"].read_text() == card
    printed = dict(re.findall(r"^\| ([^|]+?) \| ([0-9.]+) \|$", card, flags=re.M))
    for label, key in [("ROC AUC", "roc_auc"), ("PR AUC (average precision)", "pr_auc"), ("Brier score", "brier"),
                       ("Brier score of the base rate", "brier_base_rate"),
                       ("expected calibration error (ECE)", "ece")]:
        assert float(printed[label]) == pytest.approx(recomputed[key], abs=5e-5), label
    assert float(printed["training label rate"]) == pytest.approx(loaded.split["train_label_rate"], abs=5e-5)
    assert f"| validation cases | {len(rows)} |" in card
    assert f"| training data SHA-256 | {loaded.data_sha256} |" in card
    assert "## Top features" in card and loaded.importances[0]["feature"] in card
    html = paths["html"].read_text()
    assert "<svg" in html and loaded.version in html and "http" not in html.replace("http-equiv", "")


def test_tiny_data_falls_back_to_the_empirical_rate():
    tiny = feature_frame(rows=400, seed=5)
    trained = train(tiny)
    assert trained.kind == FALLBACK_KIND and trained.is_fallback
    assert any("No model was trained: only" in n for n in trained.notes)
    # the rate of each case type on the training weeks, pulled towards the overall rate
    train_rows = tiny[data_split(trained, tiny) == "train"]
    overall = train_rows["is_handling_wrong"].mean()
    for name in PLANTED:
        group = train_rows.loc[train_rows["case_type"] == name, "is_handling_wrong"]
        expected = (group.sum() + SMOOTHING_CASES * overall) / (len(group) + SMOOTHING_CASES)
        got = predict(trained, tiny[tiny["case_type"] == name].head(1))[0]
        assert got == pytest.approx(expected)
    assert predict(trained, pd.DataFrame({"case_type": ["never_seen"]}))[0] == pytest.approx(overall)
    card = render_model_card_markdown(trained)
    assert "Empirical rate per case type (fallback; no model was trained)" in card
    assert "No model was trained" in card
    assert "<li>No model was trained" in render_model_card_html(trained)


def test_one_class_and_no_labels_never_crash():
    one_class = feature_frame(rows=1500, seed=6)
    one_class["is_handling_wrong"] = False
    trained = train(one_class)
    assert trained.is_fallback and "went wrong" in " ".join(trained.notes)
    assert np.allclose(predict(trained, one_class), 0.0)
    assert trained.metrics["roc_auc"] is None

    unlabelled = feature_frame(rows=50, seed=7)
    unlabelled["is_handling_wrong"] = None
    trained = train(unlabelled)
    assert trained.is_fallback and np.isnan(predict(trained, unlabelled)).all()
    assert any("no labelled cases" in n for n in trained.notes)
    out = predictions_frame(trained, unlabelled, scored_at="2026-11-23 00:00:00")
    assert len(out) == 50 and out["predicted_risk"].isna().all() and set(out["data_split"]) == {"scored"}

    empty = train(feature_frame(rows=10, seed=8).iloc[0:0])
    assert empty.is_fallback and empty.rows["scored"] == 0


def test_young_labels_are_used_only_when_the_mature_ones_are_too_few():
    frame = feature_frame(rows=1200, seed=9, mature_share=0.2)
    trained = train(frame)
    assert trained.split["uses_immature_labels"] is True
    assert any("may still change" in n for n in trained.notes)
    assert trained.rows["train"] + trained.rows["validation"] == 1200


def test_prepare_features_types_and_missing_values(frame):
    x = prepare_features(frame.head(20))
    assert list(x.columns[:6]) == ["case_type", "channel", "priority", "agent_id", "agent_release", "autonomy_mode"]
    assert "(missing)" in set(x["priority"]) or frame.head(20)["priority"].notna().all()
    assert x["customer_requested_human"].dtype == float and x["amount_at_stake"].isna().any()
    with pytest.raises(ValueError, match="feature column"):
        prepare_features(frame.drop(columns=["confidence"]))


def test_training_keeps_only_the_latest_cases_beyond_the_cap(frame, monkeypatch):
    """At scale the model learns from the latest MAX_TRAIN_ROWS training cases; the older ones are only scored."""
    import models.risk as risk

    monkeypatch.setattr(risk, "MAX_TRAIN_ROWS", 1000)
    capped = train(frame)
    split = data_split(capped, frame)
    assert capped.rows["train"] == (split == "train").sum()
    assert 1000 <= capped.rows["train"] <= 1010  # ties at the first kept instant stay together
    assert capped.rows["validation"] == (split == "validation").sum() == 540  # validation is untouched
    start = pd.Timestamp(capped.split["train_start_at"])
    trained_times = frame.loc[split == "train", "handled_at"]
    assert trained_times.min() == start
    older = frame["is_label_mature"] & (frame["handled_at"] < start)
    assert older.sum() == 2160 - capped.rows["train"] and set(split[older]) == {"scored"}
    assert any("latest 1,0" in note and "of 2,160 training cases" in note for note in capped.notes)
    assert capped.kind == MODEL_KIND and capped.metrics["roc_auc"] > 0.6


def _reference_features(frame: pd.DataFrame) -> pd.DataFrame:
    """prepare_features spelled value by value: text via str, numbers via to_numeric of Python objects."""
    out = pd.DataFrame(index=frame.index)
    for name in CATEGORICAL_FEATURES:
        values = frame[name].astype(object)
        out[name] = np.where(values.isna(), "(missing)", values.astype(str)).astype(object)
    for name in NUMERIC_FEATURES:
        values = frame[name]
        if values.dtype == bool or str(values.dtype) == "boolean":
            values = values.astype("Float64")
        out[name] = pd.to_numeric(values.astype(object), errors="coerce").astype(float)
    return out


def _reference_sha256(frame: pd.DataFrame) -> str:
    """The training data's canonical form as its definition reads: pandas' to_csv of the columns as text."""
    import hashlib
    import math

    data = frame[[KEY, TIME, *FEATURES, LABEL, MATURE]].sort_values(KEY, kind="mergesort")
    canonical = pd.DataFrame({KEY: data[KEY].astype(str)})
    canonical[TIME] = pd.to_datetime(data[TIME]).dt.strftime("%Y-%m-%dT%H:%M:%S.%f")
    features = _reference_features(data)
    for name in CATEGORICAL_FEATURES:
        canonical[name] = features[name]
    for name in NUMERIC_FEATURES:
        canonical[name] = [repr(float(v)) if not math.isnan(v) else "" for v in features[name]]
    for name in (LABEL, MATURE):
        canonical[name] = data[name].astype(object).map(lambda v: "" if pd.isna(v) else str(bool(v)))
    return hashlib.sha256(canonical.to_csv(index=False, lineterminator="\n").encode()).hexdigest()


def _awkward(frame: pd.DataFrame) -> pd.DataFrame:
    """Values the fast paths must write as the reference does: quoting, signed zero, large and tiny floats,
    missing labels and times, other dtypes."""
    odd = frame.head(300).copy()
    odd["case_type"] = odd["case_type"].astype(object)
    odd.loc[0, "case_type"] = 'refund, "partial"'
    odd.loc[1, "case_type"] = "two\nlines"
    odd.loc[2, "case_type"] = None
    odd["channel"] = odd["channel"].astype("string[pyarrow]")
    odd.loc[3, "channel"] = pd.NA
    odd["agent_id"] = odd["agent_id"].astype("category")
    odd["amount_at_stake"] = odd["amount_at_stake"].astype(float)
    odd.loc[4:9, "amount_at_stake"] = [-0.0, 0.0, 1e16, 1e-7, 123456789.125, float("inf")]
    odd["customer_prior_cases"] = odd["customer_prior_cases"].astype("Int64")
    odd.loc[10, "customer_prior_cases"] = pd.NA
    odd["confidence"] = odd["confidence"].astype(object)
    odd.loc[11, "confidence"] = "0.25"
    odd.loc[12, "confidence"] = "n/a"
    odd["is_handling_wrong"] = odd["is_handling_wrong"].astype("boolean")
    odd.loc[13, "is_handling_wrong"] = pd.NA
    odd.loc[14, "handled_at"] = pd.NaT
    return odd


def test_features_and_the_data_hash_equal_their_value_by_value_definition(frame, monkeypatch):
    """The vectorised prepare_features and canonical CSV give exactly what the per-value spelling gives."""
    import models.risk as risk

    awkward = _awkward(frame)
    for sample in (frame, awkward, frame.head(0)):
        pd.testing.assert_frame_equal(prepare_features(sample), _reference_features(sample), check_exact=True)
        assert training_data_sha256(sample) == _reference_sha256(sample)
    # the rows that need quoting go through the csv module, the others are joined: both, chunk by chunk
    monkeypatch.setattr(risk, "CHUNK_ROWS", 7)
    assert training_data_sha256(awkward) == _reference_sha256(awkward)
    assert training_data_sha256(frame.head(50)) == _reference_sha256(frame.head(50))
    # time-zone-aware times are written as strftime writes them
    aware = frame.head(20).assign(handled_at=frame["handled_at"].head(20).dt.tz_localize("Europe/Paris"))
    assert training_data_sha256(aware) == _reference_sha256(aware)


def test_the_data_hash_and_predictions_do_not_depend_on_the_chunk_size(frame, trained, monkeypatch):
    import models.risk as risk

    whole_hash, whole_p = training_data_sha256(frame), predict(trained, frame)
    monkeypatch.setattr(risk, "CHUNK_ROWS", 700)
    assert training_data_sha256(frame) == whole_hash
    np.testing.assert_array_equal(predict(trained, frame), whole_p)


def test_a_stored_model_keeps_the_predictions_of_unchanged_cases_and_predicts_the_rest(frame, trained):
    scored_at = pd.Timestamp("2026-11-01")
    full = predictions_frame(trained, frame, scored_at=scored_at)
    assert full.attrs["reused"] == 0
    previous = full[["ticket_id", "features_hash", "predicted_risk"]].copy()
    # planted values show where a prediction was taken, not computed
    previous.loc[20, "predicted_risk"] = 0.123456  # unchanged case: kept as stored
    previous.loc[:9, "predicted_risk"] = 0.999  # changed cases: predicted again
    previous = previous.drop(index=30)  # a case scored for the first time
    previous["features_hash"] = previous["features_hash"].astype("Int64")
    previous.loc[40, "features_hash"] = pd.NA  # stored before the hashes were kept: predicted again
    previous.loc[41, "predicted_risk"] = np.nan  # no stored probability: predicted again
    changed = frame.copy()
    changed.loc[:9, "confidence"] = changed.loc[:9, "confidence"].fillna(0.5) / 2 + 0.01
    changed.loc[:9, "channel"] = "fax-" + changed.loc[:9, "channel"].astype(str)

    out = predictions_frame(trained, changed, scored_at=scored_at, previous=previous)
    assert out.attrs["reused"] == len(frame) - 13
    assert out.loc[20, "predicted_risk"] == 0.123456
    np.testing.assert_array_equal(out.loc[40:41, "predicted_risk"], predict(trained, changed.loc[40:41]))
    np.testing.assert_array_equal(out.loc[:9, "predicted_risk"], predict(trained, changed.loc[:9]))
    assert (out.loc[:9, "features_hash"] != full.loc[:9, "features_hash"]).all()
    assert out.loc[30, "predicted_risk"] == full.loc[30, "predicted_risk"]
    others = ~out.index.isin([*range(10), 20, 40, 41])
    np.testing.assert_array_equal(out.loc[others, "predicted_risk"], full.loc[others, "predicted_risk"])
    np.testing.assert_array_equal(out.loc[others, "features_hash"], full.loc[others, "features_hash"])
