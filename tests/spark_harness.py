"""Test helpers: the dbt project on a local Apache Spark, compared with its DuckDB build.

dbt-spark's `session` method runs the models in the dbt process, on the SparkSession that
SparkSession.builder.getOrCreate() returns. So the test process first starts that session
itself (local, in-memory catalog, temp warehouse, UTC, no UI, nothing downloaded), fills
database `raw`, and then runs dbt in the same process through dbtRunner: dbt finds the
session already there and uses it, raw tables included. The DuckDB side runs as usual
(tests/dbt_harness.py, a dbt subprocess).

Needs the optional extra `spark` (`pip install -e '.[spark]'`) and a Java 17 runtime.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.resources.dbt import environ_overrides
from dagster_project.runtime.settings import DBT_PROJECT_DIR, get_settings

REL_TOL = 1e-9
ABS_TOL = 1e-12


def start_spark(work_dir: Path, driver_memory: str = "1g") -> Any:
    """A local SparkSession for dbt's session method; every file it writes stays in work_dir."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("plansignal-dbt-spark-test")
        .config("spark.sql.catalogImplementation", "in-memory")
        .config("spark.sql.warehouse.dir", str(work_dir / "spark-warehouse"))
        .config("spark.local.dir", str(work_dir / "spark-local"))
        .config("spark.driver.memory", driver_memory)
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.legacy.createHiveTableByDefault", "false")
        .config("spark.sql.ansi.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def run_dbt_spark(args: list[str], work_dir: Path) -> Any:
    """``dbt <args> --target spark`` in this process (it must already hold the SparkSession)."""
    from dbt.cli.main import dbtRunner

    # The same environment the DuckDB build gets (settings.dbt_env): absolute paths, because
    # Spark resolves a relative path such as the default decisions folder against its own
    # working directory, not dbt's project. The duckdb target of profiles.yml names the
    # pipeline database: dbt needs it set, even unused.
    env = {**get_settings().dbt_env(), "PLANSIGNAL_PIPELINE_DB": str(work_dir / "unused.duckdb")}
    with environ_overrides(env):
        result = dbtRunner().invoke(
            [
                *args,
                "--target", "spark",
                "--profiles-dir", str(DBT_PROJECT_DIR),
                "--project-dir", str(DBT_PROJECT_DIR),
                "--target-path", str(work_dir / "dbt_target_spark"),
                "--log-path", str(work_dir / "dbt_logs_spark"),
            ]
        )
    if not result.success:
        failures = []
        for node in getattr(result.result, "results", None) or []:
            if str(node.status) not in ("success", "pass"):
                failures.append(f"{node.node.unique_id}: {node.status}: {node.message}")
        detail = "\n".join(failures) or repr(result.exception)
        raise AssertionError(f"dbt {' '.join(args)} --target spark failed:\n{detail}")
    return result


@dataclass(frozen=True)
class Table:
    """One compared table: its rows as (key tuple -> normalised row) and its column names."""

    columns: tuple[str, ...]
    rows: dict[tuple, tuple]
    duplicate_keys: tuple[tuple, ...]


def _normalise(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime):  # only dates remain: timestamps are fetched as micros
        raise TypeError(f"unexpected datetime {value!r}")
    return value


def _keyed(columns: tuple[str, ...], rows: Iterable[tuple], key: tuple[str, ...]) -> Table:
    index = [columns.index(k) for k in key]
    keyed: dict[tuple, tuple] = {}
    duplicates = []
    for row in rows:
        row = tuple(_normalise(v) for v in row)
        k = tuple(row[i] for i in index)
        if k in keyed:
            duplicates.append(k)
        keyed[k] = row
    return Table(columns, keyed, tuple(duplicates))


def duckdb_table(con: duckdb.DuckDBPyConnection, table: str, key: tuple[str, ...]) -> Table:
    """schema.table of DuckDB; timestamps as microseconds since the epoch."""
    schema, name = table.split(".")
    described = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, name],
    ).fetchall()
    if not described:
        raise AssertionError(f"DuckDB has no table {table}")
    select = ", ".join(
        f'epoch_us("{c}") as "{c}"' if t.upper().startswith("TIMESTAMP") else f'"{c}"'
        for c, t in described
    )
    columns = tuple(c for c, _ in described)
    return _keyed(columns, con.execute(f"select {select} from {table}").fetchall(), key)


def spark_table(spark: Any, table: str, key: tuple[str, ...]) -> Table:
    """database.table of Spark; timestamps as microseconds since the epoch."""
    from pyspark.sql import types as T

    frame = spark.table(table)
    select = [
        f"unix_micros(`{f.name}`) as `{f.name}`"
        if isinstance(f.dataType, T.TimestampType | T.TimestampNTZType)
        else f"`{f.name}`"
        for f in frame.schema.fields
    ]
    columns = tuple(f.name for f in frame.schema.fields)
    rows = [tuple(r) for r in frame.selectExpr(*select).collect()]
    return _keyed(columns, rows, key)


def same_value(a: Any, b: Any) -> bool:
    """Equal, numbers within REL_TOL (int and float compare by value; booleans exactly)."""
    if a is None or b is None:
        return a is None and b is None
    numbers = (int, float)
    if (
        isinstance(a, numbers) and isinstance(b, numbers)
        and not isinstance(a, bool) and not isinstance(b, bool)
    ):
        if isinstance(a, float) and math.isnan(a):
            return isinstance(b, float) and math.isnan(b)
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return type(a) is type(b) and a == b


@dataclass(frozen=True)
class Difference:
    key: tuple
    column: str
    duckdb: Any
    spark: Any

    def __str__(self) -> str:
        return f"{self.key} {self.column}: duckdb={self.duckdb!r} spark={self.spark!r}"


def compare(
    duck: Table, spark: Table, ignore: Iterable[str] = ()
) -> tuple[list[str], list[Difference]]:
    """(problems with the tables as a whole, differing values by key then column)."""
    problems: list[str] = []
    if duck.columns != spark.columns:
        problems.append(f"columns differ: duckdb {duck.columns} spark {spark.columns}")
    if duck.duplicate_keys or spark.duplicate_keys:
        problems.append(
            f"duplicate keys: duckdb {duck.duplicate_keys[:3]} spark {spark.duplicate_keys[:3]}"
        )
    only_duck = sorted(set(duck.rows) - set(spark.rows), key=repr)
    only_spark = sorted(set(spark.rows) - set(duck.rows), key=repr)
    if only_duck or only_spark:
        problems.append(
            f"{len(duck.rows)} rows on DuckDB, {len(spark.rows)} on Spark; keys only on "
            f"DuckDB: {only_duck[:5]}; only on Spark: {only_spark[:5]}"
        )
    skip = set(ignore)
    shared = [c for c in duck.columns if c in spark.columns and c not in skip]
    differences = []
    for key in sorted(set(duck.rows) & set(spark.rows), key=_sort_key):
        d_row, s_row = duck.rows[key], spark.rows[key]
        for column in shared:
            a = d_row[duck.columns.index(column)]
            b = s_row[spark.columns.index(column)]
            if not same_value(a, b):
                differences.append(Difference(key, column, a, b))
    return problems, differences


def _sort_key(key: tuple) -> tuple:
    return tuple((v is not None, str(type(v)), v if v is not None else 0) for v in key)
