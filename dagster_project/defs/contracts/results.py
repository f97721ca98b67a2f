"""Turning Great Expectations outcomes into Dagster check results and the quality history.

Every suite run is kept twice: one row per expectation in the data-quality history
(``dq.contract_results`` in the pipeline database, published as ``marts.dq_contract_history``),
and GX's own validation result as JSON under ``<warehouse>/validations/<run_id>/`` for the
Data Docs the governance site renders (site/docs.py). Both are written when the suite runs,
so refused extracts and failed runs are kept too, although they publish nothing.
"""


import logging

import dagster as dg
import duckdb

from dagster_project.contracts.saved_results import (
    persist_validation_results,
)
from dagster_project.contracts.suites import SuiteOutcome, outcomes_to_rows
from dagster_project.runtime.settings import EXPECTATIONS_DIR
from dagster_project.warehouse.dq_history import insert_dq_history

CONTRACT_CHECK = "contract"  # the name of every Great Expectations check
MAX_FAILURE_LINES = 10

log = logging.getLogger(__name__)


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
    """Append every expectation result to the data-quality history in the pipeline database,
    and save GX's validation results beside it for Data Docs.

    ``table_name`` overrides the validated relation's name (an extract staged in ``incoming`` is
    recorded under the raw table it is refused from or merged into), ``source_file`` names it;
    both are also set on the outcomes, so check results and Data Docs say the same.
    """
    if table_name or source_file:
        for outcome in outcomes:
            outcome.relabel(table_name or outcome.table, source_file)
    insert_dq_history(con, (row for o in outcomes for row in outcomes_to_rows(o)))
    try:
        persist_validation_results(con, outcomes)
    except OSError as exc:  # Data Docs are a view of the history: never fail a run for them
        log.warning("validation results not saved for Data Docs: %s", exc)


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
    # ERROR lines first, each naming the table (and the refused extract), the expectation, how
    # many rows failed and a few failing values: the CLI prints them as the run's last lines.
    lines = ([line for o in outcomes for line in _failure_lines(o, "ERROR")]
             + [line for o in outcomes for line in _failure_lines(o, "WARNING")])
    if len(lines) > MAX_FAILURE_LINES:
        lines = lines[:MAX_FAILURE_LINES] + [f"... and {len(lines) - MAX_FAILURE_LINES} more"]
    metadata: dict[str, dg.RawMetadataValue] = {
        "suites_run": len(outcomes),
        "expectations_evaluated": evaluated,
        "error_failures": len(errors),
        "warning_failures": len(warnings),
        "failures": dg.MetadataValue.md("\n".join(f"- {line}" for line in lines) or "none"),
    }
    files = sorted({o.source_file for o in outcomes if o.source_file})
    if files:
        metadata["extracts_validated"] = dg.MetadataValue.json(files)
        metadata["extracts_refused"] = dg.MetadataValue.json(
            sorted({o.source_file for o in outcomes if o.source_file and not o.passed}))
    if note:
        metadata["note"] = note
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=CONTRACT_CHECK,
        passed=not errors and not warnings,
        severity=dg.AssetCheckSeverity.ERROR if errors else dg.AssetCheckSeverity.WARN,
        metadata=metadata,
    )


def _failure_lines(outcome: SuiteOutcome, severity: str) -> list[str]:
    failures = outcome.error_failures if severity == "ERROR" else outcome.warning_failures
    prefix = f"{outcome.table}: "
    label = f"{outcome.table} [{outcome.source_file}]: " if outcome.source_file else prefix
    return [label + f.failure_line().removeprefix(prefix) for f in failures]
