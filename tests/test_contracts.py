"""Data contracts (DESIGN.md, "Contracts"): every suite, what each catches, what a failure does.

- Coverage: one suite per landing table and per core mart; the raw suites are checked against
  `ingest/landing_contract.py` (assertions generated from it, so suites cannot drift from it).
- Violations: a clean extract (or clean marts) passes every expectation; each kind of
  violation fails exactly the expectation meant for it, with its severity and row count.
- Records: refused extracts are kept in the data-quality history with their file, check
  results name the table, expectation, count and failing values, Data Docs are built from the
  saved validation results.
- Real data: the USAID SCMS mapping passes every raw contract (skipped without the data).

The end-to-end cases (a refused extract and a failed mart contract leave the serving database
untouched) are in test_pipeline.py, which shares one pipeline run.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from dagster_project.contracts.saved_results import latest_validation_files, validations_dir
from dagster_project.contracts.suites import (
    ContractError,
    SuiteOutcome,
    load_suite,
    validate_table,
    write_data_docs,
)
from dagster_project.defs.contracts.results import (
    check_result,
    record_outcomes,
)
from dagster_project.ingest.landing_contract import LANDING_TABLES, METADATA_COLUMNS
from dagster_project.warehouse.dq_history import DQ_HISTORY
from tests.conftest import REALDATA_DIR

REPO = Path(__file__).resolve().parents[1]
EXPECTATIONS = REPO / "expectations"
TODAY = date(2026, 1, 15)  # pinned: "future" is after this
META_NAMES = [c.name for c in METADATA_COLUMNS]

# DESIGN.md "Core marts": the columns analysts rely on ("columns at least"). The three marts the
# table does not list get the columns their dbt yml documents as the interface.
CORE_MART_COLUMNS: dict[str, set[str]] = {
    "part_aliases": {"source_system", "source_part_number", "canonical_part_id",
                     "match_method"},
    "dim_parts": {"canonical_part_id", "canonical_part_number", "description",
                  "procurement_type", "status", "n_source_records"},
    "part_match_review": {"match_review_id", "part_id_a", "part_id_b", "score"},
    "fct_po_line_lead_times": {"po_number", "po_line", "supplier_id", "canonical_part_id",
                               "order_date", "first_receipt_date", "completion_date",
                               "first_receipt_lead_time_days", "lead_time_days",
                               "short_closed", "exclusion_reason"},
    "mart_supplier_lead_times": {"canonical_part_id", "supplier_id", "n_lines",
                                 "mean_lead_time_days", "median_lead_time_days",
                                 "p90_lead_time_days", "stddev_lead_time_days",
                                 "min_lead_time_days", "max_lead_time_days", "on_time_rate",
                                 "erp_planned_lead_time_days", "mrp_planned_lead_time_days",
                                 "drift_vs_erp_days", "drift_vs_mrp_days",
                                 "recommended_lead_time_days", "low_confidence",
                                 "recommended_lead_time_ci_low_days",
                                 "recommended_lead_time_ci_high_days"},
    "mart_safety_stock_review": {"canonical_part_id", "plant", "service_level",
                                 "current_safety_stock", "recommended_safety_stock",
                                 "is_stale"},
    "mart_availability_check": {"canonical_part_id", "plant", "as_of_date", "mrp_status",
                                "false_available"},
    "mart_order_policy_review": {"policy_review_id", "canonical_part_id", "supplier_id",
                                 "plant"},
    "mart_master_data_exceptions": {"finding_id", "finding_type", "severity",
                                    "canonical_part_id", "supplier_id", "evidence",
                                    "proposed_change", "first_seen_at", "last_seen_at",
                                    "days_open", "status", "waived_until", "impact_value",
                                    "impact_basis"},
    "mart_finding_history": {"finding_id", "finding_type", "canonical_part_id",
                             "first_seen_at", "last_seen_at", "resolved_at", "status",
                             "times_reopened"},
}
# Requested and promised dates lie in the future for every open line: no "future" warning.
FUTURE_IS_NORMAL = {("erp_purchase_order_lines", "requested_date"),
                    ("erp_purchase_order_lines", "promised_date")}
# Free text and identifiers of any length and punctuation (DESIGN.md): never pattern-checked.
FREE_TEXT = {"part_number", "description", "manufacturer_part_number", "supplier_name"}


def raw_suite(table: str) -> Path:
    return EXPECTATIONS / f"raw__{table}.json"


def mart_suite(mart: str) -> Path:
    return EXPECTATIONS / f"marts__{mart}.json"


def suite_items(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))["expectations"]


def _severity(item: dict[str, Any]) -> str:
    return item["meta"]["severity"]


# --- coverage ------------------------------------------------------------------------------


def test_every_raw_table_and_core_mart_has_a_suite():
    suites = {p.stem for p in EXPECTATIONS.glob("*.json")}
    assert {f"raw__{t}" for t in LANDING_TABLES} <= suites
    assert {f"marts__{m}" for m in CORE_MART_COLUMNS} <= suites
    assert "marts__quarantined_rows" in suites
    for path in EXPECTATIONS.glob("*.json"):
        suite = load_suite(path)
        assert suite.name == path.stem
        assert json.loads(path.read_text())["meta"]["table"] == path.stem.replace("__", ".")


@pytest.mark.parametrize("table", sorted(LANDING_TABLES))
def test_raw_suite_covers_the_landing_contract(table):
    contract = LANDING_TABLES[table]
    items = suite_items(raw_suite(table))
    load_suite(raw_suite(table))

    columns = [i for i in items if i["type"] == "expect_table_columns_to_match_set"]
    assert len(columns) == 1 and _severity(columns[0]) == "ERROR"
    assert set(columns[0]["kwargs"]["column_set"]) == set(contract.column_names) | set(
        META_NAMES)
    assert columns[0]["kwargs"]["exact_match"] is False  # extra columns are kept and ignored

    unconditional = [i for i in items if "row_condition" not in i["kwargs"]]
    not_null = {i["kwargs"]["column"] for i in unconditional
                if i["type"] == "expect_column_values_to_not_be_null"
                and _severity(i) == "ERROR"}
    required = {c.name for c in contract.columns if not c.nullable} | set(META_NAMES)
    assert required <= not_null, required - not_null
    nullable = {c.name for c in contract.columns if c.nullable}
    assert not (nullable & not_null), "a nullable column must not be required"

    for column in (c for c in contract.columns if c.allowed):
        in_set = [i for i in unconditional if i["type"] == "expect_column_values_to_be_in_set"
                  and i["kwargs"]["column"] == column.name]
        assert len(in_set) == 1, column.name
        assert _severity(in_set[0]) == "ERROR"
        assert set(in_set[0]["kwargs"]["value_set"]) == set(column.allowed), column.name

    # The key is unique within one extract: with _source_file in the key, the same rule holds
    # on one staged extract (incoming) and on the merged raw table.
    unique = [i for i in unconditional if _severity(i) == "ERROR" and (
        (i["type"] == "expect_compound_columns_to_be_unique"
         and set(i["kwargs"]["column_list"]) == {*contract.key, "_source_file"})
        or (i["type"] == "expect_column_values_to_be_unique" and len(contract.key) == 1
            and i["kwargs"]["column"] == contract.key[0]))]
    assert unique, f"{table}: no uniqueness expectation on the key {contract.key}"


@pytest.mark.parametrize("table", sorted(LANDING_TABLES))
def test_raw_suite_bounds_every_date(table):
    """Dates from 1990 on are fine (ERROR below); only future dates are suspect (WARNING)."""
    items = suite_items(raw_suite(table))
    for column in (c for c in LANDING_TABLES[table].columns
                   if c.sql_type in ("DATE", "TIMESTAMP")):
        bounds = [i for i in items if i["type"] == "expect_column_values_to_be_between"
                  and i["kwargs"]["column"] == column.name]
        floors = [i for i in bounds if i["kwargs"].get("min_value") == "1990-01-01"]
        assert [_severity(i) for i in floors] == ["ERROR"], column.name
        future = [i for i in bounds if "max_value" in i["kwargs"]]
        if (table, column.name) in FUTURE_IS_NORMAL:
            assert not future, column.name
            continue
        assert [_severity(i) for i in future] == ["WARNING"], column.name
        expected = "tomorrow" if column.sql_type == "TIMESTAMP" else "today"
        assert future[0]["kwargs"]["max_value"] == {"$PARAMETER": expected}, column.name


def test_part_numbers_and_descriptions_have_no_length_or_pattern_limit():
    for path in EXPECTATIONS.glob("raw__*.json"):
        for item in suite_items(path):
            column = item["kwargs"].get("column")
            if column in FREE_TEXT:
                assert item["type"] == "expect_column_values_to_not_be_null", (path, item)
            assert "length" not in item["type"] and "regex" not in item["type"], (path, item)


@pytest.mark.parametrize("mart", sorted(CORE_MART_COLUMNS))
def test_mart_suite_requires_the_interface_columns(mart):
    items = suite_items(mart_suite(mart))
    columns = [i for i in items if i["type"] == "expect_table_columns_to_match_set"]
    assert len(columns) == 1 and _severity(columns[0]) == "ERROR"
    assert CORE_MART_COLUMNS[mart] <= set(columns[0]["kwargs"]["column_set"])
    assert columns[0]["kwargs"]["exact_match"] is False  # columns may be added freely


def test_regex_expectations_are_refused(tmp_path):
    """GX has no regex SQL for DuckDB: such a rule would fail every run without evaluating."""
    path = tmp_path / "raw__x.json"
    path.write_text(json.dumps({"name": "raw__x", "expectations": [{
        "type": "expect_column_values_to_match_regex",
        "kwargs": {"column": "country", "regex": "^[A-Z]{2}$"},
        "meta": {"severity": "ERROR", "why": "x"}}]}))
    with pytest.raises(ContractError, match="not supported on DuckDB"):
        load_suite(path)


# --- raw contracts: a clean extract and each kind of violation -----------------------------

PN = "pn 00-12/Ä.b rev#3 (" + "very long " * 20 + ")"  # any length and punctuation
CLEAN_ROWS: dict[str, list[dict[str, Any]]] = {
    "erp_items": [
        {"part_number": PN, "description": "Bolt, M6 x 20; \"zinc\" " * 10, "uom": "EA",
         "procurement_type": "BUY", "status": "ACTIVE", "manufacturer_part_number": None,
         "updated_at": "2026-01-15 23:59:00"},
        {"part_number": "PN-2", "description": "Bracket", "uom": "ea",
         "procurement_type": "MAKE", "status": "OBSOLETE", "manufacturer_part_number": "M-9",
         "updated_at": "1990-01-01 00:00:00"},
    ],
    "erp_suppliers": [
        {"supplier_id": "S1", "supplier_name": "Müller & Söhne GmbH", "country": "DE",
         "status": "ACTIVE"},
        {"supplier_id": "S2", "supplier_name": "Unknown vendor", "country": "zz",
         "status": "BLOCKED"},
    ],
    "erp_purchasing_info": [
        {"part_number": PN, "supplier_id": "S1", "planned_lead_time_days": 730,
         "min_order_qty": 0, "order_multiple": 0, "unit_price": 0, "currency": "EUR",
         "preferred": True, "last_reviewed_date": None},
        {"part_number": PN, "supplier_id": "S2", "planned_lead_time_days": 0,
         "min_order_qty": 10, "order_multiple": 5, "unit_price": 1.25, "currency": "usd",
         "preferred": False, "last_reviewed_date": "2025-12-01"},
    ],
    "erp_purchase_order_lines": [
        {"po_number": "PO1", "po_line": 10, "supplier_id": "S1", "part_number": PN,
         "order_date": "1990-01-01", "requested_date": "1990-02-01", "promised_date": None,
         "order_qty": 5, "uom": "EA", "line_status": "CLOSED",
         "updated_at": "1990-03-01 08:00:00"},
        {"po_number": "PO1", "po_line": 20, "supplier_id": "S1", "part_number": PN,
         "order_date": "2026-01-15", "requested_date": "2027-06-01",
         "promised_date": "2026-01-15", "order_qty": 0.5, "uom": "KG", "line_status": "OPEN",
         "updated_at": "2026-01-15 18:00:00"},
    ],
    "erp_goods_receipts": [
        {"receipt_id": "GR1", "po_number": "PO1", "po_line": 10, "part_number": PN,
         "receipt_date": "1990-01-20", "quantity": 5, "uom": "EA", "movement_type": "RECEIPT",
         "reverses_receipt_id": None},
        {"receipt_id": "GR2", "po_number": "PO1", "po_line": 10, "part_number": PN,
         "receipt_date": "2026-01-15", "quantity": 5, "uom": "EA",
         "movement_type": "REVERSAL", "reverses_receipt_id": "GR1"},
        {"receipt_id": "GR3", "po_number": "PO1", "po_line": 10, "part_number": PN,
         "receipt_date": "2025-01-20", "quantity": 1, "uom": "EA", "movement_type": "RETURN",
         "reverses_receipt_id": None},
    ],
    "erp_inventory": [
        {"snapshot_date": "2026-01-15", "part_number": PN, "plant": "P1", "on_hand_qty": 0},
        {"snapshot_date": "2026-01-15", "part_number": PN, "plant": "P2", "on_hand_qty": 7.5},
    ],
    "mrp_parameters": [
        {"part_number": "MRP 1", "plant": "P1", "planned_lead_time_days": 14,
         "safety_stock_qty": 0, "reorder_point": 0, "lot_size_policy": "FIXED",
         "fixed_lot_size": 100, "min_lot_size": None, "last_changed_date": "1995-05-05"},
        {"part_number": "MRP 1", "plant": "P2", "planned_lead_time_days": 0,
         "safety_stock_qty": 5, "reorder_point": 8, "lot_size_policy": "LOT_FOR_LOT",
         "fixed_lot_size": None, "min_lot_size": None, "last_changed_date": "2026-01-15"},
    ],
    "mrp_availability": [
        {"as_of_date": "2026-01-15", "part_number": "MRP 1", "plant": "P1",
         "required_qty": 0, "available_qty": -5, "status": "SHORT"},
        {"as_of_date": "2026-01-15", "part_number": "MRP 1", "plant": "P2",
         "required_qty": 3, "available_qty": 10, "status": "AVAILABLE"},
    ],
    "mrp_demand_history": [
        {"part_number": "MRP 1", "plant": "P1", "week_start": "2026-01-12", "demand_qty": 0},
        {"part_number": "MRP 1", "plant": "P1", "week_start": "1990-01-01", "demand_qty": 3},
    ],
}


def stage(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]],
          source_file: str = "extract.csv") -> None:
    """Create incoming.<table> as ingestion does: contract types plus metadata columns."""
    contract = LANDING_TABLES[table]
    columns = [*contract.columns, *METADATA_COLUMNS]
    con.execute("create schema if not exists incoming")
    con.execute(f"create or replace table incoming.{table} ("
                + ", ".join(f"{c.name} {c.sql_type}" for c in columns) + ")")
    for i, row in enumerate(rows):
        values = [*(row[c] for c in contract.column_names),
                  source_file, "2026-01-15 06:00:00", f"hash{i}"]
        con.execute(f"insert into incoming.{table} values ({', '.join('?' * len(values))})",
                    values)


def run_raw(con: duckdb.DuckDBPyConnection, table: str) -> SuiteOutcome:
    return validate_table(con, f"incoming.{table}", raw_suite(table), run_id="test",
                          parameters={"today": TODAY})


def failing(outcome: SuiteOutcome) -> dict[tuple[str, str, str], Any]:
    """(expectation type, column or rule description, severity) -> outcome, failures only."""
    return {(o.expectation_type, o.column or o.description or "", o.severity): o
            for o in outcome.outcomes if not o.success}


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.mark.parametrize("table", sorted(LANDING_TABLES))
def test_clean_extract_passes_every_expectation(con, table):
    stage(con, table, CLEAN_ROWS[table])
    outcome = run_raw(con, table)
    assert outcome.passed and not failing(outcome), outcome.summary_line()
    assert all(o.exception is None for o in outcome.outcomes)


@pytest.mark.parametrize("table", sorted(LANDING_TABLES))
def test_same_key_in_another_extract_is_not_a_duplicate(con, table):
    """Keys are unique within an extract; the latest extract of a key wins later, in staging."""
    stage(con, table, CLEAN_ROWS[table])
    con.execute(f"insert into incoming.{table} select * replace ('other.csv' as _source_file) "
                f"from incoming.{table}")
    assert not failing(run_raw(con, table))


BETWEEN, NOT_NULL, IN_SET = ("expect_column_values_to_be_between",
                             "expect_column_values_to_not_be_null",
                             "expect_column_values_to_be_in_set")
PAIR, ROWS = "expect_column_pair_values_a_to_be_greater_than_b", "unexpected_rows_expectation"
COMPOUND = "expect_compound_columns_to_be_unique"

# (table, SQL breaking the clean extract, the one expectation that must fail, rows, a value)
RAW_VIOLATIONS = [
    pytest.param("erp_items", "update incoming.erp_items set part_number = null "
                 "where part_number = 'PN-2'", (NOT_NULL, "part_number", "ERROR"), 1, None,
                 id="null-key"),
    pytest.param("mrp_parameters", "update incoming.mrp_parameters set plant = '   ' "
                 "where plant = 'P2'", (ROWS, "no required text value is blank", "ERROR"), 1,
                 {"part_number": "MRP 1", "plant": "   "}, id="blank-key"),
    pytest.param("erp_items", "update incoming.erp_items set uom = ' ' "
                 "where part_number = 'PN-2'", (ROWS, "no required text value is blank",
                                                "ERROR"), 1,
                 {"part_number": "PN-2", "description": "Bracket", "uom": " "},
                 id="blank-required-value"),
    pytest.param("erp_purchase_order_lines", "update incoming.erp_purchase_order_lines "
                 "set po_line = 10", (COMPOUND, "po_number,po_line,_source_file", "ERROR"), 2,
                 {"po_number": "PO1", "po_line": 10, "_source_file": "extract.csv"},
                 id="duplicate-key-within-extract"),
    pytest.param("erp_items", "update incoming.erp_items set status = 'RETIRED' "
                 "where part_number = 'PN-2'", (IN_SET, "status", "ERROR"), 1, "RETIRED",
                 id="unknown-enum-value"),
    pytest.param("erp_goods_receipts", "update incoming.erp_goods_receipts set quantity = -5 "
                 "where receipt_id = 'GR3'", (BETWEEN, "quantity", "ERROR"), 1, -5.0,
                 id="negative-quantity"),
    pytest.param("erp_goods_receipts", "update incoming.erp_goods_receipts "
                 "set reverses_receipt_id = null where receipt_id = 'GR2'",
                 (NOT_NULL, "reverses_receipt_id", "ERROR"), 1, None,
                 id="reversal-without-reverses-receipt-id"),
    pytest.param("erp_purchase_order_lines", "update incoming.erp_purchase_order_lines "
                 "set promised_date = date '2026-01-14' where po_line = 20",
                 (PAIR, "promised_date,order_date", "WARNING"), 1, ["2026-01-14", "2026-01-15"],
                 id="promised-before-order-date"),
    pytest.param("erp_purchase_order_lines", "update incoming.erp_purchase_order_lines "
                 "set requested_date = date '2026-01-10' where po_line = 20",
                 (PAIR, "requested_date,order_date", "WARNING"), 1, ["2026-01-10", "2026-01-15"],
                 id="requested-before-order-date"),
    pytest.param("erp_goods_receipts", "update incoming.erp_goods_receipts "
                 "set receipt_date = date '2026-01-16' where receipt_id = 'GR3'",
                 (BETWEEN, "receipt_date", "WARNING"), 1, "2026-01-16", id="future-date"),
    pytest.param("erp_items", "update incoming.erp_items "
                 "set updated_at = timestamp '2026-01-16 00:00:00' where part_number = 'PN-2'",
                 (BETWEEN, "updated_at", "WARNING"), 1, "2026-01-16 00:00:00",
                 id="future-timestamp"),
    pytest.param("erp_purchase_order_lines", "update incoming.erp_purchase_order_lines "
                 "set order_date = date '1989-12-31' where po_line = 20",
                 (BETWEEN, "order_date", "ERROR"), 1, "1989-12-31", id="date-before-1990"),
    pytest.param("mrp_demand_history", "update incoming.mrp_demand_history "
                 "set week_start = date '2026-01-13' where week_start = date '2026-01-12'",
                 (ROWS, "week_start is a Monday", "ERROR"), 1,
                 {"part_number": "MRP 1", "plant": "P1", "week_start": "2026-01-13",
                  "weekday": "Tuesday"}, id="non-monday-week-start"),
    pytest.param("erp_purchasing_info", "update incoming.erp_purchasing_info "
                 "set planned_lead_time_days = -1 where supplier_id = 'S2'",
                 (BETWEEN, "planned_lead_time_days", "ERROR"), 1, -1,
                 id="negative-planned-lead-time"),
    pytest.param("mrp_parameters", "update incoming.mrp_parameters "
                 "set planned_lead_time_days = 731 where plant = 'P2'",
                 (BETWEEN, "planned_lead_time_days", "WARNING"), 1, 731,
                 id="lead-time-over-two-years"),
    pytest.param("mrp_parameters", "update incoming.mrp_parameters "
                 "set fixed_lot_size = null where plant = 'P1'",
                 (NOT_NULL, "fixed_lot_size", "WARNING"), 1, None,
                 id="fixed-policy-without-lot-size"),
    pytest.param("mrp_availability", "update incoming.mrp_availability "
                 "set status = 'PARTIAL' where plant = 'P1'", (IN_SET, "status", "ERROR"), 1,
                 "PARTIAL", id="unknown-mrp-status"),
    pytest.param("erp_suppliers", "update incoming.erp_suppliers "
                 "set country = 'Germany' where supplier_id = 'S1'",
                 (ROWS, "country is a two-letter ISO 3166 alpha-2 code", "WARNING"), 1,
                 {"supplier_id": "S1", "country": "Germany"}, id="country-not-iso"),
    pytest.param("erp_inventory", "update incoming.erp_inventory set on_hand_qty = -2 "
                 "where plant = 'P1'", (BETWEEN, "on_hand_qty", "WARNING"), 1, -2.0,
                 id="negative-stock"),
    pytest.param("mrp_demand_history", "update incoming.mrp_demand_history "
                 "set demand_qty = null", (NOT_NULL, "demand_qty", "ERROR"), 2, None,
                 id="missing-quantity"),
]


@pytest.mark.parametrize(("table", "breaking_sql", "expected", "rows", "value"), RAW_VIOLATIONS)
def test_each_violation_fails_its_expectation_with_its_severity(con, table, breaking_sql,
                                                                expected, rows, value):
    stage(con, table, CLEAN_ROWS[table])
    con.execute(breaking_sql)
    outcome = run_raw(con, table)
    failures = failing(outcome)
    assert set(failures) == {expected}, outcome.summary_line()
    failure = failures[expected]
    assert failure.unexpected_count == rows
    assert value in failure.partial_unexpected_values
    assert failure.why
    # ERROR blocks the extract; a WARNING alone never does.
    assert outcome.passed is (expected[2] == "WARNING")
    line = failure.failure_line()
    assert line.startswith(f"incoming.{table}: {expected[2]} {expected[0]}(")
    assert f"{rows} " in line


def test_future_timestamp_today_is_not_in_the_future(con):
    """'Not after today' for timestamps: any time of the pinned day passes (clean rows have
    23:59 and 18:00 on TODAY), the next midnight does not (future-timestamp case)."""
    stage(con, "erp_items", CLEAN_ROWS["erp_items"])
    assert not failing(run_raw(con, "erp_items"))


# --- mart contracts: clean marts and the invariants planners rely on -----------------------

CLEAN_MARTS_SQL = """
create schema marts;
create table marts.dim_parts as select * from (values
    ('P1', 'PN-1', 'Bolt', 'BUY', 'ACTIVE', 2),
    ('P2', 'M2', null, null, null, 1)
) t(canonical_part_id, canonical_part_number, description, procurement_type, status,
    n_source_records);
