"""Demo rows never mix with a user's own, and a loaded extract can be retracted: the whole job.

A newcomer runs the demo, then lands their own extracts (here: the SAP worked example, mapped
with the shipped mapping). The marts must then be exactly what the own extracts alone give,
whether the demo files are still in the landing folder (they retire themselves) or were
deleted by hand; `demo-clean` and `retract` are the documented commands.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from dagster_project.cli import RunReport, landing_origin_lines, main, run_pipeline
from dagster_project.ingest.load_log import is_demo_extract
from dagster_project.mapping.apply import apply_mapping
from dagster_project.mapping.config import load_mapping
from dagster_project.runtime.settings import REPO_ROOT, Settings
from tests.conftest import point_settings_at
from tooling.demo_data import generate

SAP_SAMPLE = REPO_ROOT / "data" / "samples" / "sap"
SAP_TAG = "2026-10-31"
# Marts whose rows depend on the run (ids, timestamps), not on the extracts.
RUN_DEPENDENT = {"dq_contract_history"}


def land_sap(settings: Settings) -> None:
    mapping = load_mapping(settings.mappings_dir / "sap_ecc.yml")
    apply_mapping(mapping, SAP_SAMPLE, settings.landing_dir, tag=SAP_TAG)


def land_demo(settings: Settings) -> None:
    generate(0.01, 3, settings.landing_dir, settings.truth_dir, progress=False)


def published(settings: Settings) -> RunReport:
    report = run_pipeline(settings)
    assert report.exit_code == 0, report.step_failures + report.blocking_failures
    return report


def marts_content(settings: Settings) -> dict[str, list[tuple]]:
    with duckdb.connect(str(settings.serving_db), read_only=True) as con:
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()]
        # Timestamps are the runs' clock (first_seen_at, last_seen_at, closed_at, ...), not data.
        clock = {(r[0], r[1]) for r in con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'marts' and data_type like 'TIMESTAMP%'"
        ).fetchall()}

        def rows(name: str) -> list[tuple]:
            columns = ", ".join(
                f'"{c}"' for (c,) in con.execute(
                    "select column_name from information_schema.columns where "
                    "table_schema = 'marts' and table_name = ? order by ordinal_position",
                    [name]).fetchall() if (name, c) not in clock)
            return sorted(con.execute(f'select {columns} from marts."{name}"').fetchall(),
                          key=repr)

        return {name: rows(name) for name in names if name not in RUN_DEPENDENT}


def raw_files(settings: Settings) -> set[str]:
    with duckdb.connect(str(settings.pipeline_db), read_only=True) as con:
        return {r[0] for r in con.execute(
            "select distinct _source_file from raw.erp_purchase_order_lines union "
            "select distinct _source_file from raw.erp_items"
        ).fetchall()}


@pytest.fixture(scope="module")
def sap_alone(tmp_path_factory) -> dict[str, list[tuple]]:
    """The reference: the SAP extracts alone, in a home that never saw the demo."""
    monkeypatch = pytest.MonkeyPatch()
    try:
        settings = point_settings_at(monkeypatch, tmp_path_factory.mktemp("sap_alone"))
        land_sap(settings)
        assert published(settings).published
        return marts_content(settings)
    finally:
        monkeypatch.undo()


@pytest.mark.e2e  # five whole-job runs (make test-e2e)
def test_own_extracts_beside_the_demo_retire_it(sap_alone, monkeypatch, tmp_path, capsys):
    settings = point_settings_at(monkeypatch, tmp_path)
    land_demo(settings)
    assert published(settings).published
    demo_marts = marts_content(settings)
    assert demo_marts["dim_parts"] != sap_alone["dim_parts"]
    assert any("DEMO extract" in line for line in landing_origin_lines(settings))

    land_sap(settings)  # the demo files stay where they are
    report = published(settings)
    assert report.published
    assert marts_content(settings) == sap_alone
    assert all(not is_demo_extract(name) for name in raw_files(settings))
    with duckdb.connect(str(settings.pipeline_db), read_only=True) as con:
        kinds = con.execute(
            "select origin, retraction_kind, count(*) from raw._load_log group by all order by all"
        ).fetchall()
    assert {(o, k) for o, k, _ in kinds} == {("demo", "demo"), ("own", None)}
    [line] = landing_origin_lines(settings)
    assert line.startswith("demo extract retired") and "make demo-clean" in line

    # demo-clean deletes the demo files; the raw data was already clean: nothing new.
    assert main(["demo-clean"]) == 0
    assert not [p for p in settings.landing_dir.rglob("*") if is_demo_extract(p.name)]
    again = published(settings)
    assert again.unchanged_since == report.run_id
    assert landing_origin_lines(settings) == []
    capsys.readouterr()

    # Retract one own extract by file name: its rows leave raw, the marts are republished.
    items_file = f"erp_items__sap_ecc__{SAP_TAG}.csv"
    assert main(["retract", items_file, "--note", "wrong plant"]) == 0
    out = capsys.readouterr().out
    assert f"retracted erp_items/{items_file}" in out
    assert "is not loaded again" in out and "result: OK, serving database published" in out
    with duckdb.connect(str(settings.pipeline_db), read_only=True) as con:
        assert con.execute("select count(*) from raw.erp_items").fetchone()[0] == 0
        assert con.execute(
            "select retraction_kind, retraction_reason from raw._load_log "
            "where source_file = ?", [items_file]
        ).fetchall() == [("command", "wrong plant")]
    retracted_marts = marts_content(settings)
    assert all(part[2] is None for part in retracted_marts["dim_parts"])  # no ERP description
    assert any(part[2] is not None for part in sap_alone["dim_parts"])
    # The retracted file still lies in landing: the next run does not load it again.
    published(settings)
    with duckdb.connect(str(settings.pipeline_db), read_only=True) as con:
        assert con.execute("select count(*) from raw.erp_items").fetchone()[0] == 0
    # An unknown reference changes nothing and says so in one line.
    assert main(["retract", "no_such_file.csv", "--no-run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nothing retracted" in err[0]


@pytest.mark.e2e  # two whole-job runs (make test-e2e)
def test_demo_files_deleted_by_hand_leave_raw(sap_alone, monkeypatch, tmp_path):
    settings = point_settings_at(monkeypatch, tmp_path)
    land_demo(settings)
    assert published(settings).published
    for table_dir in settings.landing_dir.iterdir():
        shutil.rmtree(table_dir)  # as a user would: rm -rf data/landing/*/
    land_sap(settings)
    assert published(settings).published
    assert marts_content(settings) == sap_alone


def test_demo_files_are_recognisable(monkeypatch, tmp_path: Path):
    land_demo(point_settings_at(monkeypatch, tmp_path))
    files = [p for p in (tmp_path / "data" / "landing").rglob("*") if p.is_file()]
    assert files and all(is_demo_extract(p.name) for p in files)
