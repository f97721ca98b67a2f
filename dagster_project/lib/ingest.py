"""Loading landing extracts into DuckDB schema ``raw``.

One extract file goes through three steps, each its own function so that the Dagster asset can
put the raw contract between them:

1. :func:`stage_extract` reads the file into ``incoming.<table>``: required columns present,
   every value cast to the contract's type, ``_source_file``, ``_loaded_at`` and ``_row_hash``
   added. Any problem raises :class:`LandingError` with one line naming the file.
2. The caller validates ``incoming.<table>`` against the raw contract.
3. :func:`merge_extract` appends the staged rows to ``raw.<table>`` and records the file in
   ``raw._load_log`` in one transaction, so an extract is merged wholly or not at all.

A file whose content (sha256) was already loaded into the same table is skipped, whatever its
name. Files never move: a refused extract stays in the landing folder until fixed or removed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from dagster_project.lib.landing_contract import LANDING_TABLES, LandingTable

SUPPORTED_SUFFIXES = (".csv", ".parquet")
LOAD_LOG = "raw._load_log"


class LandingError(Exception):
    """A landing file or folder that cannot be loaded; the message is one line for the user."""


@dataclass(frozen=True)
class Extract:
    table: str
    path: Path
    sha256: str
    size: int


@dataclass(frozen=True)
class StagedExtract:
    extract: Extract
    row_count: int
    loaded_at: datetime
    extra_columns: tuple[str, ...]


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB, whatever quotes or spaces it holds."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def discover_extracts(landing_dir: Path) -> dict[str, list[Path]]:
    """Extract files per landing table, in name order; unknown folders are an error."""
    if not landing_dir.is_dir():
        raise LandingError(f"{landing_dir}: landing folder does not exist")
    try:
        entries = sorted(landing_dir.iterdir())
    except PermissionError as exc:
        raise LandingError(
            f"{landing_dir}: landing folder is not readable ({exc.strerror})"
        ) from exc
    found: dict[str, list[Path]] = {name: [] for name in LANDING_TABLES}
    for entry in entries:
        if entry.name.startswith(".") or entry.is_file():
            continue  # README and dotfiles beside the table folders are not extracts
        if entry.name not in LANDING_TABLES:
            raise LandingError(
                f"{entry}: unknown table folder {entry.name!r}; expected one of "
                + ", ".join(LANDING_TABLES)
            )
        found[entry.name] = list_extract_files(entry)
    return found


def list_extract_files(table_dir: Path) -> list[Path]:
    try:
        files = sorted(p for p in table_dir.iterdir() if p.is_file())
    except PermissionError as exc:
        raise LandingError(f"{table_dir}: folder is not readable ({exc.strerror})") from exc
    extracts = [p for p in files if p.suffix.lower() in SUPPORTED_SUFFIXES]
    for path in files:
        if path.suffix.lower() not in SUPPORTED_SUFFIXES and not path.name.startswith("."):
            raise LandingError(f"{path}: unsupported file type; expected .csv or .parquet")
    return extracts


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema raw, one empty table per landing table, and the load log."""
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists incoming")
    for table in LANDING_TABLES.values():
        columns = ", ".join(f"{quote_ident(c.name)} {c.sql_type}" for c in table.columns)
        con.execute(
            f"create table if not exists raw.{table.name} ({columns}, "
            "_source_file varchar, _loaded_at timestamp, _row_hash varchar)"
        )
    con.execute(
        f"""
        create table if not exists {LOAD_LOG} (
            table_name varchar,
            source_file varchar,
            content_sha256 varchar,
            file_size bigint,
            row_count bigint,
            extra_columns varchar,
            loaded_at timestamp
        )
        """
    )


def pending_extracts(
    con: duckdb.DuckDBPyConnection, table: str, paths: Iterable[Path]
) -> tuple[list[Extract], list[Extract]]:
    """Split files into (new, already loaded) by content hash."""
    loaded = {
        row[0]
        for row in con.execute(
            f"select content_sha256 from {LOAD_LOG} where table_name = ?", [table]
        ).fetchall()
    }
    new: list[Extract] = []
    skipped: list[Extract] = []
    seen: set[str] = set()
    for path in paths:
        try:
            extract = Extract(table, path, file_sha256(path), path.stat().st_size)
        except OSError as exc:
            raise LandingError(f"{path}: cannot read file ({exc.strerror})") from exc
        if extract.sha256 in loaded or extract.sha256 in seen:
            skipped.append(extract)
        else:
            seen.add(extract.sha256)
            new.append(extract)
    return new, skipped


def _reader_sql(path: Path) -> str:
    if path.suffix.lower() == ".parquet":
        return f"read_parquet({quote_literal(str(path))})"
    # Everything as text first: the cast below then names the column and value that break it.
    return (
        f"read_csv({quote_literal(str(path))}, header = true, delim = ',', quote = '\"', "
        "escape = '\"', all_varchar = true, null_padding = false, strict_mode = true)"
    )


