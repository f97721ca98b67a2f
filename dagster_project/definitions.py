"""plansignal's Dagster definitions: raw -> dbt -> contracts -> publish -> site.

Plus operations (defs/ops): a daily schedule, a new-extract sensor, a run watchdog and the
failure notification sensors for unattended runs under ``dagster dev``.
"""

from __future__ import annotations

import dagster as dg

from dagster_project.defs.contracts.checks import build_mart_checks
from dagster_project.defs.dbt.assets import build_dbt_assets
from dagster_project.defs.ingest.assets import raw_assets
from dagster_project.defs.ops.automation import build_automation
from dagster_project.defs.ops.notify import build_notify_sensors
from dagster_project.defs.publish.assets import build_serving_asset
from dagster_project.defs.site.assets import governance_site
from dagster_project.resources import Warehouse
from dagster_project.resources.dbt import dbt_resource
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
    dbt_assets = build_dbt_assets()
    return dg.Definitions(
        assets=[*raw_assets, dbt_assets, build_serving_asset(dbt_assets), governance_site],
        asset_checks=build_mart_checks(),
        jobs=[full_pipeline_job],
        schedules=schedules,
        sensors=[*sensors, *build_notify_sensors(full_pipeline_job, settings)],
        resources={"warehouse": Warehouse.from_settings(settings), "dbt": dbt_resource(settings)},
        # One process, one step at a time: DuckDB has a single writer and dbt is another process.
        executor=dg.in_process_executor,
    )


defs = build_defs(get_settings())
