"""Map foreign ERP extracts onto the landing contract by configuration.

No ERP exports the landing contract as it is. A *source mapping* (one YAML file per source
system, under ``data/mappings/``) says, per landing table, which input files to read and how,
how landing columns are formed from source columns, how source codes map to contract values,
which second file to join, and how keys are built. :func:`apply_mapping` runs it with DuckDB
SQL (no per-row Python) and writes one landing file per table,
``<landing>/<table>/<table>__<source>__<tag>.csv``, in the exact dialect ingestion reads
(UTF-8, header, comma, ISO dates, true/false, empty = null), so contracts and lineage stay the
same as for any other extract. ``data/mappings/README.md`` documents the format for users.

Every mistake in a mapping raises :class:`MappingError` with one line naming the mapping file,
the setting, and where relevant the input file, line and value.

CLI: ``python -m dagster_project.mapping.source_mapping --mapping sap_ecc --input DIR``.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import yaml

from dagster_project.ingest.landing_contract import LANDING_TABLES, LandingTable
from dagster_project.warehouse.sql import quote_ident, quote_literal

MAPPING_SUFFIXES = (".yml", ".yaml")
AGGREGATES = ("sum", "min", "max", "count", "any_value")
# DuckDB reads these natively; utf-8 also skips a byte-order mark, so utf-8-sig is an alias.
ENCODINGS = {
    "utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8", "utf-8-bom": "utf-8",
    "latin-1": "latin-1", "latin1": "latin-1", "iso-8859-1": "latin-1",
    "utf-16": "utf-16",
}
_PY_ENCODINGS = {"utf-8": "utf-8-sig", "latin-1": "latin-1", "utf-16": "utf-16"}
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_FILE_COL = "__file:"  # prefix of the per-source file-name column kept for error messages


class MappingError(Exception):
    """A mapping or input that cannot be applied; the message is one line for the user."""


class _YamlLoader(yaml.SafeLoader):
    """YAML with only true/false and null as special words; every other scalar is its text.

    Plain YAML 1.1 reads ``on:`` as True, ``no`` as False, ``0101`` as octal 65 and
    ``2024-01-31`` as a date; in a mapping those are SAP codes, join keys and constants that
    must stay exactly as written.
    """


_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag in ("tag:yaml.org,2002:null", "tag:yaml.org,2002:merge")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


# --------------------------------------------------------------------------------------------
# The mapping as data
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Loading and validating a mapping file
# --------------------------------------------------------------------------------------------


def mapping_files(mappings_dir: Path) -> list[Path]:
    """The mapping files in a folder (the folder is a parameter: settings decide where)."""
    if not mappings_dir.is_dir():
        return []
    return sorted(p for p in mappings_dir.iterdir() if p.suffix in MAPPING_SUFFIXES)


def find_mapping(name_or_path: str | Path, mappings_dir: Path) -> Path:
    """A mapping given as a path, or by name (``sap_ecc``) in ``mappings_dir``."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    for suffix in ("", *MAPPING_SUFFIXES):
        candidate = mappings_dir / f"{name_or_path}{suffix}"
        if candidate.is_file():
            return candidate
    known = ", ".join(p.stem for p in mapping_files(mappings_dir)) or "none"
    raise MappingError(
        f"{name_or_path}: mapping file not found (nor in {mappings_dir}; mappings there: {known})"
    )


