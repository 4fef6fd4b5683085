"""Train, apply and evaluate the case risk model (pure functions on pandas frames).

The input rows are those of ``marts.fct_case_features``: one per AI-handled
case, with the features known when the AI took the case, the label
``is_handling_wrong`` and ``is_label_mature`` (the label is final once the
case is older than the policy's durable window at the data end). Only mature
labels are trained on; every case is scored.
"""

from __future__ import annotations

import os

# Pin OpenMP threads before scikit-learn loads (oversubscription is slow on small data); train() and
# predict() also limit the pools explicitly, in case scikit-learn was imported earlier.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import csv  # noqa: E402
import hashlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sklearn  # noqa: E402
from pandas.api import types as ptypes  # noqa: E402
from sklearn.calibration import CalibratedClassifierCV  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.inspection import permutation_importance  # noqa: E402
from sklearn.metrics import average_precision_score, roc_auc_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import OrdinalEncoder  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

CATEGORICAL_FEATURES: tuple[str, ...] = (
    "case_type",
    "channel",
    "priority",
    "agent_id",
    "agent_release",
    "autonomy_mode",
)
NUMERIC_FEATURES: tuple[str, ...] = (
    "confidence",
    "amount_at_stake",
    "customer_sentiment",
    "customer_requested_human",
    "customer_prior_cases",
    "handled_hour",
    "handled_weekday",
)
FEATURES: tuple[str, ...] = CATEGORICAL_FEATURES + NUMERIC_FEATURES
LABEL = "is_handling_wrong"
KEY = "ticket_id"
TIME = "handled_at"
MATURE = "is_label_mature"
MISSING = "(missing)"
# the columns of marts.fct_case_features the model reads
MODEL_COLUMNS: tuple[str, ...] = ("ticket_id", "handled_at", *FEATURES, "is_handling_wrong", "is_label_mature")
# the columns of the training data's canonical form (training_data_sha256), in its order
HASHED_COLUMNS: tuple[str, ...] = (KEY, TIME, *FEATURES, LABEL, MATURE)

RANDOM_STATE = 0
# Threads: one on small data, where OpenMP's start-up costs more than it saves (and several processes
# sharing the cores, as the tests do, can make two threads far slower). From PARALLEL_ROWS rows on,
# training uses two threads on any machine: HistGradientBoosting sums gradients in per-thread partial
# sums, so the thread count is part of what makes a training exactly reproducible (and of MODEL_SPEC);
# the 1M-ticket demo trains in 30 s instead of 38 s, with the same model. Scoring is per case (no sums
# across cases), so large frames are scored on every core with the same result.
PARALLEL_ROWS = 50_000
TRAIN_THREADS = 2
PREDICT_THREADS = max(1, os.cpu_count() or 1)

VALIDATION_SHARE = 0.2  # the latest 20 % of the labelled cases (by handling time) validate
MIN_TRAIN_ROWS = 500  # below this, or with too few of either class, the empirical rate is used
MIN_CLASS_ROWS = 25
CALIBRATION_BINS = 10
SMOOTHING_CASES = 20.0  # fallback: pseudo-cases pulling a case type's rate towards the overall rate
IMPORTANCE_ROWS = 20_000
# at most this many training cases, the latest ones: a gradient-boosted model on these few features learns
# nothing more from older cases, and recent behaviour is what the next weeks resemble (DECISIONLOG.md)
MAX_TRAIN_ROWS = 200_000
CHUNK_ROWS = 200_000  # rows hashed and scored at a time: memory stays flat at millions of cases
IMPORTANCE_REPEATS = 3
MODEL_KIND = "hist_gradient_boosting"
# what else shapes a model (part of its version): calibration, split and label rules
MODEL_SPEC = "calibrated-cv5-ensemble-false/time-split-0.2/max-train-200000/min-rows-500-25/label-v1/threads-2-from-50000"
FALLBACK_KIND = "empirical_rate"
PARAMS: dict[str, Any] = {
    "learning_rate": 0.06,
    "max_iter": 150,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
    "early_stopping": False,
}

