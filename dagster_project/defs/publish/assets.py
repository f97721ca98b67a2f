"""Publish: the checked marts swapped atomically into the serving database.

After the swap the build fingerprint of this run is recorded as published
(:mod:`dagster_project.warehouse.build_state`); a crash between the two only costs the next run a
rebuild.
"""

from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.resources import Warehouse
from dagster_project.runtime.faults import crash_point
from dagster_project.runtime.settings import exports_dir_for
from dagster_project.warehouse.build_state import published_facts_until, record_published
from dagster_project.warehouse.change_sets import write_change_sets
from dagster_project.warehouse.dq_history import DQ_HISTORY, DQ_SCHEMA, DQ_TABLE, PUBLISHED_AS
from dagster_project.warehouse.kept_history import keep_published_history
from dagster_project.warehouse.publish import KeptRows, PublishError, publish
from dagster_project.warehouse.sql import table_exists

MART_LAYER = "marts"
SERVING_KEY = dg.AssetKey(["serving", "planning_db"])
# The mart an incremental model keeps (a view over it): a day's publish replaces only the rows
# of the PO lines the builds since the last publish wrote (publish.KeptRows).
KEPT_FACT = ("fct_po_line_lead_times", "intermediate", "int_purchase_order_lines__lead_times",
             ("po_number", "po_line"))


def newest_fact_build(con: duckdb.DuckDBPyConnection) -> datetime | None:
    _, schema, model, _ = KEPT_FACT
    if not table_exists(con, schema, model):
        return None
    return con.execute(f"select max(built_at) from {schema}.{model}").fetchone()[0]


def kept_fact(con: duckdb.DuckDBPyConnection, serving_path: Path) -> KeptRows | None:
    """What the served file already holds of the kept fact; None: publish it whole."""
    target, schema, model, key = KEPT_FACT
    until = published_facts_until(con, serving_path)
    if until is None or not table_exists(con, schema, model):
        return None
    return KeptRows(target, f"{schema}.{model}", key, until)

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
            kept_rows = kept_fact(con, warehouse.serving_path)
            try:
                published = publish(con, warehouse.serving_path, tables, kept=kept_rows)
            except PublishError as exc:
                raise dg.Failure(description=str(exc)) from None
            crash_point("publish.before_record")
            record_published(con, context.run_id, warehouse.serving_path,
                             facts_built_at=newest_fact_build(con),
                             copied_whole=all(p.replaced_rows is None for p in published))
            # What was just published becomes the history the next run starts from.
            kept = keep_published_history(con)
        replaced = {p.target: p.replaced_rows for p in published if p.replaced_rows is not None}
        context.log.info(
            f"published {len(published)} tables to {warehouse.serving_path}"
            + "".join(f"; {t}: {n:,} changed rows replaced in the served copy"
                      for t, n in replaced.items()))
        # The proposed master-data changes an ERP or MRP team can load, from what was just served.
        change_sets = write_change_sets(
            warehouse.serving_path, exports_dir_for(warehouse.serving_path)
        )
        return dg.MaterializeResult(
            metadata={
                "proposed_changes": dg.MetadataValue.json(change_sets),
                "path": dg.MetadataValue.path(warehouse.serving_db),
                "tables": dg.MetadataValue.json({p.target: p.row_count for p in published}),
                # Tables updated in a copy of the served file rather than copied whole.
                "rows_replaced": dg.MetadataValue.json(replaced),
                "kept_history_rows": dg.MetadataValue.json(kept),
            }
        )

    return serving_database
