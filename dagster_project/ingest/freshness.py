"""How fresh each landing table is: its newest extract, when it was loaded, its newest date.

A plant's export job can stop without anyone noticing: the pipeline keeps publishing the last
extract it has. So every run, `plansignal status` and the site's home say, per landing table,
which extract is the newest in ``raw`` (from the load log), when it was loaded, and the newest
business date in the table; a table whose newest extract was loaded longer ago than
``PLANSIGNAL_EXTRACT_MAX_AGE_DAYS`` (settings, default 7) is *stale*, and the run warns.

Age is measured on the load time, not on the business dates: a demo or a historical extract
has old dates but can be freshly delivered; a daily ERP export that stopped has not been
delivered for days.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from dagster_project.ingest.landing_contract import LANDING_TABLES
from dagster_project.ingest.load_log import LOAD_LOG
from dagster_project.warehouse.sql import quote_ident, table_exists

# The column that dates a table's content (None: the table carries no date, e.g. suppliers).
BUSINESS_DATE: dict[str, str | None] = {
    "erp_items": "updated_at",
    "erp_suppliers": None,
    "erp_purchasing_info": "last_reviewed_date",
    "erp_purchase_order_lines": "updated_at",
    "erp_goods_receipts": "receipt_date",
    "erp_inventory": "snapshot_date",
    "mrp_parameters": "last_changed_date",
    "mrp_availability": "as_of_date",
    "mrp_demand_history": "week_start",
}


@dataclass(frozen=True)
class TableFreshness:
    table: str
    newest_file: str | None  # None: nothing loaded (or everything retracted)
    loaded_at: datetime | None  # UTC, naive as DuckDB keeps it
    extracts: int
    business_date_column: str | None
    newest_business_date: date | None
    stale: bool

    def age_days(self, now: datetime) -> float | None:
        if self.loaded_at is None:
            return None
        return (now - self.loaded_at).total_seconds() / 86400

    def describe(self, now: datetime) -> str:
        if self.newest_file is None:
            return f"{self.table}: no extract loaded"
        age = self.age_days(now) or 0.0
        dated = (
            f", newest {self.business_date_column} {self.newest_business_date}"
            if self.business_date_column else ""
        )
        flag = "  STALE" if self.stale else ""
        return (f"{self.table}: {self.newest_file}, loaded {self.loaded_at:%Y-%m-%d %H:%M} UTC "
                f"({age:.1f} days ago, {self.extracts} extract(s)){dated}{flag}")


def landing_freshness(
    con: duckdb.DuckDBPyConnection,
    now: datetime,
    max_age_days: float,
    tables: Iterable[str] | None = None,
) -> list[TableFreshness]:
    """One row per landing table (or per one of ``tables``), from the load log and raw.

    ``now`` is naive UTC like the load log's times. Read-only use is fine.
    """
    has_log = table_exists(con, "raw", "_load_log")
    result = []
    for table in tables or LANDING_TABLES:
        newest = None
        count = 0
        if has_log:
            newest = con.execute(
                f"select source_file, loaded_at from {LOAD_LOG} "
                "where table_name = ? and retracted_at is null "
                "order by loaded_at desc, source_file desc limit 1",
                [table],
            ).fetchone()
            count = con.execute(
                f"select count(*) from {LOAD_LOG} where table_name = ? and retracted_at is null",
                [table],
            ).fetchone()[0]
        column = BUSINESS_DATE[table]
        newest_date = None
        if column and newest and table_exists(con, "raw", table):
            value = con.execute(
                f"select max({quote_ident(column)}) from raw.{quote_ident(table)}"
            ).fetchone()[0]
            newest_date = value.date() if isinstance(value, datetime) else value
        loaded_at = newest[1] if newest else None
        result.append(TableFreshness(
            table=table,
            newest_file=newest[0] if newest else None,
            loaded_at=loaded_at,
            extracts=int(count),
            business_date_column=column,
            newest_business_date=newest_date,
            stale=loaded_at is not None and now - loaded_at > timedelta(days=max_age_days),
        ))
    return result


def read_landing_freshness(
    pipeline_db: Path, now: datetime, max_age_days: float
) -> list[TableFreshness] | None:
    """landing_freshness of a pipeline database file, opened read-only; [] before the first
    run, None while a run holds the file for writing."""
    if not pipeline_db.exists():
        return []
    try:
        con = duckdb.connect(str(pipeline_db), read_only=True)
    except duckdb.Error:
        return None
    try:
        return landing_freshness(con, now, max_age_days)
    finally:
        con.close()
