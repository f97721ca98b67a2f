"""Excel workbooks from DuckDB queries, with the rules a planner's workbook keeps.

- Text is always a text cell: every string goes through ``write_string`` and the workbook
  turns off xlsxwriter's guessing (``strings_to_formulas``, ``strings_to_urls``,
  ``strings_to_numbers``), so a value like ``=HYPERLINK(...)``, ``+1``, ``-2`` or ``@x`` is
  shown as typed and never evaluated.
- Numbers are numbers; integers of 16 digits or more are written as text (Excel keeps 15
  significant digits and would change them), as are NaN and infinities.
- Dates, timestamps and times are Excel date serials with a date format (timestamps with a time
  zone in UTC); dates before 1900, which Excel cannot hold, are ISO text.
- NULL is an empty cell; lists, structs, intervals, UUIDs and blobs are their text form.
- The header row is frozen and carries an autofilter; column widths fit the longest value
  (header included), capped at ``MAX_COLUMN_WIDTH`` characters.
- Rows are streamed: fetched from DuckDB ``BATCH_ROWS`` at a time and written in
  ``constant_memory`` mode (xlsxwriter flushes each finished row to disk), so a big table never
  sits in memory whole.
- A sheet holds at most ``EXCEL_MAX_DATA_ROWS`` rows under its header (Excel's 1,048,576 rows).
  A longer table is cut: its first ``max_rows - 1`` rows, then a last row saying how many rows
  were left out and where the whole table is; the caller logs it too.
- Sheet names are made valid: at most 31 characters, no ``[]:*?/\\``, unique ignoring case.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

EXCEL_MAX_DATA_ROWS = 1_048_575  # 1,048,576 rows per sheet, one of them the header
MAX_COLUMN_WIDTH = 60
SHEET_NAME_MAX = 31
BATCH_ROWS = 10_000
EXACT_INT_LIMIT = 10**15  # Excel keeps 15 significant digits
WORKBOOK_OPTIONS: dict[str, Any] = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
DATE_FORMAT = "yyyy-mm-dd"
TIMESTAMP_FORMAT = "yyyy-mm-dd hh:mm:ss"
TIME_FORMAT = "hh:mm:ss"
_INVALID_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_RESERVED_SHEET_NAMES = {"history"}  # Excel keeps it for itself


@dataclass(frozen=True)
class SheetSource:
    """One sheet: its wanted name, the query for its rows, and where the whole table is."""

    name: str
    query: str
    full_copy: str = ""  # named in the note row when the sheet is cut at the row cap


@dataclass(frozen=True)
class SheetWritten:
    sheet: str
    rows: int  # data rows written under the header
    total: int  # rows of the query

    @property
    def truncated(self) -> bool:
        return self.rows < self.total


@dataclass(frozen=True)
class _Formats:
    header: Format
    date: Format
    timestamp: Format
    time: Format
    note: Format


def sheet_names(wanted: Sequence[str]) -> list[str]:
    """Valid, unique (ignoring case) sheet names for ``wanted``, in order."""
    used: set[str] = set()
    names: list[str] = []
    for name in wanted:
        base = _INVALID_SHEET_CHARS.sub("_", name).strip("'") or "sheet"
        if base.lower() in _RESERVED_SHEET_NAMES:
            base += "_"
        candidate, n = base[:SHEET_NAME_MAX], 2
        while candidate.lower() in used:
            suffix = f"~{n}"
            candidate, n = base[: SHEET_NAME_MAX - len(suffix)] + suffix, n + 1
        used.add(candidate.lower())
        names.append(candidate)
    return names


def write_workbook(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    sheets: Sequence[SheetSource],
    max_rows: int = EXCEL_MAX_DATA_ROWS,
    batch_rows: int = BATCH_ROWS,
) -> list[SheetWritten]:
    """Write one sheet per source into the workbook ``path`` (overwritten; the caller makes it
    atomic); rows written per sheet. ``max_rows`` (at least 1) is the data rows a sheet holds."""
    if max_rows < 1:
        raise ValueError(f"max_rows must be at least 1, not {max_rows}")
    workbook = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    try:
        formats = _Formats(
            header=workbook.add_format({"bold": True, "bottom": 1}),
            date=workbook.add_format({"num_format": DATE_FORMAT}),
            timestamp=workbook.add_format({"num_format": TIMESTAMP_FORMAT}),
            time=workbook.add_format({"num_format": TIME_FORMAT}),
            note=workbook.add_format({"italic": True}),
        )
        names = sheet_names([s.name for s in sheets])
        written = [
            _write_sheet(con, workbook.add_worksheet(name), source, formats, max_rows,
                         batch_rows)
            for name, source in zip(names, sheets, strict=True)
        ]
    finally:
        workbook.close()
    return written


def _write_sheet(
    con: duckdb.DuckDBPyConnection,
    sheet: Worksheet,
    source: SheetSource,
    formats: _Formats,
    max_rows: int,
    batch_rows: int,
) -> SheetWritten:
    total = int(con.execute(f"select count(*) from ({source.query})").fetchone()[0])
    # Cut: keep the last row under the cap for the note saying so.
    limit = total if total <= max_rows else max_rows - 1
    cursor = con.cursor()
    try:
        cursor.execute(source.query)
        header = [d[0] for d in cursor.description]
        widths = [len(h) for h in header]
        for col, name in enumerate(header):
            sheet.write_string(0, col, name, formats.header)
        row = 0
        while row < limit:
            batch = cursor.fetchmany(min(batch_rows, limit - row))
            if not batch:
                break
            for values in batch:
                row += 1
                for col, value in enumerate(values):
                    width = write_cell(sheet, row, col, value, formats)
                    if width > widths[col]:
                        widths[col] = width
    finally:
        cursor.close()
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, row, len(header) - 1)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, min(width + 2, MAX_COLUMN_WIDTH))
    if row < total:
        where = f"; the whole table: {source.full_copy}" if source.full_copy else ""
        sheet.write_string(
            row + 1, 0,
            f"Cut at Excel's row limit: {row:,} of {total:,} rows shown, "
            f"{total - row:,} left out{where}",
            formats.note,
        )
    return SheetWritten(sheet=sheet.name, rows=row, total=total)


def write_text(sheet: Worksheet, row: int, col: int, text: str) -> int:
    """A text cell, never a formula, number or link; its display width in characters."""
    sheet.write_string(row, col, text)
    return max((len(line) for line in text.splitlines()), default=0)


def write_cell(sheet: Worksheet, row: int, col: int, value: object, formats: _Formats) -> int:
    """One value as the cell its type calls for (module docstring); its width in characters."""
    if value is None:
        return 0
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value)
        return 5
    if isinstance(value, int):
        if abs(value) >= EXACT_INT_LIMIT:
            return write_text(sheet, row, col, str(value))
        sheet.write_number(row, col, value)
        return len(str(value))
    if isinstance(value, float | Decimal):
        number = float(value)
        if not math.isfinite(number):
            return write_text(sheet, row, col, str(value))
        sheet.write_number(row, col, number)
        return min(len(str(value)), 16)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        if value.year < 1900:
            return write_text(sheet, row, col, value.isoformat(sep=" "))
        sheet.write_datetime(row, col, value, formats.timestamp)
        return len(TIMESTAMP_FORMAT)
    if isinstance(value, dt.date):
        if value.year < 1900:
            return write_text(sheet, row, col, value.isoformat())
        sheet.write_datetime(row, col, value, formats.date)
        return len(DATE_FORMAT)
    if isinstance(value, dt.time):
        if value.tzinfo is not None:
            return write_text(sheet, row, col, value.isoformat())
        sheet.write_datetime(row, col, value, formats.time)
        return len(TIME_FORMAT)
    if isinstance(value, str):
        return write_text(sheet, row, col, value)
    return write_text(sheet, row, col, str(value))
