"""The real pipeline end to end: generated extract -> Dagster (raw, GX, dbt) -> serving database.

One small generated extract runs through the full job once per session (tests/conftest.py
demo_pipeline, shared with the cookbook and site modules); the tests then read what an analyst
would read. The tests that run the pipeline again (nothing new, a bad extract, a failing mart
contract) each get a private copy of that home and are marked e2e (``make test-e2e``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project import definitions
from dagster_project.cli import RunReport, print_summary, run_pipeline, write_site
from dagster_project.defs.contracts.checks import build_mart_checks
from dagster_project.runtime.settings import DBT_PROJECT_DIR, EXPECTATIONS_DIR, Settings
from tests.conftest import demo_pipeline, private_copy, shown
from tooling.part_numbers import canonical_part_id, normalize_part_number
from tooling.reconciliation_quality import measure

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
    with demo_pipeline(tmp_path_factory, "plansignal", 0.03, 11) as (settings, report):
        write_site(settings, report)
        yield settings, report


@pytest.fixture
def own_run(pipeline_run, monkeypatch, tmp_path_factory) -> tuple[Settings, RunReport]:
    """The shared run's home copied for one test that runs the pipeline on it again."""
    settings, report = pipeline_run
    return private_copy(monkeypatch, settings, tmp_path_factory.mktemp("plansignal_own")), report


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


@pytest.mark.e2e
def test_rerun_with_nothing_new_loads_nothing_and_republishes(own_run):
    settings, _ = own_run
    with duckdb.connect(str(settings.pipeline_db), read_only=True) as con:
        before = con.execute("select count(*) from raw._load_log").fetchone()[0]
    report = run_pipeline(settings)
    assert report.exit_code == 0
    with duckdb.connect(str(settings.pipeline_db), read_only=True) as con:
        after = con.execute("select count(*) from raw._load_log").fetchone()[0]
    assert after == before


@pytest.mark.e2e
def test_bad_extract_blocks_and_leaves_serving_untouched(own_run, tmp_path):
    settings, _ = own_run
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
        # Blocked downstream: dbt built nothing; the refusal is in the quality history.
        assert not any(k.path[0] in ("marts", "serving") for k in materialized(report.run_id))
        assert refused_in_history(settings, report.run_id) == [
            ("raw.erp_goods_receipts", "erp_goods_receipts__bad.csv",
             "expect_column_values_to_be_between", "quantity", 1)]
        assert any("raw.erp_goods_receipts [erp_goods_receipts__bad.csv]: ERROR "
                   "expect_column_values_to_be_between(quantity): 1 of 1 rows failed, "
                   "e.g. [-5.0]" in f for f in report.blocking_failures)
    finally:
        bad.unlink()
    recovered = run_pipeline(settings)
    # The bad file is gone and nothing else changed: the build gate keeps what is served.
    assert recovered.exit_code == 0
    assert recovered.published or recovered.unchanged_since is not None


def test_part_reconciliation_quality_against_ground_truth(pipeline_run, capsys):
    settings, _ = pipeline_run
    quality = shown(measure(settings.serving_db, settings.truth_dir), capsys)
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


def materialized(run_id: str) -> set[dg.AssetKey]:
    with dg.DagsterInstance.get() as instance:
        return {e.dagster_event.asset_key for e in instance.all_logs(
            run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
            if e.dagster_event and e.dagster_event.asset_key}


def refused_in_history(settings: Settings, run_id: str) -> list[tuple]:
    with duckdb.connect(str(settings.pipeline_db), read_only=True) as con:
        return con.execute(
            "select table_name, source_file, expectation_type, column_name, unexpected_count "
            "from dq.contract_results where run_id = ? and not success and severity = 'ERROR'",
            [run_id]).fetchall()


@pytest.mark.e2e
def test_failed_mart_contract_blocks_publishing(own_run, tmp_path, monkeypatch, capsys):
    """A mart breaking an ERROR expectation: exit 1, nothing published, the serving file
    untouched, the failure recorded, and the summary's last lines name table, rule and count.

    The suites directory is fixed, so the checks are rebuilt from a copy of expectations/ with
    one deliberately impossible rule (match_method is always 'exact')."""
    settings, _ = own_run
    suites = tmp_path / "expectations"
    shutil.copytree(EXPECTATIONS_DIR, suites)
    suite_file = suites / "marts__part_aliases.json"
    suite = json.loads(suite_file.read_text(encoding="utf-8"))
    suite["expectations"].append({
        "type": "expect_column_values_to_be_in_set",
        "kwargs": {"column": "match_method", "value_set": ["exact"]},
        "meta": {"severity": "ERROR", "why": "Impossible on purpose (test)."}})
    suite_file.write_text(json.dumps(suite), encoding="utf-8")
    monkeypatch.setattr(definitions, "build_mart_checks", lambda: build_mart_checks(suites))
    before = settings.serving_db.stat().st_ino, settings.serving_db.read_bytes()

    report = run_pipeline(settings, force=True)  # nothing new: force dbt and the checks

    assert report.exit_code == 1 and not report.published
    assert (settings.serving_db.stat().st_ino, settings.serving_db.read_bytes()) == before
    assert "marts/part_aliases [contract]: FAILED (ERROR)" in report.check_lines
    assert "marts/dim_parts [contract]: passed" in report.check_lines
    with duckdb.connect(str(settings.pipeline_db), read_only=True) as con:
        n_rows, n_other = con.execute(
            "select count(*), count(*) filter (where match_method <> 'exact') "
            "from marts.part_aliases").fetchone()
    assert refused_in_history(settings, report.run_id) == [
        ("marts.part_aliases", None, "expect_column_values_to_be_in_set", "match_method",
         n_other)]
    print_summary(report, settings, "site/index.html")
    out = capsys.readouterr().out.rstrip().splitlines()
    assert ("result: FAILED; the serving database was left as the last good run published it"
            in out)
    last = out[-2:]
    assert last[0] == "  contract failed: marts/part_aliases [contract]"
    assert last[1].startswith(
        f"- marts.part_aliases: ERROR expect_column_values_to_be_in_set(match_method): "
        f"{n_other} of {n_rows} rows failed, e.g. [\"")



def test_proposed_change_sets_are_written_next_to_the_serving_database(pipeline_run):
    settings, _ = pipeline_run
    written = sorted(p.name for p in settings.exports_dir.glob("*.csv"))
    assert "proposed_mrp_safety_stocks.csv" in written
    assert "proposed_erp_purchasing_info_lead_times.csv" in written
    header = (settings.exports_dir / "proposed_mrp_safety_stocks.csv").read_text().splitlines()[0]
    assert "current" in header and "proposed" in header
