"""The site's data files, written by DuckDB: rows as JSON text inside scripts.

A page opened from disk (file://) may not fetch() a file beside it, so the rows a page draws
in the browser come as scripts that call a function with them: the evidence page's
parts/data/<n>.js (`evidence`), the detail pages' <page>.data.<n>.js (`details`). DuckDB writes
their text set-based: each row one JSON array (json_array, in the order of the columns), the
rows and everything above them concatenated as text (string_agg, ||), not nested with DuckDB's
JSON functions, which parse their JSON arguments again (2.7 s of 5.3 s at scale 20). These are
the pieces both use.
"""

from __future__ import annotations

import duckdb


def columns_of(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[str, str]]:
    """The name and DuckDB type of each column `sql` returns (it is not run)."""
    cur = con.execute(f"select * from ({sql}) limit 0")
    return [(d[0], str(d[1])) for d in cur.description]


def json_row(columns: list[tuple[str, str]]) -> str:
    """SQL: a row's values as the text of one JSON array. A timestamp reads as the site shows
    it everywhere (minutes, pages.num), not with seconds."""
    values = ", ".join(
        f"""strftime("{name}", '%Y-%m-%d %H:%M')""" if kind.startswith("TIMESTAMP")
        else f'"{name}"' for name, kind in columns)
    return f"json_array({values})::varchar"


def json_rows(columns: list[tuple[str, str]], order: str | None = None) -> str:
    """SQL aggregate: the group's rows as the text of a JSON array of arrays (NULL when none)."""
    order_by = f" order by {order}" if order else ""
    return f"'[' || string_agg({json_row(columns)}, ','{order_by}) || ']'"


def script_safe_text(text: str) -> str:
    """`script_safe` in Python, for text already fetched: free when the text holds neither
    character (CPython's replace gives up at once on text of narrower characters)."""
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def script_safe(text: str) -> str:
    """SQL: JSON text safe in a script. JSON may hold U+2028/U+2029 raw, which older JavaScript
    parsers take for a line end."""
    return f"replace(replace({text}, chr(8232), '\\u2028'), chr(8233), '\\u2029')"
