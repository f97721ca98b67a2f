"""Nothing changed, nothing to do: the fingerprint of everything a dbt build reads.

A build's inputs are the raw tables (summarised by ``raw._load_log``: every merged extract, its
content hash, row count and load time), the steward seeds and decisions
(PLANSIGNAL_DECISIONS_DIR) and every other file of the dbt project (models, macros, tests,
``dbt_project.yml`` with its vars), the Great Expectations
suites the marts are checked against, and the dbt command line. Their sha256 is recorded in
``ops.build_state`` of the pipeline database when a run built *and published* them; a run whose
fingerprint equals the last published one, with the serving file still the one it published,
skips dbt, the mart contracts, publishing and the site.

Rows of ``ops.build_state`` (one per event):
``build_started`` (a dbt build, whole or a selection, is about to run), ``built`` (a whole
dbt build succeeded), ``published`` (the serving file was swapped in; the
fingerprint is copied from this run's ``built`` row, or null when this run did not build, which
forces the next run to build), ``unchanged`` (skipped; ``ref_run_id`` names the run whose
publish is still served).
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from dagster_project.warehouse.sql import table_exists

STATE_TABLE = "ops.build_state"
# What under the dbt project folder feeds a build; target/, logs/ and packages are outputs.
DBT_INPUT_DIRS = ("models", "macros", "seeds", "tests", "snapshots", "analyses")
DBT_INPUT_FILES = ("dbt_project.yml", "packages.yml", "dependencies.yml", "selectors.yml")


@dataclass(frozen=True)
class Published:
    run_id: str
    fingerprint: str | None
    serving_size: int | None
    serving_mtime_ns: int | None
    at: datetime
    facts_built_at: datetime | None = None  # newest built_at of the fact rows it served
    whole_copy_size: int | None = None  # serving file size of the last whole copy


def ensure_state_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists ops")
    con.execute(
        f"""
        create table if not exists {STATE_TABLE} (
            run_id varchar,
            event varchar,
            fingerprint varchar,
            ref_run_id varchar,
            serving_size bigint,
            serving_mtime_ns bigint,
            recorded_at timestamp
        )
        """
    )
    # Added with the incremental models: the dbt project files a build was made from.
    con.execute(f"alter table {STATE_TABLE} add column if not exists dbt_digest varchar")
    # Added with the incremental publish: the newest built_at of the fact rows a publish served,
    # and the size of the serving file the last whole copy wrote (a copy updated in place grows).
    con.execute(f"alter table {STATE_TABLE} add column if not exists facts_built_at timestamp")
    con.execute(f"alter table {STATE_TABLE} add column if not exists whole_copy_size bigint")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _files(root: Path, dirs: Iterable[str], files: Iterable[str]) -> list[Path]:
    found = [root / name for name in files if (root / name).is_file()]
    for name in dirs:
        folder = root / name
        if folder.is_dir():
            found += [
                p for p in folder.rglob("*")
                if p.is_file() and not any(part.startswith(".") for part in p.parts)
            ]
    return sorted(found)


def files_digest(paths: Sequence[Path], root: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path.relative_to(root)).encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def load_log_digest(con: duckdb.DuckDBPyConnection) -> str:
    if not table_exists(con, "raw", "_load_log"):
        return "no-load-log"
    rows = con.execute(
        "select table_name, source_file, content_sha256, row_count, "
        "cast(loaded_at as varchar), cast(retracted_at as varchar) from raw._load_log "
        "order by all"
    ).fetchall()
    return hashlib.sha256(repr(rows).encode("utf-8")).hexdigest()


def waivers_in_force(decisions_dir: Path, today: date) -> list[str]:
    """The finding ids whose waiver (finding_waivers.csv) holds today; unreadable rows count
    as none (the dbt build reports them)."""
    path = decisions_dir / "finding_waivers.csv"
    if not path.is_file():
        return []
    held = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            try:
                until = date.fromisoformat((row.get("waived_until") or "").strip())
            except ValueError:
                continue
            if until >= today:
                held.append((row.get("finding_id") or "").strip())
    return sorted(held)


def dbt_project_digest(dbt_project_dir: Path) -> str:
    """sha256 over every file of the dbt project a build reads (models, macros, seeds, vars)."""
    return files_digest(_files(dbt_project_dir, DBT_INPUT_DIRS, DBT_INPUT_FILES), dbt_project_dir)


def full_refresh_reason(con: duckdb.DuckDBPyConnection, dbt_digest: str) -> str | None:
    """Why the incremental models must be rebuilt from scratch; None when they need not.

    They keep rows from build to build, which is right only when every build since the last
    whole successful one of the same project finished: a failed, stopped or partial (selected
    models) build may have advanced one incremental model and not the next, whose delta is
    then lost (a receipt that moved PO lines twice stays counted on the first).
    """
    ensure_state_table(con)
    row = con.execute(
        f"select event, dbt_digest from {STATE_TABLE} where event in ('built', 'build_started') "
        "order by recorded_at desc, rowid desc limit 1"
    ).fetchone()
    if row is None:
        return "no build recorded"
    if row[0] == "build_started":
        return "the last dbt build did not finish (failed, stopped, or built only some models)"
    if row[1] != dbt_digest:
        return "the dbt project changed since the last build"
    return None


def fingerprint(
    con: duckdb.DuckDBPyConnection,
    dbt_project_dir: Path,
    expectations_dir: Path,
    dbt_args: Sequence[str],
    decisions_dir: Path,
) -> str:
    parts = [
        "load_log=" + load_log_digest(con),
        "dbt=" + dbt_project_digest(dbt_project_dir),
        "expectations=" + files_digest(_files(expectations_dir, ["."], []), expectations_dir),
        "decisions=" + files_digest(_files(decisions_dir, ["."], []), decisions_dir),
        # A waiver that ran out since the last build reopens its finding: rebuild for it.
        "waivers_in_force=" + ",".join(waivers_in_force(decisions_dir, date.today())),
        "args=" + " ".join(dbt_args),
    ]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def last_published(con: duckdb.DuckDBPyConnection) -> Published | None:
    ensure_state_table(con)
    row = con.execute(
        "select run_id, fingerprint, serving_size, serving_mtime_ns, recorded_at, "
        f"facts_built_at, whole_copy_size from {STATE_TABLE} where event = 'published' "
        "order by recorded_at desc, rowid desc limit 1"
    ).fetchone()
    return Published(*row) if row else None


def serving_stat(serving_path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(serving_path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def unchanged_since(
    con: duckdb.DuckDBPyConnection, current: str, serving_path: Path
) -> Published | None:
    """The last publish, if this build's inputs equal its inputs and its file is still served."""
    last = last_published(con)
    if last is None or last.fingerprint is None or last.fingerprint != current:
        return None
    # Someone replaced or deleted the serving file: publish again rather than trust it.
    if serving_stat(serving_path) != (last.serving_size, last.serving_mtime_ns):
        return None
    return last


