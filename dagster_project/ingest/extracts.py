"""Loading landing extracts into DuckDB schema ``raw``.

One extract file goes through three steps, each its own function so that the Dagster asset can
put the raw contract between them:

1. :func:`stage_extract` reads the file into ``incoming.<table>``: required columns present,
   every value cast to the contract's type, ``_source_file``, ``_loaded_at`` and ``_row_hash``
   added. Any problem raises :class:`LandingError` with one line naming the file.
2. The caller validates ``incoming.<table>`` against the raw contract.
3. :func:`merge_extract` appends the staged rows to ``raw.<table>`` and records the file in
   ``raw._load_log`` in one transaction, so an extract is merged wholly or not at all.

``incoming`` is an in-memory database attached to the connection, not a schema of the
warehouse file: a staged extract is never written to disk before it passes its contract
(writing it there cost as much again as the merge), and a killed run leaves nothing staged.

A file whose content (sha256) was already loaded into the same table is skipped, whatever its
name. Files never move: a refused extract stays in the landing folder until fixed or removed.
:func:`ingest_table` runs the three steps over one table's files, in name order, and stops at
the first file it cannot merge: a later extract must never be merged before an earlier one,
or the earlier one, once fixed, would win as the "latest" extract.
While one extract is validated and merged, the next is already staged beside it
(``incoming.<table>__next``, renamed when its turn comes; stage_ahead.py): staging eight
receipt extracts of a scale-100 history took 19-20 s instead of 22.5-23 s.

File names are names, never patterns: DuckDB's readers expand ``*``, ``?``, ``[ ]`` and ``{ }``
in a path, so a file whose path holds one (``extract [1].csv``, ``erp_items__*.csv``) is read
through a link with a plain name in the work folder (:func:`readable_alias`), and only ever
itself.

Encodings: UTF-8 (with or without BOM) is the contract. ERP exports written on Windows are
often Windows-1252, so a CSV whose bytes are not valid UTF-8 is read as Windows-1252 (Latin-1
where a byte is undefined in Windows-1252) and the run log says so; a UTF-16 file (with BOM) is
read as UTF-16. Both are transcoded to a UTF-8 copy in a work folder, never in the landing
folder. Line ends may be LF, CRLF or CR alone.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import duckdb

from dagster_project.ingest.encodings import UTF16_BOMS, detect_encoding, transcode_to_utf8
from dagster_project.ingest.file_digests import sha256_and_size
from dagster_project.ingest.landing_contract import LANDING_TABLES, LandingTable
from dagster_project.ingest.load_log import (
    LOAD_LOG,
    LoggedExtract,
    blocked_hashes,
    ensure_load_log,
    is_demo_extract,
    record_merge,
    retire_demo,
)
from dagster_project.ingest.stage_ahead import StageAhead
from dagster_project.runtime.faults import crash_point
from dagster_project.warehouse.sql import quote_ident, quote_literal

SUPPORTED_SUFFIXES = (".csv", ".parquet")
# DuckDB refuses CSV lines longer than 2 MB by default; descriptions may be of any length.
MAX_LINE_BYTES = 64 * 1024 * 1024
# Characters DuckDB's file readers treat as a glob pattern in a path.
GLOB_CHARACTERS = frozenset("*?[]{}")


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
    encoding: str = "utf-8"  # what the file was read as (see the module docstring)


@dataclass
class TableIngest:
    """What :func:`ingest_table` did with one table's files."""

    merged: list[StagedExtract] = field(default_factory=list)
    skipped: list[Extract] = field(default_factory=list)  # content already loaded
    refused: list[Extract] = field(default_factory=list)  # broke an ERROR rule of the contract
    waiting: list[Extract] = field(default_factory=list)  # behind a refused extract
    retired_demo: list[LoggedExtract] = field(default_factory=list)  # demo taken out of raw
    ignored_demo: list[Extract] = field(default_factory=list)  # demo files beside own ones

    @property
    def rows_merged(self) -> int:
        return sum(s.row_count for s in self.merged)


