"""The data-quality history: one row per expectation per contract run, for every run.

Kept in ``dq.contract_results`` of the pipeline database (refused extracts and failed runs
too) and published as ``marts.dq_contract_history``. This module is the one description of
its columns; the contracts room fills rows of this shape, the publish step copies the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import duckdb

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
}


def ensure_dq_history(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {DQ_SCHEMA}")
    columns = ", ".join(f"{name} {sql_type}" for name, sql_type in DQ_HISTORY_COLUMNS.items())
    con.execute(f"create table if not exists {DQ_HISTORY} ({columns})")


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