create table marts.part_aliases as select * from (values
    ('erp', 'PN-1', 'P1', 'exact'), ('erp', 'pn 1', 'P1', 'normalized'),
    ('mrp', 'M2', 'P2', 'mrp_only')
) t(source_system, source_part_number, canonical_part_id, match_method);
create table marts.part_match_review as select * from (values
    ('R1', 'P1', 'P2', 'PN-1', 'M2', 0.7, 0.8, 0.5)
) t(match_review_id, part_id_a, part_id_b, part_number_a, part_number_b, score,
    number_similarity, description_similarity);
create table marts.fct_po_line_lead_times as select * from (values
    ('PO1', 10, 'S1', 'P1', date '2024-01-01', date '2024-01-10', date '2024-01-12', 9, 11,
     false, null),
    ('PO2', 10, 'S1', 'P1', date '2024-02-01', date '2024-01-30', date '2024-02-05', -2, 4,
     false, 'receipt_before_order_date'),
    ('PO3', 10, 'S1', 'P1', date '2024-03-01', null, null, null, null, false,
     'open_incomplete')
) t(po_number, po_line, supplier_id, canonical_part_id, order_date, first_receipt_date,
    completion_date, first_receipt_lead_time_days, lead_time_days, short_closed,
    exclusion_reason);
