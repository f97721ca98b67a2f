"""Real extracts publish: three public data sets, each mapped and run end to end as a user does.

USAID SCMS, Wide World Importers and AdventureWorks (../shared/realdata, see PROVENANCE.md
there; read where they are, never copied) are each mapped with the shipped mapping in
data/mappings/ into a throwaway home, then the whole job runs once per session: ingestion, raw
contracts, dbt build, mart contracts, publish and the governance site (written the way the
CLI leaves it). Every run must publish. The published marts are then checked against values
computed independently from the source files with pandas and numpy: lines, lead times and
their statistics per part and supplier over the trailing window, the planned lead times, the
proposed lead-time changes, demand, stock parameters and part counts.

The statistics and part ids reuse the SCMS reference helpers of tests/test_realdata_usaid.py
(numpy linear-interpolation quantiles, sample standard deviation; the canonical part id of a
normalised part number). Policy settings (window, quantile, drift tolerances) are read from
dbt/dbt_project.yml, the values the pipeline runs with. Skips where a data set is absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from dagster_project.cli import RunReport, write_site
from dagster_project.mapping.apply import apply_mapping
from dagster_project.mapping.config import load_mapping
from dagster_project.runtime.settings import DBT_PROJECT_DIR, Settings
from tests.conftest import REALDATA_DIR, point_settings_at
from tests.recommendation_reference import is_confident, order_statistic_interval
from tests.test_realdata_usaid import (
    assert_statistics_match,
    reference_lines,
    reference_statistics,
)
from tooling.part_numbers import canonical_part_id, normalize_part_number

pytestmark = [pytest.mark.realdata, pytest.mark.e2e]  # whole jobs on real data (make test-e2e)

WWI_DIR = REALDATA_DIR / "wide_world_importers"
AW_DIR = REALDATA_DIR / "adventureworks"
PAIR = ["canonical_part_id", "supplier_id"]  # the key of lead-time statistics
POLICY = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]

# AdventureWorks 2014 OLTP column order (the install CSVs have no header row).
AW_COLUMNS = {
    "Product": "ProductID Name ProductNumber MakeFlag FinishedGoodsFlag Color SafetyStockLevel "
               "ReorderPoint StandardCost ListPrice Size SizeUnitMeasureCode "
               "WeightUnitMeasureCode Weight DaysToManufacture ProductLine Class Style "
               "ProductSubcategoryID ProductModelID SellStartDate SellEndDate DiscontinuedDate "
               "rowguid ModifiedDate",
    "Vendor": "BusinessEntityID AccountNumber Name CreditRating PreferredVendorStatus "
              "ActiveFlag PurchasingWebServiceURL ModifiedDate",
    "ProductVendor": "ProductID BusinessEntityID AverageLeadTime StandardPrice LastReceiptCost "
                     "LastReceiptDate MinOrderQty MaxOrderQty OnOrderQty UnitMeasureCode "
                     "ModifiedDate",
    "PurchaseOrderHeader": "PurchaseOrderID RevisionNumber Status EmployeeID VendorID "
                           "ShipMethodID OrderDate ShipDate SubTotal TaxAmt Freight TotalDue "
                           "ModifiedDate",
    "PurchaseOrderDetail": "PurchaseOrderID PurchaseOrderDetailID DueDate OrderQty ProductID "
                           "UnitPrice LineTotal ReceivedQty RejectedQty StockedQty ModifiedDate",
}


# --- running a data set as a user runs it --------------------------------------------------


@dataclass
class RealRun:
    settings: Settings
    report: RunReport
    site_index: Path


def site_as_the_cli_leaves_it(settings: Settings, report: RunReport) -> Path:
    """`plansignal run` keeps the site the run's own site asset wrote when it published and
    rewrites it otherwise (dagster_project/cli.py main)."""
    index = settings.site_dir / "index.html"
    if report.published and report.exit_code == 0 and index.exists():
        return index
    return Path(write_site(settings, report))


@pytest.fixture(scope="module")
def scms_run(usaid_pipeline_run) -> RealRun:
    """The session's SCMS run (tests/conftest.py: the shipped usaid_scms mapping, whole job)."""
    settings, report = usaid_pipeline_run
    return RealRun(settings, report, site_as_the_cli_leaves_it(settings, report))


