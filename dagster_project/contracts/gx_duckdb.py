"""Run Great Expectations 1.x suites against tables in a DuckDB database.

This module is the ONLY place in plansignal that knows Great Expectations internals. Everything
else (the contract runner, assets, tests) goes through `open_batch` / `validate_suite`.

Why it exists
-------------
GX 1.x has no DuckDB execution engine; its SQL datasource works over duckdb-engine (SQLAlchemy)
except for one thing. `SqlAlchemyExecutionEngine.execute_query` runs each query inside
`with self.get_connection() as connection:` and the caller fetches the rows *after* that block,
e.g. `resolve_metric_bundle` does `self.execute_query(q).fetchall()`. For most dialects
`get_connection` opens a fresh connection and returns it to the pool on exit; the pool's
reset-on-return (and the closing transaction) issues a ROLLBACK on the DBAPI connection.
duckdb-engine's cursor is the DuckDB connection itself, which holds one pending result, so the
ROLLBACK replaces the result and the fetch returns no rows: `IndexError: list index out of
range` in `resolve_metric_bundle`, every expectation "Observed: N/A".

GX already avoids this for dialects whose temp tables live in one connection:
`great_expectations.execution_engine.sqlalchemy_execution_engine._PERSISTED_CONNECTION_DIALECTS`
(sqlite, mssql, bigquery, databricks). For those, `_dialect_requires_persisted_connection`
builds the engine with `poolclass=StaticPool` and `get_connection` keeps one `Connection` in
`self._connection` for the engine's life and never closes it. The patch below adds "duckdb" to
that tuple: the narrowest change, and it reuses GX's own tested sqlite code path.

A second, smaller incompatibility is worked around without touching GX: SQLAlchemy >= 2.0.45
reflects columns through `pg_catalog.pg_collation`, which DuckDB's pg_catalog emulation lacks
(duckdb/duckdb#22069, Mause/duckdb_engine#1379). GX then falls back to
`SELECT * FROM <table> LIMIT 1` with the table name *unqualified*, so we set the DuckDB
`search_path` of GX's connection to the table's schema. Consequence: GX sees column names but
no column types (type expectations such as expect_column_values_to_be_of_type do not work
while that upstream bug stands; see `column_types_available`).

Two gaps without a patch: GX has no regex SQL for the duckdb dialect, so regex expectations
fail with no observed value (`contracts.load_suite` refuses them; suites write the rule as an
`unexpected_rows_expectation` with DuckDB's `regexp_full_match`); and UnexpectedRowsExpectation
reports only a row count below result format COMPLETE, so `validate_suite` adds a few failing
rows itself (`_add_unexpected_row_samples`).

Connections: GX runs on a connection of its own, either a read-only connection to the file or
`cursor()` of a connection the caller already holds (a DuckDB process cannot open the same file
read-only while it holds it read-write). Closing ours never closes the caller's.

Verified on: great-expectations 1.24.1, SQLAlchemy 2.1.9, duckdb-engine 0.17.0, duckdb 2.0.1.
`tests/test_gx_shim.py` fails loudly when an upgrade breaks any of this.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import duckdb_engine
import great_expectations as gx
import great_expectations.execution_engine.sqlalchemy_execution_engine as _gx_sa_engine
from great_expectations.core import ExpectationSuite, ExpectationSuiteValidationResult
from great_expectations.data_context import EphemeralDataContext
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)

VERIFIED_GX_VERSIONS: tuple[str, ...] = ("1.24.1",)

# Plain SQL identifiers only: names end up in a DuckDB `SET search_path` and in GX's SQL.
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


class _DuckDBDialectName(str):
    """Stands in for a `GXSqlDialect` member in `_PERSISTED_CONNECTION_DIALECTS`.

    GX compares the tuple's members with `dialect_name in (...)` (str equality) and with
    `drivername.startswith(member.value)`, so a str with a `.value` satisfies both.
    """

    @property
    def value(self) -> str:
        return str(self)


def install_persisted_connection_patch() -> None:
    """Make GX keep one connection open for DuckDB engines, as it does for sqlite. Idempotent."""
    dialects = _gx_sa_engine._PERSISTED_CONNECTION_DIALECTS
    if any(str(getattr(d, "value", d)) == "duckdb" for d in dialects):
        return
    _gx_sa_engine._PERSISTED_CONNECTION_DIALECTS = (*dialects, _DuckDBDialectName("duckdb"))


def split_table_name(table: str) -> tuple[str, str]:
    """'raw.erp_items' -> ('raw', 'erp_items'); a bare name is in schema 'main'."""
    parts = table.split(".")
    if len(parts) == 1:
        parts = ["main", parts[0]]
    if len(parts) != 2 or not all(_IDENTIFIER.match(p) for p in parts):
        raise ValueError(f"table must be 'schema.table' with plain identifiers, got {table!r}")
    return parts[0], parts[1]


def _open_connection(database: Path | str | duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection owned by the caller of this function (who must close it)."""
    if isinstance(database, duckdb.DuckDBPyConnection):
        # Same database instance, separate session (own search_path, own result): closing it
        # leaves the caller's connection open. It sees only what the caller has committed.
        return database.cursor()
    path = Path(database)
    if not path.is_file():
        raise FileNotFoundError(f"DuckDB database not found: {path}")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.ConnectionException:
        # This process already holds the file read-write and DuckDB refuses a second connection
        # with a different configuration; a read-write connection joins the open instance.
        # (Another *process* holding the write lock raises IOException, which we let through.)
        return duckdb.connect(str(path))


