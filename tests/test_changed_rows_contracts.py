"""Mart contracts on what changed (contracts/changed_rows.py), on a hand-built warehouse.

The mart is a view over an incremental model with built_at, as fct_po_line_lead_times is over
int_purchase_order_lines__lead_times. Each step says which rows the row rules must see.
"""

import json
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from dagster_project.contracts.changed_rows import (
    WATERMARKS,
    WHOLE_TABLE,
    ChangedRowsSpec,
    checks_changed_rows,
    declared_spec,
    split_suite,
)
from dagster_project.contracts.suites import ContractError, load_suite, validate_table
from dagster_project.runtime.settings import EXPECTATIONS_DIR
from dagster_project.warehouse.dq_history import DQ_HISTORY, insert_dq_history

LINES = "intermediate.lines"
MART = "marts.fct_lines"
FIRST_BUILD = datetime(2026, 1, 1, 6, 0)


def rule(kind: str, severity: str = "ERROR", **kwargs: object) -> dict:
    return {"type": kind, "kwargs": kwargs, "meta": {"severity": severity, "why": "test"}}


SUITE = {
    "name": "marts__fct_lines",
    "meta": {"changed_rows": {"changes_in": LINES, "key": ["po_number", "po_line"]}},
    "expectations": [
        rule("expect_table_columns_to_match_set", column_set=["po_number", "po_line", "qty"],
             exact_match=False),
        rule("expect_column_values_to_not_be_null", column="qty"),
        rule("expect_compound_columns_to_be_unique", column_list=["po_number", "po_line"]),
        rule("expect_column_values_to_be_between", "WARNING", column="qty", max_value=100),
        rule("expect_table_row_count_to_be_between", min_value=1),
    ],
}


def write_suite(path: Path, suite: dict) -> Path:
    path.write_text(json.dumps(suite, indent=1), encoding="utf-8")
    return path


@pytest.fixture
def warehouse(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "pipeline.duckdb"))
    con.execute("create schema intermediate; create schema marts")
    con.execute(f"create table {LINES} (po_number varchar, po_line integer, qty double, "
                "built_at timestamp)")
    con.execute(f"insert into {LINES} select 'PO' || (i // 10), i % 10, 5 + (i % 50), ? "
                "from range(1000) t(i)", [FIRST_BUILD])
    con.execute(f"insert into {LINES} values ('PO-OLD', 1, 500, ?)", [FIRST_BUILD])  # WARNING
    con.execute(f"create view {MART} as select po_number, po_line, qty from {LINES}")
    yield con
    con.close()


def build(con: duckdb.DuckDBPyConnection, rows: list[tuple], at: datetime) -> None:
    """An incremental build: delete+insert the keys of `rows`, stamped `at`."""
    for po_number, po_line, _ in rows:
        con.execute(f"delete from {LINES} where po_number = ? and po_line = ?",
                    [po_number, po_line])
    con.executemany(f"insert into {LINES} values (?, ?, ?, ?)",
                    [[*row, at] for row in rows])


def check(con: duckdb.DuckDBPyConnection, suite: Path, run: str):
    outcome = validate_table(con, MART, suite, run_id=run, changed_rows=True)
    return outcome, {(o.expectation_type, o.severity): o for o in outcome.outcomes}