def mapped_run(tmp_path_factory: pytest.TempPathFactory, input_dir: Path, mapping: str,
               tag: str) -> Iterator[RealRun]:
    if not input_dir.is_dir():
        pytest.skip(f"real data not available: {input_dir}")
    from dagster_project.cli import run_pipeline

    monkeypatch = pytest.MonkeyPatch()
    try:
        settings = point_settings_at(monkeypatch, tmp_path_factory.mktemp(mapping))
        apply_mapping(load_mapping(settings.mappings_dir / f"{mapping}.yml"), input_dir,
                      settings.landing_dir, tag=tag)
        report = run_pipeline(settings)
        yield RealRun(settings, report, site_as_the_cli_leaves_it(settings, report))
    finally:
        monkeypatch.undo()


@pytest.fixture(scope="module")
def wwi_run(tmp_path_factory) -> Iterator[RealRun]:
    yield from mapped_run(tmp_path_factory, WWI_DIR, "wide_world_importers", "2016-05-31")


@pytest.fixture(scope="module")
def aw_run(tmp_path_factory) -> Iterator[RealRun]:
    yield from mapped_run(tmp_path_factory, AW_DIR, "adventureworks", "2014-09-22")


def assert_published(run: RealRun) -> None:
    report = run.report
    blocked = report.step_failures + report.blocking_failures + report.dbt_tests_failed
    assert report.exit_code == 0, "\n".join(blocked)
    assert report.published
    assert run.site_index.is_file()
    assert f"Run {report.run_id} FAILED" not in run.site_index.read_text(encoding="utf-8")


def marts(run: RealRun, query: str) -> pd.DataFrame:
    """A query on the published serving database, as an analyst runs it."""
    with duckdb.connect(str(run.settings.serving_db), read_only=True) as con:
        return con.execute(query).df()


def part_id(part_number: object) -> str:
    normalized = normalize_part_number(str(part_number))
    assert normalized is not None
    return canonical_part_id(normalized)


# --- independent reference computations ----------------------------------------------------


def in_window(lines: pd.DataFrame) -> pd.DataFrame:
    """Lines completed inside the trailing window ending on the newest receipt, both ends in."""
    end = lines.receipt_date.max()
    start = end - timedelta(days=int(POLICY["lead_time_window_days"]) - 1)
    return lines[(lines.receipt_date >= start) & (lines.receipt_date <= end)]


def expected_proposals(
    stats: pd.DataFrame, planned: pd.Series, lines: pd.DataFrame
) -> pd.DataFrame:
    """Proposed ERP lead-time changes: pairs with enough lines drifting beyond both tolerances
    whose recommendation (the p80, rounded up) differs from the plan and is confident (its
    order-statistic interval bounded and not too wide, tests/recommendation_reference.py)."""
    assert POLICY["recommended_lead_time_quantile"] == 0.8  # reference_statistics gives p80
    joined = stats.join(planned.rename("planned"), how="inner")
    confident = joined[joined.n_ref >= POLICY["min_lines_for_recommendation"]].copy()
    confident["recommended"] = np.ceil(np.round(confident.p80.astype(float), 6)).astype(int)
    drift = (confident["median"] - confident.planned).abs()
    drifting = (drift > POLICY["lead_time_drift_tolerance_days"]) & (
        drift > POLICY["lead_time_drift_tolerance_ratio"] * confident.planned
    )
    counted = lines[lines.lead_time_days >= 0].groupby(PAIR).lead_time_days.apply(list)
    interval_confident = pd.Series({
        pair: is_confident(
            *order_statistic_interval(counted[pair], 0.8, POLICY["recommended_lead_time_ci_level"]),
            confident.recommended[pair], POLICY,
        )
        for pair in confident.index
    }, dtype=bool)
    return confident[drifting & (confident.recommended != confident.planned)
                     & interval_confident.reindex(confident.index, fill_value=False)]


STATISTICS_SQL = (
    "select canonical_part_id, supplier_id, n_lines, mean_lead_time_days, "
    "median_lead_time_days, p90_lead_time_days, quantile_lead_time_days, "
    "stddev_lead_time_days, min_lead_time_days, max_lead_time_days, on_time_rate, "
    "recommended_lead_time_days from marts.mart_supplier_lead_times where n_lines > 0"
)


# --- USAID SCMS ----------------------------------------------------------------------------


def scms_planned_lead_times() -> pd.Series:
    """Median of scheduled delivery minus PO sent per item and vendor, rounded up, >= 0."""
    lines = reference_lines()
    lines["planned"] = [(s - o).days for s, o in zip(lines.scheduled_date, lines.order_date,
                                                       strict=True)]
    median = lines.groupby(PAIR).planned.median()
    return np.ceil(median).clip(lower=0).astype(int)


