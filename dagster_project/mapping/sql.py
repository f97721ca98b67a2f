"""SQL text for reading and converting source values: pure functions, no connection.

Owns how input files are read (``read_csv`` / ``read_parquet`` with every option explicit),
how a source value is cleaned (trim, null tokens), mapped through a code list, and converted
to the landing contract's type (numbers in the file's notation, dates by strptime formats,
booleans). Property-tested in ``tests/test_source_mapping.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dagster_project.mapping.spec import ColumnSpec, ReadOptions
from dagster_project.warehouse.sql import quote_ident, quote_literal

FILE_COL = "__file:"  # prefix of the per-source file-name column kept for error messages


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


def clean_sql(column: str, read: ReadOptions) -> str:
    """A source column as text: trimmed (unless trim: false), null tokens and '' as NULL."""
    value = f"cast({quote_ident(column)} as varchar)"
    if read.trim:
        value = f"trim({value})"
    tokens = ", ".join(quote_literal(t.strip() if read.trim else t)
                       for t in ("", *read.null_values))
    return f"case when {value} in ({tokens}) then null else {value} end"


def reader_sql(files: Sequence[Path], read: ReadOptions, columns: Sequence[str] = ()) -> str:
    """read_csv with every option explicit: no sniffing, every value as text.

    ``columns`` are the file's columns in order (its header, or ``read.columns``); without
    the sniffer, DuckDB's strict parser names the line of a malformed record.
    """
    paths = "[" + ", ".join(quote_literal(str(p)) for p in files) + "]"
    if all(p.suffix.lower() == ".parquet" for p in files):
        return f"read_parquet({paths}, filename = '{FILE_COL}')"
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
        f"filename = '{FILE_COL}'",
        "strict_mode = true",
        "null_padding = false",
    ]
    return f"read_csv({paths}, {', '.join(options)})"


def mapped_sql(spec: ColumnSpec | None, column_sql: str) -> str:
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


def conversion_formats(spec: ColumnSpec | None, read: ReadOptions, sql_type: str
                       ) -> tuple[str, ...]:
    """The strptime formats a DATE or TIMESTAMP column is parsed with, in the order tried."""
    if spec is not None and spec.date_formats:
        return spec.date_formats
    if sql_type == "TIMESTAMP":
        return (*read.timestamp_formats, *read.date_formats)
    return read.date_formats


def typed_sql(sql_type: str, value_sql: str, value_type: str, spec: ColumnSpec | None,
              read: ReadOptions) -> str:
    """The value as the contract's type; NULL where it does not convert (checked after).

    ``read`` is the read options of the file the value comes from (its notation).
    """
    is_text = value_type == "VARCHAR"
    if sql_type == "VARCHAR":
        return f"cast({value_sql} as varchar)"
    if sql_type in ("DATE", "TIMESTAMP"):
        if not is_text:
            return f"try_cast({value_sql} as {sql_type})"
        parsed = date_sql(value_sql, conversion_formats(spec, read, sql_type))
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


def parse_macros(read: ReadOptions) -> list[str]:
    """The helpers for expr: parse_number, parse_date, parse_timestamp in a file's notation."""
    return [
        f"create or replace temp macro parse_number(x) as "
        f"{number_sql('x', read.decimal, read.thousands)}",
        f"create or replace temp macro parse_date(x) as "
        f"cast({date_sql('x', read.date_formats)} as date)",
        f"create or replace temp macro parse_timestamp(x) as "
        f"{date_sql('x', (*read.timestamp_formats, *read.date_formats))}",
    ]
