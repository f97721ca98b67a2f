"""Small DuckDB helpers every room uses: quoting, "does this table exist", row counts, and
writing a query to a CSV file whole or not at all."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import duckdb


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB, whatever quotes or spaces it holds."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """A table or view ``schema.table`` of the connection's current database."""
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_catalog = "
        "current_database() and table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()[0])


def row_count(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    """Rows of ``relation`` (already quoted where it needs to be)."""
    return int(con.execute(f"select count(*) from {relation}").fetchone()[0])


def copy_to_csv_atomically(
    con: duckdb.DuckDBPyConnection, query: str, target: Path, temp: Path, options: str
) -> None:
    """``copy (query) to target`` with ``options``, through ``temp`` in the same folder and a
    rename, so a reader (an analyst, the pipeline watching landing) never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        con.execute(f"copy ({query}) to {quote_literal(str(temp))} ({options})")
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def table_names(con: duckdb.DuckDBPyConnection, schema: str, prefix: str = "") -> list[str]:
    """Tables (and views) of ``schema`` in the current database whose name starts with
    ``prefix``, by name."""
    rows = con.execute(
        "select table_name from information_schema.tables where table_catalog = "
        "current_database() and table_schema = ? and starts_with(table_name, ?) order by 1",
        [schema, prefix],
    ).fetchall()
    return [r[0] for r in rows]


def table_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> set[str]:
    """The column names of schema.table in the connection's database (empty if no such table)."""
    return {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_catalog = "
            "current_database() and table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchall()
    }


def ordered_select(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, order: Sequence[str]
) -> str:
    """``select *`` of schema.table, ordered by the columns of ``order`` it has (a stable
    order, so the same data gives the same bytes)."""
    columns = table_columns(con, schema, table)
    keys = [quote_ident(c) for c in order if c in columns]
    query = f"select * from {schema}.{quote_ident(table)}"
    return query + (f" order by {', '.join(keys)}" if keys else "")
