"""plansignal's Dagster definitions: raw -> dbt -> contracts -> publish -> site.

Plus operations (defs/ops): a daily schedule, a new-extract sensor and a run watchdog for
unattended runs under ``dagster dev``.
"""

from __future__ import annotations

import dagster as dg

from dagster_project.defs.contracts.checks import mart_contract_checks
from dagster_project.defs.dbt.assets import dbt_resource, plansignal_dbt_models
from dagster_project.defs.ingest.assets import raw_assets
from dagster_project.defs.ops.automation import build_automation
from dagster_project.defs.publish.assets import serving_database
from dagster_project.defs.site.assets import governance_site
from dagster_project.resources import Warehouse
from dagster_project.runtime.settings import Settings, get_settings

FULL_PIPELINE = "full_pipeline"

full_pipeline_job = dg.define_asset_job(
    FULL_PIPELINE,
    selection=dg.AssetSelection.all(),
    description="Load new extracts, check them, build dbt, check the marts, publish, write site.",
)


def build_defs(settings: Settings | None = None) -> dg.Definitions:
    """Definitions bound to the given settings (tests point them at a temporary folder)."""
    settings = settings or get_settings()
    schedules, sensors = build_automation(full_pipeline_job, settings)
    return dg.Definitions(
        assets=[*raw_assets, plansignal_dbt_models, serving_database, governance_site],
        asset_checks=mart_contract_checks,
        jobs=[full_pipeline_job],
        schedules=schedules,
        sensors=sensors,
        resources={"warehouse": Warehouse.from_settings(settings), "dbt": dbt_resource()},
        # One process, one step at a time: DuckDB has a single writer and dbt is another process.
        executor=dg.in_process_executor,
    )


defs = build_defs(get_settings())
