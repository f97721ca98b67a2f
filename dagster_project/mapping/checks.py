"""Checks on the mapped values of one landing table, each naming the value, file and line.

Owns the errors for a value with no entry in its code list (``map:``) and for a value that
does not convert to the contract's type, where to find that value in the input (file and
physical line), and the warnings of the report: rows a left join found nothing for, required
values left empty.
"""

from __future__ import annotations

from pathlib import Path

from dagster_project.mapping.report import TableReport
from dagster_project.mapping.sources import Sources
from dagster_project.mapping.spec import ColumnSpec
from dagster_project.mapping.sql import FILE_COL, conversion_formats, mapped_sql
from dagster_project.mapping.textfiles import find_line
from dagster_project.warehouse.sql import quote_ident, quote_literal


class ValueChecks:
    """Checks over ``step1_<t>`` (values as the source gives them) and ``out_<t>``."""

    def __init__(self, sources: Sources, report: TableReport) -> None:
        self.src = sources
        self.tm = sources.tm
        self.table = sources.table
        self.report = report

    def warn_unmatched_joins(self) -> None:
        for join in self.tm.joins:
            if join.how != "left":
                continue
            n = self.src.sql(f"select count(*) from step1_{self.table} where "
                             f"{quote_ident(FILE_COL + join.alias)} is null")[0][0]
            if n:
                self.report.warnings.append(
                    f"{n} row(s) found no {join.alias} row to join "
                    f"({', '.join(p.name for p in self.src.files[join.alias])}); its columns "
                    "are empty there")

    def locate(self, spec: ColumnSpec, value: str, files_row: dict[str, str | None]) -> str:
        """' in FILE line N' for a value taken from a source column, else ' in a row of FILE'."""
        origin = self.src.origin.get(spec.source or "") if spec.kind == "from" else None
        if origin is not None:
            file = files_row.get(origin.alias)
            if file:
                line = find_line(Path(file), origin.read, origin.column, value)
                return f" in {file} line {line}" if line else f" in {file}"
        file = files_row.get(self.tm.alias)
        how = "concat" if spec.kind == "concat" else spec.kind
        return f" in a row of {file} (value built by {how})" if file else ""

    def example_row(self, condition: str, value_sql: str) -> tuple[str, dict[str, str | None]]:
        """One row where condition holds: its value, and the input file of each source."""
        aliases = list(self.src.files)
        cols = ", ".join(quote_ident(FILE_COL + a) for a in aliases)
        row = self.src.sql(f"select cast({value_sql} as varchar), {cols} from step1_{self.table} "
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
            found = self.src.sql(f"select {text} as v, count(*) as n from step1_{self.table} "
                                 f"where {cond} group by v order by n desc, v limit 4")
            if not found:
                continue
            value, n = found[0]
            _, files_row = self.example_row(f"{cond} and {text} = {quote_literal(value)}", text)
            others = "; also " + ", ".join(f"{v!r} ({c})" for v, c in found[1:]) \
                if len(found) > 1 else ""
            raise self.src.fail(
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
            c.name: f"{mapped_sql(specs[c.name], quote_ident(c.name))} is not null "
                    f"and {typed[c.name]} is null"
            for c in checks
        }
        counts = self.src.sql("select " + ", ".join(f"count(*) filter (where {conds[c.name]})"
                                                    for c in checks)
                              + f" from step1_{self.table}")[0]
        for col, n in zip(checks, counts, strict=True):
            if not n:
                continue
            spec = specs[col.name]
            value, files_row = self.example_row(
                conds[col.name], mapped_sql(spec, quote_ident(col.name)))
            raw_value = value
            if spec.value_map is not None:  # locate the source value, not the mapped one
                raw_value, files_row = self.example_row(conds[col.name], quote_ident(col.name))
            problem = self.type_problem(spec, col.sql_type)
            raise self.src.fail(
                f"{self.table}.columns.{col.name}",
                f"value {value!r}{self.locate(spec, raw_value, files_row)} {problem} "
                f"({n} row(s))",
            )

    def type_problem(self, spec: ColumnSpec, sql_type: str) -> str:
        """Why a value does not convert to sql_type, in the notation of its file."""
        read = self.src.parse_read(spec)
        if sql_type in ("DATE", "TIMESTAMP"):
            formats = list(conversion_formats(spec, read, sql_type))
            return f"does not parse with date_formats {formats}"
        if sql_type == "INTEGER":
            return f"is not a whole number (decimal {read.decimal!r}" + (
                f", thousands {read.thousands!r})" if read.thousands else ")")
        if sql_type == "DOUBLE":
            return f"is not a number with decimal {read.decimal!r}" + (
                f" and thousands {read.thousands!r}" if read.thousands
                else " and no thousands separator")
        if sql_type == "BOOLEAN":
            return "is not true/false (map it, e.g. map: {X: true, '': false})"
        return f"is not {sql_type}"

    def warn_required_nulls(self) -> None:
        required = [c for c in self.tm.contract.columns if not c.nullable]
        counts = self.src.sql("select " + ", ".join(
            f"count(*) filter (where {quote_ident(c.name)} is null)" for c in required)
            + f" from out_{self.table}")[0]
        for col, n in zip(required, counts, strict=True):
            if n:
                self.report.warnings.append(
                    f"{n} row(s) have no {col.name}, which the contract requires: the raw "
                    "contract will refuse this extract")