def discover_extracts(landing_dir: Path) -> dict[str, list[Path]]:
    """Extract files per landing table, in name order; unknown folders are an error."""
    if landing_dir.exists() and not landing_dir.is_dir():
        raise LandingError(f"{landing_dir}: landing path is a file, not a folder")
    if not landing_dir.is_dir():
        raise LandingError(f"{landing_dir}: landing folder does not exist")
    try:
        entries = sorted(landing_dir.iterdir())
    except OSError as exc:
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
    except OSError as exc:
        raise LandingError(f"{table_dir}: folder is not readable ({exc.strerror})") from exc
    extracts = [p for p in files if p.suffix.lower() in SUPPORTED_SUFFIXES]
    for path in files:
        if path.suffix.lower() not in SUPPORTED_SUFFIXES and not path.name.startswith("."):
            raise LandingError(f"{path}: unsupported file type; expected .csv or .parquet")
    return extracts


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema raw, one empty table per landing table, and the load log."""
    con.execute("create schema if not exists raw")
    attach_incoming(con)
    for table in LANDING_TABLES.values():
        columns = ", ".join(f"{quote_ident(c.name)} {c.sql_type}" for c in table.columns)
        con.execute(
            f"create table if not exists raw.{table.name} ({columns}, "
            "_source_file varchar, _loaded_at timestamp, _row_hash varchar)"
        )
    ensure_load_log(con)


def attach_incoming(con: duckdb.DuckDBPyConnection) -> None:
    """Attach the in-memory ``incoming`` database (see the module docstring); idempotent.

    Warehouses from before kept ``incoming`` as a schema of the file, which would make
    ``incoming.<table>`` ambiguous: that schema is dropped (it only ever held unmerged copies).
    """
    database = con.execute("select current_database()").fetchone()[0]
    legacy = con.execute(
        "select count(*) from duckdb_schemas() where database_name = ? "
        "and schema_name = 'incoming'",
        [database],
    ).fetchone()[0]
    if legacy:
        con.execute(f"drop schema {quote_ident(database)}.incoming cascade")
    con.execute("attach if not exists ':memory:' as incoming")


def describe_extracts(
    table: str, paths: Iterable[Path], con: duckdb.DuckDBPyConnection | None = None
) -> list[Extract]:
    """Each file with its content hash and size: one read of every file, or, given the
    warehouse connection, of every file changed since it was last hashed (file_digests.py)."""
    paths = list(paths)
    try:
        described = sha256_and_size(con, paths)
    except OSError as exc:
        raise LandingError(f"{exc.filename}: cannot read file ({exc.strerror})") from exc
    return [
        Extract(table, path, sha256, size)
        for path, (sha256, size) in zip(paths, described, strict=True)
    ]


def pending_extracts(
    con: duckdb.DuckDBPyConnection,
    table: str,
    paths: Iterable[Path] | None = None,
    extracts: Iterable[Extract] | None = None,
    log: Callable[[str], None] = lambda line: None,
) -> tuple[list[Extract], list[Extract]]:
    """Split files (or described extracts) into (new, not to load) by content hash.

    Not to load: content already in raw, or retracted by command (load_log.py), each logged.
    """
    blocked = blocked_hashes(con, table)
    new: list[Extract] = []
    skipped: list[Extract] = []
    seen: set[str] = set()
    for extract in describe_extracts(table, paths or [], con) if extracts is None else extracts:
        if extract.sha256 in blocked or extract.sha256 in seen:
            skipped.append(extract)
            retraction = blocked.get(extract.sha256)
            log(f"{extract.path}: content already loaded, skipped" if retraction is None else
                f"{extract.path}: content {retraction}; not loaded again (remove the file, or "
                "land a corrected one)")
        else:
            seen.add(extract.sha256)
            new.append(extract)
    return new, skipped


def _csv_options(sample_size: int | None = None) -> str:
    # skip = 0: without it DuckDB's sniffer may silently take the first data row for the header
    # when a row has more fields than the header.
    options = (
        "header = true, skip = 0, delim = ',', quote = '\"', escape = '\"', "
        f"all_varchar = true, null_padding = false, strict_mode = true, "
        f"max_line_size = {MAX_LINE_BYTES}"
    )
    return options + (f", sample_size = {sample_size}" if sample_size else "")


def _reader_sql(path: Path) -> str:
    if path.suffix.lower() == ".parquet":
        return f"read_parquet({quote_literal(str(path))})"
    # Everything as text first: the cast below then names the column and value that break it.
    return f"read_csv({quote_literal(str(path))}, {_csv_options()})"


def _source_columns(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    if path.suffix.lower() == ".parquet":
        rows = con.execute(
            f"select name from parquet_schema({quote_literal(str(path))}) where num_children "
            "is null or num_children = 0"
        ).fetchall()
        return [r[0] for r in rows if r[0] != "schema"]
    described = con.execute(
        f"describe select * from read_csv({quote_literal(str(path))}, {_csv_options(1)})"
    ).fetchall()
    return [r[0] for r in described]


def _first_line_error(exc: Exception) -> str:
    """DuckDB's multi-line reader error as one line: where, and what is wrong (no row dump)."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    first = re.sub(r"^[A-Za-z ]+ Error: ", "", lines[0])
    if first.startswith("Error when sniffing file"):
        return (
            "malformed CSV: not readable as comma-separated text with one header row (a row "
            "with more or fewer fields than the header, or an unclosed quote)"
        )
    located = re.match(r"CSV Error on Line: (\d+)", first)
    if located:
        reason = next(
            (
                line for line in lines[1:]
                if not line.startswith(("Original Line:", "Possible", "*", "file ="))
            ),
            "malformed row",
        )
        return f"malformed CSV at line {located.group(1)}: {reason[:200]}"
    return first[:300]