class _Loader:
    """Turns the parsed YAML into the dataclasses above, failing on the first mistake."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._con = duckdb.connect()  # only to check strptime formats

    def fail(self, setting: str, message: str) -> MappingError:
        return MappingError(f"{self.path}: {setting}: {message}")

    def keys(self, raw: dict[str, Any], allowed: Sequence[str], setting: str) -> None:
        for key in raw:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                expected = (f"did you mean {hint[0]!r}?" if hint
                            else f"expected one of {', '.join(allowed)}")
                raise self.fail(f"{setting}.{key}" if setting else str(key),
                                f"unknown setting; {expected}")

    def mapping_of(self, value: Any, setting: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(setting, f"expected a mapping of settings, got {_show(value)}")
        return value

    def text(self, value: Any, setting: str, *, allow_empty: bool = False) -> str:
        if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
            raise self.fail(setting, f"expected text, got {_show(value)}")
        text = str(value)
        if not text and not allow_empty:
            raise self.fail(setting, "must not be empty")
        return text

    def texts(self, value: Any, setting: str) -> tuple[str, ...]:
        items = value if isinstance(value, list) else [value]
        if not items:
            raise self.fail(setting, "must not be empty")
        return tuple(self.text(v, setting) for v in items)

    def flag(self, value: Any, setting: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(setting, f"expected true or false, got {_show(value)}")
        return value

    # -- whole file ----------------------------------------------------------------------------

    def load(self) -> SourceMapping:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise MappingError(f"{self.path}: mapping file not found") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise MappingError(f"{self.path}: cannot read mapping file ({exc})") from exc
        try:
            raw = yaml.load(text, Loader=_YamlLoader)  # a SafeLoader: builds no objects
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" line {mark.line + 1} column {mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise MappingError(f"{self.path}{where}: bad YAML: {problem}") from exc
        if not isinstance(raw, dict) or "tables" not in raw:
            raise MappingError(
                f"{self.path}: bad mapping: expected a YAML mapping with 'source' and 'tables'"
            )
        self.keys(raw, ("source", "description", "notes", "defaults", "tables"), "")
        source = self.text(raw.get("source", self.path.stem), "source")
        if not _NAME_RE.match(source) or "__" in source:
            raise self.fail("source", f"{source!r} must be letters, digits, '-', '_' (no '__'): "
                            "it becomes part of the landing file names")
        defaults = self.read_options(raw.get("defaults") or {}, ReadOptions(), "defaults")
        tables_raw = self.mapping_of(raw["tables"], "tables")
        if not tables_raw:
            raise self.fail("tables", "no landing table is mapped")
        tables: dict[str, TableMapping] = {}
        for name, spec in tables_raw.items():
            name = str(name)
            if name not in LANDING_TABLES:
                hint = difflib.get_close_matches(name, LANDING_TABLES, n=1)
                raise self.fail(
                    f"tables.{name}",
                    "unknown landing table"
                    + (f"; did you mean {hint[0]!r}?" if hint else "")
                    + f" (landing tables: {', '.join(LANDING_TABLES)})",
                )
            tables[name] = self.table(name, self.mapping_of(spec, f"tables.{name}"), defaults)
        return SourceMapping(self.path, source, str(raw.get("description") or ""), tables)

    # -- read options ---------------------------------------------------------------------------

    def read_options(self, raw: Any, base: ReadOptions, setting: str) -> ReadOptions:
        raw = self.mapping_of(raw, setting)
        self.keys(raw, tuple(ReadOptions.__dataclass_fields__), setting)
        values: dict[str, Any] = {}
        for key, value in raw.items():
            where = f"{setting}.{key}"
            if key == "delimiter":
                text = self.text(value, where)
                text = {"tab": "\t", "\\t": "\t"}.get(text.lower(), text)
                if len(text) != 1:
                    raise self.fail(where, f"expected one character (or tab), got {text!r}")
                values[key] = text
            elif key in ("header", "trim"):
                values[key] = self.flag(value, where)
            elif key == "columns":
                values[key] = self.texts(value, where)
            elif key == "encoding":
                text = self.text(value, where).lower()
                if text not in ENCODINGS:
                    raise self.fail(where, f"unsupported encoding {text!r}; use one of "
                                    "utf-8, utf-8-sig (with BOM), latin-1, utf-16")
                values[key] = ENCODINGS[text]
            elif key in ("quote", "escape"):
                text = self.text(value, where)
                if len(text) != 1:
                    raise self.fail(where, f"expected one character, got {text!r}")
                values[key] = text
            elif key == "skip":
                if not str(value).isdigit() or isinstance(value, bool):
                    raise self.fail(where, f"expected a line count >= 0, got {_show(value)}")
                values[key] = int(value)
            elif key == "decimal":
                text = self.text(value, where)
                if text not in (".", ","):
                    raise self.fail(where, f"expected '.' or ',', got {text!r}")
                values[key] = text
            elif key == "thousands":
                text = None if value is None else self.text(value, where)
                if text is not None and text not in (".", ",", " ", "'"):
                    raise self.fail(where, f"expected '.', ',', ' ' or \"'\", got {text!r}")
                values[key] = text
            elif key in ("date_formats", "timestamp_formats"):
                values[key] = self.formats(value, where)
            elif key == "null_values":
                values[key] = tuple(self.text(v, where, allow_empty=True)
                                    for v in (value if isinstance(value, list) else [value]))
        options = replace(base, **values)
        if options.thousands is not None and options.thousands == options.decimal:
            raise self.fail(f"{setting}.thousands", "must differ from decimal")
        if not options.header and not options.columns:
            raise self.fail(f"{setting}.columns",
                            "header: false needs columns: the source column names in file order")
        if options.header and "columns" in raw:
            raise self.fail(f"{setting}.columns",
                            "only for files without a header row (set header: false)")
        return options

    def formats(self, value: Any, setting: str) -> tuple[str, ...]:
        formats = self.texts(value, setting)
        for fmt in formats:
            if "%" not in fmt:
                raise self.fail(setting, f"{fmt!r} is not a strptime format (e.g. '%d.%m.%Y')")
            try:
                self._con.execute("select try_strptime('x', ?)", [fmt])
            except duckdb.Error as exc:
                raise self.fail(setting, f"{fmt!r}: {_first_line(exc)}") from exc
        return formats

    # -- one table ------------------------------------------------------------------------------

    def table(self, name: str, raw: dict[str, Any], defaults: ReadOptions) -> TableMapping:
        setting = f"tables.{name}"
        self.keys(raw, ("files", "alias", "read", "join", "where", "columns", "aggregate",
                        "deduplicate", "description", "notes"), setting)
        if "files" not in raw:
            raise self.fail(setting, "missing files: (glob pattern of the input files)")
        files = self.texts(raw["files"], f"{setting}.files")
        read = self.read_options(raw.get("read") or {}, defaults, f"{setting}.read")
        alias = self.text(raw.get("alias") or _alias_of(files[0]) or "src", f"{setting}.alias")

        joins_raw = raw.get("join") or []
        joins_raw = joins_raw if isinstance(joins_raw, list) else [joins_raw]
        # A join's read: starts from defaults:, not from the main file's (its header, columns
        # and formats describe that one file).
        joins = tuple(self.join(j, i, setting, defaults) for i, j in enumerate(joins_raw))
        aliases = [alias, *(j.alias for j in joins)]
        if len(set(aliases)) != len(aliases):
            raise self.fail(f"{setting}.join", f"aliases {aliases} repeat; give each join an "
                            "alias:")

        where = self.texts(raw["where"], f"{setting}.where") if raw.get("where") else ()
        contract = LANDING_TABLES[name]
        columns_raw = self.mapping_of(raw.get("columns") or {}, f"{setting}.columns")
        columns: dict[str, ColumnSpec] = {}
        for column, spec in columns_raw.items():
            column = str(column)
            if column not in contract.column_names:
                hint = difflib.get_close_matches(column, contract.column_names, n=1)
                raise self.fail(
                    f"{name}.columns.{column}",
                    "unknown landing column"
                    + (f"; did you mean {hint[0]!r}?" if hint else "")
                    + f" ({name} has {', '.join(contract.column_names)})",
                )
            columns[column] = self.column(contract, column, spec)
        missing = [c.name for c in contract.columns
                   if not c.nullable and (c.name not in columns or columns[c.name].kind == "none")]
        if missing:
            raise self.fail(f"{name}.columns", "required landing column(s) not mapped: "
                            + ", ".join(missing))

        aggregate: dict[str, str] = {}
        for column, func in self.mapping_of(raw.get("aggregate") or {},
                                            f"{setting}.aggregate").items():
            where_ = f"{name}.aggregate.{column}"
            if column not in columns:
                raise self.fail(where_, "is not a mapped landing column")
            if str(func) not in AGGREGATES:
                raise self.fail(where_, f"unknown aggregate {func!r}; use one of "
                                + ", ".join(AGGREGATES))
            aggregate[str(column)] = str(func)

        dedupe: Dedupe | None = None
        if raw.get("deduplicate") is not None and raw.get("deduplicate") is not False:
            value = raw["deduplicate"]
            if value is True:
                dedupe = Dedupe(None, "last")
            else:
                value = self.mapping_of(value, f"{setting}.deduplicate")
                self.keys(value, ("order_by", "keep"), f"{setting}.deduplicate")
                keep = str(value.get("keep", "last"))
                if keep not in ("first", "last"):
                    raise self.fail(f"{setting}.deduplicate.keep", "expected first or last")
                order_by = value.get("order_by")
                dedupe = Dedupe(
                    None if order_by is None else self.text(order_by,
                                                            f"{setting}.deduplicate.order_by"),
                    keep,
                )
        return TableMapping(name, files, alias, read, joins, where, columns, aggregate, dedupe)

    def join(self, raw: Any, index: int, table_setting: str, base: ReadOptions) -> JoinSpec:
        setting = f"{table_setting}.join[{index}]"
        raw = self.mapping_of(raw, setting)
        self.keys(raw, ("file", "files", "alias", "on", "how", "where", "read"), setting)
        if "file" not in raw and "files" not in raw:
            raise self.fail(setting, "missing file: (glob pattern of the file to join)")
        files = self.texts(raw.get("file", raw.get("files")), f"{setting}.file")
        alias = self.text(raw.get("alias") or _alias_of(files[0]) or f"join{index + 1}",
                          f"{setting}.alias")
        setting = f"{table_setting}.join[{alias}]"
        if "on" not in raw:
            raise self.fail(setting, "missing on: (the columns to join by)")
        on: list[tuple[str, str]] = []
        for item in self.texts(raw["on"], f"{setting}.on"):
            left, _, right = item.partition("=")
            left, right = left.strip(), (right.strip() or left.strip())
            if not left or not right:
                raise self.fail(f"{setting}.on", f"{item!r}: expected COLUMN or LEFT = RIGHT")
            on.append((left, right))
        how = str(raw.get("how", "left"))
        if how not in ("left", "inner"):
            raise self.fail(f"{setting}.how", f"expected left or inner, got {how!r}")
        where = self.text(raw["where"], f"{setting}.where") if raw.get("where") else None
        read = self.read_options(raw.get("read") or {}, base, f"{setting}.read")
        return JoinSpec(files, alias, tuple(on), how, where, read)

    def column(self, contract: LandingTable, name: str, raw: Any) -> ColumnSpec:
        setting = f"{contract.name}.columns.{name}"
        if raw is None:  # explicitly left empty: allowed for nullable columns only
            return ColumnSpec(name, "none")
        if isinstance(raw, str):
            return ColumnSpec(name, "from", raw)
        raw = self.mapping_of(raw, setting)
        self.keys(raw, ("from", "expr", "concat", "separator", "constant", "map", "unmapped",
                        "default", "date_formats"), setting)
        kinds = [k for k in ("from", "expr", "concat", "constant") if k in raw]
        if len(kinds) != 1:
            raise self.fail(setting, "give exactly one of from, expr, concat, constant"
                            + (f" (got {', '.join(kinds)})" if kinds else ""))
        kind = kinds[0]
        spec = ColumnSpec(name, kind)
        if kind in ("from", "expr"):
            spec = replace(spec, source=self.text(raw[kind], f"{setting}.{kind}"))
        elif kind == "concat":
            spec = replace(spec, parts=self.texts(raw["concat"], f"{setting}.concat"),
                           separator=self.text(raw.get("separator", ""),
                                               f"{setting}.separator", allow_empty=True))
        else:
            spec = replace(spec, source=_scalar_text(raw["constant"]))
        if "separator" in raw and kind != "concat":
            raise self.fail(f"{setting}.separator", "only applies with concat:")
        if "map" in raw:
            value_map = self.mapping_of(raw["map"], f"{setting}.map")
            spec = replace(spec, value_map={
                (_scalar_text(k) or ""): _scalar_text(v) for k, v in value_map.items()
            })
        unmapped = str(raw.get("unmapped", "default" if "default" in raw else "error"))
        if unmapped not in ("error", "keep", "null", "default"):
            raise self.fail(f"{setting}.unmapped", "expected error, keep, null or default")
        if unmapped == "default" and "default" not in raw:
            raise self.fail(f"{setting}.unmapped", "unmapped: default needs default: VALUE")
        if ("unmapped" in raw or "default" in raw) and spec.value_map is None:
            raise self.fail(setting, "unmapped:/default: only apply with map:")
        spec = replace(spec, unmapped=unmapped, default=_scalar_text(raw.get("default")))
        if "date_formats" in raw:
            if contract.column(name).sql_type not in ("DATE", "TIMESTAMP"):
                raise self.fail(f"{setting}.date_formats",
                                f"{name} is {contract.column(name).sql_type}, not a date")
            spec = replace(spec, date_formats=self.formats(raw["date_formats"],
                                                           f"{setting}.date_formats"))
        return spec


def load_mapping(path: Path) -> SourceMapping:
    """Read and validate one mapping file; raise MappingError (one line) on any mistake."""
    return _Loader(Path(path)).load()


def _scalar_text(value: Any) -> str | None:
    """YAML scalars as the text a CSV would hold (true -> 'true', 101 -> '101')."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _show(value: Any) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"[:80]


