"""`make bench` helpers that do not need a pipeline run (the bench itself is `make bench`)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tooling.bench import __main__ as bench


def test_slowest_dbt_nodes_come_from_the_runs_own_target_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench, "DBT_TARGET_ROOT", tmp_path)
    results = [
        {"unique_id": "model.plansignal.stg_erp__goods_receipts", "execution_time": 9.61},
        {"unique_id": "test.plansignal.unique_stg_erp__goods_receipts_receipt_id.1a",
         "execution_time": 1.14},
        {"unique_id": "model.plansignal.int_goods_receipts__netted", "execution_time": 7.24},
    ]
    mine = tmp_path / "plansignal_dbt_models-abcdef0-1234567"
    other = tmp_path / "plansignal_dbt_models-9999999-1234567"  # another run's folder
    for folder, payload in ((mine, results), (other, [results[1]])):
        folder.mkdir()
        (folder / "run_results.json").write_text(json.dumps({"results": payload}))
    assert bench.slowest_dbt_nodes("abcdef0-run-id", top=2) == {
        "model stg_erp__goods_receipts": 9.61,
        "model int_goods_receipts__netted": 7.24,
    }
    assert bench.slowest_dbt_nodes("0000000-no-such-run") == {}


def test_cores_are_the_trees_cpu_seconds_over_the_wall_seconds_inside_the_window() -> None:
    samples = [bench.Sample(at, 0, "", 0, cpu) for at, cpu in
               ((10.0, 1.0), (11.0, 1.5), (12.0, 3.5), (13.0, 5.5), (14.0, 6.0))]
    assert bench.cores_between(samples, 11.0, 13.0) == 2.0  # (5.5 - 1.5) / 2 s
    assert bench.cores_between(samples, 0.0, 100.0) == 1.25  # (6.0 - 1.0) / 4 s
    assert bench.cores_between(samples, 11.5, 12.5) == 0.0  # one sample: nothing measured


def test_the_sampler_keeps_the_cpu_of_a_child_that_ended() -> None:
    """The dbt build is a subprocess that ends before the run does: its CPU must still count."""
    burn = ("import time; t = time.process_time()\n"
            "while time.process_time() - t < 0.4: pass")
    parent = (f"import subprocess, sys, time; subprocess.run([sys.executable, '-c', {burn!r}]); "
              "time.sleep(0.5)")
    _, sampler = bench.run_measured("child ends first", [sys.executable, "-c", parent],
                                    dict(os.environ))
    # The child burned 0.4 CPU seconds; at most one 0.1 s sampling interval of it goes unseen.
    assert sampler.samples[-1].tree_cpu >= 0.25


def _timed(uid: str, start: float, end: float) -> dict[str, object]:
    at = "2026-12-06T10:{:02d}:{:09.6f}Z"  # dbt's timestamps: UTC, microseconds, a Z

    def stamp(second: float) -> str:
        return at.format(int(second // 60), second % 60 + 0.000123)

    return {"unique_id": uid, "timing": [
        {"name": "compile", "started_at": stamp(start), "completed_at": stamp(start)},
        {"name": "execute", "started_at": stamp(start), "completed_at": stamp(end)}]}


def _manifest(parents_of: dict[str, list[str]]) -> dict[str, object]:
    return {"nodes": {uid: {"resource_type": uid.split(".")[0],
                            "depends_on": {"nodes": parents}}
                      for uid, parents in parents_of.items()}}


def test_the_critical_path_follows_what_each_node_waited_for() -> None:
    """A hand-worked build: stg_a -> its test -> fct (also needs stg_b) -> mart, with a
    relationships test that reads both fct and stg_a (it runs after fct, so it cannot be what
    fct waited for) and a side branch that ended after stg_a and before fct started, but
    that nothing on the path depends on."""
    from tooling.bench.critical_path import critical_path, summary

    manifest = _manifest({
        "model.p.stg_a": [], "model.p.stg_b": [], "model.p.side": ["model.p.stg_b"],
        "test.p.unique_stg_a": ["model.p.stg_a"],
        "model.p.fct": ["model.p.stg_a", "model.p.stg_b"],
        "test.p.relationships_fct_stg_a": ["model.p.fct", "model.p.stg_a"],
        "model.p.mart": ["model.p.fct"],
    })
    results = {"results": [
        _timed("model.p.stg_a", 0.0, 4.0), _timed("model.p.stg_b", 0.0, 1.0),
        _timed("model.p.side", 1.0, 4.8),  # ends after stg_a, before its test starts
        _timed("test.p.unique_stg_a", 5.0, 5.5),  # waited 1 s for a thread
        _timed("model.p.fct", 5.5, 8.0),
        _timed("test.p.relationships_fct_stg_a", 8.0, 8.5),
        _timed("model.p.mart", 8.5, 70.0),  # past a minute
    ]}
    chain = critical_path(results, manifest)
    assert [n.name for n in chain] == [
        "model stg_a", "test unique_stg_a", "model fct", "test relationships_fct_stg_a",
        "model mart"]
    assert [(round(n.seconds, 6), round(n.waited, 6)) for n in chain] == [
        (4.0, 0.0), (0.5, 1.0), (2.5, 0.0), (0.5, 0.0), (61.5, 0.0)]
    assert summary(chain, longest=2) == (
        "70.0 s: 5 nodes, models 68.0 s, tests 1.0 s, waits 1.0 s; "
        "longest mart 61.5 s, stg_a 4.0 s")
    assert critical_path({"results": []}, manifest) == []


def test_the_critical_path_ends_on_instant_nodes_and_ties() -> None:
    """A model and a relationships test of its parent that reads it too, both taking no time
    at the same instant, and two parents ending together: the walk ends, the same way each
    time."""
    from tooling.bench.critical_path import critical_path

    manifest = _manifest({
        "model.p.a": [], "model.p.b": [],
        "model.p.c": ["model.p.a", "model.p.b"],
        "test.p.relationships_c_a": ["model.p.c", "model.p.a"],
    })
    results = {"results": [
        _timed("model.p.a", 0.0, 1.0), _timed("model.p.b", 0.0, 1.0),
        _timed("model.p.c", 1.0, 1.0), _timed("test.p.relationships_c_a", 1.0, 1.0),
    ]}
    names = [n.name for n in critical_path(results, manifest)]
    assert names == ["model b", "model c", "test relationships_c_a"]


def test_the_step_that_holds_the_time_names_the_longest_node_of_the_critical_path() -> None:
    stage = bench.StageResult("one new day", 60.0, 0.0, steps={
        "ingest + raw contracts": {"seconds": 4.0, "cores": 1.0},
        "dbt build": {"seconds": 36.0, "cores": 1.7},
        "site": {"seconds": 8.0, "cores": 1.3},
    }, dbt_critical_path=[
        {"node": "model int_goods_receipts__netted", "start_s": 4.1, "seconds": 2.2,
         "waited_s": 1.5},
        {"node": "model mart_supplier_lead_time_trends", "start_s": 12.1, "seconds": 10.4,
         "waited_s": 1.6},
    ])
    said = bench.slowest_step(stage)
    assert said.startswith("dbt build: 36.0 s of 60.0 s (60%) at 1.7 of ")
    assert ", its critical path led by model mart_supplier_lead_time_trends (10.4 s);" in said
    assert said.endswith("outside the steps (start-up, Dagster bookkeeping): 12.0 s")
    stage.steps["site"]["seconds"] = 40.0  # another step holds the time: no dbt node named
    assert "critical path" not in bench.slowest_step(stage)


def test_the_fixed_cost_line_puts_a_small_run_against_the_goal_it_is_measured_by() -> None:
    fixed_day = bench.StageResult("one new day, scale 1", 40.0, 0.0)
    full = bench.StageResult("full run", 160.0, 0.0)
    assert bench.fixed_cost_line("a new day", fixed_day, 1.0, 100.0, full, per="full run") == (
        "a new day at scale 1 (1% of the rows; what any run costs) took 40.0 s "
        "= 25% of this full run")
    fixed_full = bench.StageResult("full run, scale 1", 52.0, 0.0)
    floor = bench.StageResult("floor (bare DuckDB SQL)", 26.0, 0.0)
    assert bench.fixed_cost_line("a full run", fixed_full, 1.0, 100.0, floor, per="floor") == (
        "a full run at scale 1 (1% of the rows; what any run costs) took 52.0 s "
        "= 2.0x this floor")


def test_bench_env_keeps_a_run_inside_its_own_folder(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PLANSIGNAL_PIPELINE_DB", "/elsewhere/pipeline.duckdb")
    env = bench.bench_env(tmp_path / "fixed")
    assert env["PLANSIGNAL_DATA_DIR"] == str(tmp_path / "fixed" / "data")
    assert env["DAGSTER_HOME"] == str(tmp_path / "fixed" / "dagster_home")
    assert "PLANSIGNAL_PIPELINE_DB" not in env


def test_each_scale_is_held_to_the_goals_the_issue_states_for_it() -> None:
    from tooling.bench.goals import SCALE_100_GOALS, SCALE_300_GOALS, goals_for

    assert goals_for(100) == SCALE_100_GOALS
    assert goals_for(5) == SCALE_100_GOALS  # a quick bench: scale 100's yardstick
    assert goals_for(300) == SCALE_300_GOALS == {
        "full_run_vs_scale_100_max": 3.5, "peak_memory_gb_max": 8.0}
    assert goals_for(200) == SCALE_300_GOALS
    assert goals_for(301) == {}


def _bench_report(tmp_path: Path, scale: float, full_s: float) -> Path:
    path = tmp_path / f"bench_scale_{scale:g}.json"
    path.write_text(json.dumps({
        "scale": scale, "ran_at": "2026-12-06T22:00:00+00:00", "code": "abc1234",
        "stages": [{"name": "generate extract", "seconds": 20.0},
                   {"name": "full run", "seconds": full_s}]}))
    return path


def test_the_scale_300_goal_reads_the_full_run_of_a_scale_100_bench(tmp_path: Path) -> None:
    from tooling.bench.goals import read_reference

    reference = read_reference(_bench_report(tmp_path, 100, 150.4))
    assert reference is not None and reference.full_run_s == 150.4
    assert reference.describe() == (
        "150.4 s in bench_scale_100.json, run 2026-12-06T22:00:00+00:00 on code abc1234")
    assert read_reference(_bench_report(tmp_path, 300, 498.7)) is None  # not scale 100
    assert read_reference(tmp_path / "missing.json") is None
    (tmp_path / "broken.json").write_text("{")
    assert read_reference(tmp_path / "broken.json") is None


def _verdict(capsys: pytest.CaptureFixture[str], scale: float,
             ratios: dict[str, float | None], **report: object) -> str:
    """What the bench prints for these ratios at this scale (a table with only the floor)."""
    from tooling.bench.goals import goals_for, verdicts

    goals = goals_for(scale)
    bench.print_table({
        "scale": scale, "machine": {"cpus": 2, "memory_gb": 23.5},
        "stages": [{"name": "floor (bare DuckDB SQL)", "seconds": 25.7, "peak_rss_mb": 7000}],
        "ratios": ratios, "goals": goals, "goals_met": verdicts(goals, ratios),
        "part_reconciliation": {"summary": "reconciliation"}, **report,
    })
    return capsys.readouterr().out


def test_the_verdict_holds_a_scale_300_bench_to_its_own_goals(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tooling.bench.goals import goals_for, verdicts

    goals = goals_for(300)
    ratios = {"full_run_vs_floor": 5.1, "rerun_vs_full": None, "new_day_vs_full": None,
              "peak_memory_gb": 4.35, "full_run_vs_scale_100": 3.32}
    met = verdicts(goals, ratios)
    assert met == {"full_run_vs_scale_100": True, "peak_memory": True}
    assert verdicts(goals, {**ratios, "full_run_vs_scale_100": 3.6, "peak_memory_gb": 8.1}) == {
        "full_run_vs_scale_100": False, "peak_memory": False}
    assert verdicts(goals, {**ratios, "full_run_vs_scale_100": None})[
        "full_run_vs_scale_100"] is None
    said = _verdict(capsys, 300, ratios, reference="150.4 s in bench_scale_100.json, run "
                    "2026-12-06 on code abc1234")
    assert "full run / floor: 5.1 (no goal at this scale)" in said
    assert "full run / scale 100's: 3.32 (goal <= 3.5: met)" in said
    assert "  scale 100's full run: 150.4 s in bench_scale_100.json" in said
    assert "peak memory (process tree): 4.35 GB (goal <= 8 GB: met)" in said
    assert "new day" not in said and "nothing new" not in said  # full-only: not run, no goal


def test_the_verdict_at_scale_100_keeps_its_four_goals(capsys: pytest.CaptureFixture[str]) -> None:
    from tooling.bench.goals import goals_for, verdicts

    goals = goals_for(100)
    ratios = {"full_run_vs_floor": 5.86, "rerun_vs_full": 0.037, "new_day_vs_full": 0.436,
              "site_vs_full": 0.071, "peak_memory_gb": 3.59}
    met = verdicts(goals, ratios)
    assert met == {"full_run_vs_floor": False, "new_day_vs_full": False,
                   "rerun_vs_full": True, "site_vs_full": True, "peak_memory": True}
    said = _verdict(capsys, 100, ratios)
    assert "full run / floor: 5.86 (goal <= 4: NOT met)" in said
    assert "one new day / full run: 0.436 (goal <= 0.2: NOT met)" in said
    assert "nothing new / full run: 0.037 (goal <= 0.05: met)" in said
    assert "governance site / full run: 0.071 (goal <= 0.1: met)" in said
    assert "peak memory (process tree): 3.59 GB (goal <= 4 GB: met)" in said
    assert "scale 100's" not in said
    # a bench without the site step (the run stopped before it): that goal not measured
    said = _verdict(capsys, 100, {**ratios, "site_vs_full": None})
    assert "governance site / full run: not measured (goal <= 0.1: not measured)" in said
