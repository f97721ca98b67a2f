"""The lead-time window follows the data, not the clock: a receipt dated after the day of the
run is quarantined and never moves the window's end (whole job on a hand-made extract), and the
run summary says when most of the history lies outside the window."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from dagster_project.cli import run_pipeline, window_coverage_line
from tests.conftest import point_settings_at

PO_HEADER = ("po_number,po_line,supplier_id,part_number,order_date,requested_date,promised_date,"
             "order_qty,uom,line_status,updated_at")
GR_HEADER = ("receipt_id,po_number,po_line,part_number,receipt_date,quantity,uom,movement_type,"
             "reverses_receipt_id")


def write(landing: Path, table: str, text: str) -> None:
    (landing / table).mkdir(parents=True, exist_ok=True)
    (landing / table / f"{table}__2024-06-30.csv").write_text(text, encoding="utf-8")


@pytest.mark.e2e  # the whole job (make test-e2e)
def test_a_future_receipt_is_quarantined_and_never_ends_the_window(monkeypatch, tmp_path):
    settings = point_settings_at(monkeypatch, tmp_path)
    landing = settings.landing_dir
    write(landing, "erp_items", "part_number,description,uom,procurement_type,status,"
          "manufacturer_part_number,updated_at\nP1,Bolt,EA,BUY,ACTIVE,,2024-01-01 00:00:00\n")
    write(landing, "erp_suppliers", "supplier_id,supplier_name,country,status\n"
          "S1,Acme,DE,ACTIVE\n")
    write(landing, "erp_purchase_order_lines", PO_HEADER + "\n" + "\n".join(
        f"PO{n},1,S1,P1,2024-0{n}-01,2024-0{n}-11,,10,EA,CLOSED,2024-06-30 00:00:00"
        for n in (1, 2, 3)
    ) + "\n")
    # PO3's receipt carries a mistyped year: 2924 instead of 2024.
    write(landing, "erp_goods_receipts", GR_HEADER + "\n"
          "R1,PO1,1,P1,2024-01-08,10,EA,RECEIPT,\n"
          "R2,PO2,1,P1,2024-02-12,10,EA,RECEIPT,\n"
          "R3,PO3,1,P1,2924-03-09,10,EA,RECEIPT,\n")

    report = run_pipeline(settings)
    assert report.exit_code == 0, report.step_failures + report.blocking_failures
    assert report.published
    with duckdb.connect(str(settings.serving_db), read_only=True) as con:
        reasons = dict(con.execute(
            "select po_number, exclusion_reason from marts.fct_po_line_lead_times"
        ).fetchall())
        stats = con.execute(
            "select n_lines, lead_time_window_end_date, median_lead_time_days "
            "from marts.mart_supplier_lead_times"
        ).fetchall()
        quarantined = con.execute(
            "select source_key, reason, handling from marts.quarantined_rows"
        ).fetchall()
    assert reasons == {"PO1": None, "PO2": None, "PO3": "future_dated_receipt"}
    assert stats == [(2, date(2024, 2, 12), 9.0)]  # 7 and 11 days
    assert ("R3", "receipt_date_in_future", "movement_counted_as_never_posted") in quarantined


def test_summary_says_when_most_history_is_outside_the_window(tmp_path):
    serving = tmp_path / "planning.duckdb"
    with duckdb.connect(str(serving)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.mart_supplier_lead_times as select date '2024-01-01' as "
            "lead_time_window_start_date, date '2025-12-30' as lead_time_window_end_date"
        )
        con.execute(
            "create table marts.fct_po_line_lead_times as select * from (values "
            "(date '2025-06-01', null), (date '2015-01-01', null), (date '2014-01-01', null), "
            "(null, 'open_incomplete')) t(completion_date, exclusion_reason)"
        )
    line = window_coverage_line(serving)
    assert line is not None and "only 1 of 3 completed PO lines (33%)" in line
    assert "730-day window" in line and "lead_time_window_days" in line
    with duckdb.connect(str(serving)) as con:
        con.execute("update marts.fct_po_line_lead_times set completion_date = date '2025-01-01'")
    assert window_coverage_line(serving) is None
    assert window_coverage_line(tmp_path / "missing.duckdb") is None