create table marts.quarantined_rows as select * from (values
    ('Q1', 'erp_purchase_order_lines', 'PO2|10', 'receipt_before_order_date',
     'po_line_excluded_from_lead_time_statistics', 'po.csv', date '2024-06-30',
     '{"po_number": "PO2", "po_line": 10}')
) t(quarantine_id, source_table, source_key, reason, handling, source_file, reference_date,
    row_json);
create table marts.mart_supplier_lead_times as select * from (values
    ('P1', 'S1', 3, 10.0, 10.0, 11.6, 1.0, 9, 12, 0.67, 8, 9.0, 2.0, 1.0, 12, false, 9, null,
     false),
    ('P2', 'S2', 1, 5.0, 5.0, 5.0, null, 5, 5, 1.0, 7, null, -2.0, null, null, true, null,
     null, false),
    ('P1', 'S3', 0, null, null, null, null, null, null, null, 20, 9.0, null, null, null, true,
     null, null, false)
) t(canonical_part_id, supplier_id, n_lines, mean_lead_time_days, median_lead_time_days,
    p90_lead_time_days, stddev_lead_time_days, min_lead_time_days, max_lead_time_days,
    on_time_rate, erp_planned_lead_time_days, mrp_planned_lead_time_days, drift_vs_erp_days,
    drift_vs_mrp_days, recommended_lead_time_days, low_confidence,
    recommended_lead_time_ci_low_days, recommended_lead_time_ci_high_days,
    is_recommendation_confident);