def test_scms_publishes(scms_run):
    assert_published(scms_run)
    assert marts(scms_run, "select count(*) n from marts.dim_parts").n[0] == 184


def test_scms_lead_time_statistics_over_the_window(scms_run):
    expected = reference_statistics(in_window(reference_lines()))
    assert len(expected) > 50
    assert_statistics_match(marts(scms_run, STATISTICS_SQL).set_index(PAIR), expected,
                            POLICY["min_lines_for_recommendation"])


def test_scms_planned_lead_times_come_from_the_schedule(scms_run):
    planned = scms_planned_lead_times()
    assert len(planned) == 374 and (planned == 0).sum() > 0
    mart = marts(scms_run, "select canonical_part_id, supplier_id, erp_planned_lead_time_days "
                           "from marts.mart_supplier_lead_times").set_index(PAIR)
    mart = mart.erp_planned_lead_time_days
    assert set(planned.index) <= set(mart.index)
    assert (mart[planned.index] == planned).all()


def test_scms_proposes_lead_time_changes_including_zero_days(scms_run):
    window = in_window(reference_lines())
    expected = expected_proposals(reference_statistics(window), scms_planned_lead_times(), window)
    proposed = marts(scms_run, "select canonical_part_id, supplier_id, current_value, "
                               "proposed_value from marts.proposed_erp_purchasing_info_lead_times")
    proposed = proposed.set_index(PAIR)
    assert set(proposed.index) == set(expected.index)
    joined = proposed.join(expected)
    assert (joined.current_value == joined.planned).all()
    assert (joined.proposed_value == joined.recommended).all()
    assert len(proposed) > 0
    # Real and published: a wholesaler whose recent lines all arrived the day the PO was sent
    # is recommended 0 days. With few lines its interval is unbounded, so its drift finding asks
    # for a review instead of proposing 0 (README "Decisions").
    zero = marts(scms_run, "select m.is_recommendation_confident, f.proposed_change "
                           "from marts.mart_supplier_lead_times as m "
                           "join marts.mart_master_data_exceptions as f "
                           "using (canonical_part_id, supplier_id) "
                           "where m.recommended_lead_time_days = 0 "
                           "and f.finding_type = 'lead_time_drift'")
    assert len(zero) > 0
    assert zero.proposed_change.str.contains("estimate of 0 days").all()


# --- Wide World Importers ------------------------------------------------------------------


def wwi_csv(name: str) -> pd.DataFrame:
    return pd.read_csv(WWI_DIR / f"{name}.csv", index_col=0)


def wwi_transactions() -> pd.DataFrame:
    return pd.read_parquet(WWI_DIR / "Warehouse.StockItemTransactions.parquet")


def wwi_lines() -> pd.DataFrame:
    """Every PO line with its order and the receipt transaction (type 11) of its stock item."""
    lines = wwi_csv("Purchasing.PurchaseOrderLines").merge(
        wwi_csv("Purchasing.PurchaseOrders")[["PurchaseOrderID", "SupplierID", "OrderDate",
                                              "ExpectedDeliveryDate"]], on="PurchaseOrderID")
    receipts = wwi_transactions().query("TransactionTypeID == 11").assign(
        PurchaseOrderID=lambda r: r.PurchaseOrderID.astype(int))
    lines = lines.merge(receipts[["PurchaseOrderID", "StockItemID", "TransactionOccurredWhen"]],
                        on=["PurchaseOrderID", "StockItemID"], how="left")
    ordered = pd.to_datetime(lines.OrderDate)
    received = pd.to_datetime(lines.TransactionOccurredWhen).dt.normalize()
    return pd.DataFrame({
        "canonical_part_id": [part_id(i) for i in lines.StockItemID],
        "supplier_id": lines.SupplierID.astype(str),
        "order_date": ordered.dt.date,
        "receipt_date": received.dt.date,
        "scheduled_date": pd.to_datetime(lines.ExpectedDeliveryDate).dt.date,
        "lead_time_days": (received - ordered).dt.days,  # NaN: nothing received
        "finalized": lines.IsOrderLineFinalized,
    })


def wwi_planned_lead_times() -> pd.Series:
    items = wwi_csv("Warehouse.StockItems")
    return pd.Series(
        items.LeadTimeDays.to_numpy(),
        index=pd.MultiIndex.from_arrays(
            [[part_id(i) for i in items.StockItemID], items.SupplierID.astype(str)],
            names=PAIR),
    )