LABEL_DEFINITION = (
    "The AI's handling of a case went wrong when the case carries one piece of strong evidence "
    "(an upheld dispute, a linked incident other than an outage, a non-compliant escalation, failed "
    "evaluations on two or more pact dimensions) or two pieces of weak evidence (a pending dispute, "
    "a re-open of the case, a rejected suggestion, any failed evaluation). A label "
    "is final once the case is older than the policy's durable window (default 30 days) at the data end."
)


@dataclass
class EmpiricalRates:
    """The fallback model: each case type's label rate, pulled towards the overall rate."""

    rates: dict[str, float]
    overall: float | None

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        if self.overall is None:
            return np.full(len(frame), np.nan)
        case_types = frame["case_type"].astype(object).where(frame["case_type"].notna(), MISSING)
        return np.array([self.rates.get(str(c), self.overall) for c in case_types], dtype=float)


@dataclass
class TrainedModel:
    """A trained risk model with everything its model card reports."""

    kind: str
    estimator: Any
    version: str
    data_sha256: str
    random_state: int
    params: dict[str, Any]
    calibration_method: str | None
    rows: dict[str, int]
    data_window: dict[str, str | None]
    split: dict[str, Any]
    metrics: dict[str, Any]
    calibration: list[dict[str, Any]]
    importances: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    features: tuple[str, ...] = FEATURES
    label_definition: str = LABEL_DEFINITION
    sklearn_version: str = sklearn.__version__
    spec: str = MODEL_SPEC
    # the case types of the cases it learned from (a stored model is retrained when others appear)
    case_types: tuple[str, ...] = ()

    @property
    def is_fallback(self) -> bool:
        return self.kind == FALLBACK_KIND

    def metadata(self) -> dict[str, Any]:
        """Everything but the fitted estimator, JSON-ready."""
        return {
            "kind": self.kind,
            "version": self.version,
            "is_fallback": self.is_fallback,
            "data_sha256": self.data_sha256,
            "random_state": self.random_state,
            "params": self.params,
            "calibration_method": self.calibration_method,
            "rows": self.rows,
            "data_window": self.data_window,
            "split": self.split,
            "metrics": self.metrics,
            "calibration": self.calibration,
            "importances": self.importances,
            "notes": self.notes,
            "features": list(self.features),
            "label": LABEL,
            "label_definition": self.label_definition,
            "sklearn_version": self.sklearn_version,
            "spec": self.spec,
            "case_types": list(self.case_types),
        }


# --------------------------------------------------------------------------- features


def _threads(rows: int, threads: int) -> int:
    """The thread pool size for work on ``rows`` rows (PARALLEL_ROWS)."""
    return threads if rows >= PARALLEL_ROWS else 1


def prepare_features(frame: pd.DataFrame) -> pd.DataFrame:
    """The model's input columns, typed: categories as text ("(missing)" when absent), numbers as floats."""
    missing = [c for c in FEATURES if c not in frame.columns]
    if missing:
        raise ValueError(f"feature column(s) missing from the input: {', '.join(missing)}")
    out = pd.DataFrame(index=frame.index)
    for name in CATEGORICAL_FEATURES:
        values = frame[name]
        if ptypes.is_string_dtype(values.dtype) and not ptypes.is_object_dtype(values.dtype):
            # a text column (as fetched from the warehouse): its values are the text, without a cast per value
            out[name] = values.to_numpy(dtype=object, na_value=MISSING)
        else:
            values = values.astype(object)
            out[name] = np.where(values.isna(), MISSING, values.astype(str)).astype(object)
    for name in NUMERIC_FEATURES:
        values = frame[name]
        if ptypes.is_bool_dtype(values.dtype) or ptypes.is_numeric_dtype(values.dtype):
            # numbers and flags (also nullable ones) as floats, missing as NaN, without a Python object per value
            out[name] = values.to_numpy(dtype=float, na_value=np.nan)
        else:
            out[name] = pd.to_numeric(values.astype(object), errors="coerce").astype(float)
    return out


def _labels(frame: pd.DataFrame) -> np.ndarray:
    return frame[LABEL].astype(bool).to_numpy().astype(int)