create table marts.mart_safety_stock_review as select * from (values
    ('P1', 'PL1', 0.95, 10.0, 12.5, false, 'actual'),
    ('P2', 'PL1', 0.95, 0.0, null, true, 'planned_mrp')
) t(canonical_part_id, plant, service_level, current_safety_stock, recommended_safety_stock,
    is_stale, lead_time_basis);
create table marts.mart_availability_check as select * from (values
    ('A1', 'P1', 'PL1', date '2024-06-30', 'AVAILABLE', true, 2.0, 5.0, 'PO3', 10),
    ('A2', 'P2', 'PL1', date '2024-06-30', 'SHORT', false, 0.0, 5.0, null, null),
    ('A3', 'P1', 'PL2', date '2024-06-30', 'AVAILABLE', false, 10.0, 5.0, null, null)
) t(availability_check_id, canonical_part_id, plant, as_of_date, mrp_status, false_available,
    on_hand_qty, required_qty, covering_po_number, days_past_due);
create table marts.mart_order_policy_review as select * from (values
    ('OP1', 'P1', 'S1', 'PL1', 'FIXED', true, false, true, 3, 1, 0, true),
    ('OP2', 'P2', 'S2', null, null, null, null, false, 0, 0, 0, false)
) t(policy_review_id, canonical_part_id, supplier_id, plant, lot_size_policy,
    is_mrp_lot_below_min_order_qty, is_mrp_lot_not_order_multiple, has_lot_size_conflict,
    n_po_lines, n_po_lines_below_min_order_qty, n_po_lines_not_order_multiple,
    has_po_quantity_breaks);
