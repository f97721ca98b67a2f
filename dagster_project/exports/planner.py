"""``plansignal export``: the serving database's worklist, change sets and marts as files.

Reads the published serving database through one read-only connection (one consistent
snapshot, also while a run publishes a new file) and writes into ``PLANSIGNAL_EXPORTS_DIR``:

- ``worklist.xlsx``: ``marts.mart_master_data_exceptions``, one sheet, costliest finding first;
- ``change_sets.xlsx``: one sheet per ``marts.proposed_*`` table, named after its target table
  (the table name without ``proposed_``);
- ``parquet/<table>.parquet``: every table of schema ``marts`` (DuckDB ``COPY``); Parquet files
  of marts that are gone are removed, other files are left alone.

Every file is written under a temporary name in its own folder and renamed over the old one,
so nobody sees half an export. Excel rules: ``workbook.py``.

    python -m dagster_project.cli export [--only worklist|change-sets|parquet]
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.exports.workbook import (
    EXCEL_MAX_DATA_ROWS,
    SheetSource,
    SheetWritten,
    write_workbook,
)
from dagster_project.runtime.settings import Settings
from dagster_project.warehouse.sql import quote_ident, quote_literal, row_count, table_exists

log = logging.getLogger(__name__)

SCHEMA = "marts"
WORKLIST_TABLE = "mart_master_data_exceptions"
CHANGE_SET_PREFIX = "proposed_"
WORKLIST_FILE = "worklist.xlsx"
CHANGE_SETS_FILE = "change_sets.xlsx"
PARQUET_DIR = "parquet"
PARTS = ("worklist", "change-sets", "parquet")
TMP_MARKER = ".writing-"
# Stable row order where these columns exist (first found first).
WORKLIST_ORDER = ("impact_rank", "finding_id")
CHANGE_SET_ORDER = ("target_table", "target_field", "part_number", "change_id")


class ExportError(Exception):
    """The serving database cannot give what an export needs; the message says what."""


class NoServingDatabase(ExportError):
    pass


@dataclass(frozen=True)
class Written:
    """One file written: its path, data rows, and its sheets where it is a workbook."""

    path: Path
    rows: int
    sheets: tuple[SheetWritten, ...] = ()

    def line(self) -> str:
        text = f"{self.path}: {self.rows:,} row(s)"
        if self.sheets:
            text += f" in {len(self.sheets)} sheet(s)"
        for sheet in self.sheets:
            if sheet.truncated:
                text += (f"; sheet {sheet.sheet!r} cut at Excel's row limit: {sheet.rows:,} of "
                         f"{sheet.total:,} rows (the whole table is in {PARQUET_DIR}/)")
        return text


@contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target``; renamed over it when the block ends without error,
    removed otherwise."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f"{TMP_MARKER}{target.stem}.{uuid.uuid4().hex}{target.suffix}")
    try:
        yield temp
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def _tables(con: duckdb.DuckDBPyConnection, prefix: str = "") -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_catalog = "
        "current_database() and table_schema = ? and starts_with(table_name, ?) order by 1",
        [SCHEMA, prefix],
    ).fetchall()
    return [r[0] for r in rows]


def _select(con: duckdb.DuckDBPyConnection, table: str, order: Sequence[str]) -> str:
    """``select *`` of marts.table, ordered by those of ``order`` it has."""
    columns = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_catalog = "
            "current_database() and table_schema = ? and table_name = ?",
            [SCHEMA, table],
        ).fetchall()
    }
    keys = [quote_ident(c) for c in order if c in columns]
    query = f"select * from {SCHEMA}.{quote_ident(table)}"
    return query + (f" order by {', '.join(keys)}" if keys else "")


def _parquet_hint(table: str) -> str:
    return f"{PARQUET_DIR}/{table}.parquet"


def _workbook(
    con: duckdb.DuckDBPyConnection, target: Path, sources: list[SheetSource], max_rows: int
) -> Written:
    with atomic_file(target) as temp:
        sheets = write_workbook(con, temp, sources, max_rows=max_rows)
    for sheet in sheets:
        if sheet.truncated:
            log.warning("%s: sheet %r cut at Excel's row limit, %d of %d rows", target,
                        sheet.sheet, sheet.rows, sheet.total)
    return Written(target, sum(s.rows for s in sheets), tuple(sheets))


def export_worklist(
    con: duckdb.DuckDBPyConnection, out_dir: Path, max_rows: int = EXCEL_MAX_DATA_ROWS
) -> Written:
    """marts.mart_master_data_exceptions as ``worklist.xlsx`` (one sheet, ``worklist``)."""
    if not table_exists(con, SCHEMA, WORKLIST_TABLE):
        raise ExportError(f"the serving database has no {SCHEMA}.{WORKLIST_TABLE}")
    source = SheetSource("worklist", _select(con, WORKLIST_TABLE, WORKLIST_ORDER),
                         _parquet_hint(WORKLIST_TABLE))
    return _workbook(con, out_dir / WORKLIST_FILE, [source], max_rows)


def export_change_sets(
    con: duckdb.DuckDBPyConnection, out_dir: Path, max_rows: int = EXCEL_MAX_DATA_ROWS
) -> Written:
    """Every marts.proposed_* as a sheet of ``change_sets.xlsx``, named after its target."""
    tables = _tables(con, CHANGE_SET_PREFIX)
    if not tables:
        raise ExportError(f"the serving database has no {SCHEMA}.{CHANGE_SET_PREFIX}* table")
    sources = [
        SheetSource(t.removeprefix(CHANGE_SET_PREFIX) or t, _select(con, t, CHANGE_SET_ORDER),
                    _parquet_hint(t))
        for t in tables
    ]
    return _workbook(con, out_dir / CHANGE_SETS_FILE, sources, max_rows)


def export_parquet(con: duckdb.DuckDBPyConnection, out_dir: Path) -> list[Written]:
    """Every table of schema marts as ``parquet/<table>.parquet``; stale ones removed."""
    folder = out_dir / PARQUET_DIR
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Written] = []
    for table in _tables(con):
        target = folder / f"{table}.parquet"
        relation = f"{SCHEMA}.{quote_ident(table)}"
        with atomic_file(target) as temp:
            con.execute(f"copy {relation} to {quote_literal(str(temp))} (format parquet)")
        written.append(Written(target, row_count(con, relation)))
    names = {w.path.name for w in written}
    for stale in folder.glob("*.parquet"):
        if stale.name not in names:
            stale.unlink(missing_ok=True)
    return written


def export_for_planners(
    serving_db: Path,
    out_dir: Path,
    parts: Sequence[str] = PARTS,
    max_rows: int = EXCEL_MAX_DATA_ROWS,
) -> list[Written]:
    """Write the chosen ``parts`` (of PARTS) of the serving database into ``out_dir``."""
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown export part(s) {sorted(unknown)}; known: {PARTS}")
    if not Path(serving_db).is_file():
        raise NoServingDatabase(
            f"no serving database at {serving_db}: run `plansignal run` first"
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for folder in (out_dir, out_dir / PARQUET_DIR):
        for leftover in folder.glob(f"{TMP_MARKER}*"):
            leftover.unlink(missing_ok=True)  # from an export that was killed
    written: list[Written] = []
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        if "worklist" in parts:
            written.append(export_worklist(con, out_dir, max_rows))
        if "change-sets" in parts:
            written.append(export_change_sets(con, out_dir, max_rows))
        if "parquet" in parts:
            written.extend(export_parquet(con, out_dir))
    finally:
        con.close()
    return written


def export_command(settings: Settings, only: str | None = None) -> int:
    """`plansignal export`: one line per file written (path, rows), exit 0; one line on
    stderr and exit 2 when the serving database is missing or lacks a table."""
    try:
        written = export_for_planners(
            settings.serving_db, settings.planner_exports_dir, (only,) if only else PARTS
        )
    except ExportError as exc:
        print(f"plansignal export: {exc}", file=sys.stderr)
        return 2
    for item in written:
        print(item.line())
    return 0