def learning_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(labelled, mature, learned from): the model learns from the mature labels, or from every label
    when fewer than MIN_TRAIN_ROWS are mature."""
    known = frame[frame[LABEL].notna()]
    mature = known[known[MATURE].fillna(False).astype(bool)]
    if len(mature) < MIN_TRAIN_ROWS and len(known) > len(mature):
        return known, mature, known
    return known, mature, mature


def labelled_case_types(frame: pd.DataFrame) -> tuple[str, ...]:
    """The case types of the labelled rows of ``frame`` ("(missing)" for none), sorted."""
    values = frame.loc[frame[LABEL].notna(), "case_type"].astype(object)
    return tuple(sorted({MISSING if pd.isna(v) else str(v) for v in values.unique()}))


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values([TIME, KEY], kind="mergesort").reset_index(drop=True)


def training_data_sha256(frame: pd.DataFrame) -> str:
    """SHA-256 of the rows a model learns from (key, time, features, label, maturity), in a canonical form.

    The canonical form is one CSV text (header, then the rows by key; ``_canonical_csv`` writes a chunk of
    it); it is hashed a chunk at a time.
    """
    data = frame[list(HASHED_COLUMNS)].sort_values(KEY, kind="mergesort")
    digest = hashlib.sha256()
    for start in range(0, max(len(data), 1), CHUNK_ROWS):
        digest.update(_canonical_csv(data.iloc[start : start + CHUNK_ROWS], header=start == 0).encode())
    return digest.hexdigest()


_CSV_SPECIAL = (",", '"', "\r", "\n")  # a field holding one of these is quoted (or may be, by Python version)


def _canonical_csv(part: pd.DataFrame, header: bool) -> str:
    """Rows of the canonical form of ``training_data_sha256``: pandas' CSV (``to_csv``) of the columns as text.

    - key: as text; time: ``%Y-%m-%dT%H:%M:%S.%f``; categories: as ``prepare_features`` gives them;
    - numbers: ``repr`` of the float, empty when missing; label and maturity: ``True``/``False``, empty when
      missing.

    Each distinct number is formatted once, and the rows are joined as text when no field needs CSV quoting
    (otherwise the csv module writes them, as pandas does): the same text as ``to_csv`` of the columns,
    several times faster at a million cases.
    """
    features = prepare_features(part)
    times = pd.to_datetime(part[TIME])
    if isinstance(times.dtype, np.dtype) and len(times) and 1000 <= times.min().year and times.max().year <= 9999:
        stamps = times.to_numpy(dtype="datetime64[us]")
        time_text = np.datetime_as_string(stamps, unit="us").astype(object)
        time_text[np.isnat(stamps)] = ""
    else:  # time-zone aware, or years of other than four digits: as strftime writes them
        time_text = times.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").fillna("").to_numpy(dtype=object)
    text_columns = [part[KEY].astype(str).fillna("").to_numpy(dtype=object), time_text]
    text_columns += [features[name].to_numpy(dtype=object) for name in CATEGORICAL_FEATURES]
    columns = text_columns + [_number_texts(features[name].to_numpy(dtype=float)) for name in NUMERIC_FEATURES]
    columns += [_flag_texts(part[name]) for name in (LABEL, MATURE)]
    joined = ("\x00".join(column) for column in text_columns)  # each text column joined once
    if any(char in text for text in joined for char in _CSV_SPECIAL):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        if header:
            writer.writerow(HASHED_COLUMNS)
        writer.writerows(zip(*columns, strict=True))
        return buffer.getvalue()
    lines = [",".join(HASHED_COLUMNS)] if header else []
    lines += map(",".join, zip(*columns, strict=True))
    return "\n".join(lines) + "\n" if lines else ""


def _number_texts(values: np.ndarray) -> np.ndarray:
    """``repr`` of each float, empty for NaN; each distinct value (by its bits: -0.0 is not 0.0) formatted once."""
    codes, uniques = pd.factorize(np.ascontiguousarray(values, dtype=float).view(np.int64))
    texts = ["" if math.isnan(value) else repr(float(value)) for value in uniques.view(np.float64)]
    return np.array(texts, dtype=object)[codes]


def _flag_texts(values: pd.Series) -> np.ndarray:
    """``True``/``False`` of each value, empty when missing."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    return np.array([str(bool(value)) for value in uniques] + [""], dtype=object)[codes]


