"""The real pipeline end to end: generated extract -> Dagster (raw, GX, dbt) -> serving database.

One small generated extract runs through the full job once per session (module fixture); the
tests then read what an analyst would read.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dagster_project.cli import RunReport, run_pipeline, write_site
from dagster_project.lib.demo_data import generate
from dagster_project.lib.part_matching import canonical_part_id, normalize_part_number
from dagster_project.lib.reconciliation_quality import measure
from dagster_project.settings import DBT_PROJECT_DIR, Settings
from tests.conftest import point_settings_at

CORE_MARTS = {
    "dim_parts",
    "part_aliases",
    "part_match_review",
    "fct_po_line_lead_times",
    "mart_supplier_lead_times",
    "mart_safety_stock_review",
    "mart_availability_check",
    "mart_order_policy_review",
    "mart_master_data_exceptions",
}


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, RunReport]:
    monkeypatch = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("plansignal")
    settings = point_settings_at(monkeypatch, root)
    generate(0.03, 7, settings.landing_dir, settings.truth_dir, progress=False)
    report = run_pipeline(settings)
    write_site(settings, report)
    yield settings, report
    monkeypatch.undo()


def serving(settings: Settings) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(settings.serving_db), read_only=True)


def test_run_succeeds_and_publishes_every_core_mart(pipeline_run):
    settings, report = pipeline_run
    assert report.exit_code == 0, report.step_failures + report.blocking_failures
    assert report.published
    assert set(report.mart_rows) >= CORE_MARTS
    for mart in ("dim_parts", "part_aliases", "fct_po_line_lead_times"):
        assert report.mart_rows[mart] > 0, mart


def test_raw_contract_ran_as_a_check(pipeline_run):
    _, report = pipeline_run
    assert any("raw/erp_goods_receipts [contract]: passed" in line for line in report.check_lines)


def test_every_po_line_is_kept(pipeline_run):
    settings, _ = pipeline_run
    landed = duckdb.connect().execute(
        f"select count(distinct (po_number, po_line)) from read_csv("
        f"'{settings.landing_dir}/erp_purchase_order_lines/*.csv', all_varchar = true)"
    ).fetchone()[0]
    with serving(settings) as con:
        published = con.execute("select count(*) from marts.fct_po_line_lead_times").fetchone()[0]
    assert published == landed


def test_data_quality_history_is_published(pipeline_run):
    settings, report = pipeline_run
    with serving(settings) as con:
        rows = con.execute(
            "select count(*) from marts.dq_contract_history where run_id = ?", [report.run_id]
        ).fetchone()[0]
    assert rows > 0


def test_site_is_written(pipeline_run):
    settings, _ = pipeline_run
    index = settings.site_dir / "index.html"
    text = index.read_text(encoding="utf-8")
    assert "raw.erp_goods_receipts" in text and "mart_master_data_exceptions" in text


def test_rerun_with_nothing_new_loads_nothing_and_republishes(pipeline_run):
    settings, _ = pipeline_run
    with duckdb.connect(str(settings.pipeline_db), read_only=True) as con:
        before = con.execute("select count(*) from raw._load_log").fetchone()[0]
    report = run_pipeline(settings)
    assert report.exit_code == 0
    with duckdb.connect(str(settings.pipeline_db), read_only=True) as con:
        after = con.execute("select count(*) from raw._load_log").fetchone()[0]
    assert after == before


def test_bad_extract_blocks_and_leaves_serving_untouched(pipeline_run, tmp_path):
    settings, _ = pipeline_run
    before = settings.serving_db.stat().st_ino, settings.serving_db.read_bytes()
    folder = settings.landing_dir / "erp_goods_receipts"
    bad: Path = folder / "erp_goods_receipts__bad.csv"
    bad.write_text(
        "receipt_id,po_number,po_line,part_number,receipt_date,quantity,uom,movement_type,"
        "reverses_receipt_id\n"
        "BAD-1,PO-X,1,PN-X,2024-01-01,-5,EA,RECEIPT,\n",
        encoding="utf-8",
    )
    try:
        report = run_pipeline(settings)
        assert report.exit_code == 1
        assert not report.published
        assert any("raw/erp_goods_receipts" in f for f in report.blocking_failures)
        assert (settings.serving_db.stat().st_ino, settings.serving_db.read_bytes()) == before
        assert bad.exists()
    finally:
        bad.unlink()
    recovered = run_pipeline(settings)
    assert recovered.exit_code == 0 and recovered.published


def test_part_reconciliation_quality_against_ground_truth(pipeline_run, capsys):
    settings, _ = pipeline_run
    quality = measure(settings.serving_db, settings.truth_dir)
    with capsys.disabled():
        print(f"\n{quality.summary()}")
    assert quality.merge_precision == 1.0
    assert quality.recall >= 0.95
    assert quality.true_pairs > 0 and quality.merged_pairs > 0


def test_committed_crosswalk_is_the_generators(pipeline_run):
    settings, _ = pipeline_run
    committed = (DBT_PROJECT_DIR / "seeds" / "part_crosswalk.csv").read_text(encoding="utf-8")
    generated = (settings.truth_dir / "part_crosswalk.csv").read_text(encoding="utf-8")
    assert committed.replace('"', "").strip() == generated.replace('"', "").strip()


def test_sql_and_python_normalisers_agree_on_every_spelling(pipeline_run):
    settings, _ = pipeline_run
    with duckdb.connect(str(settings.pipeline_db), read_only=True) as con:
        rows = con.execute(
            "select source_part_number, canonical_part_key, canonical_part_id "
            "from intermediate.int_part_aliases where not is_crosswalked"
        ).fetchall()
    assert rows
    for spelling, key, part_id in rows:
        assert normalize_part_number(spelling) == key, spelling
        assert canonical_part_id(key) == part_id, spelling
