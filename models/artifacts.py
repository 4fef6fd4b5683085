"""The versioned model artifact: the fitted model (joblib) plus its metadata (JSON).

File names carry the model version, which is derived from the SHA-256 of the
training data, the parameters and the scikit-learn version: the same data
gives the same files; ``latest.json`` points at the newest.
"""

from __future__ import annotations

import json
from pathlib import Path

import joblib

from models.risk import TrainedModel


def artifact_paths(directory: Path, version: str) -> tuple[Path, Path]:
    return directory / f"{version}.joblib", directory / f"{version}.json"


def save_artifact(trained: TrainedModel, directory: Path, extra: dict | None = None) -> Path:
    """Write ``<version>.joblib`` and ``<version>.json`` under ``directory``; return the joblib path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model_path, meta_path = artifact_paths(directory, trained.version)
    tmp = model_path.with_suffix(".joblib.tmp")
    joblib.dump(trained, tmp, compress=3)
    tmp.replace(model_path)
    metadata = {**trained.metadata(), **(extra or {}), "artifact": model_path.name}
    meta_path.write_text(json.dumps(metadata, indent=2, sort_keys=True, default=str) + "\n")
    (directory / "latest.json").write_text(
        json.dumps({"version": trained.version, "artifact": model_path.name, "metadata": meta_path.name}, indent=2)
        + "\n"
    )
    return model_path


def load_artifact(path: Path) -> TrainedModel:
    """Load a saved model: a ``.joblib`` file, or a directory (its ``latest.json``)."""
    path = Path(path)
    if path.is_dir():
        latest = json.loads((path / "latest.json").read_text())
        path = path / latest["artifact"]
    trained = joblib.load(path)
    if not isinstance(trained, TrainedModel):
        raise TypeError(f"{path} does not hold a trained risk model")
    return trained
