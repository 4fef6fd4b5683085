"""Helpers for the quality tests: temporary settings, warehouse copies, in-process Dagster runs.

Every test points TRUSTLOOP_* at its own temporary folder *before*
orchestration is imported (its resources module applies the environment on
import), and Dagster runs use an ephemeral instance.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import CONTRACT_SAMPLE


@dataclass
class QualityEnv:
    root: Path
    output: Path
    warehouse: Path
    landing: Path


@pytest.fixture
def quality_env(tmp_path, monkeypatch) -> QualityEnv:
    output = tmp_path / "output"
    env = QualityEnv(
        root=tmp_path, output=output, warehouse=output / "warehouse.duckdb", landing=CONTRACT_SAMPLE / "landing"
    )
    monkeypatch.setenv("TRUSTLOOP_OUTPUT_DIR", str(output))
    monkeypatch.setenv("TRUSTLOOP_WAREHOUSE", str(env.warehouse))
    monkeypatch.setenv("TRUSTLOOP_LANDING_DIR", str(env.landing))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setenv("GX_ANALYTICS_ENABLED", "false")
    output.mkdir(parents=True)
    return env


def copy_warehouse(source: Path, target: Path) -> Path:
    """Copy a (closed) DuckDB warehouse file, with its write-ahead log if any."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, target.with_name(target.name + ".wal"))
    return target


def execute(selection, extra_assets=()):
    """Run ``selection`` of the real Definitions (plus ``extra_assets``) in-process; never raises."""
    from dagster import DagsterInstance, Definitions, define_asset_job

    from orchestration.definitions import defs

    job = define_asset_job("quality_test_job", selection=selection)
    definitions = Definitions(
        assets=[*defs.assets, *extra_assets],
        asset_checks=defs.asset_checks,
        jobs=[job],
        resources=defs.resources,
    )
    return definitions.resolve_job_def("quality_test_job").execute_in_process(
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
    )


def downstream_probe(name: str, upstream: list[list[str]], marker: Path):
    """A stand-in for a scorecard/report asset: depends on ``upstream`` and writes ``marker`` when it runs."""
    from dagster import AssetKey, MaterializeResult, asset

    @asset(key=["reports", name], deps=[AssetKey(k) for k in upstream], group_name="quality_probe")
    def _probe():
        marker.write_text("materialised")
        return MaterializeResult(metadata={"marker": str(marker)})

    return _probe


def materialized_keys(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def check_evaluation(result, asset: str, check: str):
    found = [
        e for e in result.get_asset_check_evaluations()
        if e.asset_key.to_user_string() == asset and e.check_name == check
    ]
    assert len(found) == 1, f"expected one evaluation of {asset}:{check}, got {len(found)}"
    return found[0]


def failed_steps(result) -> list[str]:
    return [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
