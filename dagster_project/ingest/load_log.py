"""The load log (``raw._load_log``): which extracts are in ``raw``, where they came from, and
which were taken out again.

Every merged extract has one row: table, file name, content sha256, size, rows, extra columns,
load time, and its ``origin``: ``demo`` for the generated demo extract (file names holding
``__demo__``, see :func:`is_demo_extract`), ``own`` for everything else.

Retraction takes an extract's rows out of ``raw.<table>`` (they are found by ``_source_file``
and ``_loaded_at``) and stamps its log row with ``retracted_at``, ``retraction_kind`` and
``retraction_reason``, in one transaction. The log row stays: the history says what was loaded
and when it was taken out. Two kinds:

- ``command``: a user retracted the extract (``python -m dagster_project.cli retract``). Its
  content is never loaded again, even while the file still lies in the landing folder: a wrong
  file must not come back by itself. A corrected file (other content) loads as usual.
- ``demo``: the demo extract retires itself. Demo rows never mix with a user's own: as soon as
  the landing folder holds one extract that is not demo, every demo extract is retracted and the
  demo files still in landing are ignored; a demo extract whose file left the landing folder
  (or was regenerated with other content) is retracted too. A retired demo extract loads again
  if its file is back and no own extract is there. The governance history kept so far (findings,
  proposals: warehouse/kept_history.py) was the demo's and is forgotten with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dagster_project.warehouse.kept_history import forget_kept_history

LOAD_LOG = "raw._load_log"
DEMO_MARKER = "__demo__"
ORIGIN_DEMO = "demo"
ORIGIN_OWN = "own"
RETRACTED_BY_COMMAND = "command"
RETRACTED_DEMO = "demo"
# Shortest content-hash prefix the retract command accepts as a reference.
MIN_HASH_PREFIX = 8

_COLUMNS = """
    table_name varchar,
    source_file varchar,
    content_sha256 varchar,
    file_size bigint,
    row_count bigint,
    extra_columns varchar,
    loaded_at timestamp,
    origin varchar,
    retracted_at timestamp,
    retraction_kind varchar,
    retraction_reason varchar
"""
# Added after the first release: warehouses from before get them on first use.
_ADDED_COLUMNS = (
    ("origin", "varchar"),
    ("retracted_at", "timestamp"),
    ("retraction_kind", "varchar"),
    ("retraction_reason", "varchar"),
)


def is_demo_extract(name: str) -> bool:
    """A generated demo extract: its file name holds ``__demo__`` (``tooling/demo_data.py``)."""
    return DEMO_MARKER in name


def origin_of(name: str) -> str:
    return ORIGIN_DEMO if is_demo_extract(name) else ORIGIN_OWN


def own_extracts_present(files: Iterable[Path]) -> bool:
    return any(not is_demo_extract(p.name) for p in files)


def ensure_load_log(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create table if not exists {LOAD_LOG} ({_COLUMNS})")
    for name, sql_type in _ADDED_COLUMNS:
        con.execute(f"alter table {LOAD_LOG} add column if not exists {name} {sql_type}")


@dataclass(frozen=True)
class LoggedExtract:
    """One merged extract as the load log records it."""

    table: str
    source_file: str
    content_sha256: str
    row_count: int
    loaded_at: datetime
    origin: str
    retracted_at: datetime | None = None
    retraction_kind: str | None = None
    retraction_reason: str | None = None

    def describe(self) -> str:
        return (f"{self.table}/{self.source_file} (sha256 {self.content_sha256[:12]}, "
                f"{self.row_count:,} rows, loaded {self.loaded_at:%Y-%m-%d %H:%M:%S})")


def logged_extracts(
    con: duckdb.DuckDBPyConnection, table: str | None = None, *, retracted: bool | None = False
) -> list[LoggedExtract]:
    """Logged extracts in load order; ``retracted``: False live only, True retracted only,
    None both."""
    conditions = []
    params: list[object] = []
    if table is not None:
        conditions.append("table_name = ?")
        params.append(table)
    if retracted is not None:
        conditions.append("retracted_at is not null" if retracted else "retracted_at is null")
    where = f"where {' and '.join(conditions)}" if conditions else ""
    rows = con.execute(
        "select table_name, source_file, content_sha256, row_count, loaded_at, "
        "coalesce(origin, 'own'), retracted_at, retraction_kind, retraction_reason "
        f"from {LOAD_LOG} {where} order by loaded_at, table_name, source_file",
        params,
    ).fetchall()
    return [LoggedExtract(*row) for row in rows]


def record_merge(
    con: duckdb.DuckDBPyConnection,
    table: str,
    source_file: str,
    content_sha256: str,
    file_size: int,
    row_count: int,
    extra_columns: Sequence[str],
    loaded_at: datetime,
) -> None:
    """The log row of a merged extract; call inside the merge's transaction."""
    con.execute(
        f"insert into {LOAD_LOG} (table_name, source_file, content_sha256, file_size, "
        "row_count, extra_columns, loaded_at, origin) values (?, ?, ?, ?, ?, ?, ?, ?)",
        [table, source_file, content_sha256, file_size, row_count, ",".join(extra_columns),
         loaded_at, origin_of(source_file)],
    )


