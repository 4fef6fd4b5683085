"""Jobs: trustloop_job materialises everything (ingest -> dbt -> model -> reports)."""

from dagster import AssetSelection, define_asset_job, in_process_executor

trustloop_job = define_asset_job(
    "trustloop_job",
    selection=AssetSelection.all(),
    # one step at a time in one process, from the CLI and the UI alike: DuckDB takes one writer at a time
    executor_def=in_process_executor,
    description="Ingest new landing files, build every table, run every check.",
)

# --- scheduled work (orchestration/schedules.py, orchestration/sensors.py) ---------------------------
# In-process: one step at a time, because the DuckDB warehouse takes one writer at a time.

daily_build_job = define_asset_job(
    "daily_build_job",
    selection=AssetSelection.all() - AssetSelection.groups("reports"),
    executor_def=in_process_executor,
    description="Ingest new landing files and build every table and check (no reports). Daily, and on new files.",
)

weekly_scorecard_job = define_asset_job(
    "weekly_scorecard_job",
    selection=AssetSelection.groups("reports").upstream(),
    executor_def=in_process_executor,
    description=(
        "Bring everything the reports read up to date (ingest, build, checks), then write the weekly scorecard "
        "and the finance export. A blocking check that fails keeps the reports from being built on it."
    ),
)
