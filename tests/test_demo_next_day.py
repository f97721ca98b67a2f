"""`make demo-data NEXT_DAY=1`: one more day of demo extracts, as a daily ERP export would be."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from dagster_project.contracts.suites import validate_table
from dagster_project.ingest.extracts import ingest_landing
from dagster_project.runtime.settings import EXPECTATIONS_DIR
from tooling.demo_data import generate
from tooling.demo_next_day import GR_TABLE, PO_TABLE, NextDayError, main, next_day

SCALE, SEED = 0.3, 7


@pytest.fixture(scope="module")
def two_days(tmp_path_factory: pytest.TempPathFactory) -> Path:
    landing = tmp_path_factory.mktemp("next_day") / "landing"
    generate(SCALE, SEED, landing, landing.parent / "truth", progress=False)
    next_day(landing)
    next_day(landing)
    return landing


def read(landing: Path, table: str, where: str = "true") -> list[tuple]:
    files = sorted(str(p) for p in (landing / table).glob("*.csv"))
    with duckdb.connect() as con:
        return con.execute(f"select * from read_csv(?, filename = true) where {where}",
                           [files]).fetchall()


def test_each_call_adds_the_next_day_after_the_demo(two_days):
    for table in (PO_TABLE, GR_TABLE):
        names = sorted(p.name for p in (two_days / table).glob("*.csv"))
        assert names[-2:] == [f"{table}__demo__2026-11-01.csv", f"{table}__demo__2026-11-02.csv"]
    receipts = read(two_days, GR_TABLE, "filename like '%2026-11-0%'")
    assert {r[4] for r in receipts} <= {dt.date(2026, 11, 1), dt.date(2026, 11, 2)}


def test_a_day_is_about_a_365th_of_the_demos_year(two_days):
    day = len(read(two_days, PO_TABLE, "order_date = date '2026-11-01'"))
    year = len(read(two_days, PO_TABLE, "order_date > date '2025-10-31' "
                                        "and order_date <= date '2026-10-31'"))
    assert year / 365 / 3 <= day <= year / 365 * 3
    moves = len(read(two_days, GR_TABLE, "receipt_date = date '2026-11-01'"))
    assert moves > 0


def test_movements_reference_what_exists_and_ids_stay_unique(two_days):
    with duckdb.connect() as con:
        ingest_landing(con, two_days)
        assert con.execute("select count(*) - count(distinct receipt_id) "
                           "from raw.erp_goods_receipts").fetchone()[0] == 0
        orphans = con.execute("""
            select count(*) from raw.erp_goods_receipts r
            anti join raw.erp_purchase_order_lines l using (po_number, po_line)""").fetchone()[0]
        assert orphans == 0
        assert con.execute("""
            select count(*) from raw.erp_goods_receipts r where movement_type = 'REVERSAL'
            and reverses_receipt_id not in (select receipt_id from raw.erp_goods_receipts)
        """).fetchone()[0] == 0
        for table in (PO_TABLE, GR_TABLE):
            outcome = validate_table(con, f"raw.{table}", EXPECTATIONS_DIR / f"raw__{table}.json",
                                     run_id="test", parameters={"today": dt.date(2026, 12, 31)})
            assert not outcome.error_failures, outcome.summary_line()


def test_same_demo_and_seed_give_the_same_bytes(two_days, tmp_path):
    landing = tmp_path / "landing"
    generate(SCALE, SEED, landing, tmp_path / "truth", progress=False)
    next_day(landing)
    for table in (PO_TABLE, GR_TABLE):
        name = f"{table}__demo__2026-11-01.csv"
        assert (landing / table / name).read_bytes() == (two_days / table / name).read_bytes()


def test_refused_without_a_demo_or_beside_own_extracts(tmp_path, capsys):
    with pytest.raises(NextDayError, match="no demo extract"):
        next_day(tmp_path)
    own = tmp_path / PO_TABLE / "erp_purchase_order_lines__2026-11-30.csv"
    own.parent.mkdir(parents=True)
    own.write_text("po_number\n", encoding="utf-8")
    assert main(["--landing", str(tmp_path)]) == 2
    assert "holds own extracts" in capsys.readouterr().err
