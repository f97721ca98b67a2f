"""Mart contracts on what changed, plus the whole-table rules (README "Data contracts").

A mart suite may declare, in its top-level meta, the incremental model that rewrites its rows:

    "changed_rows": {"changes_in": "intermediate.int_x", "key": ["po_number", "po_line"]}

It promises that every change to a row of the mart rewrites the row of the same key in
``changes_in``, whose ``built_at`` then says when (macros/incremental.sql). When this suite,
unchanged, last passed on rows built up to some time T, the rows built up to T still hold
every row rule they passed then; only rows of a key rebuilt after T can break one. So:

- ERROR row rules (a row passes or fails on its own values, ``ROW_RULES``, no ``$PARAMETER``)
  and uniqueness on exactly the key run on the *changed rows*: every mart row whose key was
  rebuilt after T (so a new row that repeats an old key is among them);
- everything else runs on the whole table: table-level rules, WARNING rules (so the counts a
  reviewer sees are the table's), SQL rules (they may read other tables), rules with a
  parameter such as today's date.

The whole table is checked when there is no such T (first run, the suite file changed, the
watermark table is new) or when more than ``WHOLE_TABLE_SHARE`` of the rows changed (a full
rebuild): the same verdict, one pass. T is recorded only when the suite passes, so rows that
failed are checked again on every run until they pass.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from dagster_project.warehouse.sql import quote_ident, quote_literal

if TYPE_CHECKING:
    from great_expectations.core import ExpectationSuite

META_KEY = "changed_rows"
WHOLE_TABLE = "whole table"
# Above this share of changed rows, copying them out costs more than the rules it saves.
WHOLE_TABLE_SHARE = 0.5
# An in-memory database attached for the changed rows: GX reads them with its own cursor, so
# they cannot be a temporary table, and nothing of them is written to the pipeline file.
SCOPE_DATABASE = "contract_scope"
WATERMARKS = "ops.contract_watermarks"

# Rules a row passes or fails on its own values (GX column map and column pair map rules).
ROW_RULES: frozenset[str] = frozenset({
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_null",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_not_be_in_set",
    "expect_column_values_to_be_between",
    "expect_column_value_lengths_to_be_between",
    "expect_column_value_lengths_to_equal",
    "expect_column_pair_values_a_to_be_greater_than_b",
    "expect_column_pair_values_to_be_equal",
})
UNIQUENESS_RULES: frozenset[str] = frozenset({
    "expect_column_values_to_be_unique",
    "expect_compound_columns_to_be_unique",
})


class ChangedRowsError(Exception):
    """A changed_rows declaration that cannot be used; the message is one line."""


@dataclass(frozen=True)
class ChangedRowsSpec:
    changes_in: str  # 'schema.table' with built_at and the key columns
    key: tuple[str, ...]


@dataclass(frozen=True)
class Scope:
    """Which rows a suite's row rules check in this run."""

    spec: ChangedRowsSpec | None
    since: datetime | None  # rows of keys built after this; None: the whole table
    built_through: datetime | None  # newest built_at now: recorded when the suite passes
    reason: str  # why the whole table, or which rows
    suite_sha256: str | None = None  # of the suite file this run validates with

    @property
    def changed_rows_only(self) -> bool:
        return self.since is not None

    def label(self) -> str:
        """The rows_scope of the quality history for rules run on the changed rows."""
        if self.spec is None or self.since is None:
            return WHOLE_TABLE
        return (f"rows whose key ({', '.join(self.spec.key)}) was rebuilt in "
                f"{self.spec.changes_in} after {self.since:%Y-%m-%d %H:%M:%S}")


def _plain_identifier(name: str, where: str) -> str:
    if not name or not all(part.isidentifier() for part in name.split(".")):
        raise ChangedRowsError(f"{where}: {name!r} is not a plain identifier")
    return name


def declared_spec(meta: dict[str, Any] | None, suite_path: Path) -> ChangedRowsSpec | None:
    """The suite's changed_rows declaration, or None; a malformed one raises naming the file."""
    raw = (meta or {}).get(META_KEY)
    if raw is None:
        return None
    where = f"{suite_path}: meta.{META_KEY}"
    if not isinstance(raw, dict) or set(raw) != {"changes_in", "key"}:
        raise ChangedRowsError(f"{where} must be an object with 'changes_in' and 'key'")
    changes_in = _plain_identifier(str(raw["changes_in"]), where)
    if changes_in.count(".") != 1:
        raise ChangedRowsError(f"{where}: changes_in must be 'schema.table'")
    key = raw["key"]
    if not isinstance(key, list) or not key:
        raise ChangedRowsError(f"{where}: key must be a non-empty list of columns")
    return ChangedRowsSpec(changes_in, tuple(_plain_identifier(str(c), where) for c in key))


