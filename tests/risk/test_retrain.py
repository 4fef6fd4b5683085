"""When a run trains the risk model again (models/retrain.py), on synthetic feature frames."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pandas as pd
import pytest

from models.retrain import (
    RetrainDecision,
    RetrainRules,
    StoredModel,
    learning_profile,
    retrain_decision,
    retrain_reason,
)
from models.risk import MODEL_SPEC, predictions_frame, train
from tests.risk.synthetic import feature_frame

NOW = datetime(2026, 11, 2, 6, 0)
AUTO = RetrainRules()


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return feature_frame(3000)


@pytest.fixture(scope="module")
def stored(frame) -> StoredModel:
    return StoredModel(train(frame), trained_at=NOW - timedelta(days=1))


def test_the_same_cases_a_day_later_need_no_training(stored, frame):
    assert stored.model.case_types == ("high", "low", "mid")
    assert retrain_reason(stored, learning_profile(frame), NOW, AUTO) is None


def test_a_few_more_cases_need_none_and_five_percent_more_do(stored, frame):
    learned = stored.model.rows["mature"]
    assert learned == 2700  # 90 % mature, and the mature cases are enough to learn from
    more = feature_frame(3000 + 100, mature_share=(learned + 100) / 3100)  # 2,800 to learn from: 3.7 % more
    assert learning_profile(more).rows == 2800
    assert retrain_reason(stored, learning_profile(more), NOW, AUTO) is None
    most = feature_frame(3200, mature_share=(learned + 135) / 3200)  # 2,835: 5.0 % more
    reason = retrain_reason(stored, learning_profile(most), NOW, AUTO)
    assert reason and "moved by 5.0% (2,700 -> 2,835)" in reason
    fewer = feature_frame(3000, mature_share=(learned - 135) / 3000)  # an erasure or a re-labelling: 5 % fewer
    assert "moved by 5.0%" in retrain_reason(stored, learning_profile(fewer), NOW, AUTO)
    assert retrain_reason(stored, learning_profile(more), NOW, RetrainRules(changed_share=0.03))


def test_a_new_case_type_among_the_labelled_cases_needs_training(stored, frame):
    grown = frame.copy()
    grown.loc[grown.index[:5], "case_type"] = "brand_new"
    assert "never saw: brand_new" in retrain_reason(stored, learning_profile(grown), NOW, AUTO)
    unlabelled = grown.astype({"is_handling_wrong": "boolean"})
    unlabelled.loc[unlabelled.index[:5], "is_handling_wrong"] = None  # no label: nothing to learn about it yet
    assert retrain_reason(stored, learning_profile(unlabelled), NOW, AUTO) is None


def test_age_mode_fallback_and_a_different_make_need_training(stored, frame):
    profile = learning_profile(frame)
    week_old = dataclasses.replace(stored, trained_at=NOW - timedelta(days=7))
    assert "7.0 days old" in retrain_reason(week_old, profile, NOW, AUTO)
    assert retrain_reason(week_old, profile, NOW, RetrainRules(max_age_days=8)) is None
    assert "every run" in retrain_reason(stored, profile, NOW, RetrainRules(mode="always"))
    assert retrain_reason(None, profile, NOW, AUTO) == "no stored model for this warehouse"
    fallback = StoredModel(train(frame.head(50)), NOW)
    assert fallback.model.is_fallback
    assert "fallback" in retrain_reason(fallback, profile, NOW, AUTO)
    other_spec = dataclasses.replace(stored.model, spec=MODEL_SPEC + "/changed")
    assert "model spec" in retrain_reason(StoredModel(other_spec, NOW), profile, NOW, AUTO)
    other_params = dataclasses.replace(stored.model, params={**stored.model.params, "max_iter": 10})
    assert "parameters" in retrain_reason(StoredModel(other_params, NOW), profile, NOW, AUTO)
    older = dataclasses.replace(stored.model)
    del vars(older)["case_types"]  # an artifact written before the model recorded its case types
    assert "predates" in retrain_reason(StoredModel(older, NOW), profile, NOW, AUTO)


def test_the_decision_says_why_the_stored_model_may_score(stored, frame):
    """No rule asks for a training: the reason gives each rule's measure against its limit."""
    kept = retrain_decision(stored, learning_profile(frame), NOW, AUTO)
    assert not kept.retrain
    assert kept.reason == ("stored model current: no new case type, the cases to learn from moved by 0.0% "
                           "(2,700 -> 2,700; < 5%), trained 1.0 days ago (< 7)")
    more = feature_frame(3100, mature_share=2800 / 3100)  # 2,800 to learn from: 3.7 % more
    moved = retrain_decision(stored, learning_profile(more), NOW, RetrainRules(changed_share=0.1, max_age_days=3))
    assert not moved.retrain
    assert moved.reason.endswith("moved by 3.7% (2,700 -> 2,800; < 10%), trained 1.0 days ago (< 3)")
    trained = retrain_decision(None, learning_profile(frame), NOW, AUTO)
    assert trained == RetrainDecision(True, "no stored model for this warehouse")


def test_rules_refuse_nonsense():
    with pytest.raises(ValueError, match="auto, always"):
        RetrainRules(mode="sometimes")
    with pytest.raises(ValueError, match=">= 0"):
        RetrainRules(changed_share=-0.1)


def test_a_stored_model_scores_new_cases_with_the_given_splits(stored, frame):
    more = feature_frame(3100, seed=3)
    splits = pd.Series(["train"] * 3000 + ["scored"] * 100)
    scored = predictions_frame(stored.model, more, scored_at=NOW, splits=splits)
    assert scored["data_split"].tolist() == splits.tolist()
    assert scored["model_version"].unique().tolist() == [stored.model.version]
    assert scored["predicted_risk"].between(0, 1).all()
    own = predictions_frame(stored.model, frame, scored_at=NOW)  # by default: the model's own split
    assert set(own["data_split"]) == {"train", "validation", "scored"}
