"""Publish: the checked marts swapped atomically into the serving database.

After the swap the build fingerprint of this run is recorded as published
(:mod:`dagster_project.warehouse.build_state`); a crash between the two only costs the next run a
rebuild.
"""


import dagster as dg

from dagster_project.resources import Warehouse
from dagster_project.runtime.faults import crash_point
from dagster_project.runtime.settings import exports_dir_for
from dagster_project.warehouse.build_state import record_published
from dagster_project.warehouse.change_sets import write_change_sets
from dagster_project.warehouse.dq_history import DQ_HISTORY, DQ_SCHEMA, DQ_TABLE, PUBLISHED_AS
from dagster_project.warehouse.kept_history import keep_published_history
from dagster_project.warehouse.publish import PublishError, publish
from dagster_project.warehouse.sql import table_exists

MART_LAYER = "marts"
SERVING_KEY = dg.AssetKey(["serving", "planning_db"])

def build_serving_asset(dbt_assets: dg.AssetsDefinition) -> dg.AssetsDefinition:
    """The publish asset, downstream of every mart the dbt assets define."""
    mart_keys = sorted(
        (k for k in dbt_assets.keys if k.path[0] == MART_LAYER),
        key=lambda k: k.to_user_string(),
    )

    @dg.asset(
        key=SERVING_KEY,
        group_name="publish",
        kinds={"duckdb"},
        deps=mart_keys,
        description="The serving database analysts open (schema marts): a new file swapped in "
        "atomically once every mart contract passed.",
    )
    def serving_database(
        context: dg.AssetExecutionContext, warehouse: Warehouse
    ) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            tables = [(f"{MART_LAYER}.{k.path[-1]}", k.path[-1]) for k in mart_keys]
            if table_exists(con, DQ_SCHEMA, DQ_TABLE):
                # The data-quality history of every contract run, for the scorecard and analysts.
                tables.append((DQ_HISTORY, PUBLISHED_AS))
            try:
                published = publish(con, warehouse.serving_path, tables)
            except PublishError as exc:
                raise dg.Failure(description=str(exc)) from None
            crash_point("publish.before_record")
            record_published(con, context.run_id, warehouse.serving_path)
            # What was just published becomes the history the next run starts from.
            kept = keep_published_history(con)
        context.log.info(f"published {len(published)} tables to {warehouse.serving_path}")
        # The proposed master-data changes an ERP or MRP team can load, from what was just served.
        change_sets = write_change_sets(
            warehouse.serving_path, exports_dir_for(warehouse.serving_path)
        )
        return dg.MaterializeResult(
            metadata={
                "proposed_changes": dg.MetadataValue.json(change_sets),
                "path": dg.MetadataValue.path(warehouse.serving_db),
                "tables": dg.MetadataValue.json({p.target: p.row_count for p in published}),
                "kept_history_rows": dg.MetadataValue.json(kept),
            }
        )

    return serving_database