def record(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    event: str,
    fingerprint: str | None = None,
    ref_run_id: str | None = None,
    serving: tuple[int, int] | None = None,
    dbt_digest: str | None = None,
) -> None:
    ensure_state_table(con)
    size, mtime_ns = serving or (None, None)
    con.execute(
        f"insert into {STATE_TABLE} (run_id, event, fingerprint, ref_run_id, serving_size, "
        "serving_mtime_ns, recorded_at, dbt_digest) values (?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, event, fingerprint, ref_run_id, size, mtime_ns, _now(), dbt_digest],
    )


def record_published(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    serving_path: Path,
    facts_built_at: datetime | None = None,
    copied_whole: bool = True,
) -> None:
    """After the swap: the fingerprint this run built (null if it built nothing) is now served,
    with fact rows built up to `facts_built_at`; `copied_whole`: every table was copied anew,
    not updated in a copy of the served file (publish.KeptRows)."""
    ensure_state_table(con)
    row = con.execute(
        f"select fingerprint from {STATE_TABLE} where run_id = ? and event = 'built' "
        "order by recorded_at desc limit 1",
        [run_id],
    ).fetchone()
    served = serving_stat(serving_path)
    before = last_published(con)
    record(con, run_id, "published", row[0] if row else None, serving=served)
    whole_size = served[0] if copied_whole and served else (
        before.whole_copy_size if before else None)
    con.execute(
        f"update {STATE_TABLE} set facts_built_at = ?, whole_copy_size = ? "
        "where run_id = ? and event = 'published'",
        [facts_built_at, whole_size, run_id],
    )


# A serving file updated in place grows by the rows it replaced (DuckDB reuses freed blocks only
# in part: +2 MB a day at scale 100, measured over 12 days); past this share of the size of the
# last whole copy the next publish copies everything anew.
MAX_IN_PLACE_GROWTH = 1.25


def published_facts_until(
    con: duckdb.DuckDBPyConnection, serving_path: Path
) -> datetime | None:
    """The newest built_at of the fact rows in the served file, when that file is still the one
    the last publish wrote (size and modification time as recorded) and has not grown past
    MAX_IN_PLACE_GROWTH of its last whole copy; None: publish it whole."""
    last = last_published(con)
    if last is None or last.facts_built_at is None or last.whole_copy_size is None:
        return None
    if serving_stat(serving_path) != (last.serving_size, last.serving_mtime_ns):
        return None
    if last.serving_size is None or last.serving_size > MAX_IN_PLACE_GROWTH * last.whole_copy_size:
        return None
    return last.facts_built_at


def run_outcome(pipeline_db: Path, run_id: str) -> str | None:
    """The run whose publish is still served, if ``run_id`` skipped as unchanged."""
    if not pipeline_db.exists():
        return None
    try:
        con = duckdb.connect(str(pipeline_db), read_only=True)
    except duckdb.Error:
        return None
    try:
        if not table_exists(con, "ops", "build_state"):
            return None
        row = con.execute(
            f"select ref_run_id from {STATE_TABLE} where run_id = ? and event = 'unchanged'",
            [run_id],
        ).fetchone()
        return row[0] if row else None
    finally:
        con.close()
