"""How well part reconciliation did, measured against the demo generator's ground truth.

Pairwise, over the distinct source spellings (source_system, source_part_number):

- precision of automatic merges: of the spelling pairs that ``part_aliases`` put in the same
  canonical part, the share that truly are one part (target 1.00: a wrong merge corrupts lead
  times);
- recall: of the spelling pairs that truly are one part, the share merged automatically or
  proposed in ``part_match_review`` (target at least 0.95);
- review precision: of the pairs proposed for review, the share that truly are one part (for
  the steward's workload, no target).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.warehouse.sql import quote_literal


@dataclass(frozen=True)
class ReconciliationQuality:
    spellings: int
    merged_pairs: int
    correct_merged_pairs: int
    true_pairs: int
    true_pairs_merged: int
    true_pairs_in_review: int
    review_pairs: int
    correct_review_pairs: int

    @property
    def merge_precision(self) -> float:
        return self.correct_merged_pairs / self.merged_pairs if self.merged_pairs else 1.0

    @property
    def recall(self) -> float:
        found = self.true_pairs_merged + self.true_pairs_in_review
        return found / self.true_pairs if self.true_pairs else 1.0

    @property
    def review_precision(self) -> float:
        return self.correct_review_pairs / self.review_pairs if self.review_pairs else 1.0

    def summary(self) -> str:
        return (
            f"part reconciliation vs ground truth: merge precision {self.merge_precision:.3f} "
            f"({self.correct_merged_pairs}/{self.merged_pairs} merged pairs), recall "
            f"{self.recall:.3f} ({self.true_pairs_merged} merged + {self.true_pairs_in_review} "
            f"in review of {self.true_pairs} true pairs), review precision "
            f"{self.review_precision:.3f} ({self.correct_review_pairs}/{self.review_pairs})"
        )


def measure(serving_db: Path, truth_dir: Path) -> ReconciliationQuality:
    """Compare the published part_aliases and part_match_review with truth/part_identities.csv."""
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        truth_csv = quote_literal(str(truth_dir / "part_identities.csv"))
        con.execute(
            f"""
            create temp table spelling as
            select distinct
                aliases.source_system,
                aliases.source_part_number,
                aliases.canonical_part_id,
                truth.true_part_id
            from marts.part_aliases as aliases
            inner join (
                select distinct source_system, source_part_number, true_part_id
                from read_csv({truth_csv}, header = true, all_varchar = true)
            ) as truth
                on aliases.source_system = truth.source_system
                and aliases.source_part_number = truth.source_part_number
            """
        )
        con.execute(
            """
            create temp table spelling_pair as
            select
                a.canonical_part_id as canonical_a,
                b.canonical_part_id as canonical_b,
                a.true_part_id = b.true_part_id as truly_same
            from spelling as a
            inner join spelling as b
                on (a.source_system, a.source_part_number) < (b.source_system, b.source_part_number)
                and (a.canonical_part_id = b.canonical_part_id or a.true_part_id = b.true_part_id)
            """
        )
        review = """
            select part_id_a as canonical_a, part_id_b as canonical_b from marts.part_match_review
            union
            select part_id_b, part_id_a from marts.part_match_review
        """
        row = con.execute(
            f"""
            with reviewed as ({review})
            select
                (select count(*) from spelling),
                count(*) filter (where canonical_a = canonical_b),
                count(*) filter (where canonical_a = canonical_b and truly_same),
                count(*) filter (where truly_same),
                count(*) filter (where truly_same and canonical_a = canonical_b),
                count(*) filter (
                    where truly_same and canonical_a <> canonical_b
                    and (canonical_a, canonical_b) in (
                        select (canonical_a, canonical_b) from reviewed
                    )
                )
            from spelling_pair
            """
        ).fetchone()
        canonical_truth = """
            select canonical_part_id, min(true_part_id) as true_part_id,
                count(distinct true_part_id) as n_true
            from spelling group by canonical_part_id
        """
        review_row = con.execute(
            f"""
            with canonical_truth as ({canonical_truth})
            select
                count(*),
                count(*) filter (
                    where a.n_true = 1 and b.n_true = 1 and a.true_part_id = b.true_part_id
                )
            from marts.part_match_review as review
            left join canonical_truth as a on review.part_id_a = a.canonical_part_id
            left join canonical_truth as b on review.part_id_b = b.canonical_part_id
            """
        ).fetchone()
    finally:
        con.close()
    return ReconciliationQuality(*(int(v) for v in row), int(review_row[0]), int(review_row[1]))