def stage_extract(
    con: duckdb.DuckDBPyConnection,
    extract: Extract,
    loaded_at: datetime,
    work_dir: Path | None = None,
    *,
    relation: str | None = None,  # default incoming.<table>
) -> StagedExtract:
    """Read one extract into incoming.<table>, typed and tagged; raise LandingError if unusable.

    Call :func:`ensure_raw_schema` on the connection first (it attaches ``incoming``).

    A CSV is read as UTF-8 first: DuckDB validates every byte it reads, so the common case costs
    no extra pass over the file. Only a UTF-16 file (BOM) or a CSV DuckDB finds not to be UTF-8
    is sniffed in Python (:func:`detect_encoding`) and read through a transcoded copy in
    ``work_dir`` (default: the system temp folder), deleted afterwards. ``relation`` (default
    ``incoming.<table>``) is the table the rows are staged in.
    """
    path = extract.path
    relation = relation or staged_relation(extract.table)
    if extract.size == 0:
        raise LandingError(f"{path}: empty file (no header row)")
    work_dir = work_dir or Path(tempfile.gettempdir()) / "plansignal"
    if path.suffix.lower() != ".csv" or not _starts_with_utf16_bom(path):
        try:
            with readable_alias(path, work_dir) as readable:
                return _stage(con, extract, loaded_at, readable, "utf-8", relation)
        except _NotUtf8:
            pass  # read again below, through a transcoded copy
    try:
        encoding = detect_encoding(path)
        if encoding == "utf-8":  # DuckDB and Python disagree: say what DuckDB said
            raise LandingError(f"{path}: cannot be read: not valid UTF-8")
        readable = transcode_to_utf8(path, encoding, work_dir)
    except OSError as exc:
        raise LandingError(f"{path}: cannot read file ({exc.strerror})") from exc
    try:
        return _stage(con, extract, loaded_at, readable, encoding, relation)
    finally:
        readable.unlink(missing_ok=True)


def has_glob_characters(path: Path) -> bool:
    return any(ch in GLOB_CHARACTERS for ch in str(path))


