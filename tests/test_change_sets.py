"""write_change_sets: marts.proposed_* of a serving database as one CSV per table."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from dagster_project.warehouse.change_sets import main, write_change_sets


def make_serving(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            """
            create table marts.proposed_erp_purchasing_info_lead_times as
            select * from (values
                ('c2', 'f2', 'purchasing_info', 'planned_lead_time_days', 'PN-2', 'S1', 10, 14,
                 'medium', '{"n_lines": 4, "note": "a, \\"quoted\\" text"}', date '2026-10-31'),
                ('c1', 'f1', 'purchasing_info', 'planned_lead_time_days', 'PN-1', 'S1', 20, 31,
                 'high', '{"n_lines": 12}', date '2026-10-31')
            ) as t(change_id, finding_id, target_table, target_field, part_number, supplier_id,
                   current_value, proposed_value, confidence, evidence, reference_date)
            """
        )
        con.execute(
            "create table marts.proposed_mrp_lot_sizes (change_id varchar, target_table varchar,"
            " part_number varchar, current_value double, proposed_value double)"
        )
        con.execute("create table marts.mart_other as select 1 as x")


def test_writes_one_csv_per_proposed_table(tmp_path):
    serving = tmp_path / "planning.duckdb"
    make_serving(serving)
    exports = tmp_path / "proposed_changes"
    exports.mkdir()
    (exports / "proposed_gone.csv").write_text("old\n", encoding="utf-8")
    (exports / "README.txt").write_text("keep me\n", encoding="utf-8")

    counts = write_change_sets(serving, exports)

    assert counts == {
        "proposed_erp_purchasing_info_lead_times.csv": 2,
        "proposed_mrp_lot_sizes.csv": 0,
    }
    assert sorted(p.name for p in exports.iterdir()) == [
        "README.txt", "proposed_erp_purchasing_info_lead_times.csv", "proposed_mrp_lot_sizes.csv",
    ]
    with (exports / "proposed_erp_purchasing_info_lead_times.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["change_id"] for r in rows] == ["c1", "c2"]  # ordered by part_number
    assert rows[1]["evidence"] == '{"n_lines": 4, "note": "a, \\"quoted\\" text"}'
    assert rows[0]["reference_date"] == "2026-10-31"
    assert (exports / "proposed_mrp_lot_sizes.csv").read_text(encoding="utf-8").startswith(
        "change_id,target_table,part_number,current_value,proposed_value"
    )


def test_rewrites_atomically_and_reads_while_others_read(tmp_path):
    serving = tmp_path / "planning.duckdb"
    make_serving(serving)
    exports = tmp_path / "out"  # created when missing
    with duckdb.connect(str(serving), read_only=True):  # an analyst has it open
        write_change_sets(serving, exports)
    target = exports / "proposed_erp_purchasing_info_lead_times.csv"
    before = target.stat().st_ino, target.read_bytes()
    write_change_sets(serving, exports)
    after = target.stat().st_ino, target.read_bytes()
    assert after[1] == before[1]  # same data, same bytes
    assert after[0] != before[0]  # a new file renamed over the old one
    assert not list(exports.glob(".writing-*"))


def test_cli(tmp_path, capsys):
    serving = tmp_path / "planning.duckdb"
    make_serving(serving)
    assert main(["--serving-db", str(serving), "--exports-dir", str(tmp_path / "x")]) == 0
    assert "proposed_erp_purchasing_info_lead_times.csv: 2 row(s)" in capsys.readouterr().out
