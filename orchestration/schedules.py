"""Schedules: the daily ingest-and-build and the weekly scorecard (Monday 06:00 UTC).

Both are on by default: with the Dagster daemon running (`dagster dev`), the scorecard is produced every
Monday without anyone switching it on. The landing sensor (sensors.py) starts stopped.
"""

from __future__ import annotations

import datetime as dt

from dagster import DefaultScheduleStatus, RunRequest, ScheduleEvaluationContext, schedule

from orchestration.assets.reporting import scorecard_run_config
from orchestration.jobs import daily_build_job, weekly_scorecard_job
from trustloop.reports.weeks import monday

WEEKLY_CRON = "0 6 * * 1"  # Monday 06:00
DAILY_CRON = "0 5 * * *"  # every day 05:00, before the scorecard on Mondays


def _scheduled_date(context: ScheduleEvaluationContext) -> dt.date:
    when = context.scheduled_execution_time or dt.datetime.now(dt.UTC)
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC)
    return when.date()


def scorecard_week_for(run_date: dt.date) -> dt.date:
    """The week a scorecard run on ``run_date`` covers: the last complete ISO week (its Monday)."""
    return monday(run_date) - dt.timedelta(days=7)


@schedule(
    cron_schedule=WEEKLY_CRON,
    execution_timezone="UTC",
    job=weekly_scorecard_job,
    name="weekly_scorecard_schedule",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every Monday 06:00 UTC: the scorecard and finance export for the week that just ended.",
)
def weekly_scorecard_schedule(context: ScheduleEvaluationContext) -> RunRequest:
    week = scorecard_week_for(_scheduled_date(context))
    return RunRequest(
        run_key=f"scorecard-{week.isoformat()}",
        run_config=scorecard_run_config(week),
        tags={"trustloop/week": week.isoformat(), "trustloop/trigger": "weekly_scorecard_schedule"},
    )


@schedule(
    cron_schedule=DAILY_CRON,
    execution_timezone="UTC",
    job=daily_build_job,
    name="daily_build_schedule",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every day 05:00 UTC: ingest whatever landed and rebuild the warehouse and its checks.",
)
def daily_build_schedule(context: ScheduleEvaluationContext) -> RunRequest:
    day = _scheduled_date(context)
    return RunRequest(
        run_key=f"daily-build-{day.isoformat()}",
        tags={"trustloop/date": day.isoformat(), "trustloop/trigger": "daily_build_schedule"},
    )


schedules = [weekly_scorecard_schedule, daily_build_schedule]
