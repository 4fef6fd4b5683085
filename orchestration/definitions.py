"""The Dagster Definitions of trustloop (``dagster dev -m orchestration.definitions``)."""

from dagster import Definitions

from orchestration.assets.dbt import trustloop_dbt
from orchestration.assets.ingest import file_ledger, file_ledger_reconciles, ingest_assets, policy, quarantine
from orchestration.jobs import trustloop_job
from orchestration.resources import WarehouseResource, dbt_resource

defs = Definitions(
    assets=[policy, *ingest_assets, file_ledger, quarantine, trustloop_dbt],
    asset_checks=[file_ledger_reconciles],
    jobs=[trustloop_job],
    resources={"warehouse": WarehouseResource(), "dbt": dbt_resource()},
)
