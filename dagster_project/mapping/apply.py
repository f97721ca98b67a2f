"""Applying a mapping: every table computed in one DuckDB session, then written atomically.

Owns :func:`apply_mapping` (the engine's entry point: extract date and tag, the session with
its spill folder and ``extract_date()`` macro, all tables mapped and checked before any file
is written) and writing a landing file whole or not at all, in the dialect ingestion reads
(UTF-8, header, comma, ISO dates, true/false, empty = null), as
``<landing>/<table>/<table>__<source>__<tag>.csv``.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import duckdb

from dagster_project.ingest.landing_contract import LANDING_TABLES
from dagster_project.mapping.errors import MappingError
from dagster_project.mapping.report import MappingReport, TableReport
from dagster_project.mapping.spec import NAME_RE, SourceMapping
from dagster_project.mapping.table import TableRun
from dagster_project.warehouse.sql import copy_to_csv_atomically, quote_ident, quote_literal


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
    if not NAME_RE.match(tag) or "__" in tag:
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
                reports.append(TableRun(con, mapping, tm, input_dir).run())
            if write:
                for report in reports:
                    target = (Path(landing_dir) / report.table
                              / f"{report.table}__{mapping.source}__{tag}.csv")
                    order = ", ".join(quote_ident(k) for k in LANDING_TABLES[report.table].key)
                    _atomic_copy(con, f"out_{report.table}", order, target)
                    report.output = target
        finally:
            con.close()
    return MappingReport(mapping.path, mapping.source, tag, Path(landing_dir), reports, write)


def _atomic_copy(con: duckdb.DuckDBPyConnection, table: str, order: str, target: Path) -> None:
    """Write a landing file whole or not at all: the pipeline may be watching the folder."""
    copy_to_csv_atomically(
        con, f"select * from {table} order by {order}", target,
        target.parent / f".{target.name}.tmp",  # dotfiles are ignored by ingestion
        "format csv, header true, delimiter ',', quote '\"', escape '\"'",
    )