def test_row_rules_check_the_changed_rows_and_a_failure_is_checked_again_until_fixed(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    suite = write_suite(tmp_path / "marts__fct_lines.json", SUITE)
    not_null = ("expect_column_values_to_not_be_null", "ERROR")
    unique = ("expect_compound_columns_to_be_unique", "ERROR")
    warning = ("expect_column_values_to_be_between", "WARNING")

    first, rules = check(warehouse, suite, "r1")
    assert first.passed and rules[not_null].element_count == 1001
    assert all(o.rows_scope == WHOLE_TABLE for o in first.outcomes)

    # A day rebuilds three lines (one new) and writes one of them without a quantity.
    day = FIRST_BUILD + timedelta(days=1)
    build(warehouse, [("PO1", 1, 7.0), ("PO2", 2, None), ("PO-NEW", 1, 9.0)], day)
    second, rules = check(warehouse, suite, "r2")
    assert not second.passed
    assert (rules[not_null].element_count, rules[not_null].unexpected_count) == (3, 1)
    assert rules[not_null].rows_scope.startswith("rows whose key (po_number, po_line)")
    # WARNING rules and table rules keep reporting on the whole table.
    assert (rules[warning].element_count, rules[warning].unexpected_count) == (1002, 1)
    assert rules[warning].rows_scope == WHOLE_TABLE

    # Nothing rebuilt since, but the failed rows were never passed: they fail again.
    third, rules = check(warehouse, suite, "r3")
    assert not third.passed and rules[not_null].unexpected_count == 1

    build(warehouse, [("PO2", 2, 8.0)], day + timedelta(days=1))
    fourth, rules = check(warehouse, suite, "r4")
    assert fourth.passed and rules[not_null].element_count == 3  # day 1's and day 2's rows
    # A pass replaces the earlier passes of the same suite version: one row, the newest.
    assert warehouse.execute(f"select run_id from {WATERMARKS}").fetchall() == [("r4",)]

    # A rebuilt row that repeats the key of a row kept from before breaks uniqueness.
    warehouse.execute(f"insert into {LINES} values ('PO3', 3, 6, ?)", [day + timedelta(days=2)])
    fifth, rules = check(warehouse, suite, "r5")
    assert not rules[unique].success and rules[unique].element_count == 2


def test_the_whole_table_is_checked_when_the_suite_changed_or_most_rows_were_rebuilt(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    suite = write_suite(tmp_path / "marts__fct_lines.json", SUITE)
    not_null = ("expect_column_values_to_not_be_null", "ERROR")
    assert check(warehouse, suite, "r1")[0].passed
    later = FIRST_BUILD + timedelta(days=1)
    build(warehouse, [("PO1", 1, 7.0)], later)
    assert check(warehouse, suite, "r2")[1][not_null].element_count == 1

    # A new rule must see every row: the suite file changed, so there is no pass to start from.
    edited = json.loads(json.dumps(SUITE))
    edited["expectations"].append(rule("expect_column_values_to_be_between", column="qty",
                                       min_value=6))
    write_suite(suite, edited)
    outcome, _ = check(warehouse, suite, "r3")
    between = [o for o in outcome.outcomes
               if o.expectation_type == "expect_column_values_to_be_between"
               and o.severity == "ERROR"][0]
    assert (between.element_count, between.unexpected_count) == (1001, 20)
    assert not outcome.passed

    # A full rebuild stamps every row anew: one pass over the table instead of a copy.
    write_suite(suite, SUITE)
    assert check(warehouse, suite, "r4")[0].passed
    warehouse.execute(f"update {LINES} set built_at = ?", [later + timedelta(days=1)])
    assert check(warehouse, suite, "r5")[1][not_null].rows_scope == WHOLE_TABLE


def test_the_fact_suite_checks_its_error_row_rules_and_key_on_changed_rows() -> None:
    path = EXPECTATIONS_DIR / "marts__fct_po_line_lead_times.json"
    suite = load_suite(path)
    spec = declared_spec(dict(suite.meta), path)
    assert spec == ChangedRowsSpec("intermediate.int_purchase_order_lines__lead_times",
                                   ("po_number", "po_line"))
    on_changed, on_whole = split_suite(suite, spec)
    whole = [(e.expectation_type, getattr(e, "column", None),
              e.configuration.meta["severity"]) for e in on_whole.expectations]
    assert whole == [
        ("expect_table_columns_to_match_set", None, "ERROR"),
        ("expect_column_values_to_be_between", "lead_time_days", "WARNING"),
        ("unexpected_rows_expectation", None, "ERROR"),  # reads marts.quarantined_rows too
    ]
    assert len(on_changed.expectations) == len(suite.expectations) - 3
    assert all(checks_changed_rows(e.configuration, spec) for e in on_changed.expectations)


@pytest.mark.parametrize("meta, message", [
    ({"changed_rows": {"changes_in": "lines"}}, "must be an object with 'changes_in' and 'key'"),
    ({"changed_rows": {"changes_in": "lines", "key": ["k"]}}, "must be 'schema.table'"),
    ({"changed_rows": {"changes_in": "a.b; drop", "key": ["k"]}}, "not a plain identifier"),
    ({"changed_rows": {"changes_in": "a.b", "key": []}}, "non-empty list"),
])
def test_a_malformed_declaration_fails_in_one_line_naming_the_suite(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path, meta: dict, message: str
) -> None:
    suite = write_suite(tmp_path / "marts__fct_lines.json", {**SUITE, "meta": meta})
    with pytest.raises(ContractError, match=message) as info:
        validate_table(warehouse, MART, suite, changed_rows=True)
    assert str(suite) in str(info.value) and "\n" not in str(info.value)


def test_a_model_without_built_at_fails_in_one_line(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    warehouse.execute(f"alter table {LINES} rename built_at to written_at")
    suite = write_suite(tmp_path / "marts__fct_lines.json", SUITE)
    with pytest.raises(ContractError, match=f"cannot read built_at of {LINES}"):
        validate_table(warehouse, MART, suite, changed_rows=True)


def test_the_history_says_which_rows_a_rule_checked(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    from dagster_project.contracts.suites import outcomes_to_rows

    suite = write_suite(tmp_path / "marts__fct_lines.json", SUITE)
    check(warehouse, suite, "r1")
    build(warehouse, [("PO1", 1, 7.0)], FIRST_BUILD + timedelta(days=1))
    outcome, _ = check(warehouse, suite, "r2")
    insert_dq_history(warehouse, outcomes_to_rows(outcome))
    scopes = dict(warehouse.execute(
        f"select expectation_type || ' ' || severity, rows_scope from {DQ_HISTORY} "
        "where expectation_type in ('expect_column_values_to_not_be_null', "
        "'expect_table_row_count_to_be_between')"
    ).fetchall())
    assert scopes["expect_table_row_count_to_be_between ERROR"] == WHOLE_TABLE
    assert scopes["expect_column_values_to_not_be_null ERROR"].startswith(
        f"rows whose key (po_number, po_line) was rebuilt in {LINES} after 2026-01-01 06:00:00")
