"""Extract freshness: each landing table's newest extract, its age and newest business date,
in `plansignal status`, on the site's home, and as a warning of the run when stale."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from dagster_project.cli import RunReport, run_and_report
from dagster_project.governance.status import freshness_lines, status_lines
from dagster_project.ingest.freshness import BUSINESS_DATE, landing_freshness
from dagster_project.ingest.landing_contract import LANDING_TABLES
from dagster_project.runtime.settings import Settings, get_settings
from tests.conftest import private_copy


@pytest.fixture(scope="module")
def published(shared_demo: tuple[Settings, RunReport]) -> tuple[Settings, RunReport]:
    return shared_demo


def test_every_landing_table_has_a_dating_rule():
    assert set(BUSINESS_DATE) == set(LANDING_TABLES)
    for table, column in BUSINESS_DATE.items():
        if column is not None:
            assert LANDING_TABLES[table].column(column).sql_type in {"DATE", "TIMESTAMP"}


def test_freshness_names_the_newest_extract_and_date(published):
    settings, _ = published
    with duckdb.connect(str(settings.pipeline_db), read_only=True) as con:
        newest = dict(con.execute(
            "select table_name, max(loaded_at) from raw._load_log "
            "where retracted_at is null group by 1").fetchall())
        loaded = max(newest.values())
        fresh = landing_freshness(con, loaded + timedelta(days=1), 7)
        old = landing_freshness(con, loaded + timedelta(days=8), 7)
        receipts = con.execute("select max(receipt_date) from raw.erp_goods_receipts").fetchone()
    assert [f.table for f in fresh] == list(LANDING_TABLES)
    assert not any(f.stale for f in fresh)
    assert all(f.stale for f in old)
    by_table = {f.table: f for f in fresh}
    assert by_table["erp_goods_receipts"].newest_business_date == receipts[0]
    assert by_table["erp_suppliers"].newest_business_date is None
    assert all(by_table[t].loaded_at == newest[t] for t in newest)
    assert all(f.newest_file and f.extracts >= 1 for f in fresh)


def test_status_and_site_show_freshness(published):
    settings, _ = published
    lines = status_lines(settings)
    head = next(line for line in lines if line.startswith("extracts ("))
    assert head.endswith(": 0 stale")
    assert sum(line.startswith("  erp_") or line.startswith("  mrp_") for line in lines) == 9
    later = freshness_lines(settings, datetime.now(UTC) + timedelta(days=30))
    assert later[0].endswith(": 9 stale")
    index = (settings.site_dir / "index.html").read_text(encoding="utf-8")
    assert 'id="freshness-table"' in index
    assert "erp_goods_receipts" in index


def test_settings_refuse_a_bad_age(monkeypatch):
    monkeypatch.setenv("PLANSIGNAL_EXTRACT_MAX_AGE_DAYS", "soon")
    with pytest.raises(SystemExit, match="PLANSIGNAL_EXTRACT_MAX_AGE_DAYS='soon'"):
        get_settings()


@pytest.mark.e2e
def test_a_run_on_stale_extracts_warns_and_still_publishes(published, tmp_path, monkeypatch,
                                                           capsys):
    """Nothing new for longer than the allowed age: the run says so, its result unchanged."""
    settings = private_copy(monkeypatch, published[0], tmp_path)
    monkeypatch.setenv("PLANSIGNAL_EXTRACT_MAX_AGE_DAYS", "0.000001")  # about 0.1 s
    settings = get_settings()
    assert settings.extract_max_age_days == 0.000001
    assert run_and_report(settings) == 0
    out = capsys.readouterr().out
    warned = [line for line in out.splitlines() if line.startswith("WARNING stale extract:")]
    assert len(warned) == len(LANDING_TABLES), out
    assert "result: OK" in out
    assert os.environ["PLANSIGNAL_EXTRACT_MAX_AGE_DAYS"] == "0.000001"
