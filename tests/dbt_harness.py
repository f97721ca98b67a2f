"""Test helpers: load landing files into a throwaway DuckDB and run dbt against it.

The lead-time property test and the real-data tests build only part of the dbt project against
their own database, without Dagster. Loading goes through the real ingestion code (stage, then
merge), exactly as the pipeline does; dbt runs through the pipeline's own dbt resource with its
own target and log paths, so that concurrent dbt runs (the pipeline, other tests) never share
``dbt/target``.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from dagster_project.ingest.extracts import ingest_landing
from dagster_project.resources.dbt import dbt_resource


def load_landing(landing_dir: Path, database: Path) -> dict[str, int]:
    """Stage and merge every extract under landing_dir into raw.* of database; rows per table."""
    with duckdb.connect(str(database)) as con:
        loaded = ingest_landing(con, landing_dir)
    return {
        table: sum(staged.row_count for staged in ingest.merged)
        for table, ingest in loaded.items()
        if ingest.merged
    }


def run_dbt(
    database: Path,
    args: list[str],
    work_dir: Path,
    *,
    vars_yaml: str | None = None,
    check: bool = True,
) -> bool:
    """Run ``dbt <args>`` on database through the project's one dbt runner, the Dagster
    resource the pipeline uses (resources/dbt.py dbt_resource), outside any asset, with its
    own target and log folders under work_dir so concurrent runs never share dbt/target;
    True when dbt succeeded."""
    command = [*args, "--log-path", str(work_dir / "dbt_logs")]
    if vars_yaml:
        command += ["--vars", vars_yaml]
    invocation = dbt_resource().cli(
        command, target_path=work_dir / "dbt_target", raise_on_error=False, pipeline_db=database
    )
    lines = [str(event.raw_event.get("info", {}).get("msg", ""))
             for event in invocation.stream_raw_events()]
    ok = invocation.is_successful()
    if check and not ok:
        tail = "\n".join(lines[-40:])
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{tail}\n{invocation.get_error()}")
    return ok


def build_with_upstream(
    database: Path, model: str, work_dir: Path, *, vars_yaml: str | None = None
) -> bool:
    """``dbt build`` of `model` and every model it depends on, with their data tests (cautious:
    none that needs a model outside the selection) and no unit tests."""
    return run_dbt(
        database,
        ["build", "--select", f"+{model}", "--indirect-selection", "cautious",
         "--exclude-resource-type", "unit_test"],
        work_dir,
        vars_yaml=vars_yaml,
    )
