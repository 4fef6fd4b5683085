"""The weekly scorecard and daily build schedules, and the landing sensor, evaluated with Dagster's contexts."""

from __future__ import annotations

import datetime as dt
import os
import shutil

import pytest
from dagster import (
    DagsterInstance,
    DefaultScheduleStatus,
    RunRequest,
    build_schedule_context,
    build_sensor_context,
)

from orchestration.assets.reporting import SCORECARD_OP
from orchestration.definitions import defs
from orchestration.schedules import daily_build_schedule, scorecard_week_for, weekly_scorecard_schedule
from orchestration.sensors import LandingState, landing_sensor
from tests.conftest import CONTRACT_SAMPLE

UTC = dt.UTC


@pytest.fixture
def instance():
    with DagsterInstance.ephemeral() as inst:
        yield inst


def test_schedules_and_sensor_are_registered():
    assert {s.name for s in defs.schedules} >= {"weekly_scorecard_schedule", "daily_build_schedule"}
    assert "landing_sensor" in {s.name for s in defs.sensors}
    weekly = defs.resolve_schedule_def("weekly_scorecard_schedule")
    daily = defs.resolve_schedule_def("daily_build_schedule")
    assert (weekly.cron_schedule, weekly.execution_timezone, weekly.job_name) == (
        "0 6 * * 1", "UTC", "weekly_scorecard_job")
    assert (daily.cron_schedule, daily.execution_timezone, daily.job_name) == ("0 5 * * *", "UTC", "daily_build_job")
    assert defs.resolve_sensor_def("landing_sensor").job_name == "daily_build_job"
    assert weekly.default_status == daily.default_status == DefaultScheduleStatus.RUNNING
    # the weekly job writes both reports and brings what they read up to date; the daily one writes no report
    weekly_keys = {k.to_user_string() for k in defs.resolve_job_def("weekly_scorecard_job").asset_layer.executable_asset_keys}
    daily_keys = {k.to_user_string() for k in defs.resolve_job_def("daily_build_job").asset_layer.executable_asset_keys}
    assert {"reports/weekly_scorecard", "reports/finance_export", "raw/tickets", "raw/policy_costs",
            "marts/rpt_roi_total", "marts/fct_trust_metrics"} <= weekly_keys
    assert "raw/tickets" in daily_keys and "marts/rpt_roi_monthly" in daily_keys
    assert not any(k.startswith("reports/") for k in daily_keys)


def test_weekly_schedule_asks_for_the_week_that_just_ended(instance):
    monday_6am = dt.datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    request = weekly_scorecard_schedule(build_schedule_context(instance=instance, scheduled_execution_time=monday_6am))
    assert isinstance(request, RunRequest)
    assert request.run_config == {"ops": {SCORECARD_OP: {"config": {"week": "2026-11-16"}}}}
    assert request.run_key == "scorecard-2026-11-16"
    assert request.tags["trustloop/week"] == "2026-11-16"
    # the next Monday asks for the next week
    later = weekly_scorecard_schedule(build_schedule_context(
        instance=instance, scheduled_execution_time=monday_6am + dt.timedelta(days=7)))
    assert later.run_config["ops"][SCORECARD_OP]["config"]["week"] == "2026-11-23"
    assert scorecard_week_for(dt.date(2026, 11, 29)) == dt.date(2026, 11, 16)  # a late (Sunday) run


def test_weekly_schedule_config_is_valid_for_its_job():
    job = defs.resolve_job_def("weekly_scorecard_job")
    config = {"ops": {SCORECARD_OP: {"config": {"week": "2026-11-16"}}}}
    assert job.run_config_schema.config_type is not None
    from dagster._config import validate_config

    result = validate_config(job.run_config_schema.config_type, config)
    assert result.success, result.errors


def test_daily_schedule_one_run_per_day(instance):
    at = dt.datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
    request = daily_build_schedule(build_schedule_context(instance=instance, scheduled_execution_time=at))
    assert isinstance(request, RunRequest) and request.run_key == "daily-build-2026-11-24"


def _evaluate(instance, cursor):
    result = landing_sensor(build_sensor_context(instance=instance, cursor=cursor))
    return result, result.cursor


def test_landing_sensor_fires_once_per_new_file(tmp_path, monkeypatch, instance):
    from trustloop.ingest.loader import file_sha256

    landing = tmp_path / "landing"
    (landing / "tickets").mkdir(parents=True)
    monkeypatch.setenv("TRUSTLOOP_LANDING_DIR", str(landing))

    # nothing landed yet: no run
    result, cursor = _evaluate(instance, None)
    assert not result.run_requests

    # a file lands: one run, keyed by its content hash
    first = landing / "tickets" / "tickets_a.csv"
    shutil.copy(CONTRACT_SAMPLE / "landing" / "tickets" / "tickets_a.csv", first)
    result, cursor = _evaluate(instance, cursor)
    assert [r.run_key for r in result.run_requests] == [file_sha256(first)]
    assert result.run_requests[0].tags["trustloop/first_file"] == "tickets/tickets_a.csv"

    # the same file on the next tick: no run
    result, cursor = _evaluate(instance, cursor)
    assert not result.run_requests and result.skip_reason is not None

    # the same content under another name (a re-delivery), or touched: still no run
    shutil.copy(first, landing / "tickets" / "tickets_a_copy.csv")
    os.utime(first, None)
    result, cursor = _evaluate(instance, cursor)
    assert not result.run_requests

    # a new file: a run for it
    second = landing / "tickets" / "tickets_b.csv"
    shutil.copy(CONTRACT_SAMPLE / "landing" / "tickets" / "tickets_b.csv", second)
    result, cursor = _evaluate(instance, cursor)
    assert [r.run_key for r in result.run_requests] == [file_sha256(second)]

    # a changed file is new content: a run again
    with open(first, "a") as handle:
        handle.write("\n")
    result, cursor = _evaluate(instance, cursor)
    assert [r.run_key for r in result.run_requests] == [file_sha256(first)]

    # files the contract does not cover (other folders, hidden files, other formats) never trigger
    (landing / "notes.txt").write_text("hello")
    (landing / "tickets" / ".partial.csv").write_text("x")
    (landing / "tickets" / "readme.md").write_text("x")
    result, cursor = _evaluate(instance, cursor)
    assert not result.run_requests


def test_landing_sensor_batches_files_of_one_tick_and_survives_a_bad_cursor(tmp_path, monkeypatch, instance):
    landing = tmp_path / "landing"
    shutil.copytree(CONTRACT_SAMPLE / "landing", landing)
    monkeypatch.setenv("TRUSTLOOP_LANDING_DIR", str(landing))
    result, cursor = _evaluate(instance, None)
    assert len(result.run_requests) == 1  # one ingest for the whole delivery
    state = LandingState.from_cursor(cursor)
    assert len(state.seen) == 5 and len(state.stats) == 5
    assert int(result.run_requests[0].tags["trustloop/new_files"]) == 5
    # the same key for the same delivery: Dagster would not start it twice
    again, _ = _evaluate(instance, None)
    assert again.run_requests[0].run_key == result.run_requests[0].run_key
    # an unreadable cursor starts over (one extra, idempotent ingest) instead of failing the sensor
    result, _ = _evaluate(instance, "not json")
    assert len(result.run_requests) == 1


def test_landing_sensor_without_landing_folder(tmp_path, monkeypatch, instance):
    monkeypatch.setenv("TRUSTLOOP_LANDING_DIR", str(tmp_path / "missing"))
    result = landing_sensor(build_sensor_context(instance=instance))
    assert not getattr(result, "run_requests", None)
