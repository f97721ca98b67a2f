"""Publishing the marts: a new serving database file swapped in atomically.

Analysts keep ``planning.duckdb`` open read-only while the pipeline runs, and DuckDB allows one
writer or many readers, never both. So the serving file is never written in place: the marts are
copied into a fresh file beside it, checkpointed, fsynced, and renamed over the old one
(``os.replace`` is atomic on one filesystem). Readers that had the old file open keep reading
the old inode until they reconnect; a crash before the rename leaves the old file untouched.
Any failure (a full disk, a missing table) removes the temporary file and raises
:class:`PublishError`, one line naming the serving file; the next run also deletes temporary
files a killed run left (:func:`remove_leftovers`).
"""

from __future__ import annotations

import errno
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.runtime.faults import crash_point
from dagster_project.warehouse.sql import quote_ident, quote_literal

TMP_MARKER = ".publishing-"


class PublishError(Exception):
    """Publishing failed and the serving file was left as it was; one line for the user."""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.errno is not None:
        name = errno.errorcode.get(exc.errno, str(exc.errno))
        return f"{exc.strerror or os.strerror(exc.errno)} ({name})"
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


@dataclass(frozen=True)
class PublishedTable:
    source: str  # schema.table in the pipeline database
    target: str  # table name in schema marts of the serving database
    row_count: int


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_leftovers(serving_path: Path) -> list[Path]:
    """Delete half-written files of a publish that crashed before its rename."""
    removed = []
    for leftover in serving_path.parent.glob(f"{TMP_MARKER}{serving_path.name}*"):
        leftover.unlink(missing_ok=True)
        removed.append(leftover)
    return removed


def copy_comments(con: duckdb.DuckDBPyConnection, source: str, target: str) -> int:
    """Put the comments of ``source`` (schema.table here) and its columns on ``target``.

    dbt writes each model's and column's description as a DuckDB comment (persist_docs); the
    copy into the serving file keeps them, so `duckdb_columns()` there describes every column.
    Returns how many comments were set.
    """
    schema, table = source.split(".", 1)
    where = "database_name = current_database() and schema_name = ? and table_name = ?"
    found = con.execute(
        f"select null, comment from duckdb_tables() where {where} and comment is not null "
        f"union all select null, comment from duckdb_views() "
        f"where {where.replace('table_name', 'view_name')} and comment is not null "
        f"union all select column_name, comment from duckdb_columns() "
        f"where {where} and comment is not null",
        [schema, table] * 3,
    ).fetchall()
    for column, comment in found:
        on = f"table {target}" if column is None else f"column {target}.{quote_ident(column)}"
        con.execute(f"comment on {on} is {quote_literal(comment)}")
    return len(found)


def publish(
    con: duckdb.DuckDBPyConnection,
    serving_path: Path,
    tables: list[tuple[str, str]],
    schema: str = "marts",
) -> list[PublishedTable]:
    """Copy ``tables`` (source relation, target name) into a new serving file and swap it in."""
    serving_path.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(serving_path)
    tmp = serving_path.with_name(f"{TMP_MARKER}{serving_path.name}.{uuid.uuid4().hex}")
    alias = "serving_new"
    published: list[PublishedTable] = []
    con.execute(f"attach {quote_literal(str(tmp))} as {alias}")
    try:
        con.execute(f"create schema {alias}.{schema}")
        for source, target in tables:
            copy = f"{alias}.{schema}.{quote_ident(target)}"
            con.execute(f"create table {copy} as select * from {source}")
            copy_comments(con, source, copy)
            count = con.execute(f"select count(*) from {copy}").fetchone()[0]
            published.append(PublishedTable(source, target, int(count)))
        con.execute(f"checkpoint {alias}")
        con.execute(f"detach {alias}")
        _fsync(tmp)
        crash_point("publish.before_swap")
        os.replace(tmp, serving_path)
        _fsync(serving_path.parent)
    except BaseException as exc:
        try:
            con.execute(f"detach database if exists {alias}")
        finally:
            tmp.unlink(missing_ok=True)
            Path(f"{tmp}.wal").unlink(missing_ok=True)
        if isinstance(exc, OSError | duckdb.Error):
            raise PublishError(
                f"{serving_path}: not published, serving database left as it was: {_reason(exc)}"
            ) from exc
        raise
    return published