create table marts.mart_master_data_exceptions as select * from (values
    ('F1', 'lead_time_drift', 'high', 'P1', 'S1', '{"median": 10}', 'Set 12 days.',
     'erp_purchasing_info', timestamp '2024-06-01 06:00:00', timestamp '2024-06-30 06:00:00',
     29, 'open', null, 120.5, 'drift 2.0 d x ...', 1),
    ('F2', 'stale_safety_stock', 'low', 'P2', null, '{}', 'Review.', 'mrp_parameters',
     timestamp '2024-06-30 06:00:00', timestamp '2024-06-30 06:00:00', 0, 'waived',
     date '2024-07-31', 0.0, 'no unit price', 2)
) t(finding_id, finding_type, severity, canonical_part_id, supplier_id, evidence,
    proposed_change, change_target, first_seen_at, last_seen_at, days_open, status,
    waived_until, impact_value, impact_basis, impact_rank);
create table marts.mart_finding_history as select * from (values
    ('F1', 'lead_time_drift', 'P1', timestamp '2024-06-01 06:00:00',
     timestamp '2024-06-30 06:00:00', null, 'open', 0),
    ('F3', 'false_availability', 'P1', timestamp '2024-05-01 06:00:00',
     timestamp '2024-05-20 06:00:00', timestamp '2024-06-01 06:00:00', 'resolved', 1)
) t(finding_id, finding_type, canonical_part_id, first_seen_at, last_seen_at, resolved_at,
    status, times_reopened);
