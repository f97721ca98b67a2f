"""Reading and validating a mapping file: YAML in, :class:`~.spec.SourceMapping` out.

Owns where mapping files are found (:func:`find_mapping`), the YAML dialect (only
true/false and null are special words), every setting's allowed keys and values with a
suggestion for a misspelt one, and the one-line :class:`~.errors.MappingError` naming the
mapping file and the setting. Nothing here reads input files.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import yaml

from dagster_project.ingest.landing_contract import LANDING_TABLES, LandingTable
from dagster_project.mapping.errors import MappingError, first_line, show
from dagster_project.mapping.spec import (
    NAME_RE,
    ColumnSpec,
    Dedupe,
    JoinSpec,
    ReadOptions,
    SourceMapping,
    TableMapping,
)

MAPPING_SUFFIXES = (".yml", ".yaml")
AGGREGATES = ("sum", "min", "max", "count", "any_value")
# DuckDB reads these natively; utf-8 also skips a byte-order mark, so utf-8-sig is an alias.
ENCODINGS = {
    "utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8", "utf-8-bom": "utf-8",
    "latin-1": "latin-1", "latin1": "latin-1", "iso-8859-1": "latin-1",
    "utf-16": "utf-16",
}
TABLE_KEYS = ("files", "alias", "read", "join", "where", "columns", "aggregate",
              "deduplicate", "description", "notes")
JOIN_KEYS = ("file", "files", "alias", "on", "how", "where", "read")
COLUMN_KEYS = ("from", "expr", "concat", "separator", "constant", "map", "unmapped",
               "default", "date_formats")


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


def load_mapping(path: Path) -> SourceMapping:
    """Read and validate one mapping file; raise MappingError (one line) on any mistake."""
    return _Loader(Path(path)).load()


class _Checker:
    """Checks of single setting values, each failing with the mapping file and the setting."""

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
            raise self.fail(setting, f"expected a mapping of settings, got {show(value)}")
        return value

    def text(self, value: Any, setting: str, *, allow_empty: bool = False) -> str:
        if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
            raise self.fail(setting, f"expected text, got {show(value)}")
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
            raise self.fail(setting, f"expected true or false, got {show(value)}")
        return value

    def char(self, value: Any, setting: str) -> str:
        text = self.text(value, setting)
        if len(text) != 1:
            raise self.fail(setting, f"expected one character, got {text!r}")
        return text

    def formats(self, value: Any, setting: str) -> tuple[str, ...]:
        formats = self.texts(value, setting)
        for fmt in formats:
            if "%" not in fmt:
                raise self.fail(setting, f"{fmt!r} is not a strptime format (e.g. '%d.%m.%Y')")
            try:
                self._con.execute("select try_strptime('x', ?)", [fmt])
            except duckdb.Error as exc:
                raise self.fail(setting, f"{fmt!r}: {first_line(exc)}") from exc
        return formats


class _Loader(_Checker):
    """Turns the parsed YAML into the dataclasses of ``spec``, failing on the first mistake."""

    def load(self) -> SourceMapping:
        raw = self.parse()
        self.keys(raw, ("source", "description", "notes", "defaults", "tables"), "")
        source = self.text(raw.get("source", self.path.stem), "source")
        if not NAME_RE.match(source) or "__" in source:
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

    def parse(self) -> dict[str, Any]:
        """The file as YAML: a mapping with 'tables', or a one-line error with line and column."""
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
        return raw

    def read_options(self, raw: Any, base: ReadOptions, setting: str) -> ReadOptions:
        raw = self.mapping_of(raw, setting)
        self.keys(raw, tuple(ReadOptions.__dataclass_fields__), setting)
        values = {key: self.read_option(key, value, f"{setting}.{key}")
                  for key, value in raw.items()}
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

    def read_option(self, key: str, value: Any, where: str) -> Any:
        """One setting of read: / defaults: as the value ReadOptions holds."""
        if key == "delimiter":
            text = self.text(value, where)
            text = {"tab": "\t", "\\t": "\t"}.get(text.lower(), text)
            if len(text) != 1:
                raise self.fail(where, f"expected one character (or tab), got {text!r}")
            return text
        if key in ("header", "trim"):
            return self.flag(value, where)
        if key == "columns":
            return self.texts(value, where)
        if key == "encoding":
            text = self.text(value, where).lower()
            if text not in ENCODINGS:
                raise self.fail(where, f"unsupported encoding {text!r}; use one of "
                                "utf-8, utf-8-sig (with BOM), latin-1, utf-16")
            return ENCODINGS[text]
        if key in ("quote", "escape"):
            return self.char(value, where)
        if key == "skip":
            if not str(value).isdigit() or isinstance(value, bool):
                raise self.fail(where, f"expected a line count >= 0, got {show(value)}")
            return int(value)
        if key == "decimal":
            text = self.text(value, where)
            if text not in (".", ","):
                raise self.fail(where, f"expected '.' or ',', got {text!r}")
            return text
        if key == "thousands":
            text = None if value is None else self.text(value, where)
            if text is not None and text not in (".", ",", " ", "'"):
                raise self.fail(where, f"expected '.', ',', ' ' or \"'\", got {text!r}")
            return text
        if key in ("date_formats", "timestamp_formats"):
            return self.formats(value, where)
        # null_values (keys() allows only the fields of ReadOptions)
        return tuple(self.text(v, where, allow_empty=True)
                     for v in (value if isinstance(value, list) else [value]))

    # -- one table ------------------------------------------------------------------------------

    def table(self, name: str, raw: dict[str, Any], defaults: ReadOptions) -> TableMapping:
        setting = f"tables.{name}"
        self.keys(raw, TABLE_KEYS, setting)
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
        columns = self.columns(name, raw.get("columns") or {}, setting)
        aggregate = self.aggregate(name, raw.get("aggregate") or {}, columns, setting)
        dedupe = self.deduplicate(raw.get("deduplicate"), setting)
        return TableMapping(name, files, alias, read, joins, where, columns, aggregate, dedupe)

    def columns(self, name: str, raw: Any, setting: str) -> dict[str, ColumnSpec]:
        contract = LANDING_TABLES[name]
        columns_raw = self.mapping_of(raw, f"{setting}.columns")
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
        return columns

    def aggregate(self, name: str, raw: Any, columns: dict[str, ColumnSpec],
                  setting: str) -> dict[str, str]:
        aggregate: dict[str, str] = {}
        for column, func in self.mapping_of(raw, f"{setting}.aggregate").items():
            where = f"{name}.aggregate.{column}"
            if column not in columns:
                raise self.fail(where, "is not a mapped landing column")
            if str(func) not in AGGREGATES:
                raise self.fail(where, f"unknown aggregate {func!r}; use one of "
                                + ", ".join(AGGREGATES))
            aggregate[str(column)] = str(func)
        return aggregate

    def deduplicate(self, value: Any, setting: str) -> Dedupe | None:
        if value is None or value is False:
            return None
        if value is True:
            return Dedupe(None, "last")
        value = self.mapping_of(value, f"{setting}.deduplicate")
        self.keys(value, ("order_by", "keep"), f"{setting}.deduplicate")
        keep = str(value.get("keep", "last"))
        if keep not in ("first", "last"):
            raise self.fail(f"{setting}.deduplicate.keep", "expected first or last")
        order_by = value.get("order_by")
        return Dedupe(
            None if order_by is None else self.text(order_by, f"{setting}.deduplicate.order_by"),
            keep,
        )

    def join(self, raw: Any, index: int, table_setting: str, base: ReadOptions) -> JoinSpec:
        setting = f"{table_setting}.join[{index}]"
        raw = self.mapping_of(raw, setting)
        self.keys(raw, JOIN_KEYS, setting)
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
        self.keys(raw, COLUMN_KEYS, setting)
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


def _scalar_text(value: Any) -> str | None:
    """YAML scalars as the text a CSV would hold (true -> 'true', 101 -> '101')."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _alias_of(pattern: str) -> str:
    """Default alias of a file pattern: its name up to the first wildcard or dot (EKKO*.csv)."""
    name = Path(pattern).name
    return re.split(r"[*?\[.]", name, maxsplit=1)[0]
