"""Small DuckDB helpers every room uses: quoting, "does this table exist", row counts."""

from __future__ import annotations

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