# --------------------------------------------------------------------------- the pipeline


def build_pipeline(random_state: int = RANDOM_STATE, params: dict[str, Any] | None = None) -> Pipeline:
    encode = ColumnTransformer(
        [
            (
                "categorical",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value",
                    unknown_value=np.nan,
                    encoded_missing_value=np.nan,
                    max_categories=200,
                    dtype=np.float64,
                ),
                list(CATEGORICAL_FEATURES),
            ),
            ("numeric", "passthrough", list(NUMERIC_FEATURES)),
        ],
        verbose_feature_names_out=False,
    )
    categorical_mask = [True] * len(CATEGORICAL_FEATURES) + [False] * len(NUMERIC_FEATURES)
    classifier = HistGradientBoostingClassifier(
        categorical_features=categorical_mask, random_state=random_state, **(params or PARAMS)
    )
    return Pipeline([("features", encode), ("classifier", classifier)])


def _time_split(labelled: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp | None]:
    """Train on the earlier cases, validate on the latest VALIDATION_SHARE (by handling time)."""
    n = len(labelled)
    if n == 0:
        return labelled, labelled, None
    position = min(n - 1, int(math.floor(n * (1 - VALIDATION_SHARE))))
    cutoff = pd.Timestamp(labelled[TIME].iloc[position])
    times = pd.to_datetime(labelled[TIME])
    return labelled[times < cutoff], labelled[times >= cutoff], cutoff


def _cannot_fit(y: np.ndarray) -> str | None:
    positives, rows = int(y.sum()), len(y)
    if rows < MIN_TRAIN_ROWS:
        return f"only {rows} training cases (a model needs at least {MIN_TRAIN_ROWS})"
    if positives < MIN_CLASS_ROWS:
        return f"only {positives} training cases went wrong (a model needs at least {MIN_CLASS_ROWS})"
    if rows - positives < MIN_CLASS_ROWS:
        return f"only {rows - positives} training cases went right (a model needs at least {MIN_CLASS_ROWS})"
    return None


def _fit_empirical(frame: pd.DataFrame) -> EmpiricalRates:
    if not len(frame):
        return EmpiricalRates({}, None)
    y = _labels(frame)
    overall = float(y.mean())
    case_types = frame["case_type"].astype(object).where(frame["case_type"].notna(), MISSING).astype(str)
    rates = {}
    for name, group in pd.Series(y, index=frame.index).groupby(case_types.to_numpy(), sort=True):
        rates[str(name)] = float((group.sum() + SMOOTHING_CASES * overall) / (len(group) + SMOOTHING_CASES))
    return EmpiricalRates(rates, overall)


def _window(times: pd.Series) -> tuple[str | None, str | None]:
    if not len(times):
        return None, None
    times = pd.to_datetime(times)
    return times.min().isoformat(), times.max().isoformat()


def _version(data_sha: str, kind: str, random_state: int, params: dict[str, Any]) -> str:
    spec = json.dumps(
        {"data": data_sha, "kind": kind, "random_state": random_state, "params": params,
         "features": list(FEATURES), "sklearn": sklearn.__version__, "spec": MODEL_SPEC},
        sort_keys=True,
    )
    return "risk-" + hashlib.sha256(spec.encode()).hexdigest()[:12]


