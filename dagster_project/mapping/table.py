"""Mapping one landing table: from the joined source rows to the temp table ``out_<t>``.

Owns the steps in order: ``where:`` (each dropped row counted), the landing columns as the
source gives them (from / concat / expr / constant; table ``step1_<t>``), value maps and
conversion to the contract's types (``step2_<t>``), ``aggregate:``, then one row per landing
key (``deduplicate:``, or an error naming a repeated key). Reading the sources is
``sources``; the checks that name a bad value's file and line are ``checks``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from dagster_project.mapping.checks import ValueChecks
from dagster_project.mapping.report import TableReport
from dagster_project.mapping.sources import Sources
from dagster_project.mapping.spec import ColumnSpec, SourceMapping, TableMapping
from dagster_project.mapping.sql import FILE_COL, mapped_sql, parse_macros, typed_sql
from dagster_project.warehouse.sql import quote_ident, quote_literal, row_count


class TableRun:
    """Maps one landing table inside a shared DuckDB connection, leaving temp table out_<t>."""

    def __init__(self, con: duckdb.DuckDBPyConnection, mapping: SourceMapping,
                 tm: TableMapping, input_dir: Path) -> None:
        self.con = con
        self.tm = tm
        self.table = tm.table
        self.src = Sources(con, mapping, tm, input_dir)
        self.report = TableReport(tm.table, (), 0, 0)
        self.checks = ValueChecks(self.src, self.report)

    def run(self) -> TableReport:
        tm, t = self.tm, self.table
        for statement in parse_macros(tm.read):  # expr: helpers in the main file's notation
            self.con.execute(statement)
        columns = self.src.build_rows()
        for i, cond in enumerate(tm.where):
            self.src.bind_check(f"select count(*) from rows_{t} where {cond}", columns,
                                f"{t}.where" + (f"[{i}]" if len(tm.where) > 1 else ""), "where")
        specs = {c: s for c, s in tm.columns.items() if s.kind != "none"}
        values = {c: self.value_sql(s, columns) for c, s in specs.items()}
        self.count_where()
        self.source_values(values)
        self.checks.warn_unmatched_joins()
        self.checks.check_unmapped(specs)
        final = self.typed_values(specs)
        if tm.aggregate:
            final = self.aggregate(final)
        final = self.deduplicate(final)
        self.con.execute(f"create or replace temp table out_{t} as select * from {final}")
        self.report.rows_written = row_count(self.con, f"out_{t}")
        self.checks.warn_required_nulls()
        return self.report

    def value_sql(self, spec: ColumnSpec, columns: Sequence[str]) -> str:
        """A landing column as the source gives it: SQL over the columns of rows_<t>."""
        setting = f"{self.table}.columns.{spec.name}"
        if spec.kind == "from":
            assert spec.source is not None
            if spec.source not in columns:
                raise self.src.unknown_column(spec.source, columns, f"{setting}.from")
            return quote_ident(spec.source)
        if spec.kind == "concat":
            for part in spec.parts:
                if part not in columns:
                    raise self.src.unknown_column(part, columns, f"{setting}.concat")
            # || rather than concat_ws: a key with a missing part stays missing, not shortened.
            sep = f" || {quote_literal(spec.separator)} || " if spec.separator else " || "
            return "(" + sep.join(quote_ident(p) for p in spec.parts) + ")"
        if spec.kind == "expr":
            assert spec.source is not None
            self.src.bind_check(f"select ({spec.source}) from rows_{self.table}", columns,
                                f"{setting}.expr", "expr")
            return f"({spec.source})"
        if spec.kind == "constant" and spec.source is not None:
            return quote_literal(spec.source)
        return "cast(null as varchar)"

    def count_where(self) -> None:
        """Rows read, and rows lost to an inner join or to each where:, so none goes silently."""
        tm, t = self.tm, self.table
        where_counts = ", ".join(
            f"count(*) filter (where not coalesce(({c}), false) and "
            f"{' and '.join(f'coalesce(({p}), false)' for p in tm.where[:i]) or 'true'})"
            for i, c in enumerate(tm.where)
        )
        try:
            counts = self.src.sql(
                f"select (select count(*) from src_{t}), count(*)"
                + (f", {where_counts}" if where_counts else "") + f" from rows_{t}"
            )[0]
        except duckdb.Error as exc:
            raise self.src.read_error(exc, f"tables.{t}") from exc
        self.report.input_files = tuple(self.src.files[tm.alias])
        self.report.rows_read = int(counts[0])
        if counts[1] != counts[0]:
            self.report.steps.append(f"{counts[0] - counts[1]} row(s) found no match in an "
                                     "inner join")
        for cond, dropped in zip(tm.where, counts[2:], strict=True):
            if dropped:
                self.report.steps.append(f"{dropped} row(s) dropped by where: {cond}")

    def source_values(self, values: dict[str, str]) -> None:
        """Step 1, table step1_<t>: values as the source gives them, rows kept by where:."""
        tm, t = self.tm, self.table
        where = " and ".join(f"coalesce(({c}), false)" for c in tm.where) or "true"
        file_cols = ", ".join(quote_ident(FILE_COL + a) for a in self.src.files)
        step1 = ", ".join(f"{v} as {quote_ident(c)}" for c, v in values.items())
        try:
            self.con.execute(f"create or replace temp table step1_{t} as select {step1}, "
                             f"{file_cols} from rows_{t} where {where}")
        except duckdb.Error as exc:
            raise self.src.read_error(exc, f"{t}.columns", "cannot compute the columns") from exc

    def typed_values(self, specs: dict[str, ColumnSpec]) -> str:
        """Step 2, table step2_<t>: contract types, every failure named with value and line."""
        t = self.table
        contract = self.tm.contract
        types = {r[0]: r[1] for r in self.src.sql(f"describe step1_{t}")}
        typed: dict[str, str] = {}
        for col in contract.columns:
            spec = specs.get(col.name)
            if spec is None:
                typed[col.name] = f"cast(null as {col.sql_type})"
                continue
            mapped = mapped_sql(spec, quote_ident(col.name))
            value_type = "VARCHAR" if spec.value_map is not None else types[col.name]
            typed[col.name] = typed_sql(col.sql_type, mapped, value_type, spec,
                                        self.src.parse_read(spec))
        self.checks.check_types(specs, typed)
        select = ", ".join(f"{typed[c]} as {quote_ident(c)}" for c in contract.column_names)
        self.con.execute(f"create or replace temp table step2_{t} as select {select} "
                         f"from step1_{t}")
        return f"step2_{t}"

    def aggregate(self, final: str) -> str:
        """aggregate: one row per group of the other landing columns."""
        tm, t = self.tm, self.table
        n_before = row_count(self.con, final)
        select = ", ".join(
            f"{tm.aggregate[c]}({quote_ident(c)}) as {quote_ident(c)}" if c in tm.aggregate
            else quote_ident(c) for c in tm.contract.column_names)
        self.con.execute(f"create or replace temp table agg_{t} as select {select} "
                         f"from {final} group by all")
        n_after = row_count(self.con, f"agg_{t}")
        if n_after != n_before:
            how = ", ".join(f"{f}({c})" for c, f in tm.aggregate.items())
            self.report.steps.append(f"{n_before} row(s) aggregated into {n_after} ({how})")
        return f"agg_{t}"

    def deduplicate(self, final: str) -> str:
        """One row per landing key: deduplicate:'s choice, or an error naming a repeated key."""
        tm, t = self.tm, self.table
        keys = ", ".join(quote_ident(k) for k in tm.contract.key)
        n_before = row_count(self.con, final)
        if tm.deduplicate is None:
            dupes = self.src.sql(f"select {keys}, count(*) as n from {final} group by all "
                                 "having count(*) > 1 order by n desc limit 1")
            if dupes:
                n_keys = row_count(self.con, f"(select {keys} from {final} group by all "
                                    "having count(*) > 1)")
                example = "/".join(str(v) for v in dupes[0][:-1])
                raise self.src.fail(
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
            self.src.bind_check(f"select ({tm.deduplicate.order_by}) from {final}",
                                tm.contract.column_names, f"{t}.deduplicate.order_by",
                                "order_by")
            order = f"({tm.deduplicate.order_by}) {direction} nulls last, {everything}"
        self.con.execute(
            f"create or replace temp table dedup_{t} as select * from {final} qualify "
            f"row_number() over (partition by {keys} order by {order}) = 1"
        )
        n_after = row_count(self.con, f"dedup_{t}")
        if n_after != n_before:
            how = f"keeping the {tm.deduplicate.keep} by {tm.deduplicate.order_by}" \
                if tm.deduplicate.order_by else "keeping one"
            self.report.steps.append(f"{n_before} row(s) deduplicated to {n_after} per "
                                     f"{', '.join(tm.contract.key)} ({how})")
        return f"dedup_{t}"
