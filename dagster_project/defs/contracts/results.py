"""Turning Great Expectations outcomes into Dagster check results and the quality history."""


import dagster as dg
import duckdb

from dagster_project.lib.contracts import SuiteOutcome, outcomes_to_rows
from dagster_project.settings import EXPECTATIONS_DIR

DQ_HISTORY = "dq.contract_results"
CONTRACT_CHECK = "contract"  # the name of every Great Expectations check
MAX_FAILURE_LINES = 10


def suite_path(layer: str, table: str) -> str | None:
    """The version-controlled suite for a table, e.g. expectations/raw__erp_items.json."""
    path = EXPECTATIONS_DIR / f"{layer}__{table}.json"
    return str(path) if path.exists() else None


def record_outcomes(
    con: duckdb.DuckDBPyConnection,
    outcomes: list[SuiteOutcome],
    table_name: str | None = None,
    source_file: str | None = None,
) -> None:
    """Append every expectation result to the data-quality history in the pipeline database.

    ``table_name`` overrides the validated relation's name (an extract staged in ``incoming`` is
    recorded under the raw table it is refused from or merged into), ``source_file`` names it.
    """
    con.execute("create schema if not exists dq")
    con.execute(
        f"""
        create table if not exists {DQ_HISTORY} (
            run_id varchar,
            suite varchar,
            table_name varchar,
            expectation_type varchar,
            column_name varchar,
            kwargs_json varchar,
            severity varchar,
            success boolean,
            observed_value varchar,
            unexpected_count bigint,
            element_count bigint,
            validated_at timestamp,
            source_file varchar
        )
        """
    )
    rows = [row for outcome in outcomes for row in outcomes_to_rows(outcome)]
    for row in rows:
        row["source_file"] = source_file
        if table_name:
            row["table_name"] = table_name
    if not rows:
        return
    columns = [
        "run_id", "suite", "table_name", "expectation_type", "column_name", "kwargs_json",
        "severity", "success", "observed_value", "unexpected_count", "element_count",
        "validated_at", "source_file",
    ]
    con.executemany(
        f"insert into {DQ_HISTORY} ({', '.join(columns)}) values ({', '.join('?' * len(columns))})",
        [[row.get(c) for c in columns] for row in rows],
    )


def check_result(
    outcomes: list[SuiteOutcome], asset_key: dg.AssetKey, note: str | None = None
) -> dg.AssetCheckResult:
    """One Dagster check result for one or more suite runs on the same asset.

    Passes when no ERROR expectation failed; WARNING failures are reported in the metadata and
    lower the severity to WARN so they never block.
    """
    errors = [f for o in outcomes for f in o.error_failures]
    warnings = [f for o in outcomes for f in o.warning_failures]
    evaluated = sum(len(o.outcomes) for o in outcomes)
    lines = [f.failure_line() for f in errors + warnings][:MAX_FAILURE_LINES]
    metadata: dict[str, dg.RawMetadataValue] = {
        "suites_run": len(outcomes),
        "expectations_evaluated": evaluated,
        "error_failures": len(errors),
        "warning_failures": len(warnings),
        "failures": dg.MetadataValue.md("\n".join(f"- {line}" for line in lines) or "none"),
    }
    if note:
        metadata["note"] = note
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=CONTRACT_CHECK,
        passed=not errors and not warnings,
        severity=dg.AssetCheckSeverity.ERROR if errors else dg.AssetCheckSeverity.WARN,
        metadata=metadata,
    )
