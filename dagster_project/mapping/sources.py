"""The input side of one landing table: its files, read into DuckDB views and joined.

Owns finding the input files (glob, one layout per table, no empty file), reading them as
text (views ``src_<t>`` and ``join_<t>_<i>``, cleaned and filtered), joining them into
``rows_<t>`` with every column under its user-visible name, where each column comes from
(to name the input line of a bad value), and the errors that name a source column or an
input file: unknown column with a suggestion, invalid SQL, unreadable file, a join that
finds more than one row per key.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.mapping.errors import MappingError, csv_error, first_line
from dagster_project.mapping.spec import (
    ColumnSpec,
    JoinSpec,
    ReadOptions,
    SourceMapping,
    TableMapping,
)
from dagster_project.mapping.sql import FILE_COL, clean_sql, reader_sql
from dagster_project.mapping.textfiles import read_header
from dagster_project.warehouse.sql import quote_ident


@dataclass(frozen=True)
class Origin:
    """Where a column of the joined rows comes from, to find the input line of a bad value."""

    alias: str
    column: str
    read: ReadOptions


class Sources:
    """The source files of one landing table inside a shared DuckDB connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection, mapping: SourceMapping,
                 tm: TableMapping, input_dir: Path) -> None:
        self.con = con
        self.mapping = mapping
        self.tm = tm
        self.input_dir = input_dir
        self.table = tm.table
        self.files: dict[str, list[Path]] = {}  # per alias, in join order: the files read
        self.columns: dict[str, list[str]] = {}  # per alias: the file columns in order
        self.origin: dict[str, Origin] = {}

    def fail(self, setting: str, message: str) -> MappingError:
        return MappingError(f"{self.mapping.path}: {setting}: {message}")

    def sql(self, query: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.con.execute(query, params or []).fetchall()

    # -- files --------------------------------------------------------------------------------

    def glob(self, patterns: Sequence[str], setting: str) -> list[Path]:
        found: set[Path] = set()
        for pattern in patterns:
            if Path(pattern).is_absolute():
                raise self.fail(setting, f"{pattern!r}: use a pattern relative to the input "
                                "folder")
            found.update(p for p in self.input_dir.glob(pattern)
                         if p.is_file() and not p.name.startswith("."))
        if not found:
            raise self.fail(setting, f"no input file matches {', '.join(patterns)} in "
                            f"{self.input_dir}")
        files = sorted(found)
        if len({p.suffix.lower() == ".parquet" for p in files}) > 1:
            raise self.fail(setting, "mixes Parquet and text files; map them separately")
        for path in files:
            if path.stat().st_size == 0:
                raise self.fail(setting, f"input file {path} is empty")
        return files

    def file_columns(self, files: Sequence[Path], read: ReadOptions, setting: str) -> list[str]:
        """Columns of text files: the header (the same in every file) or read.columns."""
        if files[0].suffix.lower() == ".parquet" or not read.header:
            return list(read.columns)
        headers: dict[Path, list[str]] = {}
        for path in files:
            try:
                headers[path] = read_header(path, read)
            except (OSError, csv.Error) as exc:
                raise self.fail(setting, f"cannot read {path}: {exc}") from exc
            if not headers[path]:
                raise self.fail(setting, f"input file {path} has no header row")
        first = files[0]
        for path in files[1:]:
            if headers[path] != headers[first]:
                raise self.fail(setting, f"{path.name} has other columns than {first.name}; "
                                "map files of one layout per table")
        return headers[first]

    def read_of(self, alias: str) -> ReadOptions:
        if alias == self.tm.alias:
            return self.tm.read
        return next(j.read for j in self.tm.joins if j.alias == alias)

    def parse_read(self, spec: ColumnSpec | None) -> ReadOptions:
        """Read options of the file a value comes from (a joined file may differ)."""
        if spec is not None and spec.kind == "from":
            origin = self.origin.get(spec.source or "")
            if origin is not None:
                return origin.read
        return self.tm.read

    def read_error(self, exc: duckdb.Error, setting: str,
                   otherwise: str = "cannot be computed") -> MappingError:
        """Name the input file an error comes from, re-reading each file alone (error path).

        When every file reads on its own, the error came from the mapping's SQL instead.
        """
        for alias, files in self.files.items():
            read = self.read_of(alias)
            columns = self.columns.get(alias, [])
            # Every column is used: DuckDB checks encoding only in the columns it reads.
            used = ", ".join(quote_ident(c) for c in columns) or "'x'"
            for path in files:
                try:
                    self.sql(f"select max(length(concat_ws('|', {used}))) from "
                             f"{reader_sql([path], read, columns)}")
                except duckdb.Error as file_exc:
                    text = str(file_exc).lower()
                    hint = (" (set read: encoding:, e.g. latin-1)"
                            if "unicode" in text or "encoded" in text else "")
                    where = (f"tables.{self.table}" if alias == self.tm.alias
                             else f"{self.table}.join[{alias}]")
                    return self.fail(where, f"cannot read {path}: {csv_error(file_exc)}{hint}")
        return self.fail(setting, f"{otherwise}: {first_line(exc)}")

    # -- user SQL and column names ------------------------------------------------------------

    def bind_check(self, query: str, columns: Sequence[str], setting: str, what: str) -> None:
        """Bind (not run) a query with user SQL; unknown columns get a named error."""
        try:
            self.con.execute(f"describe {query}")
        except duckdb.Error as exc:
            text = str(exc)
            missing = re.search(r'Referenced column "([^"]+)" not found', text)
            if missing:
                raise self.unknown_column(missing.group(1), columns, setting) from exc
            raise self.fail(setting, f"{what} is not valid SQL: {first_line(exc)}") from exc

    def unknown_column(self, name: str, columns: Sequence[str], setting: str) -> MappingError:
        hint = difflib.get_close_matches(name, list(columns), n=1)
        sources = " + ".join(p.name for fs in self.files.values() for p in fs)
        shown = [c for c in columns if "." not in c or c.split(".", 1)[0] not in self.files]
        listing = ", ".join(shown[:25]) + (", ..." if len(shown) > 25 else "")
        return self.fail(
            setting,
            f"unknown source column {name!r}"
            + (f"; did you mean {hint[0]!r}?" if hint else "")
            + f" (columns of {sources}: {listing})",
        )

    # -- views --------------------------------------------------------------------------------

    def source_view(self, view: str, alias: str, patterns: Sequence[str], read: ReadOptions,
                    setting: str, where: str | None = None) -> list[str]:
        files = self.glob(patterns, f"{setting}.files" if "join" not in setting else setting)
        self.files[alias] = files
        self.columns[alias] = self.file_columns(files, read, setting)
        reader = reader_sql(files, read, self.columns[alias])
        try:
            described = self.sql(f"describe select * from {reader}")
        except duckdb.Error as exc:
            raise self.read_error(exc, setting) from exc
        columns = [r[0] for r in described if r[0] != FILE_COL]
        cleaned = ", ".join(f"{clean_sql(c, read)} as {quote_ident(c)}" for c in columns)
        self.con.execute(
            f"create or replace temp view {view} as select {cleaned}, "
            f"{quote_ident(FILE_COL)} from {reader}"
        )
        if where:
            self.bind_check(f"select count(*) from {view} where {where}", columns,
                            f"{setting}.where", "where")
            self.con.execute(f"create or replace temp view {view} as select * from "
                             f"(select {cleaned}, {quote_ident(FILE_COL)} from {reader}) "
                             f"where {where}")
        return columns

    def build_rows(self) -> list[str]:
        """View rows_<t>: the main file joined to each join file, columns named for the user."""
        tm = self.tm
        base = f"src_{self.table}"
        main_cols = self.source_view(base, tm.alias, tm.files, tm.read, f"tables.{self.table}")
        select: dict[str, str] = {}  # user-visible name -> SQL expression
        for col in main_cols:
            select[col] = f"m.{quote_ident(col)}"
            select[f"{tm.alias}.{col}"] = f"m.{quote_ident(col)}"
            self.origin[col] = self.origin[f"{tm.alias}.{col}"] = Origin(tm.alias, col, tm.read)
        files_cols = {tm.alias: f"m.{quote_ident(FILE_COL)}"}
        joins_sql = []
        for i, join in enumerate(tm.joins):
            setting = f"{self.table}.join[{join.alias}]"
            view = f"join_{self.table}_{i}"
            jcols = self.source_view(view, join.alias, join.files, join.read, setting,
                                     join.where)
            conditions = []
            for left, right in join.on:
                if left not in select:
                    raise self.unknown_column(left, list(select), f"{setting}.on")
                if right not in jcols:
                    raise self.unknown_column(right, jcols, f"{setting}.on")
                conditions.append(f"{select[left]} = j{i}.{quote_ident(right)}")
            self.check_join_unique(view, join, setting)
            for col in jcols:
                expr = f"j{i}.{quote_ident(col)}"
                origin = Origin(join.alias, col, join.read)
                select[f"{join.alias}.{col}"] = expr
                self.origin[f"{join.alias}.{col}"] = origin
                if col not in select:  # unqualified only when no earlier source has it
                    select[col] = expr
                    self.origin[col] = origin
            files_cols[join.alias] = f"j{i}.{quote_ident(FILE_COL)}"
            joins_sql.append(f"{join.how} join {view} j{i} on " + " and ".join(conditions))
        columns = ", ".join(f"{e} as {quote_ident(n)}" for n, e in select.items())
        file_columns = ", ".join(f"{e} as {quote_ident(FILE_COL + a)}"
                                 for a, e in files_cols.items())
        self.con.execute(
            f"create or replace temp view rows_{self.table} as select {columns}, {file_columns} "
            f"from {base} m {' '.join(joins_sql)}"
        )
        return list(select)

    def check_join_unique(self, view: str, join: JoinSpec, setting: str) -> None:
        """A join must find at most one row per key, or it would multiply the lines."""
        keys = ", ".join(quote_ident(r) for _, r in join.on)
        try:
            dupes = self.sql(
                f"select {keys}, count(*) as n from {view} group by all having count(*) > 1 "
                f"order by n desc limit 3"
            )
            n_dupes = self.sql(f"select count(*) from (select {keys} from {view} group by all "
                               "having count(*) > 1)")[0][0]
        except duckdb.Error as exc:
            raise self.read_error(exc, setting) from exc
        if n_dupes:
            example = "/".join(str(v) for v in dupes[0][:-1])
            files = ", ".join(p.name for p in self.files[join.alias])
            raise self.fail(setting, f"{n_dupes} key(s) of {', '.join(r for _, r in join.on)} "
                            f"occur more than once in {files}, e.g. {example} "
                            f"({dupes[0][-1]} rows); narrow the join with where: or more on: "
                            "columns")