def _ephemeral_context() -> EphemeralDataContext:
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        analytics_enabled=False,
    )
    return gx.get_context(project_config=config, mode="ephemeral")


@dataclass
class DuckDBBatch:
    """The GX objects for one table, valid inside `open_batch`'s `with` block only."""

    context: EphemeralDataContext
    datasource: Any  # great_expectations.datasource.fluent.SQLDatasource
    asset: Any  # great_expectations.datasource.fluent.sql_datasource.TableAsset
    batch: Any  # great_expectations.datasource.fluent.interfaces.Batch
    connection: duckdb.DuckDBPyConnection  # the session GX runs its SQL on
    schema: str
    table: str


@contextmanager
def open_batch(
    database: Path | str | duckdb.DuckDBPyConnection, table: str
) -> Iterator[DuckDBBatch]:
    """Ephemeral GX context + SQL datasource + table asset + whole-table batch.

    `database` is a DuckDB file (opened read-only where possible) or an open connection to
    reuse; `table` is 'schema.table' (a table or a view).
    """
    install_persisted_connection_patch()
    schema, name = split_table_name(table)
    conn = _open_connection(database)
    datasource = None
    try:
        # GX's column-reflection fallback queries the bare table name (module docstring).
        # Both settings are local to this session; the caller's connection is unaffected.
        conn.execute(f"SET search_path = '{schema}'")
        conn.execute("SET enable_progress_bar = false")  # no terminal bars in pipeline logs
        # `schema` may also name an attached database (its main schema): ingestion stages
        # extracts in an in-memory database attached as `incoming` (ingest/extracts.py).
        exists = conn.execute(
            "SELECT count(*) FROM information_schema.tables"
            " WHERE (table_schema = ? OR (table_catalog = ? AND table_schema = 'main'))"
            " AND table_name = ?",
            [schema, schema, name],
        ).fetchone()
        if not exists or not exists[0]:
            raise LookupError(f"table {schema}.{name} not found in the DuckDB database")
        context = _ephemeral_context()
        # `creator` hands SQLAlchemy our session, wrapped as duckdb-engine would wrap its own;
        # the URL is then only used to pick the dialect.
        datasource = context.data_sources.add_sql(
            name="duckdb",
            connection_string="duckdb:///:memory:",
            kwargs={"creator": lambda: duckdb_engine.ConnectionWrapper(conn)},
        )
        asset = datasource.add_table_asset(name=f"{schema}.{name}", table_name=name,
                                           schema_name=schema)
        batch = asset.add_batch_definition_whole_table("whole_table").get_batch()
        yield DuckDBBatch(context, datasource, asset, batch, conn, schema, name)
    finally:
        if datasource is not None:
            # Dispose both SQLAlchemy engines (datasource's and execution engine's); their
            # pools hold wrappers of `conn`, never the caller's own connection.
            datasource.get_execution_engine().close()
            datasource.get_engine().dispose()
        conn.close()


