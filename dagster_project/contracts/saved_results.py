"""GX validation results saved as JSON, so Data Docs can be built later in another process.

One file per suite run under ``<warehouse>/validations/<run_id>/`` (next to the pipeline
database); the governance site reads the newest runs' files (`latest_validation_files`) and
renders Data Docs from them. Writing prunes run folders beyond `KEEP_RUNS`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path

import duckdb

from dagster_project.contracts.suites import SuiteOutcome

VALIDATIONS = "validations"
KEEP_RUNS = 20  # run folders kept under <warehouse>/validations


def validations_dir(pipeline_db: Path) -> Path:
    """Where a pipeline database's runs keep their GX results (git-ignored warehouse folder)."""
    return Path(pipeline_db).parent / VALIDATIONS


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:120] or "_"


def persist_validation_results(
    con: duckdb.DuckDBPyConnection, outcomes: Iterable[SuiteOutcome]
) -> list[Path]:
    """Save each suite run's GX result next to the database `con` is connected to.

    Called where contract outcomes are recorded, so the site step (maybe another process) can
    build Data Docs. One file per suite run: a raw table validated once per extract keeps one
    result per extract. Does nothing for an in-memory database.
    """
    row = con.execute("select path from duckdb_databases() "
                      "where database_name = current_database()").fetchone()
    if not row or not row[0]:
        return []
    folder = validations_dir(Path(row[0]))
    written = []
    for outcome in outcomes:
        if not outcome.validation_result:
            continue
        name = f"{_safe(outcome.suite)}__{outcome.started_at:%Y%m%dT%H%M%S%f}.json"
        target = folder / _safe(outcome.run_id) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        # Renamed into place: a reader in another process never sees half a file.
        tmp = target.with_name(f".{name}.{os.getpid()}.{uuid.uuid4().hex[:6]}.tmp")
        tmp.write_text(json.dumps(outcome.validation_result), encoding="utf-8")
        os.replace(tmp, target)
        written.append(target)
    if written:
        for old in _run_dirs(folder)[KEEP_RUNS:]:
            shutil.rmtree(old, ignore_errors=True)
    return written


def _run_dirs(folder: Path) -> list[Path]:
    """Run folders, newest first (by folder time)."""
    if not folder.is_dir():
        return []
    return sorted((d for d in folder.iterdir() if d.is_dir()),
                  key=lambda d: d.stat().st_mtime, reverse=True)


def latest_validation_files(folder: Path, runs: int = 5) -> list[Path]:
    """Result files of the newest `runs` runs (by folder time)."""
    return sorted(f for d in _run_dirs(folder)[:runs] for f in d.glob("*.json"))
