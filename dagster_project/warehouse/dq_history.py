"""The data-quality history: one row per expectation per contract run, for every run.

Kept in ``dq.contract_results`` of the pipeline database (refused extracts and failed runs
too) and published as ``marts.dq_contract_history``. This module is the one description of
its columns; the contracts room fills rows of this shape, the publish step copies the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import duckdb

from dagster_project.warehouse.sql import quote_literal

DQ_SCHEMA = "dq"
DQ_TABLE = "contract_results"
DQ_HISTORY = f"{DQ_SCHEMA}.{DQ_TABLE}"
PUBLISHED_AS = "dq_contract_history"

DQ_HISTORY_COLUMNS: dict[str, str] = {
    "run_id": "VARCHAR",
    "suite": "VARCHAR",
    "table_name": "VARCHAR",
    "expectation_type": "VARCHAR",
    "column_name": "VARCHAR",
    "kwargs_json": "VARCHAR",
    "severity": "VARCHAR",
    "success": "BOOLEAN",
    "observed_value": "VARCHAR",  # JSON text
    "unexpected_count": "BIGINT",
    "element_count": "BIGINT",
    "validated_at": "TIMESTAMP",  # UTC
    "source_file": "VARCHAR",  # the extract a raw contract ran on; null for marts
    "rows_scope": "VARCHAR",  # 'whole table', or the changed rows (contracts/changed_rows.py)
}


# Written on the table as DuckDB comments, so the published copy describes itself like the marts.
DQ_HISTORY_DESCRIPTION = (
    "One row per expectation per data-contract (Great Expectations) run: raw contracts per "
    "extract, mart contracts per build, refused extracts and blocked runs included."
)
DQ_HISTORY_COLUMN_DESCRIPTIONS: dict[str, str] = {
    "run_id": "The Dagster run that validated.",
    "suite": "The expectation suite (expectations/<suite>.json).",
    "table_name": "The validated table, schema.table (raw.* or marts.*).",
    "expectation_type": "The expectation, e.g. expect_column_values_to_be_between.",
    "column_name": "The column the expectation checks; null for table-level expectations.",
    "kwargs_json": "The expectation's arguments as JSON.",
    "severity": "ERROR (blocks the publish) or WARNING (reported only).",
    "success": "Whether the expectation held.",
    "observed_value": "What GX observed, as JSON text.",
    "unexpected_count": "Rows that broke the expectation.",
    "element_count": "Rows evaluated.",
    "validated_at": "When it was validated (UTC).",
    "source_file": "The extract file a raw contract ran on; null for marts.",
    "rows_scope": "Which rows it checked: 'whole table', or for a mart that declares the model "
    "rewriting its rows, the rows whose key was rebuilt since the suite last passed.",
}


def ensure_dq_history(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {DQ_SCHEMA}")
    columns = ", ".join(f"{name} {sql_type}" for name, sql_type in DQ_HISTORY_COLUMNS.items())
    con.execute(f"create table if not exists {DQ_HISTORY} ({columns})")
    # Added with mart contracts on changed rows; older rows checked the whole table.
    con.execute(f"alter table {DQ_HISTORY} add column if not exists rows_scope varchar "
                "default 'whole table'")
    con.execute(f"comment on table {DQ_HISTORY} is {quote_literal(DQ_HISTORY_DESCRIPTION)}")
    for name, text in DQ_HISTORY_COLUMN_DESCRIPTIONS.items():
        con.execute(f"comment on column {DQ_HISTORY}.{name} is {quote_literal(text)}")


def insert_dq_history(
    con: duckdb.DuckDBPyConnection, rows: Iterable[Mapping[str, object]]
) -> None:
    """Append rows (missing keys are null); creates the table on first use."""
    rows = list(rows)
    if not rows:
        return
    ensure_dq_history(con)
    names = list(DQ_HISTORY_COLUMNS)
    con.executemany(
        f"insert into {DQ_HISTORY} ({', '.join(names)}) values ({', '.join('?' * len(names))})",
        [[row.get(name) for name in names] for row in rows],
    )
