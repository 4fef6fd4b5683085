"""Jobs: trustloop_job materialises everything (ingest -> dbt -> model -> reports)."""

from dagster import AssetSelection, define_asset_job

trustloop_job = define_asset_job(
    "trustloop_job",
    selection=AssetSelection.all(),
    description="Ingest new landing files, build every table, run every check.",
)