def train(frame: pd.DataFrame, random_state: int = RANDOM_STATE) -> TrainedModel:
    """Train the risk model on the mature labels of ``frame`` (rows of marts.fct_case_features).

    Never raises on small or one-sided data: it falls back to the empirical
    rate per case type and says why in ``notes``.
    """
    frame = _sorted(frame)
    data_sha = training_data_sha256(frame)
    notes: list[str] = []
    known, mature, labelled = learning_rows(frame)
    if labelled is known and len(known) > len(mature):
        notes.append(
            f"Only {len(mature)} cases had a final (mature) label; all {len(known)} labelled cases were used, "
            "so the labels of the youngest cases may still change."
        )
    train_rows, valid_rows, cutoff = _time_split(labelled)
    train_start = None
    if len(train_rows) > MAX_TRAIN_ROWS:
        train_start = pd.Timestamp(train_rows[TIME].iloc[len(train_rows) - MAX_TRAIN_ROWS])
        older = len(train_rows)
        train_rows = train_rows[pd.to_datetime(train_rows[TIME]) >= train_start]
        notes.append(
            f"Trained on the latest {len(train_rows):,} of {older:,} training cases (those handled from "
            f"{train_start.isoformat()}); the older ones are scored, not trained on."
        )
    y_train, y_valid = _labels(train_rows), _labels(valid_rows)
    base_rate = float(y_train.mean()) if len(y_train) else None

    reason = _cannot_fit(y_train)
    calibration_method = None
    importances: list[dict[str, Any]] = []
    if reason is None:
        kind = MODEL_KIND
        positives = int(y_train.sum())
        calibration_method = "isotonic" if len(y_train) >= 5000 and positives >= 100 else "sigmoid"
        folds = int(min(5, positives, len(y_train) - positives))
        estimator = CalibratedClassifierCV(
            build_pipeline(random_state),
            method=calibration_method,
            cv=StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state),
            ensemble=False,  # one pipeline on all training cases, calibrated on out-of-fold predictions
        )
        with threadpool_limits(limits=_threads(len(train_rows), TRAIN_THREADS)):
            estimator.fit(prepare_features(train_rows), y_train)
    else:
        kind = FALLBACK_KIND
        fit_on = train_rows if len(train_rows) else labelled
        estimator = _fit_empirical(fit_on)
        notes.append(
            f"No model was trained: {reason}. Predictions are the empirical rate of each case type "
            f"(smoothed towards the overall rate with {SMOOTHING_CASES:g} pseudo-cases)."
        )
        if not len(labelled):
            notes.append("There are no labelled cases at all: every prediction is empty.")

    trained = TrainedModel(
        kind=kind,
        estimator=estimator,
        version=_version(data_sha, kind, random_state, PARAMS if kind == MODEL_KIND else {}),
        data_sha256=data_sha,
        random_state=random_state,
        params=dict(PARAMS) if kind == MODEL_KIND else {"smoothing_cases": SMOOTHING_CASES},
        calibration_method=calibration_method,
        rows={
            "scored": len(frame),
            "labelled": len(known),
            "mature": len(mature),
            "immature_excluded": len(known) - len(labelled),
            "train": len(train_rows),
            "validation": len(valid_rows),
        },
        data_window={
            "scored_from": _window(frame[TIME])[0],
            "scored_to": _window(frame[TIME])[1],
            "train_from": _window(train_rows[TIME])[0],
            "train_to": _window(train_rows[TIME])[1],
            "validation_from": _window(valid_rows[TIME])[0],
            "validation_to": _window(valid_rows[TIME])[1],
        },
        split={
            "method": "time",
            "validation_share": VALIDATION_SHARE,
            "cutoff_at": cutoff.isoformat() if cutoff is not None else None,
            "train_start_at": train_start.isoformat() if train_start is not None else None,
            "uses_immature_labels": len(labelled) > len(mature),
            "train_label_rate": base_rate,
        },
        metrics={},
        calibration=[],
        importances=importances,
        notes=notes,
        case_types=labelled_case_types(labelled),
    )
    if len(valid_rows):
        p_valid = predict(trained, valid_rows)
        if not np.isnan(p_valid).any():
            result = evaluate(y_valid, p_valid, base_rate)
            trained.calibration = result.pop("calibration")
            trained.metrics = result
            if kind == MODEL_KIND and result["roc_auc"] is not None:
                trained.importances = _importances(trained, valid_rows, y_valid, random_state)
            if result["roc_auc"] is None:
                notes.append("The validation weeks hold only one class: ROC AUC and PR AUC are undefined.")
    else:
        notes.append("No validation cases: the metrics are empty.")
    return trained