def _has_parameter(value: Any) -> bool:
    if isinstance(value, dict):
        return "$PARAMETER" in value or any(_has_parameter(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_parameter(v) for v in value)
    return False


def checks_changed_rows(config: Any, spec: ChangedRowsSpec) -> bool:
    """Whether a rule (GX ExpectationConfiguration) may run on the changed rows only."""
    meta = config.meta or {}
    kwargs = config.kwargs or {}
    if meta.get("severity") != "ERROR" or _has_parameter(kwargs):
        return False
    if config.type in ROW_RULES:
        return True
    if config.type in UNIQUENESS_RULES:
        columns = kwargs.get("column_list") or [kwargs.get("column")]
        return set(columns) == set(spec.key) and not kwargs.get("row_condition")
    return False


def suite_digest(suite_path: Path) -> str:
    return hashlib.sha256(Path(suite_path).read_bytes()).hexdigest()


def ensure_watermarks(con: duckdb.DuckDBPyConnection) -> None:
    """One row per pass of a changed_rows suite: the rows built up to built_through passed."""
    con.execute("create schema if not exists ops")
    con.execute(f"create table if not exists {WATERMARKS} (suite varchar, suite_sha256 varchar, "
                "changes_in varchar, built_through timestamp, run_id varchar, "
                "recorded_at timestamp)")


def decide_scope(
    con: duckdb.DuckDBPyConnection, suite_name: str, suite_path: Path,
    spec: ChangedRowsSpec | None,
) -> Scope:
    """The rows this run's row rules check (module docstring)."""
    if spec is None:
        return Scope(None, None, None, "the suite declares no changed_rows")
    try:
        built_through, n_rows = con.execute(
            f"select max(built_at), count(*) from {spec.changes_in}"
        ).fetchone()
    except duckdb.Error as exc:
        raise ChangedRowsError(
            f"{suite_path}: changed_rows: cannot read built_at of {spec.changes_in}: "
            f"{' '.join(str(exc).split())[:200]}"
        ) from exc
    ensure_watermarks(con)
    digest = suite_digest(suite_path)  # recorded with a pass: the rules these rows passed
    row = con.execute(
        f"select built_through from {WATERMARKS} where suite = ? and suite_sha256 = ? "
        "and changes_in = ? order by recorded_at desc limit 1",
        [suite_name, digest, spec.changes_in],
    ).fetchone()
    if row is None or row[0] is None:
        return Scope(spec, None, built_through,
                     "no earlier pass of this suite (as it is now) to start from", digest)
    since = row[0]
    [n_changed] = con.execute(
        f"select count(*) from {spec.changes_in} where built_at > ?", [since]
    ).fetchone()
    reason = f"{n_changed:,} of {n_rows:,} rows rebuilt since the last pass"
    if n_rows and n_changed > WHOLE_TABLE_SHARE * n_rows:
        return Scope(spec, None, built_through, reason, digest)
    return Scope(spec, since, built_through, reason, digest)


def copy_changed_rows(
    con: duckdb.DuckDBPyConnection, table: str, scope: Scope
) -> str:
    """Copy the mart's rows of changed keys into the in-memory scope database; its name."""
    assert scope.spec is not None and scope.since is not None
    key = ", ".join(quote_ident(c) for c in scope.spec.key)
    name = table.split(".")[-1]
    con.execute(f"attach if not exists ':memory:' as {SCOPE_DATABASE}")
    con.execute(
        f"create or replace table {SCOPE_DATABASE}.main.{quote_ident(name)} as "
        f"select * from {table} where ({key}) in ("
        f"select {key} from {scope.spec.changes_in} "
        f"where built_at > cast({quote_literal(scope.since.isoformat(sep=' '))} as timestamp))"
    )
    return f"{SCOPE_DATABASE}.{name}"


def release_changed_rows(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"detach database if exists {SCOPE_DATABASE}")


def record_pass(
    con: duckdb.DuckDBPyConnection, suite_name: str, scope: Scope, run_id: str,
) -> None:
    """The suite (as scope.suite_sha256) passed on every row built up to scope.built_through.

    The pass replaces the earlier passes of the same suite version and changes_in: decide_scope
    reads only the newest, so the table holds one row per suite version instead of one per run.
    """
    if scope.spec is None or scope.built_through is None or scope.suite_sha256 is None:
        return
    ensure_watermarks(con)
    same_version = [suite_name, scope.suite_sha256, scope.spec.changes_in]
    recorded_at = datetime.now(UTC).replace(tzinfo=None)
    con.execute(
        f"insert into {WATERMARKS} values (?, ?, ?, ?, ?, ?)",
        [*same_version, scope.built_through, run_id, recorded_at],
    )
    # Insert first: an interruption between the two leaves an old row too, never none.
    con.execute(
        f"delete from {WATERMARKS} where suite = ? and suite_sha256 = ? and changes_in = ? "
        "and recorded_at < ?",
        [*same_version, recorded_at],
    )


def split_suite(
    suite: ExpectationSuite, spec: ChangedRowsSpec
) -> tuple[ExpectationSuite, ExpectationSuite]:
    """(rules for the changed rows, rules for the whole table), each in suite order."""
    from great_expectations.core import ExpectationSuite

    changed: list[Any] = []
    whole: list[Any] = []
    for expectation in suite.expectations:
        config = expectation.configuration
        (changed if checks_changed_rows(config, spec) else whole).append(
            config.to_domain_obj()
        )
    return (ExpectationSuite(name=suite.name, expectations=changed, meta=dict(suite.meta)),
            ExpectationSuite(name=suite.name, expectations=whole, meta=dict(suite.meta)))


__all__: Sequence[str] = (
    "ChangedRowsError", "ChangedRowsSpec", "ROW_RULES", "Scope", "WHOLE_TABLE",
    "checks_changed_rows", "copy_changed_rows", "decide_scope", "declared_spec",
    "record_pass", "release_changed_rows", "split_suite", "suite_digest",
)