def _alias_of(pattern: str) -> str:
    """Default alias of a file pattern: its name up to the first wildcard or dot (EKKO*.csv)."""
    name = Path(pattern).name
    return re.split(r"[*?\[.]", name, maxsplit=1)[0]


# --------------------------------------------------------------------------------------------
# SQL building blocks (pure; property-tested in tests/test_source_mapping.py)
# --------------------------------------------------------------------------------------------


def number_pattern(decimal: str = ".", thousands: str | None = None) -> str:
    """Regular expression (RE2 and Python) of a number written in this notation."""
    dec = f"[{decimal}]"
    integer = r"\d+"
    if thousands is not None:  # groups of exactly three digits, or no grouping at all
        integer = rf"(?:\d{{1,3}}(?:[{thousands}]\d{{3}})+|\d+)"
    body = rf"(?:{integer}(?:{dec}\d*)?|{dec}\d+)(?:[eE][+-]?\d+)?"
    return rf"(?:[+-]?{body}|{body}-)"  # trailing minus: SAP's '12,5-'


def number_sql(value_sql: str, decimal: str = ".", thousands: str | None = None) -> str:
    """SQL turning source text into DOUBLE, NULL when it is not a number in this notation.

    The whole text must match the notation (decimal separator, optional thousands grouping,
    sign in front or SAP's trailing minus), so a separator in the wrong place is an error
    rather than a misread: with decimal ',' and thousands '.', '2,500.0' is refused, not 2.5.
    """
    text = f"trim(cast({value_sql} as varchar))"
    normal = f"(case when {text} like '%-' then '-' || {text}[:-2] else {text} end)"
    if thousands is not None:
        normal = f"replace({normal}, {quote_literal(thousands)}, '')"
    if decimal == ",":
        normal = f"replace({normal}, ',', '.')"
    pattern = quote_literal(number_pattern(decimal, thousands))
    return f"(case when regexp_full_match({text}, {pattern}) then try_cast({normal} as double) end)"


