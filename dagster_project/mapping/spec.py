"""The mapping as data: what a validated mapping file says, one frozen dataclass per part.

Owns :class:`SourceMapping` and its parts (per landing table: files, read options, joins,
where, columns, aggregate, deduplicate). ``config`` builds them from YAML; the rest of the
engine only reads them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from dagster_project.ingest.landing_contract import LANDING_TABLES, LandingTable

# Source names and extract tags: both become part of the landing file names.
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class ReadOptions:
    """How to read one kind of input file (all values are read as text first)."""

    delimiter: str = ","
    header: bool = True
    columns: tuple[str, ...] = ()  # column order when header is false
    encoding: str = "utf-8"
    quote: str = '"'
    escape: str | None = None  # default: same as quote
    skip: int = 0  # lines before the header (report titles)
    decimal: str = "."
    thousands: str | None = None
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)
    timestamp_formats: tuple[str, ...] = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")
    null_values: tuple[str, ...] = ()
    trim: bool = True  # fixed-width ERP exports pad values with blanks


@dataclass(frozen=True)
class ColumnSpec:
    """How one landing column is formed: exactly one of from / expr / concat / constant."""

    name: str
    kind: str  # 'from' | 'expr' | 'concat' | 'constant' | 'none'
    source: str | None = None  # from: column name; expr: SQL; constant: literal text
    parts: tuple[str, ...] = ()  # concat
    separator: str = ""
    value_map: dict[str, str | None] | None = None  # '' key = empty/null source value
    unmapped: str = "error"  # 'error' | 'keep' | 'null' | 'default'
    default: str | None = None
    date_formats: tuple[str, ...] | None = None

    def describe(self) -> str:
        if self.kind == "from":
            return f"from {self.source}"
        if self.kind == "concat":
            return "concat of " + ", ".join(self.parts)
        return self.kind


@dataclass(frozen=True)
class JoinSpec:
    files: tuple[str, ...]
    alias: str
    on: tuple[tuple[str, str], ...]  # (column of the rows so far, column of this file)
    how: str  # 'left' | 'inner'
    where: str | None
    read: ReadOptions


@dataclass(frozen=True)
class Dedupe:
    order_by: str | None  # SQL over landing columns; None: any row (deterministic)
    keep: str  # 'last' (largest order_by) | 'first'


@dataclass(frozen=True)
class TableMapping:
    table: str
    files: tuple[str, ...]
    alias: str
    read: ReadOptions
    joins: tuple[JoinSpec, ...]
    where: tuple[str, ...]
    columns: dict[str, ColumnSpec]
    aggregate: dict[str, str]
    deduplicate: Dedupe | None

    @property
    def contract(self) -> LandingTable:
        return LANDING_TABLES[self.table]


@dataclass(frozen=True)
class SourceMapping:
    path: Path
    source: str
    description: str
    tables: dict[str, TableMapping]
