"""How well the lead-time and planning marts find what the demo generator injected.

Compares the marts (schema ``marts`` of the serving or the pipeline database) with the ground
truth in the truth folder (``tooling/demo_data.py``):

- PO lines (truth ``po_lines.csv``): exact agreement of exclusion reason, short-closed flag,
  lead time, first-receipt lead time and completion date, line by line;
- lead-time drift vs the ERP plan (``lead_times.csv`` drifted), per part and supplier: over
  every pair, and over the pairs with enough evidence (not low confidence);
- change points (``drift_start_date``): share of true change points detected, share of
  detections that are true, median absolute error of the estimated date;
- stale MRP parameters and mis-set safety stocks (``mrp_parameters.csv``);
- false availability (``availability.csv``);
- order policy conflicts (``order_policy.csv``): MRP lot vs ERP policy per part, supplier and
  plant; PO quantities breaking it per part and supplier.

Parts are matched through ``part_aliases`` and the truth's ``part_identities.csv`` (a canonical
part counts as the true part all its source spellings belong to).

    python -m tooling.planning_quality --db data/warehouse/planning.duckdb \
        --truth data/demo_truth
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.warehouse.sql import quote_literal


@dataclass(frozen=True)
class Detection:
    """A binary signal against the truth."""

    name: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else 1.0

    def summary(self) -> str:
        return (
            f"{self.name}: precision {self.precision:.3f}, recall {self.recall:.3f} "
            f"(tp {self.true_positives}, fp {self.false_positives}, fn {self.false_negatives})"
        )


@dataclass(frozen=True)
class PlanningQuality:
    po_lines: int
    po_lines_exact: int
    po_line_mismatches: dict[str, int]
    detections: dict[str, Detection]
    change_point_median_abs_error_days: float | None

    @property
    def po_line_agreement(self) -> float:
        return self.po_lines_exact / self.po_lines if self.po_lines else 1.0

    def summary(self) -> str:
        lines = [
            f"PO lines matching the truth exactly: {self.po_lines_exact}/{self.po_lines} "
            f"({self.po_line_agreement:.4f}); mismatches per column: {self.po_line_mismatches}"
        ]
        lines += [d.summary() for d in self.detections.values()]
        if self.change_point_median_abs_error_days is not None:
            lines.append(
                "change point date: median absolute error "
                f"{self.change_point_median_abs_error_days:.0f} days (detected true changes)"
            )
        return "\n".join(lines)


def _truth(truth_dir: Path, name: str) -> str:
    return f"read_csv({quote_literal(str(truth_dir / name))}, header = true)"


def _detection(con: duckdb.DuckDBPyConnection, name: str, sql: str) -> Detection:
    """sql selects (predicted boolean, actual boolean) rows."""
    tp, fp, fn = con.execute(
        f"""
        select
            count(*) filter (where predicted and actual),
            count(*) filter (where predicted and not actual),
            count(*) filter (where not predicted and actual)
        from ({sql})
        """
    ).fetchone()
    return Detection(name, int(tp), int(fp), int(fn))


def _lead_time_pairs(truth_dir: Path, columns: str) -> str:
    """The true part/supplier lead times, each with its mart_supplier_lead_times row if any."""
    return f"""
        select {columns}
        from {_truth(truth_dir, "lead_times.csv")} as truth
        left join true_part on truth.true_part_id = true_part.true_part_id
        left join marts.mart_supplier_lead_times as mart
            on true_part.canonical_part_id = mart.canonical_part_id
            and truth.supplier_id = mart.supplier_id
    """


def _detections_with_evidence(
    con: duckdb.DuckDBPyConnection, key: str, label: str, evidence: str, sql: str
) -> dict[str, Detection]:
    """One detection over all pairs of sql and one over its rows with has_evidence."""
    return {
        key: _detection(con, f"{label} (all pairs)", sql),
        f"{key}_with_evidence": _detection(
            con, f"{label} (pairs with {evidence})", f"select * from ({sql}) where has_evidence"
        ),
    }


def _order_policy_detection(
    con: duckdb.DuckDBPyConnection,
    name: str,
    policy_truth: str,
    conflict_type: str,
    flag: str,
    keys: Sequence[str],
) -> Detection:
    """The true parts (per `keys`) with an order-policy conflict whose type starts with
    `conflict_type` against the parts mart_order_policy_review marks with `flag`."""
    truth_keys = "".join(f", {key}" for key in keys)
    review_keys = "".join(f", review.{key}" for key in keys)
    same_keys = "".join(f" and truth.{key} = predicted.{key}" for key in keys)
    return _detection(
        con,
        name,
        f"""
        with truth as (
            select distinct true_part_id{truth_keys}
            from ({policy_truth}) where conflict_type like '{conflict_type}%'
        ),
        predicted as (
            select distinct true_part.true_part_id{review_keys}
            from marts.mart_order_policy_review as review
            inner join true_part
                on review.canonical_part_id = true_part.canonical_part_id
            where review.{flag}
        )
        select predicted.true_part_id is not null as predicted,
            truth.true_part_id is not null as actual
        from truth
        full join predicted
            on truth.true_part_id = predicted.true_part_id{same_keys}
        """,
    )


def _has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.columns where table_schema = 'marts' "
            "and table_name = ? and column_name = ?",
            [table, column],
        ).fetchone()[0]
    )


def measure(database: Path, truth_dir: Path) -> PlanningQuality:
    """Compare the planning marts of database (schema marts) with the truth in truth_dir."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        con.execute(
            f"""
            create temp table true_part as
            select aliases.canonical_part_id, min(truth.true_part_id) as true_part_id
            from marts.part_aliases as aliases
            inner join (
                select distinct source_system, source_part_number, true_part_id
                from {_truth(truth_dir, "part_identities.csv")}
            ) as truth
                on aliases.source_system = truth.source_system
                and aliases.source_part_number = truth.source_part_number
            group by aliases.canonical_part_id
            having count(distinct truth.true_part_id) = 1
            """
        )
        columns = {
            "exclusion_reason": "fct.exclusion_reason is not distinct from "
            "truth.expected_exclusion_reason",
            "short_closed": "fct.short_closed = truth.expected_short_closed",
            "lead_time_days": "(truth.expected_exclusion_reason is not null) or "
            "fct.lead_time_days is not distinct from truth.true_lead_time_days",
            "first_receipt_lead_time_days": "(truth.expected_exclusion_reason is not null) or "
            "fct.first_receipt_lead_time_days is not distinct from "
            "truth.true_first_receipt_lead_time_days",
            "completion_date": "(truth.expected_exclusion_reason is not null) or "
            "fct.completion_date is not distinct from truth.completion_date",
        }
        agree = ", ".join(f"count(*) filter (where not ({c}))" for c in columns.values())
        row = con.execute(
            f"""
            select count(*), count(*) filter (where {" and ".join(
                f"({c})" for c in columns.values())}), {agree}
            from {_truth(truth_dir, "po_lines.csv")} as truth
            left join marts.fct_po_line_lead_times as fct
                on truth.po_number = fct.po_number and truth.po_line = fct.po_line
            """
        ).fetchone()
        po_lines, exact = int(row[0]), int(row[1])
        mismatches = {name: int(n) for name, n in zip(columns, row[2:], strict=True)}

        detections: dict[str, Detection] = {}
        lead_times = _lead_time_pairs(
            truth_dir,
            """
            truth.drifted as actual,
            coalesce(mart.is_drifting_vs_erp, false) as predicted,
            coalesce(not mart.low_confidence, false) as has_evidence
            """,
        )
        detections |= _detections_with_evidence(
            con, "lead_time_drift", "lead-time drift vs ERP", ">= min lines", lead_times
        )
        cp_error = None
        if _has_column(con, "mart_supplier_lead_times", "change_point_date"):
            change_points = _lead_time_pairs(
                truth_dir,
                """
                truth.drift_start_date is not null as actual,
                coalesce(mart.has_lead_time_shift, false) as predicted,
                truth.drift_start_date,
                mart.change_point_date,
                coalesce(mart.n_lines, 0) >= 20 as has_evidence
                """,
            )
            detections |= _detections_with_evidence(
                con, "change_point", "lead-time change point", ">= 20 lines", change_points
            )
            cp_error = con.execute(
                f"""
                select median(abs(date_diff('day', drift_start_date, change_point_date)))
                from ({change_points}) where actual and predicted
                """
            ).fetchone()[0]

        mrp = f"""
            select
                truth.stale,
                truth.safety_stock_misset,
                review.is_stale,
                review.is_safety_stock_deviation
            from {_truth(truth_dir, "mrp_parameters.csv")} as truth
            left join marts.part_aliases as aliases
                on aliases.source_system = 'mrp'
                and truth.mrp_part_number = aliases.source_part_number
            left join marts.mart_safety_stock_review as review
                on aliases.canonical_part_id = review.canonical_part_id
                and truth.plant = review.plant
        """
        detections["stale"] = _detection(
            con,
            "stale MRP parameters",
            f"select coalesce(is_stale, false) as predicted, stale as actual from ({mrp})",
        )
        detections["safety_stock"] = _detection(
            con,
            "mis-set safety stock",
            "select coalesce(is_safety_stock_deviation, false) as predicted, "
            f"safety_stock_misset as actual from ({mrp})",
        )
        detections["false_availability"] = _detection(
            con,
            "false availability",
            f"""
            select coalesce(mart.false_available, false) as predicted,
                truth.false_available as actual
            from {_truth(truth_dir, "availability.csv")} as truth
            left join marts.mart_availability_check as mart
                on truth.as_of_date = mart.as_of_date
                and truth.mrp_part_number = mart.mrp_part_number
                and truth.plant = mart.plant
            """,
        )
        policy_truth = f"select * from {_truth(truth_dir, 'order_policy.csv')}"
        detections["order_policy_lot"] = _order_policy_detection(
            con,
            "order policy: MRP lot vs ERP policy",
            policy_truth,
            "mrp_lot",
            "has_lot_size_conflict",
            ["plant", "supplier_id"],
        )
        detections["order_policy_po"] = _order_policy_detection(
            con,
            "order policy: PO quantities",
            policy_truth,
            "po_qty",
            "has_po_quantity_breaks",
            ["supplier_id"],
        )
    finally:
        con.close()
    return PlanningQuality(po_lines, exact, mismatches, detections, cp_error)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="database with schema marts")
    parser.add_argument("--truth", type=Path, required=True, help="demo ground-truth folder")
    args = parser.parse_args(argv)
    print(measure(args.db, args.truth).summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