def date_sql(value_sql: str, formats: Sequence[str]) -> str:
    """SQL turning source text into TIMESTAMP using the first matching strptime format."""
    fmt_list = "[" + ", ".join(quote_literal(f) for f in formats) + "]"
    return f"try_strptime(trim(cast({value_sql} as varchar)), {fmt_list})"


def _clean_sql(column: str, read: ReadOptions) -> str:
    """A source column as text: trimmed (unless trim: false), null tokens and '' as NULL."""
    value = f"cast({quote_ident(column)} as varchar)"
    if read.trim:
        value = f"trim({value})"
    tokens = ", ".join(quote_literal(t.strip() if read.trim else t)
                       for t in ("", *read.null_values))
    return f"case when {value} in ({tokens}) then null else {value} end"


def _reader_sql(files: Sequence[Path], read: ReadOptions, columns: Sequence[str] = ()) -> str:
    """read_csv with every option explicit: no sniffing, every value as text.

    ``columns`` are the file's columns in order (its header, or ``read.columns``); without
    the sniffer, DuckDB's strict parser names the line of a malformed record.
    """
    paths = "[" + ", ".join(quote_literal(str(p)) for p in files) + "]"
    if all(p.suffix.lower() == ".parquet" for p in files):
        return f"read_parquet({paths}, filename = '{_FILE_COL}')"
    escape = read.escape or read.quote
    types = ", ".join(f"{quote_literal(c)}: 'VARCHAR'" for c in (columns or read.columns))
    options = [
        f"delim = {quote_literal(read.delimiter)}",
        f"quote = {quote_literal(read.quote)}",
        f"escape = {quote_literal(escape)}",
        f"encoding = {quote_literal(read.encoding)}",
        f"skip = {read.skip}",
        f"header = {'true' if read.header else 'false'}",
        "auto_detect = false",
        f"columns = {{{types}}}",
        f"filename = '{_FILE_COL}'",
        "strict_mode = true",
        "null_padding = false",
    ]
    return f"read_csv({paths}, {', '.join(options)})"


def _csv_reader(handle: Any, read: ReadOptions) -> Any:
    """Python's csv reader in the mapping's dialect (header and error lines only)."""
    doubled = (read.escape or read.quote) == read.quote
    return csv.reader(handle, delimiter=read.delimiter, quotechar=read.quote,
                      doublequote=doubled, escapechar=None if doubled else read.escape)


def _open_text(path: Path, read: ReadOptions) -> Any:
    # Decoding errors are replaced: Python decodes ahead of the line it needs, and DuckDB's
    # full read is what names a line that is not in the stated encoding.
    return path.open(encoding=_PY_ENCODINGS[read.encoding], errors="replace", newline="")


def _unique_names(names: Sequence[str]) -> list[str]:
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
    with _open_text(path, read) as handle:
        for _ in range(read.skip):
            handle.readline()
        return _unique_names(next(_csv_reader(handle, read), []))


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _csv_error(exc: BaseException) -> str:
    """DuckDB's multi-line CSV error as one line: 'line N: reason'."""
    text = str(exc)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    line_no = re.search(r"CSV Error on Line: (\d+)", text)
    reason = next(
        (line for line in lines[1:]
         if not line.startswith(("Original Line", "Possible", "*", "Detected", "Number of"))),
        lines[0] if lines else type(exc).__name__,
    )
    return (f"line {line_no.group(1)}: " if line_no else "") + reason


# --------------------------------------------------------------------------------------------
# Applying a mapping
# --------------------------------------------------------------------------------------------


@dataclass
class TableReport:
    table: str
    input_files: tuple[Path, ...]
    rows_read: int
    rows_written: int
    steps: list[str] = field(default_factory=list)  # why rows were dropped or merged
    warnings: list[str] = field(default_factory=list)
    output: Path | None = None


@dataclass
class MappingReport:
    mapping: Path
    source: str
    tag: str
    landing_dir: Path
    tables: list[TableReport]
    written: bool

    def rows(self) -> dict[str, int]:
        return {t.table: t.rows_written for t in self.tables}

    def summary(self) -> str:
        verb = "wrote" if self.written else "checked (nothing written)"
        lines = [f"{self.mapping}: source {self.source}, extract {self.tag}, {verb}"]
        for t in self.tables:
            files = ", ".join(p.name for p in t.input_files)
            lines.append(f"  {t.table:<26} {t.rows_written:>9} rows   from {t.rows_read} "
                         f"read ({files})")
            lines += [f"  {'':<26} {step}" for step in t.steps]
            lines += [f"  {'':<26} warning: {w}" for w in t.warnings]
            if t.output is not None:
                lines.append(f"  {'':<26} -> {t.output}")
        return "\n".join(lines)


@dataclass(frozen=True)
class _Origin:
    """Where a column of the joined rows comes from, to find the input line of a bad value."""

    alias: str
    column: str
    read: ReadOptions


