"""The safety-stock formula on the textbook example, in Python and through the real dbt models.

Weekly demand mean 2,500 and sample standard deviation 500, lead time two weeks with no
variation, cycle service level 0.90 (z = 1.2816): in days d = 2,500 / 7 = 357.14 and
sigma_d = 500 / sqrt(7) = 188.98, L = 14, so SS = 1.2816 x sqrt(14 x 188.98^2) = 906.2 and the
reorder point d x L + SS = 5,906.2 (DESIGN.md, Safety stock review).
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import NormalDist, mean, stdev

import duckdb
import pytest

from dagster_project.ingest.extracts import ensure_raw_schema
from tests.conftest import query
from tests.dbt_harness import build_with_upstream

WEEKLY_DEMAND = (2000.0, 2500.0, 3000.0)  # mean 2,500, sample sd 500
LEAD_TIME_DAYS = 14
SERVICE_LEVEL = 0.90


def recommended_safety_stock(weekly_mean: float, weekly_sd: float, lead_time_days: float,
                             lead_time_sd_days: float, service_level: float) -> float:
    """DESIGN.md: z * sqrt(L * sigma_d^2 + d^2 * sigma_L^2), d and sigma_d per day."""
    z = NormalDist().inv_cdf(service_level)
    d, sigma_d = weekly_mean / 7, weekly_sd / math.sqrt(7)
    return z * math.sqrt(lead_time_days * sigma_d**2 + d**2 * lead_time_sd_days**2)


def test_textbook_example_in_python():
    assert mean(WEEKLY_DEMAND) == 2500 and stdev(WEEKLY_DEMAND) == 500
    ss = recommended_safety_stock(2500, 500, LEAD_TIME_DAYS, 0.0, SERVICE_LEVEL)
    assert ss == pytest.approx(906.2, abs=0.05)
    assert NormalDist().inv_cdf(SERVICE_LEVEL) == pytest.approx(1.2816, abs=1e-4)
    # the same in weeks: z * sigma_week * sqrt(L in weeks)
    assert ss == pytest.approx(NormalDist().inv_cdf(0.9) * 500 * math.sqrt(2), rel=1e-12)


def write_textbook_extract(database: Path) -> None:
    """One bought part, one preferred supplier delivering in exactly 14 days, three demand weeks."""
    loaded = datetime(2024, 7, 1, 8, 0, 0)
    with duckdb.connect(str(database)) as con:
        ensure_raw_schema(con)
        meta = [loaded.isoformat(sep=" ")]
        con.execute(
            "insert into raw.erp_items values ('PN-1', 'Textbook part', 'EA', 'BUY', 'ACTIVE', "
            "null, ?, 'x.csv', ?, 'i1')", meta * 2,
        )
        con.execute(
            "insert into raw.erp_suppliers values ('S1', 'Supplier', 'DE', 'ACTIVE', 'x.csv', "
            "?, 's1')", meta,
        )
        con.execute(
            "insert into raw.erp_purchasing_info values ('PN-1', 'S1', 14, 1, 1, 1.0, 'EUR', "
            "true, date '2024-06-01', 'x.csv', ?, 'p1')", meta,
        )
        for i in range(3):
            ordered = date(2024, 3, 4) + timedelta(days=14 * i)
            con.execute(
                "insert into raw.erp_purchase_order_lines values (?, 10, 'S1', 'PN-1', ?, ?, "
                "null, 100, 'EA', 'CLOSED', ?, 'x.csv', ?, ?)",
                [f"PO{i}", ordered, ordered + timedelta(days=LEAD_TIME_DAYS), loaded, loaded,
                 f"l{i}"],
            )
            con.execute(
                "insert into raw.erp_goods_receipts values (?, ?, 10, 'PN-1', ?, 100, 'EA', "
                "'RECEIPT', null, 'x.csv', ?, ?)",
                [f"GR{i}", f"PO{i}", ordered + timedelta(days=LEAD_TIME_DAYS), loaded, f"r{i}"],
            )
        con.execute(
            "insert into raw.mrp_parameters values ('PN-1', 'PL01', 14, 900, 5900, 'LOT_FOR_LOT',"
            " null, null, date '2024-06-01', 'x.csv', ?, 'm1')", meta,
        )
        for i, qty in enumerate(WEEKLY_DEMAND):
            con.execute(
                "insert into raw.mrp_demand_history values ('PN-1', 'PL01', ?, ?, 'x.csv', ?, ?)",
                [date(2024, 6, 3) + timedelta(days=7 * i), qty, loaded, f"d{i}"],
            )


def test_textbook_example_through_dbt(tmp_path):
    database = tmp_path / "pipeline.duckdb"
    write_textbook_extract(database)
    build_with_upstream(
        database,
        "mart_safety_stock_review",
        tmp_path,
        vars_yaml=f"{{service_level: {SERVICE_LEVEL}}}",
    )
    row = query(
        database,
        "select service_level, z, mean_daily_demand, stddev_daily_demand, "
        "lead_time_basis, lead_time_mean_days, lead_time_stddev_days, "
        "recommended_safety_stock, recommended_safety_stock_qty, recommended_reorder_point, "
        "current_safety_stock, is_safety_stock_deviation "
        "from marts.mart_safety_stock_review",
    )
    assert len(row) == 1
    (level, z, d, sigma_d, basis, lead_time, lead_time_sd, ss, ss_qty, reorder_point,
     current, deviation) = row[0]
    assert level == SERVICE_LEVEL
    assert z == pytest.approx(1.2815515655446004, rel=1e-8)
    assert d == pytest.approx(357.142857, rel=1e-6)
    assert sigma_d == pytest.approx(188.982237, rel=1e-6)
    assert (basis, lead_time, lead_time_sd) == ("actual", 14.0, 0.0)
    assert ss == pytest.approx(906.2, abs=0.05)
    assert ss == pytest.approx(
        recommended_safety_stock(2500, 500, LEAD_TIME_DAYS, 0.0, SERVICE_LEVEL), rel=1e-8
    )
    assert ss_qty == 907
    assert reorder_point == pytest.approx(5000 + ss, rel=1e-12)
    assert current == 900 and not deviation