def _source_columns(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    if path.suffix.lower() == ".parquet":
        rows = con.execute(
            f"select name from parquet_schema({quote_literal(str(path))}) where num_children "
            "is null or num_children = 0"
        ).fetchall()
        return [r[0] for r in rows if r[0] != "schema"]
    described = con.execute(
        f"describe select * from read_csv({quote_literal(str(path))}, header = true, "
        "delim = ',', quote = '\"', all_varchar = true, sample_size = 1)"
    ).fetchall()
    return [r[0] for r in described]


def _first_line_error(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def stage_extract(
    con: duckdb.DuckDBPyConnection, extract: Extract, loaded_at: datetime
) -> StagedExtract:
    """Read one extract into incoming.<table>, typed and tagged; raise LandingError if unusable."""
    table = LANDING_TABLES[extract.table]
    path = extract.path
    if extract.size == 0:
        raise LandingError(f"{path}: empty file (no header row)")
    try:
        columns = _source_columns(con, path)
    except duckdb.Error as exc:
        raise LandingError(f"{path}: cannot be read: {_first_line_error(exc)}") from exc
    missing = [c for c in table.column_names if c not in columns]
    if missing:
        raise LandingError(f"{path}: missing required column(s) {', '.join(missing)}")
    extra = tuple(c for c in columns if c not in table.column_names and not c.startswith("_"))

    source = f"(select * from {_reader_sql(path)})"
    _check_casts(con, table, source, path)
    select_list = ", ".join(_cast_expression(table, c.name) for c in table.columns)
    hash_input = ", ".join(
        f"coalesce(cast({quote_ident(c)} as varchar), '\\N')" for c in table.column_names
    )
    try:
        con.execute(
            f"""
            create or replace table incoming.{table.name} as
            select
                {select_list},
                {quote_literal(path.name)} as _source_file,
                cast({quote_literal(loaded_at.isoformat(sep=' '))} as timestamp) as _loaded_at,
                md5(concat_ws(chr(31), {hash_input})) as _row_hash
            from {source}
            """
        )
    except duckdb.Error as exc:
        raise LandingError(f"{path}: cannot be read: {_first_line_error(exc)}") from exc
    row_count = con.execute(f"select count(*) from incoming.{table.name}").fetchone()[0]
    return StagedExtract(extract, int(row_count), loaded_at, extra)


def _text_value(column: str) -> str:
    """The column as trimmed text, empty meaning null (CSV has no other null)."""
    return f"nullif(trim(cast({quote_ident(column)} as varchar)), '')"


def _cast_expression(table: LandingTable, column: str) -> str:
    spec = table.column(column)
    if spec.sql_type == "VARCHAR":
        return f"nullif(cast({quote_ident(column)} as varchar), '') as {quote_ident(column)}"
    return f"cast({_text_value(column)} as {spec.sql_type}) as {quote_ident(column)}"


def _check_casts(
    con: duckdb.DuckDBPyConnection, table: LandingTable, source: str, path: Path
) -> None:
    """Name the first column whose values do not fit the contract's type."""
    typed = [c for c in table.columns if c.sql_type != "VARCHAR"]
    if not typed:
        return
    counts = ", ".join(
        f"count(*) filter (where {_text_value(c.name)} is not null and "
        f"try_cast({_text_value(c.name)} as {c.sql_type}) is null)"
        for c in typed
    )
    try:
        bad = con.execute(f"select {counts} from {source}").fetchone()
    except duckdb.Error as exc:
        raise LandingError(f"{path}: cannot be read: {_first_line_error(exc)}") from exc
    for column, n_bad in zip(typed, bad, strict=True):
        if n_bad:
            examples = [
                r[0]
                for r in con.execute(
                    f"select distinct {_text_value(column.name)} from {source} "
                    f"where {_text_value(column.name)} is not null and "
                    f"try_cast({_text_value(column.name)} as {column.sql_type}) is null limit 3"
                ).fetchall()
            ]
            raise LandingError(
                f"{path}: column {column.name}: {n_bad} value(s) are not {column.sql_type}, "
                f"e.g. {examples}"
            )


def merge_extract(con: duckdb.DuckDBPyConnection, staged: StagedExtract) -> None:
    """Append the staged rows to raw and log the file, all or nothing."""
    name = staged.extract.table
    con.execute("begin transaction")
    try:
        con.execute(f"insert into raw.{name} by name select * from incoming.{name}")
        con.execute(
            f"insert into {LOAD_LOG} values (?, ?, ?, ?, ?, ?, ?)",
            [
                name,
                staged.extract.path.name,
                staged.extract.sha256,
                staged.extract.size,
                staged.row_count,
                ",".join(staged.extra_columns),
                staged.loaded_at,
            ],
        )
        con.execute(f"drop table incoming.{name}")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def next_load_time(con: duckdb.DuckDBPyConnection) -> datetime:
    """A load timestamp later than every one logged: load order decides 'latest extract wins'."""
    now = datetime.now(UTC).replace(tzinfo=None)
    last = con.execute(f"select max(loaded_at) from {LOAD_LOG}").fetchone()[0]
    if last is not None and now <= last:
        now = last + timedelta(microseconds=1)
    return now