create table marts.mart_change_set_status as select * from (values
    ('X1', 'C1', 'purchasing_info', 'planned_lead_time_days', 'PN-1', 12.0, 'outstanding',
     timestamp '2024-06-30 06:00:00', null, null),
    ('X2', 'C2', 'mrp_parameters', 'safety_stock_qty', 'M2', 41.0, 'applied',
     timestamp '2024-06-01 06:00:00', timestamp '2024-06-30 06:00:00', 'mrp.csv')
) t(proposal_id, change_id, target_table, target_field, part_number, proposed_value, status,
    first_proposed_at, closed_at, closed_by_extract);
"""
MARTS = sorted({*CORE_MART_COLUMNS, "quarantined_rows", "mart_change_set_status"})


@pytest.fixture
def marts_con(con) -> duckdb.DuckDBPyConnection:
    con.execute(CLEAN_MARTS_SQL)
    # Decimal literals above would be DECIMAL columns; the marts hold doubles.
    for table, column in con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'marts' and data_type like 'DECIMAL%'").fetchall():
        con.execute(f"alter table marts.{table} alter {column} type double")
    return con


def run_mart(con: duckdb.DuckDBPyConnection, mart: str) -> SuiteOutcome:
    return validate_table(con, f"marts.{mart}", mart_suite(mart), run_id="test")


@pytest.mark.parametrize("mart", MARTS)
def test_clean_marts_pass_every_expectation(marts_con, mart):
    outcome = run_mart(marts_con, mart)
    assert not failing(outcome), outcome.summary_line()
    assert all(o.exception is None for o in outcome.outcomes)


MART_VIOLATIONS = [
    pytest.param("part_aliases", "insert into marts.part_aliases values "
                 "('erp', 'PN-X', 'P9', 'exact')",
                 (ROWS, "every alias points at an existing canonical part", "ERROR"), 1,
                 {"source_system": "erp", "source_part_number": "PN-X",
                  "canonical_part_id": "P9"}, id="alias-to-missing-part"),
    pytest.param("part_aliases", "insert into marts.part_aliases values "
                 "('erp', 'PN-1', 'P2', 'exact')",
                 (COMPOUND, "source_system,source_part_number", "ERROR"), 2,
                 {"source_system": "erp", "source_part_number": "PN-1"},
                 id="source-number-mapped-twice"),
    pytest.param("dim_parts", "insert into marts.dim_parts values "
                 "('P3', 'PN-3', null, null, null, 1)",
                 (ROWS, "every canonical part has at least one alias", "ERROR"), 1,
                 {"canonical_part_id": "P3", "canonical_part_number": "PN-3"},
                 id="part-without-alias"),
    pytest.param("fct_po_line_lead_times", "update marts.fct_po_line_lead_times "
                 "set lead_time_days = -1 where po_number = 'PO1'",
                 (BETWEEN, "lead_time_days", "ERROR"), 1, -1, id="negative-lead-time"),
    pytest.param("fct_po_line_lead_times", "delete from marts.quarantined_rows",
                 (ROWS, "every line excluded for a receipt before its order date is "
                  "quarantined", "ERROR"), 1, {"po_number": "PO2", "po_line": 10},
                 id="excluded-line-not-quarantined"),
    pytest.param("mart_supplier_lead_times", "update marts.mart_supplier_lead_times "
                 "set on_time_rate = 1.2 where supplier_id = 'S1'",
                 (BETWEEN, "on_time_rate", "ERROR"), 1, 1.2, id="rate-above-one"),
    pytest.param("mart_supplier_lead_times", "update marts.mart_supplier_lead_times "
                 "set recommended_lead_time_days = -3 where supplier_id = 'S1'",
                 (BETWEEN, "recommended_lead_time_days", "ERROR"), 1, -3,
                 id="negative-recommendation"),
    pytest.param("mart_supplier_lead_times", "update marts.mart_supplier_lead_times "
                 "set n_lines = 5 where supplier_id = 'S2'",
                 (ROWS, "low_confidence is consistent with n_lines and the recommendation",
                  "ERROR"), 1, {"canonical_part_id": "P2", "supplier_id": "S2", "n_lines": 5,
                                "low_confidence": True, "recommended_lead_time_days": None},
                 id="low-confidence-with-more-lines-than-a-confident-row"),
    pytest.param("mart_supplier_lead_times", "update marts.mart_supplier_lead_times "
                 "set drift_vs_erp_days = 5 where supplier_id = 'S1'",
                 (ROWS, "drift is the median minus the planned lead time", "ERROR"), 1, None,
                 id="drift-not-median-minus-planned"),
    pytest.param("mart_supplier_lead_times", "update marts.mart_supplier_lead_times "
                 "set p90_lead_time_days = 9.5 where supplier_id = 'S1'",
                 (PAIR, "p90_lead_time_days,median_lead_time_days", "ERROR"), 1, None,
                 id="percentiles-out-of-order"),
    pytest.param("mart_supplier_lead_times", "update marts.mart_supplier_lead_times "
                 "set recommended_lead_time_days = 800, max_lead_time_days = 800, "
                 "p90_lead_time_days = 790 where supplier_id = 'S1'",
                 (BETWEEN, "recommended_lead_time_days", "WARNING"), 1, 800,
                 id="recommendation-over-two-years"),
    pytest.param("mart_availability_check", "update marts.mart_availability_check "
                 "set false_available = true, covering_po_number = 'PO3', days_past_due = 3 "
                 "where availability_check_id = 'A2'",
                 (IN_SET, "false_available", "ERROR"), 1, True,
                 id="false-available-on-short"),
    pytest.param("mart_availability_check", "update marts.mart_availability_check "
                 "set false_available = true where availability_check_id = 'A3'",
                 (ROWS, "false_available only with on-hand below requirement and a past-due "
                  "covering PO", "ERROR"), 1, None, id="false-available-without-evidence"),
    pytest.param("mart_safety_stock_review", "update marts.mart_safety_stock_review "
                 "set recommended_safety_stock = -1 where plant = 'PL1' and "
                 "canonical_part_id = 'P1'", (BETWEEN, "recommended_safety_stock", "ERROR"), 1,
                 -1.0, id="negative-safety-stock"),
    pytest.param("part_match_review", "update marts.part_match_review "
                 "set part_id_a = 'P2', part_id_b = 'P1'",
                 (PAIR, "part_id_b,part_id_a", "ERROR"), 1, ["P1", "P2"],
                 id="pair-not-ordered"),
    pytest.param("part_match_review", "update marts.part_match_review set score = 1.5",
                 (BETWEEN, "score", "ERROR"), 1, 1.5, id="score-above-one"),
    pytest.param("mart_order_policy_review", "update marts.mart_order_policy_review "
                 "set has_po_quantity_breaks = true where policy_review_id = 'OP2'",
                 (ROWS, "the conflict flags agree with their evidence", "ERROR"), 1, None,
                 id="flag-without-evidence"),
    pytest.param("mart_master_data_exceptions", "update marts.mart_master_data_exceptions "
                 "set evidence = '{broken' where finding_id = 'F1'",
                 (ROWS, "evidence is valid JSON", "ERROR"), 1,
                 {"finding_id": "F1", "finding_type": "lead_time_drift"},
                 id="evidence-not-json"),
    pytest.param("mart_master_data_exceptions", "update marts.mart_master_data_exceptions "
                 "set finding_type = 'quarantined_row' where finding_id = 'F2'",
                 (IN_SET, "finding_type", "WARNING"), 1, "quarantined_row",
                 id="new-finding-type-only-warns"),
    pytest.param("quarantined_rows", "update marts.quarantined_rows set row_json = 'x'",
                 (ROWS, "row_json is valid JSON", "ERROR"), 1, None,
                 id="quarantined-row-not-json"),
]


@pytest.mark.parametrize(("mart", "breaking_sql", "expected", "rows", "value"), MART_VIOLATIONS)
def test_each_mart_violation_fails_its_expectation(marts_con, mart, breaking_sql, expected,
                                                    rows, value):
    marts_con.execute(breaking_sql)
    outcome = run_mart(marts_con, mart)
    failures = failing(outcome)
    assert set(failures) == {expected}, outcome.summary_line()
    failure = failures[expected]
    assert failure.unexpected_count == rows
    assert failure.partial_unexpected_values, "failing values are shown"
    if value is not None:
        assert value in failure.partial_unexpected_values, failure.partial_unexpected_values
    assert outcome.passed is (expected[2] == "WARNING")


# --- records: history, check results, Data Docs --------------------------------------------


def test_refused_extract_is_recorded_and_named(tmp_settings):
    """A refused extract is in the history under its raw table with its file, GX's result is
    saved for Data Docs, and the check result names table, file, rule, count and values."""
    settings = tmp_settings
    settings.pipeline_db.parent.mkdir(parents=True, exist_ok=True)
    rows = [dict(r) for r in CLEAN_ROWS["erp_goods_receipts"]]
    rows[2]["quantity"] = -5
    with duckdb.connect(str(settings.pipeline_db)) as con:
        stage(con, "erp_goods_receipts", rows, source_file="receipts__bad.csv")
        outcome = run_raw(con, "erp_goods_receipts")
        record_outcomes(con, [outcome], table_name="raw.erp_goods_receipts",
                        source_file="receipts__bad.csv")
        history = con.execute(
            f"select table_name, source_file, expectation_type, column_name, severity, success,"
            f" unexpected_count, run_id from {DQ_HISTORY} where not success").fetchall()
        n_rows = con.execute(f"select count(*) from {DQ_HISTORY}").fetchone()[0]
    assert n_rows == len(outcome.outcomes)  # passed expectations are kept too
    assert history == [("raw.erp_goods_receipts", "receipts__bad.csv",
                        "expect_column_values_to_be_between", "quantity", "ERROR", False, 1,
                        "test")]

    saved = list((validations_dir(settings.pipeline_db) / "test").glob("*.json"))
    assert len(saved) == 1
    meta = json.loads(saved[0].read_text())["meta"]["plansignal"]
    assert meta == {**meta, "table": "raw.erp_goods_receipts",
                    "source_file": "receipts__bad.csv"}

    result = check_result([outcome], dg.AssetKey(["raw", "erp_goods_receipts"]))
    assert not result.passed and result.severity == dg.AssetCheckSeverity.ERROR
    failures = result.metadata["failures"].value
    assert failures == ("- raw.erp_goods_receipts [receipts__bad.csv]: ERROR "
                        "expect_column_values_to_be_between(quantity): 1 of 3 rows failed, "
                        "e.g. [-5.0]")
    assert result.metadata["extracts_refused"].value == ["receipts__bad.csv"]

    # Data Docs from the saved results, as the governance site builds them
    index = write_data_docs(
        latest_validation_files(validations_dir(settings.pipeline_db), 5), settings.site_dir
    )
    assert index == settings.site_dir / "gx" / "index.html"
    assert "raw__erp_goods_receipts" in index.read_text(encoding="utf-8")


def test_data_docs_show_failing_rows_of_sql_rules(con, tmp_path):
    """GX reports only a count for unexpected_rows_expectation; the shim adds failing rows,
    shaped so Data Docs render them like any failed expectation."""
    stage(con, "mrp_demand_history", CLEAN_ROWS["mrp_demand_history"])
    con.execute("update incoming.mrp_demand_history set week_start = date '2026-01-13' "
                "where week_start = date '2026-01-12'")
    outcome = run_raw(con, "mrp_demand_history")
    assert failing(outcome)[(ROWS, "week_start is a Monday", "ERROR")].failure_line() == (
        "incoming.mrp_demand_history: ERROR unexpected_rows_expectation(week_start is a "
        'Monday): 1 of 2 rows failed, e.g. [{"part_number": "MRP 1", "plant": "P1", '
        '"week_start": "2026-01-13", "weekday": "Tuesday"}]')
    write_data_docs([outcome], tmp_path)
    page = next((tmp_path / "gx").rglob("incoming.mrp_demand_history.html")).read_text(
        encoding="utf-8")
    assert "1 unexpected values found. 50% of 2 total rows." in page
    assert "Tuesday" in page and "week_start is a Monday" in page


def test_no_saved_results_means_no_data_docs(tmp_settings):
    assert latest_validation_files(validations_dir(tmp_settings.pipeline_db), 5) == []


def test_warnings_alone_report_but_do_not_block(con):
    stage(con, "erp_goods_receipts", CLEAN_ROWS["erp_goods_receipts"])
    con.execute("update incoming.erp_goods_receipts set receipt_date = date '2030-01-01'")
    outcome = run_raw(con, "erp_goods_receipts")
    assert outcome.passed
    result = check_result([outcome], dg.AssetKey(["raw", "erp_goods_receipts"]))
    assert result.severity == dg.AssetCheckSeverity.WARN  # never blocks downstream
    assert "WARNING expect_column_values_to_be_between(receipt_date): 3 of 3" in (
        result.metadata["failures"].value)


# --- real data -----------------------------------------------------------------------------

SCMS_DIR = REALDATA_DIR / "usaid_scms"


@pytest.mark.realdata
def test_usaid_scms_mapping_passes_every_raw_contract(tmp_path):
    """The real USAID SCMS delivery history, mapped onto the landing contract, is accepted:
    no ERROR; warnings only for its 4 lines scheduled before the PO was sent."""
    if not (SCMS_DIR / "SCMS_Delivery_History_Dataset.csv").is_file():
        pytest.skip(f"real data not available: {SCMS_DIR}")
    from dagster_project.ingest.extracts import (
        discover_extracts,
        ensure_raw_schema,
        next_load_time,
        pending_extracts,
        stage_extract,
    )
    from dagster_project.mapping.apply import apply_mapping
    from dagster_project.mapping.config import load_mapping

    landing = tmp_path / "landing"
    apply_mapping(load_mapping(REPO / "data" / "mappings" / "usaid_scms.yml"), SCMS_DIR,
                  landing, tag="2015-09-30")
    warnings: dict[str, dict[tuple[str, str, str], int | None]] = {}
    with duckdb.connect() as con:
        ensure_raw_schema(con)
        extracts = discover_extracts(landing)
        assert set(extracts) >= {"erp_items", "erp_suppliers", "erp_purchase_order_lines",
                                 "erp_goods_receipts"}
        for table, paths in extracts.items():
            for extract in pending_extracts(con, table, paths)[0]:
                stage_extract(con, extract, next_load_time(con))
                outcome = validate_table(con, f"incoming.{table}", raw_suite(table))
                assert outcome.passed, outcome.summary_line()
                assert all(o.exception is None for o in outcome.outcomes)
                found = {k: o.unexpected_count for k, o in failing(outcome).items()}
                if found:
                    warnings[table] = found
    assert warnings == {"erp_purchase_order_lines": {
        (PAIR, "requested_date,order_date", "WARNING"): 4,
        (PAIR, "promised_date,order_date", "WARNING"): 4,
    }}
