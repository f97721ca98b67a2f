"""`plansignal review` and `plansignal status` against the session's published demo run.

Decisions are written to this test's own PLANSIGNAL_DECISIONS_DIR (the shared run's home is
only read). Their effect on the next run is tests/test_governance_loop.py (e2e).
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dagster_project.cli import RunReport, main
from dagster_project.governance.decisions import (
    DECISION_COLUMNS,
    FINDING_WAIVERS,
    MATCH_DECISIONS,
    _write_rows,
    ensure_decision_files,
)
from dagster_project.runtime.settings import Settings
from tests.conftest import demo_pipeline


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, RunReport]:
    with demo_pipeline(tmp_path_factory, "plansignal", 0.03, 11) as (settings, report):
        assert report.exit_code == 0, report.step_failures + report.blocking_failures
        yield settings, report


@pytest.fixture
def decisions(published, monkeypatch, tmp_path) -> Path:
    folder = tmp_path / "decisions"
    monkeypatch.setenv("PLANSIGNAL_DECISIONS_DIR", str(folder))
    ensure_decision_files(folder)
    return folder


def one_of(settings: Settings, sql: str) -> str:
    with duckdb.connect(str(settings.serving_db), read_only=True) as con:
        row = con.execute(sql).fetchone()
    assert row, sql
    return row[0]


def rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_accept_then_reject_keeps_one_decision_per_pair(published, decisions, capsys):
    settings, _ = published
    pair = one_of(settings, "select match_review_id from marts.part_match_review "
                            "where review_status = 'proposed' order by score desc limit 1")
    assert main(["review", "accept", pair, "--by", "m.keller", "--note", "same drawing"]) == 0
    assert main(["review", "reject", pair, "--by", "a.ng", "--note", 'no: "rev B", =1+1']) == 0
    written = rows(decisions, MATCH_DECISIONS)
    assert len(written) == 1
    assert written[0]["decision"] == "reject" and written[0]["decided_by"] == "a.ng"
    assert written[0]["note"] == 'no: "rev B", =1+1'
    assert written[0]["decided_on"] == date.today().isoformat()
    assert "replaced the earlier decision" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["review", "accept", "no-such-pair", "--by", "x"], "is no pair of the review queue"),
        (["review", "reject", "PAIR", "--by", "  "], "--by is required"),
        (["review", "waive", "no-such-finding", "--until", "2999-01-01", "--by", "x"],
         "is no finding of the worklist"),
        (["review", "waive", "FINDING", "--until", "31.12.2999", "--by", "x"], "is not a date"),
        (["review", "waive", "FINDING", "--until", "2000-01-01", "--by", "x"], "is in the past"),
    ],
)
def test_a_bad_decision_says_why_in_one_line_and_writes_nothing(
    published, decisions, capsys, argv, message
):
    settings, _ = published
    pair = one_of(settings, "select match_review_id from marts.part_match_review limit 1")
    finding = one_of(settings, "select finding_id from marts.mart_master_data_exceptions limit 1")
    argv = [pair if a == "PAIR" else finding if a == "FINDING" else a for a in argv]
    before = {p.name: p.read_bytes() for p in decisions.iterdir()}
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and "nothing written" in err[0], err
    assert {p.name: p.read_bytes() for p in decisions.iterdir()} == before


def test_waive_records_the_finding_until_a_day(published, decisions):
    settings, _ = published
    finding = one_of(settings, "select finding_id from marts.mart_master_data_exceptions "
                               "order by finding_id limit 1")
    until = (date.today() + timedelta(days=14)).isoformat()
    assert main(["review", "waive", finding, "--until", until, "--by", "m.keller",
                 "--note", "supplier re-quote pending"]) == 0
    assert rows(decisions, FINDING_WAIVERS) == [{
        "finding_id": finding, "waived_by": "m.keller", "waived_on": date.today().isoformat(),
        "waived_until": until, "note": "supplier re-quote pending",
    }]


def test_review_list_shows_open_pairs_with_the_commands(published, decisions, capsys):
    assert main(["review", "list", "--limit", "3"]) == 0
    out = capsys.readouterr().out
    assert "open pair(s) in the review queue" in out
    assert "plansignal review accept" in out and "plansignal review reject" in out


def test_status_names_the_last_run_and_the_served_data(published, decisions, capsys):
    settings, report = published
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert f"last run: {report.run_id}" in out and "published" in out
    assert f"serving database: {settings.serving_db}, published" in out


def test_status_before_any_run(tmp_settings, capsys):
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "last run: none recorded yet" in out and "does not exist yet" in out


@settings(max_examples=60, deadline=None)
@given(note=st.text(max_size=40), by=st.text(min_size=1, max_size=12))
def test_any_note_round_trips_through_the_file_as_dbt_reads_it(tmp_path_factory, note, by):
    """Whatever a steward types (commas, quotes, newlines, a leading =) comes back unchanged
    through DuckDB's reader with the options of macros/cross_db/read_steward_decisions.sql."""
    folder = tmp_path_factory.mktemp("notes")
    columns = DECISION_COLUMNS[FINDING_WAIVERS]
    row = {"finding_id": "f1", "waived_by": by, "waived_on": "2026-01-01",
           "waived_until": "2026-02-01", "note": note}
    _write_rows(folder / "finding_waivers.csv", columns, [row])
    read = duckdb.sql(
        f"select waived_by, note from read_csv('{folder / 'finding_waivers.csv'}', "
        "header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
        "columns = {'finding_id': 'VARCHAR', 'waived_by': 'VARCHAR', 'waived_on': 'DATE', "
        "'waived_until': 'DATE', 'note': 'VARCHAR'})"
    ).fetchall()
    assert read == [(by, note or None)]  # an empty note reads as null
