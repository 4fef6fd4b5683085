"""The Dagster event log of a trustloop home (orchestration/event_log.py), with a real Dagster instance.

A run's events go to Dagster's usual SQLite files through one engine per file, and Dagster's own
storage class reads them back from those files.
"""

from __future__ import annotations

import threading

import pytest
from dagster import (
    AssetCheckResult,
    DagsterEventType,
    DagsterInstance,
    EventRecordsFilter,
    asset,
    asset_check,
    materialize,
)
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

import orchestration.event_log as event_log
from orchestration.event_log import MAX_ENGINES, PooledSqliteEventLogStorage
from trustloop.settings import write_dagster_yaml


@asset
def evidence() -> int:
    return 3


@asset_check(asset=evidence)
def evidence_is_positive(evidence: int) -> AssetCheckResult:
    return AssetCheckResult(passed=evidence > 0)


@pytest.fixture
def engines_created(monkeypatch) -> list[str]:
    created: list[str] = []
    real = event_log.create_engine

    def counting(url, **kwargs):
        created.append(str(url))
        return real(url, **kwargs)

    monkeypatch.setattr(event_log, "create_engine", counting)
    return created


def instance_of(home) -> DagsterInstance:
    assert write_dagster_yaml(home)
    return DagsterInstance.from_config(str(home))


def test_a_run_stores_its_events_through_one_engine_per_file(tmp_path, engines_created):
    instance = instance_of(tmp_path)
    assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)

    outcome: dict = {}

    def run() -> None:
        outcome["result"] = materialize([evidence, evidence_is_positive], instance=instance)

    # storing a materialisation asks `has_table` inside an open transaction: this must not wait on itself
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive(), "storing the run's events did not finish"
    result = outcome["result"]
    assert result.success

    events = instance.all_logs(result.run_id)
    assert len(events) > 15
    # the cross-run index file and the run's own file: one engine each, for every event of the run
    assert sorted(url.rsplit("/", 1)[-1] for url in engines_created) == sorted(["index.db", f"{result.run_id}.db"])
    instance.dispose()

    # the same files, read back by Dagster's own storage class
    stock = SqliteEventLogStorage(str(tmp_path / "history" / "runs"))
    assert (tmp_path / "history" / "runs" / f"{result.run_id}.db").exists()
    stored = stock.get_logs_for_run(result.run_id)
    assert len(stored) == len(events)
    materialised = stock.get_event_records(EventRecordsFilter(DagsterEventType.ASSET_MATERIALIZATION), limit=10)
    assert [r.event_log_entry.dagster_event.asset_key.path for r in materialised] == [["evidence"]]
    checks = [e.dagster_event for e in stored if e.dagster_event_type == DagsterEventType.ASSET_CHECK_EVALUATION]
    assert [(c.event_specific_data.check_name, c.event_specific_data.passed) for c in checks] == [
        ("evidence_is_positive", True)
    ]
    stock.dispose()


def test_only_the_most_recently_used_files_keep_an_engine(tmp_path):
    storage = PooledSqliteEventLogStorage(str(tmp_path))
    engines = [storage._engine(f"run{i}") for i in range(MAX_ENGINES + 2)]
    assert list(storage._engines) == [f"run{i}" for i in range(2, MAX_ENGINES + 2)]
    assert storage._engine("run5") is engines[5]
    assert storage._engine("run0") is not engines[0]  # closed when it fell out, then opened again
    assert list(storage._engines)[-2:] == ["run5", "run0"]
    storage.dispose()
    assert not storage._engines
