"""The confidence interval of the recommended lead time, recomputed from the lines.

On the session's shared demo run (tests/conftest.py demo_pipeline), every part/supplier's
`recommended_lead_time_ci_low_days` / `_high_days` in the serving database must be the order
statistics a plain Python computation picks from the same window's lead times (exact binomial
CDF with math.comb), and `is_recommendation_confident` must follow the documented rule. The
change sets may only carry confident recommendations.
"""

from __future__ import annotations

import duckdb
import pytest
import yaml

from dagster_project.cli import RunReport
from dagster_project.runtime.settings import DBT_PROJECT_DIR, Settings
from tests.recommendation_reference import is_confident, order_statistic_interval

VARS = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]


@pytest.fixture(scope="module")
def published(shared_demo: tuple[Settings, RunReport]) -> tuple[Settings, RunReport]:
    return shared_demo


def test_interval_bounds_are_the_order_statistics_python_picks(published):
    settings, _ = published
    q, level = VARS["recommended_lead_time_quantile"], VARS["recommended_lead_time_ci_level"]
    with duckdb.connect(str(settings.serving_db), read_only=True) as con:
        rows = con.execute(
            """
            select
                m.canonical_part_id, m.supplier_id, m.n_lines, m.low_confidence,
                m.recommended_lead_time_days,
                m.recommended_lead_time_ci_low_days, m.recommended_lead_time_ci_high_days,
                m.is_recommendation_confident,
                list(f.lead_time_days) filter (
                    where f.exclusion_reason is null and f.completion_date
                    between m.lead_time_window_start_date and m.lead_time_window_end_date
                ) as lead_times
            from marts.mart_supplier_lead_times as m
            left join marts.fct_po_line_lead_times as f
                on m.canonical_part_id = f.canonical_part_id and m.supplier_id = f.supplier_id
            group by all
            """
        ).fetchall()
    assert rows
    checked = confident = 0
    for part, supplier, n, low_conf, rec, low, high, confident_in_mart, lead_times in rows:
        lead_times = lead_times or []
        assert len(lead_times) == n, (part, supplier)
        if n == 0:
            assert (low, high) == (None, None)
            continue
        assert (low, high) == order_statistic_interval(lead_times, q, level), (
            part, supplier, sorted(lead_times))
        expected = not low_conf and is_confident(low, high, rec, VARS)
        assert confident_in_mart == expected, (part, supplier)
        checked += 1
        confident += bool(confident_in_mart)
    assert checked > 50 and confident > 0, (checked, confident)


def test_exactly_the_confident_drifting_recommendations_are_proposed(published):
    """The ERP change set holds every drifting part/supplier whose recommendation is confident
    and differs from the plan, and nothing else; the small demo has drifting pairs whose
    recommendation is not confident, so the gate is exercised."""
    settings, _ = published
    with duckdb.connect(str(settings.serving_db), read_only=True) as con:
        proposed = set(con.execute(
            """
            select f.canonical_part_id, f.supplier_id
            from marts.proposed_erp_purchasing_info_lead_times as p
            inner join marts.mart_master_data_exceptions as f using (finding_id)
            """
        ).fetchall())
        expected = set(con.execute(
            """
            select m.canonical_part_id, m.supplier_id
            from marts.mart_supplier_lead_times as m
            where m.is_drifting_vs_erp and m.is_recommendation_confident
                and m.recommended_lead_time_days <> m.erp_planned_lead_time_days
            """
        ).fetchall())
        held_back = con.execute(
            """
            select count(*) from marts.mart_supplier_lead_times
            where is_drifting_vs_erp and not is_recommendation_confident
            """
        ).fetchone()[0]
        review_findings = con.execute(
            """
            select count(*) from marts.mart_master_data_exceptions
            where finding_type = 'lead_time_drift' and proposed_change like 'Review %'
                and proposed_change like '%No change proposed%'
            """
        ).fetchone()[0]
    assert proposed == expected
    assert held_back > 0
    assert review_findings >= held_back