def data_split(trained: TrainedModel, frame: pd.DataFrame) -> pd.Series:
    """Each row's role for ``trained``: train, validation (the time-based split) or scored (not trained on)."""
    split = pd.Series("scored", index=frame.index, dtype=object)
    cutoff = trained.split.get("cutoff_at")
    if cutoff is None:
        return split
    eligible = frame[LABEL].notna()
    if not trained.split.get("uses_immature_labels"):
        eligible &= frame[MATURE].fillna(False).astype(bool)
    times = pd.to_datetime(frame[TIME])
    cutoff = pd.Timestamp(cutoff)
    trained_on = eligible & (times < cutoff)
    if trained.split.get("train_start_at"):
        trained_on &= times >= pd.Timestamp(trained.split["train_start_at"])
    split[trained_on] = "train"
    split[eligible & (times >= cutoff)] = "validation"
    return split


def _importances(trained: TrainedModel, rows: pd.DataFrame, y: np.ndarray, random_state: int) -> list[dict]:
    """Permutation importance (drop in ROC AUC) on the validation cases, at most IMPORTANCE_ROWS of them."""
    x = prepare_features(rows)
    if len(x) > IMPORTANCE_ROWS:
        pick = np.sort(np.random.default_rng(random_state).choice(len(x), IMPORTANCE_ROWS, replace=False))
        x, y = x.iloc[pick], y[pick]
        if y.min() == y.max():
            return []
    with threadpool_limits(limits=_threads(len(x), PREDICT_THREADS)):
        result = permutation_importance(
            trained.estimator, x, y, scoring="roc_auc", n_repeats=IMPORTANCE_REPEATS, random_state=random_state
        )
    items = [
        {"feature": name, "importance": float(mean), "std": float(std)}
        for name, mean, std in zip(x.columns, result.importances_mean, result.importances_std, strict=True)
    ]
    return sorted(items, key=lambda item: (-item["importance"], item["feature"]))


def predict(trained: TrainedModel, frame: pd.DataFrame) -> np.ndarray:
    """Calibrated probability that the AI's handling of each case goes wrong (NaN when nothing to learn from)."""
    if not len(frame):
        return np.zeros(0)
    if trained.kind == FALLBACK_KIND:
        return trained.estimator.predict(frame)
    with threadpool_limits(limits=_threads(len(frame), PREDICT_THREADS)):
        parts = [
            trained.estimator.predict_proba(prepare_features(frame.iloc[start : start + CHUNK_ROWS]))[:, 1]
            for start in range(0, len(frame), CHUNK_ROWS)
        ]
    return np.concatenate(parts).astype(float)


# --------------------------------------------------------------------------- metrics


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = CALIBRATION_BINS) -> list[dict[str, Any]]:
    """Equal-count bins of the predictions (sorted by prediction, ties in input order)."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    if not len(y):
        return []
    order = np.lexsort((np.arange(len(p)), p))
    table = []
    for i, idx in enumerate(np.array_split(order, min(bins, len(p)))):
        table.append(
            {
                "bin": i + 1,
                "rows": int(len(idx)),
                "predicted_min": float(p[idx].min()),
                "predicted_max": float(p[idx].max()),
                "mean_predicted": float(p[idx].mean()),
                "observed_rate": float(y[idx].mean()),
            }
        )
    return table


def evaluate(y, p, base_rate: float | None, bins: int = CALIBRATION_BINS) -> dict[str, Any]:
    """Validation metrics: ROC AUC, PR AUC, Brier vs the base-rate Brier, ECE, calibration table.

    ``base_rate`` is the training label rate: the base-rate Brier is the
    Brier score of predicting it for every case. ECE is the row-weighted mean
    gap between mean prediction and observed rate over the calibration bins.
    """
    y, p = np.asarray(y, dtype=int), np.asarray(p, dtype=float)
    n = len(y)
    positives = int(y.sum())
    both = n > 0 and 0 < positives < n
    brier = float(np.mean((p - y) ** 2)) if n else None
    brier_base = float(np.mean((base_rate - y) ** 2)) if n and base_rate is not None else None
    table = calibration_table(y, p, bins)
    ece = float(sum(b["rows"] / n * abs(b["mean_predicted"] - b["observed_rate"]) for b in table)) if n else None
    return {
        "rows": n,
        "positives": positives,
        "label_rate": float(y.mean()) if n else None,
        "mean_predicted": float(p.mean()) if n else None,
        "roc_auc": float(roc_auc_score(y, p)) if both else None,
        "pr_auc": float(average_precision_score(y, p)) if both else None,
        "brier": brier,
        "brier_base_rate": brier_base,
        "brier_skill": (1 - brier / brier_base) if brier is not None and brier_base else None,
        "ece": ece,
        "calibration": table,
    }


PREDICTION_COLUMNS = (
    "ticket_id", "case_type", "handled_at", "predicted_risk", "model_version", "model_kind", "is_fallback",
    "data_split", "scored_at", "features_hash",
)


def features_hash(frame: pd.DataFrame) -> np.ndarray:
    """A 64-bit hash of each row's model inputs (FEATURES, as fetched): equal inputs give equal hashes."""
    if not len(frame):
        return np.zeros(0, dtype=np.int64)
    # kept as a signed BIGINT: the same 64 bits, in a type every engine and Parquet reader has
    return pd.util.hash_pandas_object(frame[list(FEATURES)], index=False).to_numpy(dtype=np.uint64).view(np.int64)


