"""Scale benchmark: raw contracts through the GX shim on scale-100-shaped data.

Not collected by pytest (the file name does not start with test_). Run by hand:

    .venv/bin/python tests/bench_gx_scale.py [--rows 10000000]     # receipts suite only
    .venv/bin/python tests/bench_gx_scale.py --all-raw [--scale 100]  # every raw suite

Builds the tables in a DuckDB file in a temp dir (DuckDB SQL range(), in a child process so
its memory does not count), injects a known number of bad rows, runs
`contracts.validate_table`, prints wall time and peak RSS, and exits non-zero if any unexpected
count differs from what was injected. `--all-raw` sizes every landing table like the demo
generator at that scale (transactional tables x scale, master tables x sqrt(scale); at 100:
10.2M receipts, 5.4M PO lines, 3.4M demand weeks) and validates each suite in turn, as one
raw asset per table would.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SUITE = REPO / "expectations" / "raw__erp_goods_receipts.json"
TODAY = date(2026, 1, 15)  # pinned so the "future date" rows are known

# Injected defects: row numbers i (0-based) per defect, disjoint, and the expected
# unexpected_count per (expectation_type, column, severity).
QTY_ZERO = range(1_000, 1_007)  # 7 rows quantity = 0
OLD_DATE = range(2_002, 2_007)  # 5 rows dated 1985
FUTURE_DATE = range(3_002, 3_005)  # 3 rows dated after TODAY
BOGUS_TYPE = range(4_005, 4_009)  # 4 rows movement_type 'BOGUS' (i % 20 not 0)
REVERSAL_NO_REF = range(5_000, 5_120, 20)  # 6 REVERSAL rows without reverses_receipt_id
NULL_PART = range(6_001, 6_010)  # 9 rows without part_number
DUP_FROM, DUP_TO = (7_001, 7_002), (7_101, 7_102)  # 2 ids reused in the same file -> 4 rows

EXPECTED = {
    ("expect_column_values_to_be_between", "quantity", "ERROR"): 7,
    ("expect_column_values_to_be_between", "receipt_date", "ERROR"): 5,
    ("expect_column_values_to_be_between", "receipt_date", "WARNING"): 3,
    ("expect_column_values_to_be_in_set", "movement_type", "ERROR"): 4,
    ("expect_column_values_to_not_be_null", "reverses_receipt_id", "ERROR"): 6,
    ("expect_column_values_to_be_null", "reverses_receipt_id", "WARNING"): 0,
    ("expect_column_values_to_not_be_null", "part_number", "ERROR"): 9,
    ("expect_compound_columns_to_be_unique", "receipt_id,_source_file", "ERROR"): 4,
    ("expect_column_values_to_not_be_null", "receipt_id", "ERROR"): 0,
}


def _in(r: range | tuple[int, ...]) -> str:
    return "(" + ", ".join(str(i) for i in r) + ")"


def build(db_path: str, rows: int) -> None:
    """Create raw.erp_goods_receipts with `rows` rows and the defects above (child process)."""
    import duckdb

    rid = "'GR' || lpad(CAST({i} AS VARCHAR), 10, '0')"
    con = duckdb.connect(db_path)
    con.execute("SET enable_progress_bar = false")
    con.execute("CREATE SCHEMA raw")
    con.execute(f"""
        CREATE TABLE raw.erp_goods_receipts AS
        SELECT
            CASE WHEN i IN {_in(DUP_FROM)} THEN {rid.format(i="i + 100")}
                 ELSE {rid.format(i="i")} END AS receipt_id,
            'PO' || CAST(i // 4 AS VARCHAR) AS po_number,
            CAST(i % 4 + 1 AS INTEGER) AS po_line,
            CASE WHEN i IN {_in(NULL_PART)} THEN NULL
                 ELSE 'P-' || CAST(i % 50000 AS VARCHAR) END AS part_number,
            CASE WHEN i IN {_in(OLD_DATE)} THEN DATE '1985-06-01'
                 WHEN i IN {_in(FUTURE_DATE)} THEN DATE '2030-01-01'
                 ELSE DATE '2015-01-01' + CAST(i % 3650 AS INTEGER) END AS receipt_date,
            CASE WHEN i IN {_in(QTY_ZERO)} THEN 0.0 ELSE CAST(1 + i % 100 AS DOUBLE) END
                AS quantity,
            'EA' AS uom,
            CASE WHEN i IN {_in(BOGUS_TYPE)} THEN 'BOGUS'
                 WHEN i % 20 = 0 THEN 'REVERSAL'
                 WHEN i % 20 = 1 THEN 'RETURN'
                 ELSE 'RECEIPT' END AS movement_type,
            CASE WHEN i % 20 = 0 AND i NOT IN {_in(REVERSAL_NO_REF)}
                 THEN {rid.format(i="i + 2")} END AS reverses_receipt_id,
            'extract_' || CAST(i // 1000000 AS VARCHAR) || '.csv' AS _source_file,
            TIMESTAMP '2026-01-10 06:00:00' AS _loaded_at,
            md5(CAST(i AS VARCHAR)) AS _row_hash
        FROM range({rows}) AS r(i)
    """)
    con.close()


# --- every raw table (--all-raw) -------------------------------------------------------------

_META_SQL = ("'extract_' || CAST(i // 1000000 AS VARCHAR) || '.csv' AS _source_file, "
             "TIMESTAMP '2026-01-10 06:00:00' AS _loaded_at, md5(CAST(i AS VARCHAR)) AS _row_hash")
# Rows per table at scale 1 (the demo generator's sizes) and whether they grow with the scale
# (transactional) or its square root (master data).
DEMO_ROWS = {
    "erp_items": (2_169, False), "erp_suppliers": (80, False),
    "erp_purchasing_info": (3_173, False), "erp_purchase_order_lines": (53_712, True),
    "erp_goods_receipts": (102_191, True), "erp_inventory": (6_612, False),
    "mrp_parameters": (3_306, False), "mrp_availability": (3_306, False),
    "mrp_demand_history": (343_824, False),
}
# Injected defects of the other tables: (expectation type, column or rule, severity) -> rows.
ALL_EXPECTED: dict[str, dict[tuple[str, str | None, str], int]] = {
    "erp_purchase_order_lines": {
        ("expect_column_pair_values_a_to_be_greater_than_b", "promised_date,order_date",
         "WARNING"): 3,
        ("expect_compound_columns_to_be_unique", "po_number,po_line,_source_file", "ERROR"): 4,
        ("expect_column_values_to_be_in_set", "line_status", "ERROR"): 2,
    },
    "mrp_demand_history": {("unexpected_rows_expectation", "week_start is a Monday", "ERROR"): 5},
    "erp_suppliers": {("unexpected_rows_expectation",
                       "country is a two-letter ISO 3166 alpha-2 code", "WARNING"): 1},
}


def table_rows(scale: float) -> dict[str, int]:
    return {t: int(n * (scale if tx else math.sqrt(scale))) for t, (n, tx) in DEMO_ROWS.items()}


def _create(con: object, table: str, rows: int, select: str) -> None:
    con.execute(f"CREATE TABLE raw.{table} AS SELECT {select}, {_META_SQL} "  # type: ignore
                f"FROM range({rows}) AS r(i)")


def build_all(db_path: str, scale: float) -> None:
    """Every raw table at `scale`, clean except for ALL_EXPECTED and the receipts' EXPECTED."""
    import duckdb

    n = table_rows(scale)
    build(db_path, n["erp_goods_receipts"])
    con = duckdb.connect(db_path)
    con.execute("SET enable_progress_bar = false")
    day = "DATE '2015-01-01' + CAST(i % 3650 AS INTEGER)"
    _create(con, "erp_items", n["erp_items"], """
        'P-' || CAST(i AS VARCHAR) || ' / rev ' || CAST(i % 7 AS VARCHAR) AS part_number,
        'Item ' || CAST(i AS VARCHAR) || ', "description" with punctuation' AS description,
        'EA' AS uom, CASE WHEN i % 5 = 0 THEN 'MAKE' ELSE 'BUY' END AS procurement_type,
        CASE WHEN i % 11 = 0 THEN 'OBSOLETE' ELSE 'ACTIVE' END AS status,
        CASE WHEN i % 3 = 0 THEN NULL ELSE 'M-' || CAST(i AS VARCHAR) END
            AS manufacturer_part_number,
        TIMESTAMP '2020-01-01 08:00:00' + CAST(i % 2000 AS INTEGER) * INTERVAL 1 DAY
            AS updated_at""")
    _create(con, "erp_suppliers", n["erp_suppliers"], """
        'S' || CAST(i AS VARCHAR) AS supplier_id, 'Supplier ' || CAST(i AS VARCHAR)
            AS supplier_name, CASE WHEN i = 7 THEN 'Germany' ELSE 'DE' END AS country,
        CASE WHEN i % 9 = 0 THEN 'BLOCKED' ELSE 'ACTIVE' END AS status""")
    _create(con, "erp_purchasing_info", n["erp_purchasing_info"], f"""
        'P-' || CAST(i // 2 AS VARCHAR) AS part_number,
        'S' || CAST(i % {n["erp_suppliers"]} AS VARCHAR) AS supplier_id,
        CAST(i % 200 AS INTEGER) AS planned_lead_time_days, CAST(i % 50 AS DOUBLE)
            AS min_order_qty, 5.0 AS order_multiple, 1.5 AS unit_price, 'EUR' AS currency,
        i % 2 = 0 AS preferred, CASE WHEN i % 4 = 0 THEN NULL ELSE {day} END
            AS last_reviewed_date""")
    _create(con, "erp_purchase_order_lines", n["erp_purchase_order_lines"], f"""
        'PO' || CAST(CASE WHEN i IN (9000, 9001) THEN i - 4000 ELSE i END // 4 AS VARCHAR)
            AS po_number, CAST(i % 4 + 1 AS INTEGER) * 10 AS po_line,
        'S' || CAST(i % 500 AS VARCHAR) AS supplier_id,
        'P-' || CAST(i % 20000 AS VARCHAR) AS part_number, {day} AS order_date,
        {day} + 30 AS requested_date,
        CASE WHEN i IN (11000, 11001, 11002) THEN {day} - 1 WHEN i % 7 = 0 THEN NULL
             ELSE {day} + 35 END AS promised_date,
        CAST(1 + i % 500 AS DOUBLE) AS order_qty, 'EA' AS uom,
        CASE WHEN i IN (12000, 12001) THEN 'BOGUS' WHEN i % 10 = 0 THEN 'OPEN'
             WHEN i % 17 = 0 THEN 'CANCELLED' ELSE 'CLOSED' END AS line_status,
        TIMESTAMP '2016-01-01 08:00:00' + CAST(i % 3000 AS INTEGER) * INTERVAL 1 DAY
            AS updated_at""")
    _create(con, "erp_inventory", n["erp_inventory"], """
        DATE '2025-12-31' - CAST(i % 2 AS INTEGER) * 31 AS snapshot_date,
        'P-' || CAST(i // 6 AS VARCHAR) AS part_number,
        'PL' || CAST(i // 2 % 3 AS VARCHAR) AS plant, CAST(i % 1000 AS DOUBLE) AS on_hand_qty""")
    _create(con, "mrp_parameters", n["mrp_parameters"], f"""
        'MRP' || CAST(i // 3 AS VARCHAR) AS part_number, 'PL' || CAST(i % 3 AS VARCHAR)
            AS plant, CAST(i % 250 AS INTEGER) AS planned_lead_time_days,
        CAST(i % 100 AS DOUBLE) AS safety_stock_qty, CAST(i % 300 AS DOUBLE) AS reorder_point,
        CASE i % 4 WHEN 0 THEN 'FIXED' WHEN 1 THEN 'LOT_FOR_LOT' WHEN 2 THEN 'MIN_MAX'
             ELSE 'PERIODIC' END AS lot_size_policy,
        CASE WHEN i % 4 = 0 THEN 100.0 END AS fixed_lot_size,
        CASE WHEN i % 4 = 2 THEN 10.0 END AS min_lot_size, {day} AS last_changed_date""")
    _create(con, "mrp_availability", n["mrp_availability"], """
        DATE '2025-12-31' AS as_of_date, 'MRP' || CAST(i // 3 AS VARCHAR) AS part_number,
        'PL' || CAST(i % 3 AS VARCHAR) AS plant, CAST(i % 100 AS DOUBLE) AS required_qty,
        CAST(i % 120 - 10 AS DOUBLE) AS available_qty,
        CASE WHEN i % 6 = 0 THEN 'SHORT' ELSE 'AVAILABLE' END AS status""")
    _create(con, "mrp_demand_history", n["mrp_demand_history"], """
        'MRP' || CAST(i // 312 AS VARCHAR) AS part_number,
        'PL' || CAST(i // 104 % 3 AS VARCHAR) AS plant,
        DATE '2024-01-01' + CAST(i % 104 AS INTEGER) * 7
            + CASE WHEN i IN (500, 501, 502, 503, 504) THEN 2 ELSE 0 END AS week_start,
        CAST(i % 40 AS DOUBLE) AS demand_qty""")
    con.close()


def _generated_in_child(target: Callable[..., None], *args: object) -> bool:
    """Run the data generator `target(*args)` in a spawned process, so that its memory does not
    count in this one's peak RSS; False, said on stderr, when it failed."""
    child = multiprocessing.get_context("spawn").Process(target=target, args=args)
    child.start()
    child.join()
    if child.exitcode != 0:
        print("data generation failed", file=sys.stderr)
        return False
    return True


def main_all_raw(scale: float) -> int:
    from dagster_project.contracts.suites import validate_table

    sizes = table_rows(scale)
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench_gx_") as tmp:
        db = Path(tmp) / "bench.duckdb"
        t0 = time.perf_counter()
        if not _generated_in_child(build_all, str(db), scale):
            return 2
        print(f"generated {sum(sizes.values()):,} rows in 9 tables (scale {scale:g}) in "
              f"{time.perf_counter() - t0:.1f} s ({db.stat().st_size / 2**20:.0f} MiB file)")
        total = 0.0
        for table in DEMO_ROWS:
            t0 = time.perf_counter()
            outcome = validate_table(db, f"raw.{table}", REPO / "expectations" /
                                     f"raw__{table}.json", parameters={"today": TODAY})
            wall = time.perf_counter() - t0
            total += wall
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
            print(f"  {table:<26} {sizes[table]:>11,} rows {len(outcome.outcomes):>3} "
                  f"expectations {wall:6.2f} s  (peak RSS so far {peak:,.0f} MiB)")
            expected = EXPECTED if table == "erp_goods_receipts" else ALL_EXPECTED.get(table, {})
            for o in outcome.outcomes:
                key = (o.expectation_type, o.column or o.description, o.severity)
                if o.exception:
                    problems.append(f"{table} {key}: raised {o.exception}")
                elif o.unexpected_count != expected.get(key, o.unexpected_count if o.success
                                                        else 0):
                    problems.append(f"{table} {key}: unexpected_count {o.unexpected_count}, "
                                    f"injected {expected.get(key, 0)}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    print(f"all raw suites: {total:.1f} s, peak RSS {peak:,.0f} MiB")
    if problems:
        print("COUNT MISMATCH:\n  " + "\n  ".join(problems))
        return 1
    print("all injected defects counted exactly")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--all-raw", action="store_true", help="every raw suite, --scale sized")
    parser.add_argument("--scale", type=float, default=100)
    args = parser.parse_args()
    if args.all_raw:
        return main_all_raw(args.scale)

    from dagster_project.contracts.suites import validate_table

    with tempfile.TemporaryDirectory(prefix="bench_gx_") as tmp:
        db = Path(tmp) / "bench.duckdb"
        t0 = time.perf_counter()
        if not _generated_in_child(build, str(db), args.rows):
            return 2
        print(f"generated {args.rows:,} rows in {time.perf_counter() - t0:.1f} s "
              f"({db.stat().st_size / 2**20:.0f} MiB file)")

        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
        t0 = time.perf_counter()
        outcome = validate_table(db, "raw.erp_goods_receipts", SUITE, parameters={"today": TODAY})
        wall = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10

    print(f"validate_table: {len(outcome.outcomes)} expectations, wall {wall:.2f} s "
          f"(GX validation {outcome.duration_s:.2f} s), peak RSS {peak:.0f} MiB "
          f"(before validation {rss_before:.0f} MiB)")
    print(outcome.summary_line())

    problems = []
    seen = set()
    for o in outcome.outcomes:
        key = (o.expectation_type, o.column, o.severity)
        if o.exception:
            problems.append(f"{key}: raised {o.exception}")
        if key in EXPECTED:
            seen.add(key)
            if o.unexpected_count != EXPECTED[key]:
                problems.append(f"{key}: unexpected_count {o.unexpected_count}, "
                                f"injected {EXPECTED[key]}")
        elif not o.success:
            problems.append(f"{key}: failed but nothing was injected: {o.failure_line()}")
        if o.element_count is not None and o.condition is None and o.element_count != args.rows:
            problems.append(f"{key}: element_count {o.element_count} != {args.rows}")
    problems += [f"{k}: no such expectation in the suite" for k in EXPECTED.keys() - seen]
    if problems:
        print("COUNT MISMATCH:\n  " + "\n  ".join(problems))
        return 1
    print("all injected defects counted exactly")
    return 0


if __name__ == "__main__":
    sys.exit(main())
