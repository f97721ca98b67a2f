"""Test helpers: load landing files into a throwaway DuckDB and run dbt against it.

The lead-time property test and the real-data tests build only part of the dbt project against
their own database, without Dagster. Loading goes through the real ingestion code (stage, then
merge), exactly as the pipeline does; dbt runs from the venv with its own target and log paths
so that concurrent dbt runs (the pipeline, other tests) never share ``dbt/target``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from dagster_project.ingest.extracts import (
    discover_extracts,
    ensure_raw_schema,
    merge_extract,
    next_load_time,
    pending_extracts,
    stage_extract,
)
from dagster_project.runtime.settings import DBT_PROJECT_DIR


def load_landing(landing_dir: Path, database: Path) -> dict[str, int]:
    """Stage and merge every extract under landing_dir into raw.* of database; rows per table."""
    rows: dict[str, int] = {}
    with duckdb.connect(str(database)) as con:
        ensure_raw_schema(con)
        for table, paths in discover_extracts(landing_dir).items():
            new, _ = pending_extracts(con, table, paths)
            for extract in new:
                staged = stage_extract(con, extract, next_load_time(con))
                merge_extract(con, staged)
                rows[table] = rows.get(table, 0) + staged.row_count
    return rows


def run_dbt(
    database: Path,
    args: list[str],
    work_dir: Path,
    *,
    vars_yaml: str | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``dbt <args>`` on database with target/log paths under work_dir."""
    dbt = Path(sys.executable).with_name("dbt")
    command = [
        str(dbt),
        *args,
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--project-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work_dir / "dbt_target"),
        "--log-path", str(work_dir / "dbt_logs"),
    ]
    if vars_yaml:
        command += ["--vars", vars_yaml]
    env = {**os.environ, "PLANSIGNAL_PIPELINE_DB": str(database)}
    done = subprocess.run(
        command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, check=False
    )
    if check and done.returncode != 0:
        tail = "\n".join(done.stdout.splitlines()[-40:])
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{tail}\n{done.stderr[-2000:]}")
    return done
