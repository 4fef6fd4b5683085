"""The Dagster Definitions of trustloop (``dagster dev -m orchestration.definitions``)."""

from dagster import Definitions

from orchestration.assets.autonomy import autonomy_history
from orchestration.assets.dbt import trustloop_dbt, trustloop_dbt_decisions
from orchestration.assets.ingest import file_ledger, file_ledger_reconciles, ingest_assets, policy, quarantine
from orchestration.assets.model import case_predictions
from orchestration.assets.quality import quality_checks
from orchestration.assets.reporting import reporting_assets
from orchestration.assets.trust import trust_assets, trust_checks
from orchestration.jobs import daily_build_job, trustloop_job, weekly_scorecard_job
from orchestration.resources import WarehouseResource, dbt_resource
from orchestration.schedules import schedules
from orchestration.sensors import sensors

defs = Definitions(
    assets=[policy, *ingest_assets, file_ledger, quarantine, trustloop_dbt, *trust_assets, *reporting_assets,
            case_predictions, trustloop_dbt_decisions, autonomy_history],
    asset_checks=[file_ledger_reconciles, *trust_checks, *quality_checks],
    jobs=[trustloop_job, daily_build_job, weekly_scorecard_job],
    schedules=schedules,
    sensors=sensors,
    resources={"warehouse": WarehouseResource(), "dbt": dbt_resource()},
)
