"""The SAP worked example, from SAP table extracts to published marts, by configuration only."""

from __future__ import annotations

import duckdb
import pytest

from dagster_project.cli import run_pipeline
from dagster_project.mapping.apply import apply_mapping
from dagster_project.mapping.config import load_mapping
from dagster_project.runtime.settings import REPO_ROOT
from tests.conftest import point_settings_at

SAP_SAMPLE = REPO_ROOT / "data" / "samples" / "sap"

pytestmark = pytest.mark.e2e  # the whole job (make test-e2e)


def test_sap_sample_maps_and_runs_end_to_end(monkeypatch, tmp_path):
    settings = point_settings_at(monkeypatch, tmp_path)
    mapping = load_mapping(settings.mappings_dir / "sap_ecc.yml")
    apply_mapping(mapping, SAP_SAMPLE, settings.landing_dir, tag="2026-10-31")
    report = run_pipeline(settings)
    assert report.exit_code == 0, report.step_failures + report.blocking_failures
    assert report.published
    with duckdb.connect(str(settings.serving_db), read_only=True) as con:
        lines = con.execute(
            "select count(*), count(lead_time_days) from marts.fct_po_line_lead_times"
        ).fetchone()
        suppliers = con.execute(
            "select count(*) from marts.mart_supplier_lead_times where n_lines > 0"
        ).fetchone()[0]
    assert lines[0] == 10 and lines[1] > 0
    assert suppliers > 0