class _TableRun:
    """Maps one landing table inside a shared DuckDB connection, leaving temp table out_<t>."""

    def __init__(self, con: duckdb.DuckDBPyConnection, mapping: SourceMapping,
                 tm: TableMapping, input_dir: Path) -> None:
        self.con = con
        self.mapping = mapping
        self.tm = tm
        self.input_dir = input_dir
        self.table = tm.table
        self.files: dict[str, list[Path]] = {}
        self.columns: dict[str, list[str]] = {}  # per alias: the file columns in order
        self.origin: dict[str, _Origin] = {}
        self.report = TableReport(tm.table, (), 0, 0)

    def fail(self, setting: str, message: str) -> MappingError:
        return MappingError(f"{self.mapping.path}: {setting}: {message}")

    def sql(self, query: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.con.execute(query, params or []).fetchall()

    # -- sources ----------------------------------------------------------------------------

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

    def read_error(self, exc: duckdb.Error, setting: str,
                   otherwise: str = "cannot be computed") -> MappingError:
        """Name the input file an error comes from, re-reading each file alone (error path).

        When every file reads on its own, the error came from the mapping's SQL instead.
        """
        for alias, files in self.files.items():
            read = self._read_of(alias)
            columns = self.columns.get(alias, [])
            # Every column is used: DuckDB checks encoding only in the columns it reads.
            used = ", ".join(quote_ident(c) for c in columns) or "'x'"
            for path in files:
                try:
                    self.sql(f"select max(length(concat_ws('|', {used}))) from "
                             f"{_reader_sql([path], read, columns)}")
                except duckdb.Error as file_exc:
                    text = str(file_exc).lower()
                    hint = (" (set read: encoding:, e.g. latin-1)"
                            if "unicode" in text or "encoded" in text else "")
                    where = (f"tables.{self.table}" if alias == self.tm.alias
                             else f"{self.table}.join[{alias}]")
                    return self.fail(where, f"cannot read {path}: {_csv_error(file_exc)}{hint}")
        return self.fail(setting, f"{otherwise}: {_first_line(exc)}")

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

    def _read_of(self, alias: str) -> ReadOptions:
        if alias == self.tm.alias:
            return self.tm.read
        return next(j.read for j in self.tm.joins if j.alias == alias)

    def source_view(self, view: str, alias: str, patterns: Sequence[str], read: ReadOptions,
                    setting: str, where: str | None = None) -> list[str]:
        files = self.glob(patterns, f"{setting}.files" if "join" not in setting else setting)
        self.files[alias] = files
        self.columns[alias] = self.file_columns(files, read, setting)
        reader = _reader_sql(files, read, self.columns[alias])
        try:
            described = self.sql(f"describe select * from {reader}")
        except duckdb.Error as exc:
            raise self.read_error(exc, setting) from exc
        columns = [r[0] for r in described if r[0] != _FILE_COL]
        cleaned = ", ".join(f"{_clean_sql(c, read)} as {quote_ident(c)}" for c in columns)
        self.con.execute(
            f"create or replace temp view {view} as select {cleaned}, "
            f"{quote_ident(_FILE_COL)} from {reader}"
        )
        if where:
            self.bind_check(f"select count(*) from {view} where {where}", columns,
                            f"{setting}.where", "where")
            self.con.execute(f"create or replace temp view {view} as select * from "
                             f"(select {cleaned}, {quote_ident(_FILE_COL)} from {reader}) "
                             f"where {where}")
        return columns

    def bind_check(self, query: str, columns: Sequence[str], setting: str, what: str) -> None:
        """Bind (not run) a query with user SQL; unknown columns get a named error."""
        try:
            self.con.execute(f"describe {query}")
        except duckdb.Error as exc:
            text = str(exc)
            missing = re.search(r'Referenced column "([^"]+)" not found', text)
            if missing:
                raise self.unknown_column(missing.group(1), columns, setting) from exc
            raise self.fail(setting, f"{what} is not valid SQL: {_first_line(exc)}") from exc

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

    def build_rows(self) -> list[str]:
        """View rows_<t>: the main file joined to each join file, columns named for the user."""
        tm = self.tm
        base = f"src_{self.table}"
        main_cols = self.source_view(base, tm.alias, tm.files, tm.read, f"tables.{self.table}")
        select: dict[str, str] = {}  # user-visible name -> SQL expression
        for col in main_cols:
            select[col] = f"m.{quote_ident(col)}"
            select[f"{tm.alias}.{col}"] = f"m.{quote_ident(col)}"
            self.origin[col] = self.origin[f"{tm.alias}.{col}"] = _Origin(tm.alias, col, tm.read)
        files_cols = {tm.alias: f"m.{quote_ident(_FILE_COL)}"}
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
                origin = _Origin(join.alias, col, join.read)
                select[f"{join.alias}.{col}"] = expr
                self.origin[f"{join.alias}.{col}"] = origin
                if col not in select:  # unqualified only when no earlier source has it
                    select[col] = expr
                    self.origin[col] = origin
            files_cols[join.alias] = f"j{i}.{quote_ident(_FILE_COL)}"
            joins_sql.append(f"{join.how} join {view} j{i} on " + " and ".join(conditions))
        columns = ", ".join(f"{e} as {quote_ident(n)}" for n, e in select.items())
        file_columns = ", ".join(f"{e} as {quote_ident(_FILE_COL + a)}"
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

    # -- columns ----------------------------------------------------------------------------

    def value_sql(self, spec: ColumnSpec, columns: Sequence[str]) -> str:
        setting = f"{self.table}.columns.{spec.name}"
        if spec.kind == "from":
            assert spec.source is not None
            if spec.source not in columns:
                raise self.unknown_column(spec.source, columns, f"{setting}.from")
            return quote_ident(spec.source)
        if spec.kind == "concat":
            for part in spec.parts:
                if part not in columns:
                    raise self.unknown_column(part, columns, f"{setting}.concat")
            # || rather than concat_ws: a key with a missing part stays missing, not shortened.
            sep = f" || {quote_literal(spec.separator)} || " if spec.separator else " || "
            return "(" + sep.join(quote_ident(p) for p in spec.parts) + ")"
        if spec.kind == "expr":
            assert spec.source is not None
            self.bind_check(f"select ({spec.source}) from rows_{self.table}", columns,
                            f"{setting}.expr", "expr")
            return f"({spec.source})"
        if spec.kind == "constant" and spec.source is not None:
            return quote_literal(spec.source)
        return "cast(null as varchar)"

    def mapped_sql(self, spec: ColumnSpec | None, column_sql: str) -> str:
        """The value after the value map (text), or the value itself without one."""
        if spec is None or spec.value_map is None:
            return column_sql
        text = f"cast({column_sql} as varchar)"
        whens = []
        for key, value in spec.value_map.items():
            target = "null" if value is None else quote_literal(value)
            cond = f"{text} is null" if key == "" else f"{text} = {quote_literal(key)}"
            whens.append(f"when {cond} then {target}")
        otherwise = {"keep": text, "default": "null" if spec.default is None
                     else quote_literal(spec.default)}.get(spec.unmapped, "null")
        if "" not in spec.value_map:
            whens.insert(0, f"when {text} is null then null")
        return f"(case {' '.join(whens)} else {otherwise} end)"

    def typed_sql(self, column: str, value_sql: str, value_type: str, spec: ColumnSpec | None
                  ) -> str:
        """The value as the contract's type; NULL where it does not convert (checked after)."""
        sql_type = self.tm.contract.column(column).sql_type
        read = self.parse_read(spec)
        is_text = value_type == "VARCHAR"
        if sql_type == "VARCHAR":
            return f"cast({value_sql} as varchar)"
        if sql_type in ("DATE", "TIMESTAMP"):
            if not is_text:
                return f"try_cast({value_sql} as {sql_type})"
            formats = self.formats(spec, read, sql_type)
            parsed = date_sql(value_sql, formats)
            return f"cast({parsed} as date)" if sql_type == "DATE" else parsed
        if sql_type in ("DOUBLE", "INTEGER"):
            number = (number_sql(value_sql, read.decimal, read.thousands) if is_text
                      else f"try_cast({value_sql} as double)")
            if sql_type == "DOUBLE":
                return number
            return (f"(case when abs({number}) < 2147483648 and {number} = trunc({number}) "
                    f"then cast({number} as integer) end)")
        if sql_type == "BOOLEAN":
            return (f"try_cast(lower(trim(cast({value_sql} as varchar))) as boolean)" if is_text
                    else f"try_cast({value_sql} as boolean)")
        return f"try_cast({value_sql} as {sql_type})"

    def parse_read(self, spec: ColumnSpec | None) -> ReadOptions:
        """Read options of the file a value comes from (a joined file may differ)."""
        if spec is not None and spec.kind == "from":
            origin = self.origin.get(spec.source or "")
            if origin is not None:
                return origin.read
        return self.tm.read

    @staticmethod
    def formats(spec: ColumnSpec | None, read: ReadOptions, sql_type: str) -> tuple[str, ...]:
        if spec is not None and spec.date_formats:
            return spec.date_formats
        if sql_type == "TIMESTAMP":
            return (*read.timestamp_formats, *read.date_formats)
        return read.date_formats

    def define_macros(self) -> None:
        """Helpers for expr: parse text the way this table's main file writes it."""
        read = self.tm.read
        self.con.execute(f"create or replace temp macro parse_number(x) as "
                         f"{number_sql('x', read.decimal, read.thousands)}")
        self.con.execute(f"create or replace temp macro parse_date(x) as "
                         f"cast({date_sql('x', read.date_formats)} as date)")
        self.con.execute(f"create or replace temp macro parse_timestamp(x) as "
                         f"{date_sql('x', (*read.timestamp_formats, *read.date_formats))}")

    # -- the run ----------------------------------------------------------------------------

    def run(self) -> TableReport:
        tm, t = self.tm, self.table
        contract = tm.contract
        self.define_macros()
        columns = self.build_rows()
        rows_view = f"rows_{t}"
        for i, cond in enumerate(tm.where):
            self.bind_check(f"select count(*) from {rows_view} where {cond}", columns,
                            f"{t}.where" + (f"[{i}]" if len(tm.where) > 1 else ""), "where")
        specs = {c: s for c, s in tm.columns.items() if s.kind != "none"}
        values = {c: self.value_sql(s, columns) for c, s in specs.items()}

        # Counts per step, so nothing is dropped silently.
        where_counts = ", ".join(
            f"count(*) filter (where not coalesce(({c}), false) and "
            f"{' and '.join(f'coalesce(({p}), false)' for p in tm.where[:i]) or 'true'})"
            for i, c in enumerate(tm.where)
        )
        try:
            counts = self.sql(
                f"select (select count(*) from src_{t}), count(*)"
                + (f", {where_counts}" if where_counts else "") + f" from {rows_view}"
            )[0]
        except duckdb.Error as exc:
            raise self.read_error(exc, f"tables.{t}") from exc
        self.report.input_files = tuple(self.files[tm.alias])
        self.report.rows_read = int(counts[0])
        if counts[1] != counts[0]:
            self.report.steps.append(f"{counts[0] - counts[1]} row(s) found no match in an "
                                     "inner join")
        for cond, dropped in zip(tm.where, counts[2:], strict=True):
            if dropped:
                self.report.steps.append(f"{dropped} row(s) dropped by where: {cond}")

        # Step 1: values as the source gives them (before value maps and type conversion).
        where = " and ".join(f"coalesce(({c}), false)" for c in tm.where) or "true"
        file_cols = ", ".join(quote_ident(_FILE_COL + a) for a in self.files)
        step1 = ", ".join(f"{v} as {quote_ident(c)}" for c, v in values.items())
        try:
            self.con.execute(f"create or replace temp table step1_{t} as select {step1}, "
                             f"{file_cols} from {rows_view} where {where}")
        except duckdb.Error as exc:
            raise self.read_error(exc, f"{t}.columns", "cannot compute the columns") from exc
        types = {r[0]: r[1] for r in self.sql(f"describe step1_{t}")}
        self.warn_unmatched_joins()
        self.check_unmapped(specs)

        # Step 2: contract types, every failure named with its value, file and line.
        typed: dict[str, str] = {}
        for col in contract.columns:
            spec = specs.get(col.name)
            if spec is None:
                typed[col.name] = f"cast(null as {col.sql_type})"
                continue
            mapped = self.mapped_sql(spec, quote_ident(col.name))
            value_type = "VARCHAR" if spec.value_map is not None else types[col.name]
            typed[col.name] = self.typed_sql(col.name, mapped, value_type, spec)
        self.check_types(specs, typed)
        select = ", ".join(f"{typed[c]} as {quote_ident(c)}" for c in contract.column_names)
        self.con.execute(f"create or replace temp table step2_{t} as select {select} "
                         f"from step1_{t}")
        final = f"step2_{t}"

        if tm.aggregate:
            n_before = self.sql(f"select count(*) from {final}")[0][0]
            select = ", ".join(
                f"{tm.aggregate[c]}({quote_ident(c)}) as {quote_ident(c)}" if c in tm.aggregate
                else quote_ident(c) for c in contract.column_names)
            self.con.execute(f"create or replace temp table agg_{t} as select {select} "
                             f"from {final} group by all")
            final = f"agg_{t}"
            n_after = self.sql(f"select count(*) from {final}")[0][0]
            if n_after != n_before:
                how = ", ".join(f"{f}({c})" for c, f in tm.aggregate.items())
                self.report.steps.append(f"{n_before} row(s) aggregated into {n_after} ({how})")
        final = self.deduplicate(final)
        self.con.execute(f"create or replace temp table out_{t} as select * from {final}")
        self.report.rows_written = int(self.sql(f"select count(*) from out_{t}")[0][0])
        self.warn_required_nulls()
        return self.report

    def warn_unmatched_joins(self) -> None:
        for join in self.tm.joins:
            if join.how != "left":
                continue
            n = self.sql(f"select count(*) from step1_{self.table} where "
                         f"{quote_ident(_FILE_COL + join.alias)} is null")[0][0]
            if n:
                self.report.warnings.append(
                    f"{n} row(s) found no {join.alias} row to join "
                    f"({', '.join(p.name for p in self.files[join.alias])}); its columns are "
                    "empty there")

    def locate(self, spec: ColumnSpec, value: str, files_row: dict[str, str | None]) -> str:
        """' in FILE line N' for a value taken from a source column, else ' in a row of FILE'."""
        origin = self.origin.get(spec.source or "") if spec.kind == "from" else None
        if origin is not None:
            file = files_row.get(origin.alias)
            if file:
                line = find_line(Path(file), origin.read, origin.column, value)
                return f" in {file} line {line}" if line else f" in {file}"
        file = files_row.get(self.tm.alias)
        how = "concat" if spec.kind == "concat" else spec.kind
        return f" in a row of {file} (value built by {how})" if file else ""

    def example_row(self, condition: str, value_sql: str) -> tuple[str, dict[str, str | None]]:
        aliases = list(self.files)
        cols = ", ".join(quote_ident(_FILE_COL + a) for a in aliases)
        row = self.sql(f"select cast({value_sql} as varchar), {cols} from step1_{self.table} "
                       f"where {condition} limit 1")[0]
        return row[0], dict(zip(aliases, row[1:], strict=True))

    def check_unmapped(self, specs: dict[str, ColumnSpec]) -> None:
        for col, spec in specs.items():
            if spec.value_map is None or spec.unmapped != "error":
                continue
            keys = [k for k in spec.value_map if k != ""]
            text = f"cast({quote_ident(col)} as varchar)"
            cond = f"{text} is not null" + (
                f" and {text} not in ({', '.join(quote_literal(k) for k in keys)})" if keys else "")
            found = self.sql(f"select {text} as v, count(*) as n from step1_{self.table} "
                             f"where {cond} group by v order by n desc, v limit 4")
            if not found:
                continue
            value, n = found[0]
            _, files_row = self.example_row(f"{cond} and {text} = {quote_literal(value)}", text)
            others = "; also " + ", ".join(f"{v!r} ({c})" for v, c in found[1:]) \
                if len(found) > 1 else ""
            raise self.fail(
                f"{self.table}.columns.{col}.map",
                f"value {value!r} has no mapping ({n} row(s){self.locate(spec, value, files_row)})"
                f"{others}; add it to map:, or set unmapped: keep / null, or default:",
            )

    def check_types(self, specs: dict[str, ColumnSpec], typed: dict[str, str]) -> None:
        contract = self.tm.contract
        checks = [c for c in contract.columns if c.sql_type != "VARCHAR" and c.name in specs]
        if not checks:
            return
        conds = {
            c.name: f"{self.mapped_sql(specs[c.name], quote_ident(c.name))} is not null "
                    f"and {typed[c.name]} is null"
            for c in checks
        }
        counts = self.sql("select " + ", ".join(f"count(*) filter (where {conds[c.name]})"
                                                for c in checks) + f" from step1_{self.table}")[0]
        for col, n in zip(checks, counts, strict=True):
            if not n:
                continue
            spec = specs[col.name]
            value, files_row = self.example_row(
                conds[col.name], self.mapped_sql(spec, quote_ident(col.name)))
            raw_value = value
            if spec.value_map is not None:  # locate the source value, not the mapped one
                raw_value, files_row = self.example_row(conds[col.name], quote_ident(col.name))
            read = self.parse_read(spec)
            if col.sql_type in ("DATE", "TIMESTAMP"):
                formats = list(self.formats(spec, read, col.sql_type))
                problem = f"does not parse with date_formats {formats}"
            elif col.sql_type == "INTEGER":
                problem = f"is not a whole number (decimal {read.decimal!r}" + (
                    f", thousands {read.thousands!r})" if read.thousands else ")")
            elif col.sql_type == "DOUBLE":
                problem = f"is not a number with decimal {read.decimal!r}" + (
                    f" and thousands {read.thousands!r}" if read.thousands
                    else " and no thousands separator")
            elif col.sql_type == "BOOLEAN":
                problem = "is not true/false (map it, e.g. map: {X: true, '': false})"
            else:
                problem = f"is not {col.sql_type}"
            raise self.fail(
                f"{self.table}.columns.{col.name}",
                f"value {value!r}{self.locate(spec, raw_value, files_row)} {problem} "
                f"({n} row(s))",
            )

    def deduplicate(self, final: str) -> str:
        tm, t = self.tm, self.table
        keys = ", ".join(quote_ident(k) for k in tm.contract.key)
        n_before = self.sql(f"select count(*) from {final}")[0][0]
        if tm.deduplicate is None:
            dupes = self.sql(f"select {keys}, count(*) as n from {final} group by all "
                             "having count(*) > 1 order by n desc limit 1")
            if dupes:
                n_keys = self.sql(f"select count(*) from (select {keys} from {final} "
                                  "group by all having count(*) > 1)")[0][0]
                example = "/".join(str(v) for v in dupes[0][:-1])
                raise self.fail(
                    f"{t}.columns",
                    f"{n_keys} key(s) ({', '.join(tm.contract.key)}) occur more than once, e.g. "
                    f"{example} ({dupes[0][-1]} rows); fix the key columns, add a where:, or "
                    "add deduplicate: {order_by: <landing column>} or aggregate:",
                )
            return final
        direction = "desc" if tm.deduplicate.keep == "last" else "asc"
        everything = ", ".join(quote_ident(c) for c in tm.contract.column_names)
        order = everything  # tie-break on every column: the same input gives the same output
        if tm.deduplicate.order_by:
            self.bind_check(f"select ({tm.deduplicate.order_by}) from {final}",
                            tm.contract.column_names, f"{t}.deduplicate.order_by", "order_by")
            order = f"({tm.deduplicate.order_by}) {direction} nulls last, {everything}"
        self.con.execute(
            f"create or replace temp table dedup_{t} as select * from {final} qualify "
            f"row_number() over (partition by {keys} order by {order}) = 1"
        )
        n_after = self.sql(f"select count(*) from dedup_{t}")[0][0]
        if n_after != n_before:
            how = f"keeping the {tm.deduplicate.keep} by {tm.deduplicate.order_by}" \
                if tm.deduplicate.order_by else "keeping one"
            self.report.steps.append(f"{n_before} row(s) deduplicated to {n_after} per "
                                     f"{', '.join(tm.contract.key)} ({how})")
        return f"dedup_{t}"

    def warn_required_nulls(self) -> None:
        required = [c for c in self.tm.contract.columns if not c.nullable]
        counts = self.sql("select " + ", ".join(
            f"count(*) filter (where {quote_ident(c.name)} is null)" for c in required)
            + f" from out_{self.table}")[0]
        for col, n in zip(required, counts, strict=True):
            if n:
                self.report.warnings.append(
                    f"{n} row(s) have no {col.name}, which the contract requires: the raw "
                    "contract will refuse this extract")


def find_line(path: Path, read: ReadOptions, column: str, value: str) -> int | None:
    """Line number (1-based, physical) of the first record whose column holds value.

    Error path only: DuckDB's CSV reader has no line-number column, so the line a bad value
    sits on is found by reading the file again with Python's csv module up to that record.
    """
    if path.suffix.lower() == ".parquet":
        return None
    try:
        with _open_text(path, read) as handle:
            for _ in range(read.skip):
                handle.readline()
            reader = _csv_reader(handle, read)
            names = _unique_names(next(reader, [])) if read.header else list(read.columns)
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


def _atomic_copy(con: duckdb.DuckDBPyConnection, table: str, order: str, target: Path) -> None:
    """Write a landing file whole or not at all: the pipeline may be watching the folder."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.parent / f".{target.name}.tmp"  # dotfiles are ignored by ingestion
    try:
        con.execute(
            f"copy (select * from {table} order by {order}) to {quote_literal(str(temp))} "
            "(format csv, header true, delimiter ',', quote '\"', escape '\"')"
        )
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def apply_mapping(
    mapping: SourceMapping,
    input_dir: Path,
    landing_dir: Path,
    *,
    extract_date: date | None = None,
    tag: str | None = None,
    write: bool = True,
) -> MappingReport:
    """Map the files in ``input_dir`` and write one landing file per mapped table.

    All tables are computed and checked before any file is written, so a mistake leaves the
    landing folder untouched. ``extract_date`` (default today) is what ``extract_date()`` in
    an expr returns, e.g. the snapshot date of a stock extract; ``tag`` (default the extract
    date) names the landing files.
    """
    input_dir = Path(input_dir)
    extract_date = extract_date or date.today()
    tag = tag or extract_date.isoformat()
    if not _NAME_RE.match(tag) or "__" in tag:
        raise MappingError(f"extract tag {tag!r}: use letters, digits, '-', '_', '.' only")
    if not input_dir.is_dir():
        raise MappingError(f"{input_dir}: input folder does not exist")
    reports: list[TableReport] = []
    with tempfile.TemporaryDirectory(prefix="plansignal-map-") as spill:
        con = duckdb.connect()
        try:
            con.execute(f"set temp_directory = {quote_literal(spill)}")  # spill big inputs
            con.execute(f"create or replace temp macro extract_date() as "
                        f"date '{extract_date.isoformat()}'")
            for tm in mapping.tables.values():
                reports.append(_TableRun(con, mapping, tm, input_dir).run())
            if write:
                for report in reports:
                    contract = LANDING_TABLES[report.table]
                    target = (Path(landing_dir) / report.table
                              / f"{report.table}__{mapping.source}__{tag}.csv")
                    order = ", ".join(quote_ident(k) for k in contract.key)
                    _atomic_copy(con, f"out_{report.table}", order, target)
                    report.output = target
        finally:
            con.close()
    return MappingReport(mapping.path, mapping.source, tag, Path(landing_dir), reports, write)


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def default_mappings_dir() -> Path:
    """PLANSIGNAL_MAPPINGS_DIR (default <repo>/data/mappings), from settings."""
    from dagster_project.runtime.settings import get_settings

    return get_settings().mappings_dir


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.mapping.source_mapping",
        description="Map a source system's extract files onto the plansignal landing contract.",
    )
    parser.add_argument("--mapping", required=True,
                        help="mapping file, or its name in the mappings folder (e.g. sap_ecc)")
    parser.add_argument("--input", required=True, type=Path,
                        help="folder holding the source extract files")
    parser.add_argument("--landing", type=Path, default=None,
                        help="landing folder (default: the settings' landing folder)")
    parser.add_argument("--extract-date", type=date.fromisoformat, default=None,
                        help="date of the extract, YYYY-MM-DD (default today): extract_date()")
    parser.add_argument("--tag", default=None,
                        help="extract tag in the landing file names (default the extract date)")
    parser.add_argument("--check", action="store_true",
                        help="map and check everything, write nothing")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        from dagster_project.runtime.settings import get_settings

        path = find_mapping(args.mapping, default_mappings_dir())
        mapping = load_mapping(path)
        landing = args.landing or get_settings().landing_dir
        report = apply_mapping(mapping, args.input, landing, extract_date=args.extract_date,
                               tag=args.tag, write=not args.check)
    except MappingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