def test_wwi_publishes(wwi_run):
    assert_published(wwi_run)
    parts = marts(wwi_run, "select count(*) n, count(*) filter (where procurement_type = 'BUY') "
                           "buy from marts.dim_parts")
    assert (parts.n[0], parts.buy[0]) == (227, 227)


def test_wwi_every_line_has_its_receipt_lead_time(wwi_run):
    expected = wwi_lines()
    fct = marts(wwi_run, "select canonical_part_id, supplier_id, order_date, completion_date, "
                         "lead_time_days, exclusion_reason from marts.fct_po_line_lead_times")
    assert len(fct) == len(expected) == 8367
    open_lines = expected[~expected.finalized]
    assert len(open_lines) == 9 and open_lines.lead_time_days.isna().all()
    assert (fct.exclusion_reason == "open_incomplete").sum() == 9
    done = fct[fct.exclusion_reason.isna()]
    assert sorted(done.lead_time_days) == sorted(expected.lead_time_days.dropna().astype(int))
    assert set(done.lead_time_days) == {1, 2, 3}


def test_wwi_lead_time_statistics_over_the_window(wwi_run):
    lines = wwi_lines().dropna(subset=["receipt_date"])
    expected = reference_statistics(in_window(lines))
    assert len(expected) == 17  # WWI ordered only 17 stock items in its last two years
    assert_statistics_match(marts(wwi_run, STATISTICS_SQL).set_index(PAIR), expected,
                            POLICY["min_lines_for_recommendation"])


def test_wwi_planned_lead_times_and_proposals(wwi_run):
    planned = wwi_planned_lead_times()
    mart = marts(wwi_run, "select canonical_part_id, supplier_id, erp_planned_lead_time_days, "
                          "mrp_planned_lead_time_days from marts.mart_supplier_lead_times")
    mart = mart.set_index(PAIR)
    assert len(mart) == 227 and set(mart.index) == set(planned.index)
    assert (mart.erp_planned_lead_time_days[planned.index] == planned).all()
    assert (mart.mrp_planned_lead_time_days[planned.index] == planned).all()

    lines = wwi_lines().dropna(subset=["receipt_date"])
    window = in_window(lines)
    expected = expected_proposals(reference_statistics(window), planned, window)
    proposed = marts(wwi_run, "select canonical_part_id, supplier_id, current_value, "
                              "proposed_value from marts.proposed_erp_purchasing_info_lead_times")
    proposed = proposed.set_index(PAIR)
    assert len(expected) > 0 and set(proposed.index) == set(expected.index)
    joined = proposed.join(expected)
    assert (joined.current_value == joined.planned).all()
    assert (joined.proposed_value == joined.recommended).all()


def test_wwi_demand_and_stock_parameters(wwi_run):
    issues = wwi_transactions().query("TransactionTypeID == 10")
    week = pd.to_datetime(issues.TransactionOccurredWhen).dt.to_period("W-SUN").dt.start_time
    weekly = (-issues.Quantity).groupby([issues.StockItemID, week]).sum()
    demand = weekly.groupby(level=0).agg(["size", "mean"])
    holdings = wwi_csv("Warehouse.StockItemHoldings").set_index("StockItemID")
    review = marts(wwi_run, "select canonical_part_id, n_demand_weeks, mean_daily_demand, "
                            "current_safety_stock, current_reorder_point "
                            "from marts.mart_safety_stock_review where plant = 'WWI'")
    review = review.set_index("canonical_part_id")
    expected = pd.DataFrame({
        "weeks": demand["size"].to_numpy(),
        "daily": demand["mean"].to_numpy() / 7,
        "reorder": holdings.ReorderLevel[demand.index].to_numpy(),
    }, index=[part_id(i) for i in demand.index])
    assert len(review) == len(expected) == 227
    joined = review.join(expected)
    assert (joined.n_demand_weeks == joined.weeks).all()
    np.testing.assert_allclose(joined.mean_daily_demand, joined.daily, rtol=1e-9)
    assert (joined.current_reorder_point == joined.reorder).all()
    assert (joined.current_safety_stock == 0).all()  # WWI has no safety stock setting


# --- AdventureWorks ------------------------------------------------------------------------


def aw(name: str) -> pd.DataFrame:
    return pd.read_csv(AW_DIR / f"{name}.csv", sep="\t", header=None,
                       names=AW_COLUMNS[name].split(), dtype=str, keep_default_na=False)