def predict_reusing(trained: TrainedModel, frame: pd.DataFrame, hashes: np.ndarray,
                    previous: pd.DataFrame | None) -> tuple[np.ndarray, int]:
    """``predict(trained, frame)``, taking a row's previous prediction when its inputs hash as before.

    ``previous`` holds earlier predictions of the same model (ticket_id, features_hash, predicted_risk).
    A prediction depends on its own row only, so an unchanged row's is the same; the rest are predicted.
    Returns the probabilities and how many were reused.
    """
    if previous is None or not len(previous) or not len(frame):
        return predict(trained, frame), 0
    prior = previous.drop_duplicates("ticket_id")
    # each row's previous prediction, found by ticket id (-1: none)
    at = pd.Index(prior["ticket_id"].astype(str).to_numpy(dtype=object)).get_indexer(
        frame[KEY].astype(str).to_numpy(dtype=object)
    )
    known = at >= 0
    row = np.where(known, at, 0)
    prior_hash = pd.array(prior["features_hash"], dtype="Int64")
    same = known & ~prior_hash.isna()[row] & (prior_hash.fillna(0).to_numpy(dtype=np.int64)[row] == hashes)
    old_risk = np.where(known, prior["predicted_risk"].to_numpy(dtype=float, na_value=np.nan)[row], np.nan)
    same &= ~np.isnan(old_risk)
    out = old_risk.copy()
    if (~same).any():
        out[~same] = predict(trained, frame.loc[~same])
    return out, int(same.sum())


def predictions_frame(trained: TrainedModel, frame: pd.DataFrame, scored_at,
                      splits: pd.Series | None = None, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """The rows of ml.case_predictions for ``frame`` (columns PREDICTION_COLUMNS).

    ``splits`` gives each row's ``data_split`` when ``trained`` is a stored model scoring data it was not
    trained with (its own time split would call new cases "train"); by default the split is the model's.
    ``previous``: earlier predictions of this same model, reused for the rows whose inputs are unchanged
    (``predict_reusing``); the frame's ``attrs["reused"]`` says how many.
    """
    hashes = features_hash(frame)
    probabilities, reused = predict_reusing(trained, frame, hashes, previous)
    if splits is None:
        splits = data_split(trained, frame)
    out = pd.DataFrame(
        {
            "ticket_id": frame[KEY].astype(str).to_numpy(),
            "case_type": frame["case_type"].astype(object).to_numpy(),
            "handled_at": pd.to_datetime(frame[TIME]).to_numpy(),
            "predicted_risk": probabilities,
            "model_version": trained.version,
            "model_kind": trained.kind,
            "is_fallback": trained.is_fallback,
            "data_split": np.asarray(splits, dtype=object),
            "scored_at": pd.Timestamp(scored_at),
            "features_hash": hashes,
        },
        columns=list(PREDICTION_COLUMNS),
    )
    out.attrs["reused"] = reused
    return out
