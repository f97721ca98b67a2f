"""Reading text input files with Python: header rows, and the line a bad value sits on.

DuckDB reads the data; this module reads text files only where DuckDB cannot help: the
column names in a header row, and (on the error path only) the physical line number of the
first record holding a value, for the one-line error.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from dagster_project.mapping.spec import ReadOptions

# Python's name for each encoding DuckDB is told (utf-8-sig also skips a byte-order mark).
PY_ENCODINGS = {"utf-8": "utf-8-sig", "latin-1": "latin-1", "utf-16": "utf-16"}


def csv_reader(handle: IO[str], read: ReadOptions) -> Any:
    """Python's csv reader in the mapping's dialect (header and error lines only)."""
    doubled = (read.escape or read.quote) == read.quote
    return csv.reader(handle, delimiter=read.delimiter, quotechar=read.quote,
                      doublequote=doubled, escapechar=None if doubled else read.escape)


def open_text(path: Path, read: ReadOptions) -> IO[str]:
    # Decoding errors are replaced: Python decodes ahead of the line it needs, and DuckDB's
    # full read is what names a line that is not in the stated encoding.
    return path.open(encoding=PY_ENCODINGS[read.encoding], errors="replace", newline="")


def unique_names(names: Sequence[str]) -> list[str]:
    """Header names as DuckDB would make them: trimmed, blank -> column<i>, repeats -> _1."""
    unique: list[str] = []
    for i, raw in enumerate(names):
        name = raw.strip() or f"column{i}"
        candidate, n = name, 0
        while candidate in unique:
            n += 1
            candidate = f"{name}_{n}"
        unique.append(candidate)
    return unique


def read_header(path: Path, read: ReadOptions) -> list[str]:
    """The column names in a file's header row (after ``skip`` lines)."""
    with open_text(path, read) as handle:
        for _ in range(read.skip):
            handle.readline()
        return unique_names(next(csv_reader(handle, read), []))


def find_line(path: Path, read: ReadOptions, column: str, value: str) -> int | None:
    """Line number (1-based, physical) of the first record whose column holds value.

    Error path only: DuckDB's CSV reader has no line-number column, so the line a bad value
    sits on is found by reading the file again with Python's csv module up to that record.
    """
    if path.suffix.lower() == ".parquet":
        return None
    try:
        with open_text(path, read) as handle:
            for _ in range(read.skip):
                handle.readline()
            reader = csv_reader(handle, read)
            names = unique_names(next(reader, [])) if read.header else list(read.columns)
            if column not in names:
                return None
            index = names.index(column)
            previous = reader.line_num  # lines consumed so far (header and multi-line fields)
            for record in reader:
                start = read.skip + previous + 1
                previous = reader.line_num
                if index < len(record):
                    cell = record[index].strip() if read.trim else record[index]
                    if cell == value:
                        return start
    except (OSError, csv.Error):
        return None
    return None
