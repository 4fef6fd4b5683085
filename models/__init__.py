"""The case risk model: the probability that the AI's handling of a case goes wrong.

Pure functions, no warehouse and no Dagster (the asset in
``orchestration/assets/model.py`` is a thin wrapper):

- ``prepare_features(frame)``: the model's input columns from rows of the
  ``marts.fct_case_features`` mart (features known when the AI took the case).
- ``train(frame)``: time-based train/validation split, a calibrated
  scikit-learn pipeline (ColumnTransformer + HistGradientBoosting), metrics on
  the validation weeks, permutation importance; falls back to the empirical
  rate per case type when the data cannot support a model.
- ``predict(trained, frame)``: calibrated probabilities.
- ``evaluate(y, p, base_rate)``: ROC AUC, PR AUC, Brier vs the base-rate
  Brier, expected calibration error and the calibration table.
- ``write_model_card`` / ``save_artifact``: the model card (markdown + HTML)
  and the versioned artifact with the hash of its training data.

Training is deterministic for a fixed seed and data: the random states are
fixed and the thread pools are pinned (``OMP_NUM_THREADS``).

Import the submodules (``models.risk``, ``models.card``, ``models.artifacts``)
rather than this package's names: an editable install made before this
package had an ``__init__`` treats ``models`` as a namespace package.
"""

from __future__ import annotations

from models.artifacts import load_artifact, save_artifact
from models.card import render_model_card_html, render_model_card_markdown, write_model_card
from models.risk import (
    CATEGORICAL_FEATURES,
    FEATURES,
    LABEL,
    NUMERIC_FEATURES,
    TrainedModel,
    data_split,
    evaluate,
    predict,
    predictions_frame,
    prepare_features,
    train,
    training_data_sha256,
)

__all__ = [
    "CATEGORICAL_FEATURES",
    "FEATURES",
    "LABEL",
    "NUMERIC_FEATURES",
    "TrainedModel",
    "data_split",
    "evaluate",
    "load_artifact",
    "predict",
    "predictions_frame",
    "prepare_features",
    "render_model_card_html",
    "render_model_card_markdown",
    "save_artifact",
    "train",
    "training_data_sha256",
    "write_model_card",
]
