"""Lead times on real data: the USAID SCMS delivery history, SQL against pandas.

The public SCMS file (../shared/realdata/usaid_scms, see PROVENANCE.md there: UTF-8 with BOM,
carriage-return line ends, m/d/yy and d-Mon-yy dates, "Date Not Captured") is mapped onto the
landing contract by data/mappings/usaid_scms.yml (dagster_project/mapping/),
loaded by the real ingestion code and run through the dbt lead-time models. Independently,
pandas reads the same CSV and computes every line's lead time (delivered to client minus PO
sent to vendor) and the statistics per part (item description) and supplier (vendor) with
numpy (linear-interpolation quantiles, sample standard deviation). Both must agree.

The statistics window is relative to the newest receipt date (2015); the test sets
lead_time_window_days far beyond the data so every line counts. Skips where the file is absent.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from dagster_project.mapping.apply import apply_mapping
from dagster_project.mapping.config import load_mapping
from tests.conftest import query_frame
from tests.dbt_harness import build_with_upstream, load_landing
from tooling.part_numbers import canonical_part_id, normalize_part_number

REPO = Path(__file__).resolve().parents[1]
REALDATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
SCMS_FILE = REALDATA_DIR / "usaid_scms" / "SCMS_Delivery_History_Dataset.csv"
MAPPING = REPO / "data" / "mappings" / "usaid_scms.yml"
ALL_HISTORY_DAYS = 20_000  # 55 years: the whole file is inside the window

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.e2e,  # a dbt build of the whole real file (make test-e2e)
    pytest.mark.skipif(not SCMS_FILE.is_file(), reason=f"real data not available: {SCMS_FILE}"),
]


def reference_lines() -> pd.DataFrame:
    """Every Direct Drop line with a PO sent date, read straight from the CSV with pandas."""
    raw = pd.read_csv(SCMS_FILE, encoding="utf-8-sig", lineterminator="\r", dtype=str)
    raw = raw[raw["Fulfill Via"] == "Direct Drop"]
    sent = pd.to_datetime(raw["PO Sent to Vendor Date"], format="%m/%d/%y", errors="coerce")
    raw = raw[sent.notna()].assign(order_date=sent[sent.notna()])
    lines = pd.DataFrame({
        "po_line": raw["ID"].astype(int),
        "supplier_id": raw["Vendor"].str.strip(),
        "canonical_part_id": [
            canonical_part_id(normalize_part_number(d)) for d in raw["Item Description"]
        ],
        "order_date": raw["order_date"].dt.date,
        "receipt_date": pd.to_datetime(raw["Delivered to Client Date"], format="%d-%b-%y").dt.date,
        "scheduled_date": pd.to_datetime(raw["Scheduled Delivery Date"], format="%d-%b-%y").dt.date,
    })
    lines["lead_time_days"] = [(r - o).days for r, o in zip(lines.receipt_date,
                                                               lines.order_date, strict=True)]
    return lines


def reference_statistics(lines: pd.DataFrame) -> pd.DataFrame:
    counted = lines[lines.lead_time_days >= 0]  # a receipt before the PO is excluded

    def stats(group: pd.DataFrame) -> pd.Series:
        values = group.lead_time_days.to_numpy(dtype=float)
        return pd.Series({
            "n_ref": len(values),
            "mean": values.mean(),
            "median": np.quantile(values, 0.5),
            "p90": np.quantile(values, 0.9),
            "p80": np.quantile(values, 0.8),
            "stddev": values.std(ddof=1) if len(values) > 1 else math.nan,
            "min": values.min(),
            "max": values.max(),
            "on_time": (group.receipt_date <= group.scheduled_date).mean(),
        })

    return counted.groupby(["canonical_part_id", "supplier_id"]).apply(
        stats, include_groups=False
    )


# mart_supplier_lead_times column -> reference_statistics column
STATISTIC_COLUMNS = {
    "mean_lead_time_days": "mean",
    "median_lead_time_days": "median",
    "p90_lead_time_days": "p90",
    "quantile_lead_time_days": "p80",
    "stddev_lead_time_days": "stddev",
    "min_lead_time_days": "min",
    "max_lead_time_days": "max",
    "on_time_rate": "on_time",
}


def assert_statistics_match(mart: pd.DataFrame, expected: pd.DataFrame,
                            min_lines: int = 3) -> pd.DataFrame:
    """The mart's statistics per (canonical_part_id, supplier_id) index equal the reference's;
    the recommendation is the p80 rounded up where there are min_lines lines. Returns both."""
    assert set(mart.index) == set(expected.index)
    joined = mart.join(expected)
    assert (joined.n_lines == joined.n_ref).all()
    for sql_column, ref_column in STATISTIC_COLUMNS.items():
        np.testing.assert_allclose(
            joined[sql_column].astype(float), joined[ref_column].astype(float),
            rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=sql_column,
        )
    confident = joined[joined.n_lines >= min_lines]
    expected_recommendation = np.ceil(np.round(confident.p80.astype(float), 6))
    assert (confident.recommended_lead_time_days == expected_recommendation).all()
    return joined


@pytest.fixture(scope="module")
def usaid_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("usaid")
    landing = work / "landing"
    apply_mapping(load_mapping(MAPPING), SCMS_FILE.parent, landing, tag="2015-09-30")
    database = work / "pipeline.duckdb"
    load_landing(landing, database)
    build_with_upstream(
        database,
        "mart_supplier_lead_times",
        work,
        vars_yaml=f"{{lead_time_window_days: {ALL_HISTORY_DAYS}}}",
    )
    return database


def test_every_line_has_the_pandas_lead_time(usaid_db):
    expected = reference_lines().set_index("po_line")
    with duckdb.connect(str(usaid_db), read_only=True) as con:
        fct = con.execute(
            "select po_line, order_date, completion_date, lead_time_days, "
            "first_receipt_lead_time_days, short_closed, exclusion_reason "
            "from marts.fct_po_line_lead_times"
        ).df().set_index("po_line")
    assert len(fct) == len(expected) == 4592
    joined = fct.join(expected, rsuffix="_ref", how="inner")
    assert len(joined) == len(expected)
    assert (joined.lead_time_days == joined.lead_time_days_ref).all()
    assert (joined.first_receipt_lead_time_days == joined.lead_time_days_ref).all()
    assert not joined.short_closed.any()
    before_order = joined.lead_time_days_ref < 0
    assert (joined.exclusion_reason[before_order] == "receipt_before_order_date").all()
    assert joined.exclusion_reason[~before_order].isna().all()
    # a few delivered-before-PO lines exist in the real data and must be excluded, not dropped
    assert before_order.sum() > 0


def test_statistics_per_part_and_supplier_match_numpy(usaid_db):
    expected = reference_statistics(reference_lines())
    mart = query_frame(
        usaid_db,
        "select canonical_part_id, supplier_id, n_lines, mean_lead_time_days, "
        "median_lead_time_days, p90_lead_time_days, stddev_lead_time_days, "
        "min_lead_time_days, max_lead_time_days, on_time_rate, quantile_lead_time_days, "
        "recommended_lead_time_days, low_confidence, lead_time_window_end_date "
        "from marts.mart_supplier_lead_times where n_lines > 0",
    ).set_index(["canonical_part_id", "supplier_id"])
    assert len(mart) > 100
    joined = assert_statistics_match(mart, expected)
    assert (joined.low_confidence == (joined.n_lines < 3)).all()
    newest = reference_lines().receipt_date.max()
    assert (joined.lead_time_window_end_date.dt.date == newest).all()
    assert date(2015, 1, 1) <= newest <= date(2016, 1, 1)
