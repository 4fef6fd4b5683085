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
    # both files in WAL mode, their connections committing without waiting for the disk (NORMAL = 1)
    for shard in ("index", result.run_id):
        with instance.event_log_storage._engine(shard).connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1
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


def test_pruning_keeps_the_newest_runs_and_removes_the_others_files(tmp_path):
    """`trustloop run` deletes every finished run but the newest TRUSTLOOP_KEEP_RUNS (orchestration/runner.py):
    its record, its events and its event file; the asset keeps its latest materialisation."""
    from orchestration.runner import prune_run_history

    instance = instance_of(tmp_path)
    runs = [materialize([evidence, evidence_is_positive], instance=instance).run_id for _ in range(4)]
    run_files = tmp_path / "history" / "runs"
    assert {p.stem for p in run_files.glob("*.db")} == {*runs, "index"}

    assert sorted(prune_run_history(instance, 2, tmp_path)) == sorted(runs[:2])
    assert {r.run_id for r in instance.get_runs()} == set(runs[2:])
    assert {p.stem for p in run_files.glob("*.db")} == {*runs[2:], "index"}
    assert not [p for p in run_files.iterdir() if p.name.startswith(tuple(runs[:2]))]  # nor their -wal, -shm
    latest = instance.get_latest_materialization_event(evidence.key)
    assert latest is not None and latest.run_id == runs[-1]
    # the kept runs' events still read back, and nothing is pruned when asked to keep everything
    assert instance.all_logs(runs[2], of_type=DagsterEventType.ASSET_MATERIALIZATION)
    assert prune_run_history(instance, 0, tmp_path) == [] and len(instance.get_runs()) == 2
    assert prune_run_history(instance, 2, tmp_path) == []