def blocked_hashes(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str | None]:
    """Content that must not load again: live extracts (None) and extracts retracted by
    command (their reason). A retired demo extract is not blocked (see the module docstring)."""
    rows = con.execute(
        f"select content_sha256, case when retracted_at is not null then "
        f"'retracted on ' || strftime(retracted_at, '%Y-%m-%d') || ': ' || "
        f"coalesce(retraction_reason, '') end from {LOAD_LOG} where table_name = ? and "
        f"(retracted_at is null or retraction_kind = '{RETRACTED_BY_COMMAND}')",
        [table],
    ).fetchall()
    return dict(rows)


def retract(
    con: duckdb.DuckDBPyConnection, extract: LoggedExtract, kind: str, reason: str
) -> int:
    """Take one extract's rows out of raw and stamp its log row, all or nothing; rows removed."""
    con.execute("begin transaction")
    try:
        removed = con.execute(
            f"delete from raw.{extract.table} where _source_file = ? and _loaded_at = ?",
            [extract.source_file, extract.loaded_at],
        ).fetchone()[0]
        con.execute(
            f"update {LOAD_LOG} set retracted_at = ?, retraction_kind = ?, "
            "retraction_reason = ? where table_name = ? and content_sha256 = ? "
            "and loaded_at = ? and retracted_at is null",
            [datetime.now(UTC).replace(tzinfo=None), kind, reason, extract.table,
             extract.content_sha256, extract.loaded_at],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return int(removed)


def retire_demo(
    con: duckdb.DuckDBPyConnection,
    table: str,
    landing_demo_hashes: set[str],
    own_present: bool,
) -> list[LoggedExtract]:
    """Retract the demo extracts of ``table`` that must not stay in raw; returns them."""
    retired = []
    for extract in logged_extracts(con, table):
        if extract.origin != ORIGIN_DEMO:
            continue
        if own_present:
            reason = "demo retired: own extracts are in the landing folder"
        elif extract.content_sha256 not in landing_demo_hashes:
            reason = "demo retired: its file is no longer in the landing folder"
        else:
            continue
        retract(con, extract, RETRACTED_DEMO, reason)
        retired.append(extract)
    if retired:
        # The finding and change-set history so far is the demo's: it leaves with it.
        forget_kept_history(con)
    return retired


def find_extracts(con: duckdb.DuckDBPyConnection, reference: str,
                  table: str | None = None) -> list[LoggedExtract]:
    """Live extracts whose file name is ``reference`` or whose sha256 starts with it."""
    reference = reference.strip()
    by_hash = len(reference) >= MIN_HASH_PREFIX and all(
        c in "0123456789abcdef" for c in reference.lower()
    )
    return [
        e for e in logged_extracts(con, table)
        if e.source_file == reference
        or (by_hash and e.content_sha256.startswith(reference.lower()))
    ]
