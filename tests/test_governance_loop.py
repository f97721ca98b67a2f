"""The governance loop over several runs of the real job: findings keep their id and age,
resolve when a new extract fixes their cause, reopen when it comes back, follow the steward's
waivers, and a blocked run leaves the kept history alone.

Starts from a private copy of the session's demo run (tests/conftest.py demo_pipeline), then
lands small extra demo extracts of the MRP parameters (named as demo files, so they join the
demo rather than retiring it) and runs the whole pipeline again each time.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dagster_project.cli import RunReport, main, run_pipeline
from dagster_project.runtime.settings import Settings
from dagster_project.warehouse.kept_history import FINDING_HISTORY
from tests.conftest import demo_pipeline, private_copy, query, query_frame

pytestmark = pytest.mark.e2e  # several whole-job runs (make test-e2e)

WAIVER_HEADER = ["finding_id", "waived_by", "waived_on", "waived_until", "note"]


@pytest.fixture(scope="module")
def shared_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, RunReport]:
    with demo_pipeline(tmp_path_factory, "plansignal", 0.03, 11) as (settings, report):
        assert report.exit_code == 0, report.step_failures + report.blocking_failures
        yield settings, report


def worklist(settings: Settings) -> dict[str, dict]:
    frame = query_frame(settings.serving_db, "select * from marts.mart_master_data_exceptions")
    return {row["finding_id"]: row for row in frame.to_dict("records")}


def history(settings: Settings) -> dict[str, dict]:
    frame = query_frame(settings.serving_db, "select * from marts.mart_finding_history")
    return {row["finding_id"]: row for row in frame.to_dict("records")}


def kept_history(settings: Settings) -> list[tuple]:
    return query(settings.pipeline_db, f"select * from {FINDING_HISTORY.store} order by finding_id")


def stale_parameter_row(settings: Settings, finding: dict) -> dict:
    """The MRP parameters record behind a stale_safety_stock finding, as landed."""
    with duckdb.connect(str(settings.pipeline_db), read_only=True) as con:
        rows = con.execute(
            """
            select p.* exclude (_source_file, _loaded_at, _row_hash)
            from raw.mrp_parameters as p
            inner join marts.part_aliases as a
                on a.source_system = 'mrp' and a.source_part_number = p.part_number
            where a.canonical_part_id = ? and p.plant = ?
            order by p._loaded_at desc
            """,
            [finding["canonical_part_id"], finding["plant"]],
        ).df()
    assert len(rows) >= 1
    return rows.to_dict("records")[0]


def land_parameters(settings: Settings, name: str, row: dict) -> Path:
    folder = settings.landing_dir / "mrp_parameters"
    path = folder / f"mrp_parameters__demo__{name}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow({k: ("" if v is None or v != v else v) for k, v in row.items()})
    return path


def write_waivers(settings: Settings, rows: list[list[str]]) -> None:
    with (settings.decisions_dir / "finding_waivers.csv").open(
        "w", newline="", encoding="utf-8"
    ) as handle:
        writer = csv.writer(handle)
        writer.writerow(WAIVER_HEADER)
        writer.writerows(rows)


def day(value: object) -> date:
    return pd.Timestamp(value).date()


def published(report: RunReport) -> None:
    assert report.exit_code == 0, report.step_failures + report.blocking_failures
    assert report.published


def test_findings_age_resolve_reopen_and_follow_waivers(shared_run, monkeypatch, tmp_path):
    settings = private_copy(monkeypatch, shared_run[0], tmp_path / "home")
    first = worklist(settings)
    assert first and all(f["status"] == "open" for f in first.values())
    assert all(f["days_open"] == 0 for f in first.values())
    stale = sorted(
        (f for f in first.values() if f["finding_type"] == "stale_safety_stock"),
        key=lambda f: f["finding_id"],
    )
    assert len(stale) >= 3
    fixed, waived, expired = stale[0], stale[1], stale[2]

    # Run 2: a new extract gives the stale record a fresh change date; two waivers, one held
    # and one already past.
    row = stale_parameter_row(settings, fixed)
    old_change_date = row["last_changed_date"]
    row["last_changed_date"] = fixed["reference_date"]
    land_parameters(settings, "2099-01-01", row)
    today = date.today()
    write_waivers(settings, [
        [waived["finding_id"], "m.keller", today.isoformat(),
         (today + timedelta(days=30)).isoformat(), "re-quote due, see ticket 42"],
        [expired["finding_id"], "m.keller", (today - timedelta(days=10)).isoformat(),
         (today - timedelta(days=1)).isoformat(), "ran out yesterday"],
    ])
    published(run_pipeline(settings))
    second, second_history = worklist(settings), history(settings)

    assert fixed["finding_id"] not in second
    resolved = second_history[fixed["finding_id"]]
    assert resolved["status"] == "resolved" and resolved["resolved_at"] is not None
    assert resolved["first_seen_at"] == fixed["first_seen_at"]
    assert resolved["last_seen_at"] == fixed["last_seen_at"]

    assert second[waived["finding_id"]]["status"] == "waived"
    assert day(second[waived["finding_id"]]["waived_until"]) == today + timedelta(days=30)
    assert second[expired["finding_id"]]["status"] == "open"
    assert day(second[expired["finding_id"]]["waived_until"]) == today - timedelta(days=1)

    # Every finding still found keeps its id and first-seen time; nothing else is new.
    kept = set(first) - {fixed["finding_id"]}
    assert kept <= set(second)
    assert all(second[i]["first_seen_at"] == first[i]["first_seen_at"] for i in kept)
    assert all(second[i]["last_seen_at"] > first[i]["last_seen_at"] for i in kept)

    # Run 3: the old change date comes back in a later extract: the finding reopens.
    row["last_changed_date"] = old_change_date
    land_parameters(settings, "2099-01-02", row)
    published(run_pipeline(settings))
    third, third_history = worklist(settings), history(settings)
    back = third[fixed["finding_id"]]
    assert back["status"] == "open"
    assert back["first_seen_at"] == fixed["first_seen_at"]
    assert third_history[fixed["finding_id"]]["times_reopened"] == 1
    assert pd.isna(third_history[fixed["finding_id"]]["resolved_at"])
    assert third_history[waived["finding_id"]]["times_reopened"] == 0

    # Run 4: a refused extract blocks the run; the kept history does not move. (Named as a demo
    # file: an own file would retire the demo, and its history with it, load_log.py.)
    before = kept_history(settings)
    bad = settings.landing_dir / "erp_goods_receipts" / "erp_goods_receipts__demo__2099-01-03.csv"
    bad.write_text(
        "receipt_id,po_number,po_line,part_number,receipt_date,quantity,uom,movement_type,"
        "reverses_receipt_id\n"
        "BAD-1,PO-X,1,PN-X,2024-01-01,-5,EA,RECEIPT,\n",
        encoding="utf-8",
    )
    blocked = run_pipeline(settings)
    assert blocked.exit_code == 1 and not blocked.published
    assert kept_history(settings) == before


def test_review_decisions_through_the_command_take_effect_on_the_next_run(
    shared_run, monkeypatch, tmp_path
):
    settings = private_copy(monkeypatch, shared_run[0], tmp_path / "home")
    pairs = query(
        settings.serving_db,
        "select match_review_id, part_id_a, part_id_b, part_number_a, part_number_b "
        "from marts.part_match_review where review_status = 'proposed' "
        "order by score desc, match_review_id",
    )
    accepted = pairs[0]
    rejected = next(p for p in pairs[1:] if not {p[1], p[2]} & {accepted[1], accepted[2]})
    finding = next(iter(sorted(worklist(settings))))
    until = (date.today() + timedelta(days=7)).isoformat()
    assert main(["review", "accept", accepted[0], "--by", "m.keller", "--note", "one part"]) == 0
    assert main(["review", "reject", rejected[0], "--by", "m.keller", "--note", "rev B"]) == 0
    assert main(["review", "waive", finding, "--until", until, "--by", "m.keller"]) == 0

    published(run_pipeline(settings))
    with duckdb.connect(str(settings.serving_db), read_only=True) as con:
        review = {r[0]: r[1] for r in con.execute(
            "select match_review_id, review_status from marts.part_match_review").fetchall()}
        merged = con.execute(
            "select count(distinct canonical_part_id) from marts.part_aliases "
            "where canonical_part_id in (?, ?)", [accepted[1], accepted[2]]).fetchone()[0]
        aliases_of_b = con.execute(
            "select distinct canonical_part_id from marts.part_aliases "
            "where source_part_number in (select source_part_number from marts.part_aliases "
            "where canonical_part_id = ?)", [accepted[1]]).fetchall()
        duplicate_findings = con.execute(
            "select count(*) from marts.mart_master_data_exceptions "
            "where finding_type = 'possible_duplicate_part' and canonical_part_id = ? "
            "and related_canonical_part_id = ?", [rejected[1], rejected[2]]).fetchone()[0]
    # accepted: one canonical part (part a's key survives), the pair leaves the queue
    assert accepted[0] not in review
    assert merged == 1 and aliases_of_b == [(accepted[1],)]
    # rejected: stays for the record, not open, no finding
    assert review[rejected[0]] == "rejected"
    assert duplicate_findings == 0
    # waived through the command
    assert worklist(settings)[finding]["status"] == "waived"


def test_a_proposal_carried_by_a_later_extract_is_applied(shared_run, monkeypatch, tmp_path):
    settings = private_copy(monkeypatch, shared_run[0], tmp_path / "home")
    proposals = query(
        settings.serving_db,
        "select s.part_number, s.plant, s.proposed_value, c.proposal_id "
        "from marts.proposed_mrp_safety_stocks as s "
        "inner join marts.mart_change_set_status as c using (change_id) "
        "where c.status = 'outstanding' order by s.part_number, s.plant",
    )
    [(outstanding,)] = query(
        settings.serving_db,
        "select count(*) from marts.mart_change_set_status where status = 'outstanding'",
    )
    assert proposals and outstanding >= len(proposals)
    part_number, plant, proposed, proposal_id = proposals[0]
    with duckdb.connect(str(settings.pipeline_db), read_only=True) as con:
        row = con.execute(
            "select * exclude (_source_file, _loaded_at, _row_hash) from raw.mrp_parameters "
            "where part_number = ? and plant = ? order by _loaded_at desc limit 1",
            [part_number, plant],
        ).df().to_dict("records")[0]
    row["safety_stock_qty"] = proposed  # the MRP team applied the proposal
    applied_file = land_parameters(settings, "2099-02-01", row)
    published(run_pipeline(settings))
    with duckdb.connect(str(settings.serving_db), read_only=True) as con:
        status = con.execute(
            "select status, closed_by_extract, closed_at is not null "
            "from marts.mart_change_set_status where proposal_id = ?", [proposal_id]
        ).fetchone()
        still_outstanding = con.execute(
            "select count(*) from marts.mart_change_set_status where status = 'outstanding'"
        ).fetchone()[0]
    assert status == ("applied", applied_file.name, True)
    assert still_outstanding >= 1  # the others are still open
