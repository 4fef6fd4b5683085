"""When a run trains the risk model again, and when it scores with the model it already has.

Training is most of the model step's cost (at 1M tickets about 40 s, against a few seconds to
score every case with a stored model), and a model learns little from one more day of cases.
So by default (``auto``) a run trains only when one of these holds, and says which:

- there is no stored model for this warehouse, or its artifact file is gone;
- the stored model is the fallback (the empirical rates: cheap, and the data may now support a model);
- the stored model was made differently: other features, parameters, model spec or scikit-learn;
- the cases it would learn from include a case type the stored model never saw;
- the number of cases it would learn from moved by ``changed_share`` or more since the training;
- the stored model is ``max_age_days`` old or older.

Otherwise the stored model scores every case. ``always`` trains on every run that reaches the
model step (then a run's model depends on its data alone, not on the order the data arrived in).
Pure: no warehouse, no Dagster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import sklearn

from models.risk import (
    FEATURES,
    MODEL_KIND,
    MODEL_SPEC,
    PARAMS,
    TrainedModel,
    labelled_case_types,
    learning_rows,
)
from trustloop.settings import RETRAIN_MODES

MODES = RETRAIN_MODES


@dataclass(frozen=True)
class RetrainRules:
    mode: str = "auto"  # auto | always
    changed_share: float = 0.05  # retrain when the cases learned from grew or shrank by this share
    max_age_days: float = 7.0  # and at least this often

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"TRUSTLOOP_RETRAIN must be one of {', '.join(MODES)}, got {self.mode!r}")
        if not 0 <= self.changed_share:
            raise ValueError(f"TRUSTLOOP_RETRAIN_SHARE must be >= 0, got {self.changed_share!r}")
        if not 0 <= self.max_age_days:
            raise ValueError(f"TRUSTLOOP_RETRAIN_DAYS must be >= 0, got {self.max_age_days!r}")


@dataclass(frozen=True)
class StoredModel:
    """The model a warehouse's last training wrote, and when."""

    model: TrainedModel
    trained_at: datetime
    artifact: str | None = None
    model_card: str | None = None


@dataclass(frozen=True)
class LearningProfile:
    """What a training on ``frame`` would learn from: how many cases, of which case types."""

    rows: int
    case_types: tuple[str, ...]


def learning_profile(frame: pd.DataFrame) -> LearningProfile:
    _known, _mature, learned = learning_rows(frame)
    return LearningProfile(len(learned), labelled_case_types(learned))


def _made_differently(model: TrainedModel) -> str | None:
    own = vars(model)  # an artifact from before a field existed lacks it: it was made differently
    if tuple(own.get("features", ())) != FEATURES:
        return "its features differ from this version's"
    if own.get("spec") != MODEL_SPEC:
        return "its model spec differs from this version's"
    if "case_types" not in own:
        return "it predates the record of its case types"
    if own.get("sklearn_version") != sklearn.__version__:
        return f"it was made with scikit-learn {own.get('sklearn_version')}, this is {sklearn.__version__}"
    if model.kind == MODEL_KIND and model.params != PARAMS:
        return "its parameters differ from this version's"
    return None


@dataclass(frozen=True)
class RetrainDecision:
    """Whether a run trains, and why (or why the stored model may score the cases instead)."""

    retrain: bool
    reason: str


def retrain_decision(stored: StoredModel | None, profile: LearningProfile, now: datetime,
                     rules: RetrainRules) -> RetrainDecision:
    """Decide whether this run must train the model; the reason says which rule decided, or, when none
    does, how far the stored model is from each."""
    if rules.mode == "always":
        return RetrainDecision(True, "retraining on every run (TRUSTLOOP_RETRAIN=always, or trustloop run --retrain)")
    if stored is None:
        return RetrainDecision(True, "no stored model for this warehouse")
    model = stored.model
    if model.is_fallback:
        return RetrainDecision(True, "the stored model is the empirical-rate fallback")
    different = _made_differently(model)
    if different:
        return RetrainDecision(True, f"the stored model was made differently: {different}")
    new_types = sorted(set(profile.case_types) - set(model.case_types))
    if new_types:
        return RetrainDecision(True, f"case type(s) the stored model never saw: {', '.join(new_types)}")
    before = int(model.rows.get("labelled", 0)) - int(model.rows.get("immature_excluded", 0))  # learned from
    moved = abs(profile.rows - before) / max(before, 1)
    if moved >= rules.changed_share:
        return RetrainDecision(True, f"the cases to learn from moved by {moved:.1%} ({before:,} -> {profile.rows:,}), "
                                     f"at least {rules.changed_share:.0%}")
    age_days = (now - stored.trained_at).total_seconds() / 86400
    if age_days >= rules.max_age_days:
        return RetrainDecision(True, f"the stored model is {age_days:.1f} days old, at least {rules.max_age_days:g}")
    return RetrainDecision(False, (
        f"stored model current: no new case type, the cases to learn from moved by {moved:.1%} "
        f"({before:,} -> {profile.rows:,}; < {rules.changed_share:.0%}), trained {age_days:.1f} days ago "
        f"(< {rules.max_age_days:g})"
    ))


def retrain_reason(stored: StoredModel | None, profile: LearningProfile, now: datetime,
                   rules: RetrainRules) -> str | None:
    """Why this run must train the model; None when the stored model may score the cases instead."""
    decision = retrain_decision(stored, profile, now, rules)
    return decision.reason if decision.retrain else None


__all__ = [
    "MODES", "LearningProfile", "RetrainDecision", "RetrainRules", "StoredModel", "learning_profile",
    "retrain_decision", "retrain_reason",
]
