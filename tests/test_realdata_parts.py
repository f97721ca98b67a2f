"""Part reconciliation on real item descriptions (USAID SCMS): nothing merged wrongly.

The SCMS mapping uses the item description as the part number (SCMS has no item code), so
184 real descriptions, punctuation and dosages included, go through normalisation and the
fuzzy review. None of them is the same item as another, so every one must stay its own part;
the review queue may propose look-alikes (a 30- and a 60-tablet pack) for a steward.
"""

from __future__ import annotations

import re

import duckdb
import pytest

from tooling.part_numbers import normalize_part_number

pytestmark = pytest.mark.realdata


@pytest.mark.e2e  # the whole job on the real file (tests/conftest.py usaid_pipeline_run)
def test_real_descriptions_are_never_merged(usaid_pipeline_run):
    settings, report = usaid_pipeline_run
    assert report.published, report.step_failures + report.blocking_failures
    with duckdb.connect(str(settings.serving_db), read_only=True) as con:
        n_descriptions = con.execute(
            "select count(distinct source_part_number) from marts.part_aliases "
            "where source_system = 'erp'"
        ).fetchone()[0]
        merged = con.execute(
            "select canonical_part_id, list(source_part_number) from marts.part_aliases "
            "group by all having count(*) > 1"
        ).fetchall()
        n_parts = con.execute("select count(*) from marts.dim_parts").fetchone()[0]
    assert n_descriptions == 184
    assert merged == []
    assert n_parts == n_descriptions


def test_no_description_pair_differs_only_in_numeric_punctuation():
    """The normaliser drops . and /; on real descriptions that never joins 2.5 mg with 25 mg."""
    from tests.conftest import USAID_FILE

    if not USAID_FILE.is_file():
        pytest.skip(f"real data not available: {USAID_FILE}")
    with duckdb.connect() as con:
        descriptions = [
            row[0]
            for row in con.execute(
                "select distinct \"Item Description\" from read_csv(?, header = true, "
                "all_varchar = true)",
                [str(USAID_FILE)],
            ).fetchall()
        ]
    by_key: dict[str, set[str]] = {}
    for description in descriptions:
        by_key.setdefault(normalize_part_number(description) or "", set()).add(description)
    for spellings in by_key.values():
        number_runs = {tuple(re.findall(r"\d+", s)) for s in spellings}
        assert len(number_runs) == 1, spellings