@contextmanager
def readable_alias(path: Path, work_dir: Path) -> Iterator[Path]:
    """``path`` itself, or a symlink to it under a plain name when DuckDB would glob the path."""
    if not has_glob_characters(path):
        yield path
        return
    # The work folder can itself sit below a folder named with brackets: then the system's.
    folder = next(
        (d for d in (work_dir.resolve(), Path(tempfile.gettempdir()).resolve() / "plansignal")
         if not has_glob_characters(d)),
        None,
    )
    if folder is None:
        raise LandingError(
            f"{path}: the path holds one of * ? [ ] {{ }} and so do the work and temp folders"
        )
    alias = folder / f"{uuid.uuid4().hex}{path.suffix.lower()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        alias.symlink_to(path.resolve())
    except OSError as exc:
        raise LandingError(f"{path}: cannot read file ({exc.strerror})") from exc
    try:
        yield alias
    finally:
        alias.unlink(missing_ok=True)


def _starts_with_utf16_bom(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(2) in UTF16_BOMS
    except OSError as exc:
        raise LandingError(f"{path}: cannot read file ({exc.strerror})") from exc


class _NotUtf8(Exception):
    """DuckDB met bytes that are not UTF-8: the file is read again through a transcoded copy."""


def _reader_failure(exc: duckdb.Error, path: Path, encoding: str) -> Exception:
    """The exception to raise for a DuckDB error while reading ``path``."""
    if encoding == "utf-8" and path.suffix.lower() == ".csv" and "Invalid unicode" in str(exc):
        return _NotUtf8(str(path))
    return LandingError(f"{path}: cannot be read: {_first_line_error(exc)}")


def _stage(
    con: duckdb.DuckDBPyConnection,
    extract: Extract,
    loaded_at: datetime,
    readable: Path,
    encoding: str,
    relation: str,
) -> StagedExtract:
    table = LANDING_TABLES[extract.table]
    path = extract.path  # named in every message; ``readable`` is what DuckDB reads
    try:
        columns = _source_columns(con, readable)
    except duckdb.Error as exc:
        raise _reader_failure(exc, path, encoding) from exc
    missing = [c for c in table.column_names if c not in columns]
    if missing:
        hint = ""
        if len(columns) == 1 and ";" in columns[0]:
            hint = " (the header looks semicolon-separated; the contract is comma-separated)"
        raise LandingError(f"{path}: missing required column(s) {', '.join(missing)}{hint}")
    extra = tuple(c for c in columns if c not in table.column_names and not c.startswith("_"))

    source = f"(select * from {_reader_sql(readable)})"
    select_list = ", ".join(_cast_expression(table, c.name) for c in table.columns)
    typed_columns = ", ".join(quote_ident(c) for c in table.column_names)
    # One pass over the file: the casts are strict, and only when one fails is the file read
    # again to name the column and values that break the contract's types.
    try:
        con.execute(
            f"""
            create or replace table {relation} as
            select
                *,
                {quote_literal(path.name)} as _source_file,
                cast({quote_literal(loaded_at.isoformat(sep=' '))} as timestamp) as _loaded_at,
                {row_hash_sql(typed_columns)} as _row_hash
            from (select {select_list} from {source})
            """
        )
    except duckdb.ConversionException as exc:
        _check_casts(con, table, source, path)
        raise LandingError(f"{path}: cannot be read: {_first_line_error(exc)}") from exc
    except duckdb.Error as exc:
        raise _reader_failure(exc, path, encoding) from exc
    row_count = con.execute(f"select count(*) from {relation}").fetchone()[0]
    return StagedExtract(extract, int(row_count), loaded_at, extra, encoding)


def row_hash_sql(columns: str) -> str:
    """``_row_hash``: DuckDB's 64-bit hash of the typed row, as 16 hex digits.

    It only orders two rows of one key inside one extract ("latest extract wins" needs a
    deterministic choice); the file's sha256 is the content identity. A non-cryptographic
    hash: md5 over the row's text cost about 40 % of staging a large extract.
    """
    return f"lpad(to_hex(hash({columns})), 16, '0')"


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
        con.execute(f"insert into raw.{name} by name select * from {staged_relation(name)}")
        record_merge(
            con, name, staged.extract.path.name, staged.extract.sha256, staged.extract.size,
            staged.row_count, staged.extra_columns, staged.loaded_at,
        )
        crash_point("ingest.before_commit")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    # Not in the transaction: one DuckDB transaction writes to one attached database only.
    con.execute(f"drop table if exists {staged_relation(name)}")


def next_load_time(con: duckdb.DuckDBPyConnection) -> datetime:
    """A load timestamp later than every one logged: load order decides 'latest extract wins'."""
    now = datetime.now(UTC).replace(tzinfo=None)
    last = con.execute(f"select max(loaded_at) from {LOAD_LOG}").fetchone()[0]
    if last is not None and now <= last:
        now = last + timedelta(microseconds=1)
    return now


def ingest_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    files: Iterable[Path],
    validate: Callable[[StagedExtract], bool] | None = None,
    log: Callable[[str], None] = lambda line: None,
    work_dir: Path | None = None,
    retire_demo_extracts: bool = False,
) -> TableIngest:
    """Stage, validate and merge every new extract of one table, in file-name order.

    Demo extracts first (load_log.py): with ``retire_demo_extracts`` (own extracts are in the
    landing folder) every demo extract leaves raw and demo files are ignored; otherwise only
    demo extracts whose file has left the landing folder leave raw.

    ``validate`` sees each staged extract in ``incoming.<table>`` and returns whether it may be
    merged. A refused extract stops the table there: the later ones wait (see module docstring).
    A file that cannot be read at all raises LandingError; extracts merged before it stay.
    """
    ensure_raw_schema(con)
    result = TableIngest()
    extracts = describe_extracts(table, files, con)
    demo = [e for e in extracts if is_demo_extract(e.path.name)]
    result.retired_demo = retire_demo(
        con, table, {e.sha256 for e in demo}, own_present=retire_demo_extracts
    )
    for logged in result.retired_demo:
        log(f"demo extract retracted from raw: {logged.describe()}")
    if retire_demo_extracts:
        result.ignored_demo = demo
        extracts = [e for e in extracts if not is_demo_extract(e.path.name)]
        if demo:
            log(f"{len(demo)} demo file(s) in {demo[0].path.parent} ignored: own extracts are "
                "in the landing folder (remove them with `make demo-clean`)")
    new, result.skipped = pending_extracts(con, table, extracts=extracts, log=log)
    with StageAhead(con, staged_relation(table)) as ahead:
        staged = stage_extract(con, new[0], next_load_time(con), work_dir) if new else None
        for index, extract in enumerate(new):
            assert staged is not None
            if index + 1 < len(new):  # later than this one's load time: load order = name order
                next_loaded_at = max(next_load_time(con),
                                     staged.loaded_at + timedelta(microseconds=1))
                ahead.start(partial(stage_extract, extract=new[index + 1], loaded_at=next_loaded_at,
                                    work_dir=work_dir))
            if staged.encoding != "utf-8":
                log(f"{extract.path}: not UTF-8; read as {staged.encoding}")
            if validate is not None and not validate(staged):
                con.execute(f"drop table if exists {staged_relation(table)}")  # the file stays
                result.refused.append(extract)
                result.waiting = new[index + 1:]
                for later in result.waiting:
                    log(f"{later.path}: waits until {extract.path.name} is fixed or removed "
                        "(extracts merge in name order)")
                break
            merge_extract(con, staged)
            result.merged.append(staged)
            if staged.extra_columns:
                log(f"{extract.path}: extra column(s) kept out of raw and ignored: "
                    + ", ".join(staged.extra_columns))
            if index + 1 < len(new):
                staged = ahead.take()  # raises the next file's LandingError, in name order
    return result


def staged_relation(table: str) -> str:
    """Where an extract waits for its raw contract (the module docstring)."""
    return f"incoming.{table}"


def ingest_landing(con: duckdb.DuckDBPyConnection, landing_dir: Path) -> dict[str, TableIngest]:
    """Every table's new extracts under landing_dir into raw.*, unvalidated (tests, tools).

    The pipeline ingests table by table (one asset each, the raw contract validating); this is
    the same staging and merging without the contracts, for loading a fixture folder.
    """
    return {
        table: ingest_table(con, table, paths)
        for table, paths in discover_extracts(landing_dir).items()
    }