def test_aw_publishes(aw_run):
    assert_published(aw_run)
    products = aw("Product")
    parts = marts(aw_run, "select procurement_type, count(*) n from marts.dim_parts group by 1")
    expected = products.MakeFlag.map({"1": "MAKE", "0": "BUY"}).value_counts()
    assert dict(zip(parts.procurement_type, parts.n, strict=True)) == expected.to_dict()
    assert parts.n.sum() == len(products) == 504


def test_aw_po_lines_without_receipts(aw_run):
    """No receipt dates in AdventureWorks: every line is there, none has a lead time."""
    lines = aw("PurchaseOrderDetail").merge(aw("PurchaseOrderHeader"), on="PurchaseOrderID")
    reasons = lines.Status.map({"1": "open_incomplete", "2": "open_incomplete",
                                "3": "cancelled", "4": "no_effective_receipts"})
    fct = marts(aw_run, "select exclusion_reason, count(*) n, count(lead_time_days) timed "
                        "from marts.fct_po_line_lead_times group by 1")
    assert dict(zip(fct.exclusion_reason, fct.n, strict=True)) == reasons.value_counts().to_dict()
    assert fct.timed.sum() == 0
    assert marts(aw_run, "select count(*) n from marts.mart_supplier_lead_times "
                         "where n_lines > 0").n[0] == 0
    assert marts(aw_run, "select count(*) n from "
                         "marts.proposed_erp_purchasing_info_lead_times").n[0] == 0


def test_aw_planned_lead_times_and_order_policy(aw_run):
    vendors = aw("ProductVendor").merge(
        aw("Product")[["ProductID", "ProductNumber"]], on="ProductID").merge(
        aw("Vendor")[["BusinessEntityID", "AccountNumber"]], on="BusinessEntityID")
    vendors["canonical_part_id"] = [part_id(p) for p in vendors.ProductNumber]
    vendors["lead"] = vendors.AverageLeadTime.astype(int)
    vendors["mrp"] = vendors.groupby("ProductID").lead.transform("max")
    lines = aw("PurchaseOrderDetail").merge(aw("PurchaseOrderHeader"), on="PurchaseOrderID")
    n_lines = lines.groupby(["ProductID", "VendorID"]).size().rename("n_expected")
    vendors = vendors.join(n_lines, on=["ProductID", "BusinessEntityID"]).fillna({"n_expected": 0})
    expected = vendors.rename(columns={"AccountNumber": "supplier_id"}).set_index(PAIR)

    mart = marts(aw_run, "select l.canonical_part_id, l.supplier_id, "
                         "l.erp_planned_lead_time_days, l.mrp_planned_lead_time_days, "
                         "p.n_po_lines, p.n_po_lines_below_min_order_qty "
                         "from marts.mart_supplier_lead_times l "
                         "join marts.mart_order_policy_review p using (canonical_part_id, "
                         "supplier_id)").set_index(PAIR)
    assert len(mart) == len(expected) == 460 and set(mart.index) == set(expected.index)
    joined = mart.join(expected)
    assert (joined.erp_planned_lead_time_days == joined.lead).all()
    assert (joined.mrp_planned_lead_time_days == joined.mrp).all()
    assert (joined.n_po_lines == joined.n_expected).all()
    assert joined.n_po_lines.sum() == len(lines)
    below = (lines.merge(aw("ProductVendor"), left_on=["ProductID", "VendorID"],
                         right_on=["ProductID", "BusinessEntityID"])
             .pipe(lambda m: m.OrderQty.astype(float) < m.MinOrderQty.astype(float)).sum())
    assert joined.n_po_lines_below_min_order_qty.sum() == below


def test_aw_safety_stock_parameters(aw_run):
    products = aw("Product")
    bought = products[products.ProductID.isin(aw("ProductVendor").ProductID)]
    review = marts(aw_run, "select canonical_part_id, current_safety_stock, "
                           "current_reorder_point, recommendation_status "
                           "from marts.mart_safety_stock_review").set_index("canonical_part_id")
    expected = bought.set_index(pd.Index([part_id(p) for p in bought.ProductNumber]))
    assert len(review) == len(expected) == 265
    joined = review.join(expected)
    assert (joined.current_safety_stock == joined.SafetyStockLevel.astype(float)).all()
    assert (joined.current_reorder_point == joined.ReorderPoint.astype(float)).all()
    # No demand history in AdventureWorks' purchasing tables: no recommendation.
    assert (joined.recommendation_status == "no_demand_history").all()
