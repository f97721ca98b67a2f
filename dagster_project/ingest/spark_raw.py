"""Schema `raw` on Apache Spark: the landing contract as Spark tables (README "Scaling out").

The dbt project runs unchanged on Spark (target `spark` in dbt/profiles.yml) once database
`raw` holds the nine landing tables with the columns and types of schema raw in DuckDB:
the contract's columns (dagster_project/ingest/landing_contract.py) plus _source_file,
_loaded_at and _row_hash. This module maps the contract's DuckDB types onto Spark types and
copies raw.* of a pipeline database into the SparkSession's catalog through Parquet files.
pyspark is the optional extra `spark` (`pip install -e '.[spark]'`), imported only when called.

Timestamps are naive in DuckDB (UTC by convention); the Spark session is expected to run with
spark.sql.session.timeZone=UTC so Spark shows the same wall-clock values.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from dagster_project.ingest.landing_contract import LANDING_TABLES, METADATA_COLUMNS, Column

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from pyspark.sql.types import DataType, StructType

RAW_DATABASE = "raw"


def spark_type(sql_type: str) -> DataType:
    """The Spark type of a landing-contract (DuckDB) type."""
    from pyspark.sql import types as T

    mapping = {
        "VARCHAR": T.StringType(),
        "INTEGER": T.IntegerType(),
        "BIGINT": T.LongType(),
        "DOUBLE": T.DoubleType(),
        "BOOLEAN": T.BooleanType(),
        "DATE": T.DateType(),
        "TIMESTAMP": T.TimestampType(),
    }
    try:
        return mapping[sql_type.upper()]
    except KeyError:
        raise ValueError(f"no Spark type for landing-contract type {sql_type!r}") from None


def raw_columns(table: str) -> tuple[Column, ...]:
    """The columns of raw.<table>: the contract's, then the ingestion metadata."""
    return LANDING_TABLES[table].columns + METADATA_COLUMNS


def raw_schema(table: str) -> StructType:
    """The Spark schema of raw.<table>."""
    from pyspark.sql import types as T

    return T.StructType(
        [T.StructField(c.name, spark_type(c.sql_type), True) for c in raw_columns(table)]
    )


def copy_raw_to_spark(
    spark: SparkSession,
    con: duckdb.DuckDBPyConnection,
    exchange_dir: Path,
    tables: Iterable[str] | None = None,
) -> dict[str, int]:
    """Replace raw.<table> in Spark by the rows of raw.<table> in DuckDB; rows per table.

    Each table travels as one Parquet file written by DuckDB into exchange_dir (a folder the
    Spark driver and executors can read: local here, shared storage on a cluster), read by
    Spark, cast to the contract's Spark types and saved as a Parquet table of the session's
    catalog (no Hive metastore needed). DuckDB writes TIMESTAMP as a local (NTZ) timestamp;
    the cast reads it as UTC wall-clock time when the session runs in UTC.
    """
    exchange_dir = Path(exchange_dir)
    exchange_dir.mkdir(parents=True, exist_ok=True)
    spark.sql(f"create database if not exists {RAW_DATABASE}")
    counts: dict[str, int] = {}
    for table in tables or LANDING_TABLES:
        columns = raw_columns(table)
        path = exchange_dir / f"{table}.parquet"
        select = ", ".join(f'"{c.name}"' for c in columns)
        con.execute(
            f"copy (select {select} from {RAW_DATABASE}.{table}) "
            f"to '{str(path).replace(chr(39), chr(39) * 2)}' (format parquet)"
        )
        frame = spark.read.parquet(str(path)).selectExpr(
            *(
                f"cast(`{c.name}` as {spark_type(c.sql_type).simpleString()}) as `{c.name}`"
                for c in columns
            )
        )
        spark.sql(f"drop table if exists {RAW_DATABASE}.{table}")
        frame.write.format("parquet").saveAsTable(f"{RAW_DATABASE}.{table}")
        counts[table] = spark.table(f"{RAW_DATABASE}.{table}").count()
    return counts