def validate_suite(
    database: Path | str | duckdb.DuckDBPyConnection,
    table: str,
    suite: ExpectationSuite,
    result_format: dict[str, Any] | None = None,
    parameters: dict[str, Any] | None = None,
) -> ExpectationSuiteValidationResult:
    """Validate `suite` against `table` ('schema.table') and return GX's result object.

    `parameters` fill the suite's {"$PARAMETER": name} placeholders.
    """
    result_format = result_format or {"result_format": "SUMMARY", "partial_unexpected_count": 5}
    with open_batch(database, table) as handle:
        result = handle.batch.validate(
            suite, result_format=result_format, expectation_parameters=parameters
        )
        _add_unexpected_row_samples(handle, result,
                                    int(result_format.get("partial_unexpected_count", 5)))
        return result


UNEXPECTED_ROWS = "unexpected_rows_expectation"


def _add_unexpected_row_samples(
    handle: DuckDBBatch, result: ExpectationSuiteValidationResult, limit: int
) -> None:
    """Give failed UnexpectedRowsExpectations a few failing rows, like column maps have.

    Below result format COMPLETE, GX reports only `observed_value` (the number of rows the
    query returned), so a failure could not show what failed. Re-running the query with a
    LIMIT on GX's own session costs one small query per *failed* expectation only. `{batch}` is
    substituted as GX does for a whole-table batch: the table itself. `element_count` is the
    table's row count (the rules select rows of the table).
    """
    for res in result.results:
        config = res.expectation_config
        info = res.exception_info or {}
        if (config.type != UNEXPECTED_ROWS or res.success or info.get("raised_exception")
                or not isinstance((res.result or {}).get("observed_value"), int)):
            continue
        table = f"{handle.schema}.{handle.table}"
        try:
            query = str(config.kwargs["unexpected_rows_query"]).format(batch=table)
            cursor = handle.connection.execute(f"SELECT * FROM ({query}) AS q LIMIT {limit}")
            names = [d[0] for d in cursor.description]
            sample = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            total = handle.connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        except (duckdb.Error, KeyError, IndexError, ValueError):
            continue  # the observed count stands; samples are a convenience
        count = res.result["observed_value"]
        # The keys Data Docs' renderers expect of a failed expectation with failing values.
        res.result.update({
            "unexpected_count": count, "element_count": total,
            "unexpected_percent": 100.0 * count / total if total else 100.0,
            "partial_unexpected_list": sample,
        })


def column_types_available(database: Path | str | duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether GX can see column types here (False while the pg_collation bug stands)."""
    with open_batch(database, table) as handle:
        cols = handle.connection.execute(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position LIMIT 1",
            [handle.schema, handle.table],
        ).fetchall()
        if not cols:
            return False
        probe = gx.expectations.ExpectColumnValuesToBeOfType(column=cols[0][0], type_=cols[0][1])
        suite = ExpectationSuite(name="types_probe", expectations=[probe])
        return bool(handle.batch.validate(suite).success)


def assert_shim_works() -> None:
    """Self-check on an in-memory database: raises RuntimeError if GX-on-DuckDB is broken."""
    conn = duckdb.connect()
    try:
        conn.execute(
            "CREATE SCHEMA probe;"
            " CREATE TABLE probe.t AS SELECT i AS id,"
            " CASE WHEN i % 10 = 0 THEN NULL ELSE i END AS v FROM range(100) r(i)"
        )
        # Built with the constructor: `add_expectation` wants an active data context.
        suite = ExpectationSuite(
            name="shim_self_check",
            expectations=[
                gx.expectations.ExpectColumnValuesToNotBeNull(column="v"),
                gx.expectations.ExpectColumnValuesToBeUnique(column="id"),
                gx.expectations.ExpectTableRowCountToEqual(value=100),
            ],
        )
        result = validate_suite(conn, "probe.t", suite)
        got = {r.expectation_config.type: r for r in result.results}
        problems = [
            f"{t}: {r.exception_info.get('exception_message')}"
            for t, r in got.items()
            if r.exception_info and r.exception_info.get("raised_exception")
        ]
        not_null = got.get("expect_column_values_to_not_be_null")
        if not_null is None or not_null.result.get("unexpected_count") != 10:
            problems.append(f"not_null unexpected_count != 10: {not_null and not_null.result}")
        unique = got.get("expect_column_values_to_be_unique")
        if unique is None or unique.success is not True:
            problems.append("unique check on a unique column did not pass")
        if problems:
            raise RuntimeError(
                f"GX-on-DuckDB shim is broken under great-expectations {gx.__version__}"
                f" (verified on {', '.join(VERIFIED_GX_VERSIONS)}): " + "; ".join(problems)
            )
    finally:
        conn.close()
