"""One raw asset per landing table: new extracts -> raw contract -> schema raw.

Each new extract is staged in ``incoming.<table>``, validated against the table's raw contract
(``expectations/raw__<table>.json``) and merged into ``raw.<table>`` only when no ERROR
expectation failed. A refused extract stays in the landing folder, is tried again next run, and
its blocking check stops every downstream asset until it is fixed or removed.
"""


from pathlib import Path

import dagster as dg

from dagster_project.defs.contracts.results import (
    CONTRACT_CHECK,
    check_result,
    record_outcomes,
    suite_path,
)
from dagster_project.lib.contracts import SuiteOutcome, validate_table
from dagster_project.lib.ingest import (
    LandingError,
    discover_extracts,
    ensure_raw_schema,
    list_extract_files,
    merge_extract,
    next_load_time,
    pending_extracts,
    stage_extract,
)
from dagster_project.lib.landing_contract import LANDING_TABLES, LandingTable
from dagster_project.resources import Warehouse

RAW_GROUP = "raw"


def raw_asset_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", table])


def _table_files(landing_dir: Path, table: str) -> list[Path]:
    # Every raw asset validates the whole landing folder, so an unknown table folder fails the
    # run whichever table is loaded first.
    discover_extracts(landing_dir)
    folder = landing_dir / table
    return list_extract_files(folder) if folder.is_dir() else []


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
        try:
            files = _table_files(warehouse.landing_path, table.name)
        except LandingError as exc:
            raise dg.Failure(description=str(exc)) from None

        outcomes: list[SuiteOutcome] = []
        loaded: list[str] = []
        refused: list[str] = []
        with warehouse.connect() as con:
            ensure_raw_schema(con)
            try:
                new, skipped = pending_extracts(con, table.name, files)
            except LandingError as exc:
                raise dg.Failure(description=str(exc)) from None
            for extract in skipped:
                context.log.info(f"{extract.path}: content already loaded, skipped")
            rows_loaded = 0
            for extract in new:
                try:
                    staged = stage_extract(con, extract, next_load_time(con))
                except LandingError as exc:
                    raise dg.Failure(description=str(exc)) from None
                if suite:
                    outcome = validate_table(
                        con, f"incoming.{table.name}", Path(suite), run_id=context.run_id
                    )
                    record_outcomes(
                        con, [outcome], table_name=f"raw.{table.name}",
                        source_file=extract.path.name,
                    )
                    outcomes.append(outcome)
                    if not outcome.passed:
                        refused.append(extract.path.name)
                        context.log.error(
                            f"{extract.path}: refused by contract raw__{table.name}: "
                            + "; ".join(f.failure_line() for f in outcome.error_failures[:3])
                        )
                        continue
                merge_extract(con, staged)
                loaded.append(extract.path.name)
                rows_loaded += staged.row_count
                if staged.extra_columns:
                    context.log.info(
                        f"{extract.path}: extra column(s) kept out of raw and ignored: "
                        + ", ".join(staged.extra_columns)
                    )
            total_rows = con.execute(f"select count(*) from raw.{table.name}").fetchone()[0]

        checks = []
        if suite:
            note = None if new else "no new extract: raw table unchanged since its last check"
            checks.append(check_result(outcomes, key, note=note))
        return dg.MaterializeResult(
            asset_key=key,
            check_results=checks,
            metadata={
                "files_loaded": len(loaded),
                "files_skipped_already_loaded": len(skipped),
                "files_refused": dg.MetadataValue.json(refused),
                "rows_loaded": rows_loaded,
                "dagster/row_count": int(total_rows),
            },
        )

    return _raw_asset


raw_assets = [build_raw_asset(table) for table in LANDING_TABLES.values()]
