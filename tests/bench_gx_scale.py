"""Scale benchmark: the raw__erp_goods_receipts suite on 10 million rows through the GX shim.

Not collected by pytest (the file name does not start with test_). Run by hand:

    .venv/bin/python tests/bench_gx_scale.py [--rows 10000000]

Builds an erp_goods_receipts-shaped table in a DuckDB file in a temp dir (DuckDB SQL range(),
in a child process so its memory does not count), injects a known number of bad rows, runs
`contracts.validate_table`, prints wall time and peak RSS, and exits non-zero if any unexpected
count differs from what was injected.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args()

    from dagster_project.lib.contracts import validate_table

    with tempfile.TemporaryDirectory(prefix="bench_gx_") as tmp:
        db = Path(tmp) / "bench.duckdb"
        t0 = time.perf_counter()
        spawn = multiprocessing.get_context("spawn")
        child = spawn.Process(target=build, args=(str(db), args.rows))
        child.start()
        child.join()
        if child.exitcode != 0:
            print("data generation failed", file=sys.stderr)
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
