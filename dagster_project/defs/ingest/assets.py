"""One raw asset per landing table: new extracts -> raw contract -> schema raw.

Each new extract is staged in ``incoming.<table>``, validated against the table's raw contract
(``expectations/raw__<table>.json``) and merged into ``raw.<table>`` only when no ERROR
expectation failed. A refused extract stays in the landing folder, is tried again next run, and
its blocking check stops every downstream asset until it is fixed or removed; later extracts of
the same table wait behind it, so extracts always merge in name order.
"""


from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from dagster_project.contracts.suites import SuiteOutcome, validate_table
from dagster_project.defs.contracts.results import (
    CONTRACT_CHECK,
    check_result,
    record_outcomes,
    suite_path,
)
from dagster_project.ingest.extracts import (
    LandingError,
    StagedExtract,
    discover_extracts,
    ingest_table,
)
from dagster_project.ingest.freshness import landing_freshness
from dagster_project.ingest.landing_contract import LANDING_TABLES, LandingTable
from dagster_project.ingest.load_log import own_extracts_present
from dagster_project.resources import Warehouse

RAW_GROUP = "raw"


def raw_asset_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", table])


def _table_files(landing_dir: Path, table: str) -> tuple[list[Path], bool]:
    """The table's files, and whether any table holds an own (not demo) extract.

    Every raw asset lists the whole landing folder, so an unknown table folder fails the run
    whichever table is loaded first, and every table takes the same demo decision.
    """
    found = discover_extracts(landing_dir)
    return found[table], own_extracts_present(p for files in found.values() for p in files)


def build_raw_asset(table: LandingTable) -> dg.AssetsDefinition:
    key = raw_asset_key(table.name)
    suite = suite_path("raw", table.name)
    check_specs = (
        [
            dg.AssetCheckSpec(
                CONTRACT_CHECK,
                asset=key,
                blocking=True,
                description=f"Great Expectations suite raw__{table.name} on every new extract",
            )
        ]
        if suite
        else []
    )

    @dg.asset(
        key=key,
        group_name=RAW_GROUP,
        kinds={"duckdb"},
        check_specs=check_specs,
        description=f"{table.description}: every extract from landing/{table.name}/, "
        "typed per the landing contract, tagged with _source_file, _loaded_at, _row_hash.",
    )
    def _raw_asset(
        context: dg.AssetExecutionContext, warehouse: Warehouse
    ) -> dg.MaterializeResult:
        outcomes: list[SuiteOutcome] = []

        def validate(staged: StagedExtract) -> bool:
            if not suite:
                return True
            outcome = validate_table(
                con, f"incoming.{table.name}", Path(suite), run_id=context.run_id
            )
            record_outcomes(
                con, [outcome], table_name=f"raw.{table.name}",
                source_file=staged.extract.path.name,
            )
            outcomes.append(outcome)
            if not outcome.passed:
                context.log.error(
                    f"{staged.extract.path}: refused by contract raw__{table.name}: "
                    + "; ".join(f.failure_line() for f in outcome.error_failures[:3])
                )
            return outcome.passed

        try:
            files, own_present = _table_files(warehouse.landing_path, table.name)
            with warehouse.connect() as con:
                result = ingest_table(
                    con, table.name, files, validate, context.log.info, warehouse.work_path,
                    retire_demo_extracts=own_present,
                )
                total_rows = con.execute(f"select count(*) from raw.{table.name}").fetchone()[0]
                now = datetime.now(UTC).replace(tzinfo=None)
                [fresh] = landing_freshness(
                    con, now, warehouse.extract_max_age_days, tables=[table.name]
                )
            if fresh.stale:
                # A real warning: the export feeding this table may have stopped.
                context.log.warning(f"stale extract (PLANSIGNAL_EXTRACT_MAX_AGE_DAYS="
                                    f"{warehouse.extract_max_age_days:g}): {fresh.describe(now)}")
        except LandingError as exc:
            # One line naming the file; extracts merged before it stay merged, it stays put.
            raise dg.Failure(description=str(exc)) from None

        checks = []
        if suite:
            new = result.merged or result.refused
            note = None if new else "no new extract: raw table unchanged since its last check"
            checks.append(check_result(outcomes, key, note=note))
        return dg.MaterializeResult(
            asset_key=key,
            check_results=checks,
            metadata={
                "files_loaded": len(result.merged),
                "files_skipped_already_loaded": len(result.skipped),
                "files_refused": dg.MetadataValue.json([e.path.name for e in result.refused]),
                "files_waiting": dg.MetadataValue.json([e.path.name for e in result.waiting]),
                "rows_loaded": result.rows_merged,
                "demo_extracts_retracted": dg.MetadataValue.json(
                    [e.source_file for e in result.retired_demo]
                ),
                "demo_files_ignored": dg.MetadataValue.json(
                    [e.path.name for e in result.ignored_demo]
                ),
                "dagster/row_count": int(total_rows),
                "newest_extract": fresh.newest_file or "",
                "newest_extract_stale": fresh.stale,
            },
        )

    return _raw_asset


raw_assets = [build_raw_asset(table) for table in LANDING_TABLES.values()]
