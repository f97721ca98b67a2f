"""`make bench`: where the time and memory of a plansignal run go, against DuckDB's floor.

    python -m tooling.bench --scale 100 [--workdir DIR] [--keep] [--fixed-cost-scale 1]

Stages, each in its own process so its peak memory is its own:
1. generate the demo extract (scale N: about N x 100,000 goods receipts);
2. the full pipeline (`python -m dagster_project.cli run`), per Dagster step from the run's
   event log: raw ingestion with raw contracts, dbt build, mart contracts, publish, site;
3. the same pipeline again with nothing new;
4. one more demo day, and the pipeline on it;
5. what a run costs whatever its data: the same full run and new day on a demo of scale
   --fixed-cost-scale (default 1, 1 % of scale 100's rows), in a folder of its own;
6. the floor: the core lead-time computation alone as plain SQL in bare DuckDB on the same
   files (tooling/bench/floor.sql).
Under the dbt build step the table lists the run's slowest dbt models and tests (dbt's own
run_results.json; two run at a time, so they overlap) and the build's critical path: the chain
of nodes it waited for, split into models, tests and waits for a free dbt thread
(critical_path.py). Peak memory is the whole process tree's resident set at its largest
(the pipeline's Python process and its dbt subprocess together), sampled every 0.1 s; the JSON
also names the largest single process at that moment. Beside it, `cores`: the CPU seconds
the process tree used (processes that ended included) over the wall time, per stage and per
step, which tells a stage that waits on one core (Python, a single-threaded import) from one
that keeps every core busy (DuckDB), where only less work helps.
Prints one table and the verdict against issue 21's goals for this scale (goals.py: scale
100's, or scale 300's, whose time goal is measured against the full run of a scale-100 bench's
JSON, --reference), and writes it as JSON (default data/bench/bench_scale_<N>.json), with the
machine and the code it ran on and the part-reconciliation quality against the generator's
ground truth.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psutil

from dagster_project.defs.ops.build_gate import DBT_STEP
from dagster_project.runtime.settings import DBT_PROJECT_DIR, REPO_ROOT
from tooling.bench.critical_path import PathNode, node_label, read_critical_path
from tooling.bench.critical_path import summary as critical_path_summary
from tooling.bench.goals import (
    RATIO_LABELS,
    code_version,
    goals_for,
    read_reference,
    verdict_line,
    verdicts,
)

FLOOR_SQL = Path(__file__).with_name("floor.sql")
FULL, NOTHING_NEW, NEW_DAY = "full run", "re-run, nothing new", "one new day"
NO_REFERENCE = "none found: run `make bench` at scale 100 first, or pass --reference"


@dataclass
class Sample:
    at: float
    largest_rss: int
    largest_cmd: str
    tree_rss: int = 0  # the process and all its descendants together
    tree_cpu: float = 0.0  # CPU seconds the tree used so far, ended processes included


@dataclass
class StageResult:
    name: str
    seconds: float
    peak_rss_mb: float  # the whole process tree at its largest
    peak_process: str = ""  # the largest single process then
    cores: float = 0.0  # CPU seconds of the process tree / wall seconds
    steps: dict[str, dict[str, float]] = field(default_factory=dict)
    slowest_dbt_nodes: dict[str, float] = field(default_factory=dict)
    # the chain of dbt nodes the build waited for (critical_path.py), first node first
    dbt_critical_path: list[dict[str, object]] = field(default_factory=list)
    dbt_critical_path_summary: str = ""


class TreeSampler:
    """Samples the resident set of a process and its descendants: their sum, and the largest
    single process (which names where the memory is)."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.root = psutil.Process(pid)
        self.interval = interval
        self.samples: list[Sample] = []
        self._cpu_by_pid: dict[int, float] = {}  # the last CPU seconds seen of each process
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                break
            best, best_cmd, total = 0, "", 0
            for proc in procs:
                try:
                    rss = proc.memory_info().rss
                    cpu = proc.cpu_times()
                    self._cpu_by_pid[proc.pid] = cpu.user + cpu.system
                    total += rss
                    if rss > best:
                        best, best_cmd = rss, " ".join(proc.cmdline()[:3])
                except psutil.Error:
                    continue
            self.samples.append(
                Sample(time.time(), best, best_cmd, total, sum(self._cpu_by_pid.values()))
            )
            self._stop.wait(self.interval)

    def peak(self, start: float = 0.0, end: float = float("inf")) -> Sample:
        window = [s for s in self.samples if start <= s.at <= end]
        return max(window, key=lambda s: s.tree_rss, default=Sample(0, 0, ""))

    def cores(self, start: float = 0.0, end: float = float("inf")) -> float:
        return cores_between(self.samples, start, end)


def cores_between(samples: list[Sample], start: float, end: float) -> float:
    """CPU seconds the tree used between the samples nearest inside [start, end], per second.

    (A process's CPU after its last sample is not seen: at most one sampling interval's worth.)
    """
    window = [s for s in samples if start <= s.at <= end]
    if len(window) < 2 or window[-1].at <= window[0].at:
        return 0.0
    return (window[-1].tree_cpu - window[0].tree_cpu) / (window[-1].at - window[0].at)


def run_measured(
    name: str, cmd: list[str], env: dict[str, str]
) -> tuple[StageResult, TreeSampler]:
    started = time.time()
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    with TreeSampler(proc.pid) as sampler:
        output, _ = proc.communicate()
    seconds = time.time() - started
    if proc.returncode != 0:
        sys.stderr.write(output[-4000:])
        raise SystemExit(f"bench: stage {name!r} failed with exit code {proc.returncode}")
    peak = sampler.peak()
    return StageResult(name, seconds, peak.tree_rss / 2**20, peak.largest_cmd,
                       round(sampler.cores(), 2)), sampler


STEP_STAGES = (
    ("raw__", "ingest + raw contracts"),
    (DBT_STEP, "dbt build"),
    ("marts__", "mart contracts"),
    ("serving__", "publish"),
    ("site__", "site"),
)


def step_windows(dagster_home: Path) -> tuple[str, dict[str, tuple[float, float]]]:
    """The newest run in this Dagster home: its id, and start and end time of every step."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(dagster_home)
    with dg.DagsterInstance.get() as instance:
        run = instance.get_runs(limit=1)[0]
        windows: dict[str, list[float]] = {}
        for entry in instance.all_logs(run.run_id):
            event = entry.dagster_event
            # Only the step's own start and end: "planned" events are all logged at run start.
            if event is None or event.step_key is None or event.event_type_value not in (
                "STEP_START", "STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"
            ):
                continue
            span = windows.setdefault(event.step_key, [entry.timestamp, entry.timestamp])
            span[0] = min(span[0], entry.timestamp)
            span[1] = max(span[1], entry.timestamp)
    return run.run_id, {k: (v[0], v[1]) for k, v in windows.items()}


DBT_TARGET_ROOT = DBT_PROJECT_DIR / "target"
SLOWEST_DBT_NODES = 8


def dbt_run_target(run_id: str) -> Path | None:
    """The target folder of this run's dbt build (the one with run results), if any.

    dagster-dbt names each invocation's target folder <step>-<first 7 of the run id>-<uuid>.
    """
    for folder in DBT_TARGET_ROOT.glob(f"{DBT_STEP}-{run_id[:7]}-*"):
        if (folder / "run_results.json").is_file():
            return folder
    return None


def slowest_dbt_nodes(run_id: str, top: int = SLOWEST_DBT_NODES) -> dict[str, float]:
    """The slowest dbt models and tests of this run (dbt's own run_results.json)."""
    folder = dbt_run_target(run_id)
    if folder is None:
        return {}
    nodes = json.loads((folder / "run_results.json").read_text(encoding="utf-8"))["results"]
    ranked = sorted(nodes, key=lambda n: n["execution_time"], reverse=True)[:top]
    return {node_label(n["unique_id"]): round(n["execution_time"], 2) for n in ranked}


def dbt_critical_path(run_id: str) -> list[PathNode]:
    """The chain of dbt nodes this run's build waited for ([] without a dbt build)."""
    folder = dbt_run_target(run_id)
    return read_critical_path(folder) if folder is not None else []


def stage_breakdown(
    windows: dict[str, tuple[float, float]], sampler: TreeSampler
) -> dict[str, dict[str, float]]:
    breakdown: dict[str, dict[str, float]] = {}
    for prefix, stage in STEP_STAGES:
        spans = [w for key, w in windows.items() if key.startswith(prefix)]
        if not spans:
            continue
        seconds = sum(end - start for start, end in spans)
        peak = max(sampler.peak(start, end).tree_rss for start, end in spans)
        # weighted by each step's length: the stage's CPU seconds over its wall seconds
        cores = sum(sampler.cores(start, end) * (end - start) for start, end in spans)
        breakdown[stage] = {"seconds": round(seconds, 2), "peak_rss_mb": round(peak / 2**20),
                            "cores": round(cores / seconds, 2) if seconds else 0.0}
    return breakdown


def slowest_step(stage: StageResult) -> str:
    """Which step of a run holds its time, as the bench says where a goal is missed."""
    if not stage.steps:
        return "no step breakdown (the run did not record its steps)"
    step, values = max(stage.steps.items(), key=lambda item: item[1]["seconds"])
    share = values["seconds"] / stage.seconds
    outside = stage.seconds - sum(v["seconds"] for v in stage.steps.values())
    cores = f" at {values['cores']:.1f} of {os.cpu_count()} cores" if "cores" in values else ""
    # Within the dbt build, the node of its critical path that took longest.
    longest = max(stage.dbt_critical_path, key=lambda n: float(n["seconds"]), default=None)
    led_by = (f", its critical path led by {longest['node']} ({float(longest['seconds']):.1f} s)"
              if step == "dbt build" and longest is not None else "")
    return (f"{step}: {values['seconds']:.1f} s of {stage.seconds:.1f} s ({share:.0%}){cores}"
            f"{led_by}; outside the steps (start-up, Dagster bookkeeping): {outside:.1f} s")


GENERATE, NEXT_DAY = "tooling.demo_data", "tooling.demo_next_day"


def demo_command(module: str, scale: float, work: Path) -> list[str]:
    """The demo generator (GENERATE) or its next day (NEXT_DAY) on the landing under `work`."""
    return [sys.executable, "-m", module, "--scale", str(scale),
            "--landing", str(work / "data" / "landing"),
            "--truth", str(work / "data" / "demo_truth")]


def bench_env(work: Path) -> dict[str, str]:
    """The environment of a pipeline whose data and Dagster home are under `work` only."""
    env = {
        **os.environ,
        "PLANSIGNAL_DATA_DIR": str(work / "data"),
        "DAGSTER_HOME": str(work / "dagster_home"),
    }
    for var in ("PLANSIGNAL_LANDING_DIR", "PLANSIGNAL_PIPELINE_DB", "PLANSIGNAL_SERVING_DB",
                "PLANSIGNAL_WAREHOUSE_DIR", "PLANSIGNAL_SITE_DIR", "PLANSIGNAL_TRUTH_DIR"):
        env.pop(var, None)
    return env


def fixed_cost_line(kind: str, fixed: StageResult, fixed_scale: float, scale: float,
                    reference: StageResult, per: str) -> str:
    """What the same kind of run costs with almost no data, against this bench's reference.

    A goal a run misses by more than that cost cannot be met by doing less work on the data.
    """
    if per == "floor":
        against = f"{fixed.seconds / reference.seconds:.1f}x this floor"
    else:
        against = f"{fixed.seconds / reference.seconds:.0%} of this full run"
    return (f"{kind} at scale {fixed_scale:g} ({fixed_scale / scale:.0%} of the rows; what any "
            f"run costs) took {fixed.seconds:.1f} s = {against}")


def floor_command(landing: Path, database: Path) -> list[str]:
    sql = FLOOR_SQL.read_text(encoding="utf-8").replace("{landing}", str(landing))
    script = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1]); con.execute(sys.argv[2]); "
        "print(con.execute('select count(*) from supplier_lead_times').fetchone()[0])"
    )
    return [sys.executable, "-c", script, str(database), sql]


def machine() -> dict[str, object]:
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "processor": platform.processor() or platform.machine(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tooling.bench")
    parser.add_argument("--scale", type=float, default=100.0)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument(
        "--full-only", action="store_true",
        help="only the full runs (this scale's and the fixed-cost one) and the floor "
        "(a large scale: issue 21's scale-300 run)",
    )
    parser.add_argument(
        "--fixed-cost-scale", type=float, default=1.0,
        help="also run a full run and a new day at this small scale, what a run costs "
        "whatever its data (0: not; skipped when not below --scale)",
    )
    parser.add_argument(
        "--reference", type=Path, default=None,
        help="a scale-100 bench's JSON, for the scale-300 goal (wall time at most 3.5x scale "
        "100's full run; default data/bench/bench_scale_100.json)",
    )
    args = parser.parse_args(argv)

    bench_dir = REPO_ROOT / "data" / "bench"
    # Read before anything runs: a scale-100 bench into the same folder would overwrite it.
    reference = read_reference(args.reference or bench_dir / "bench_scale_100.json")
    code = code_version(REPO_ROOT)  # what runs is the code as it is now
    work = (args.workdir or bench_dir / f"scale_{args.scale:g}").resolve()
    shutil.rmtree(work, ignore_errors=True)
    env = bench_env(work)
    py = sys.executable
    landing = work / "data" / "landing"
    stages: list[StageResult] = []

    print(f"bench: scale {args.scale:g} in {work}", file=sys.stderr)
    generated, _ = run_measured("generate extract", demo_command(GENERATE, args.scale, work), env)
    stages.append(generated)

    def pipeline_run(name: str, env: dict[str, str] = env, work: Path = work) -> StageResult:
        print(f"bench: {name} ...", file=sys.stderr)
        result, sampler = run_measured(
            name, [py, "-m", "dagster_project.cli", "run", "--quiet"], env)
        run_id, windows = step_windows(work / "dagster_home")
        result.steps = stage_breakdown(windows, sampler)
        result.slowest_dbt_nodes = slowest_dbt_nodes(run_id)
        chain = dbt_critical_path(run_id)
        result.dbt_critical_path = [
            {"node": n.name, "start_s": round(n.start, 2), "seconds": round(n.seconds, 2),
             "waited_s": round(n.waited, 2)} for n in chain]
        result.dbt_critical_path_summary = critical_path_summary(chain) if chain else ""
        stages.append(result)
        return result

    full = pipeline_run(FULL)
    rerun = None if args.full_only else pipeline_run(NOTHING_NEW)
    new_day = None
    if not args.full_only and importlib.util.find_spec(NEXT_DAY) is not None:
        next_day, _ = run_measured(
            "generate one more day", demo_command(NEXT_DAY, args.scale, work), env)
        stages.append(next_day)
        new_day = pipeline_run(NEW_DAY)
    fixed_scale = args.fixed_cost_scale
    fixed_full = fixed_day = None
    if 0 < fixed_scale < args.scale:
        fixed_work = work / f"fixed_cost_scale_{fixed_scale:g}"
        fixed_env = bench_env(fixed_work)
        at = f", scale {fixed_scale:g}"
        stages.append(run_measured(f"generate extract{at}", demo_command(
            GENERATE, fixed_scale, fixed_work), fixed_env)[0])
        fixed_full = pipeline_run(f"{FULL}{at}", fixed_env, fixed_work)
        if new_day is not None:
            stages.append(run_measured(f"generate one more day{at}", demo_command(
                NEXT_DAY, fixed_scale, fixed_work), fixed_env)[0])
            fixed_day = pipeline_run(f"{NEW_DAY}{at}", fixed_env, fixed_work)
    print("bench: floor ...", file=sys.stderr)
    floor, _ = run_measured("floor (bare DuckDB SQL)",
                            floor_command(landing, work / "floor.duckdb"), env)
    stages.append(floor)

    from tooling.reconciliation_quality import measure

    quality = measure(work / "data" / "warehouse" / "planning.duckdb", work / "data" / "demo_truth")
    runs = [s for s in (full, rerun, new_day) if s is not None]
    peak_gb = max(s.peak_rss_mb for s in runs) / 1024
    ratios: dict[str, float | None] = {
        "full_run_vs_floor": round(full.seconds / floor.seconds, 2),
        "rerun_vs_full": round(rerun.seconds / full.seconds, 3) if rerun else None,
        "new_day_vs_full": round(new_day.seconds / full.seconds, 3) if new_day else None,
        "peak_memory_gb": round(peak_gb, 2),
    }
    if "site" in full.steps:
        ratios["site_vs_full"] = round(full.steps["site"]["seconds"] / full.seconds, 3)
    goals = goals_for(args.scale)
    if "full_run_vs_scale_100_max" in goals:
        ratios["full_run_vs_scale_100"] = (
            round(full.seconds / reference.full_run_s, 2) if reference else None)
    goals_met = verdicts(goals, ratios)
    holds_the_time = {
        goal: slowest_step(stage) for goal, stage in
        (("full_run_vs_floor", full), ("full_run_vs_scale_100", full), ("rerun_vs_full", rerun),
         ("new_day_vs_full", new_day))
        if stage is not None and goals_met.get(goal) is False
    }
    fixed_cost: dict[str, object] | None = None
    if fixed_full is not None:
        fixed_cost = {"scale": fixed_scale, "full_run_s": round(fixed_full.seconds, 2),
                      "full_run_vs_floor": round(fixed_full.seconds / floor.seconds, 2)}
        if "full_run_vs_floor" in holds_the_time:
            holds_the_time["full_run_vs_floor"] += "; " + fixed_cost_line(
                "a full run", fixed_full, fixed_scale, args.scale, floor, per="floor")
        if fixed_day is not None and new_day is not None:
            fixed_cost |= {"new_day_s": round(fixed_day.seconds, 2),
                           "new_day_vs_full": round(fixed_day.seconds / full.seconds, 3)}
            if "new_day_vs_full" in holds_the_time:
                holds_the_time["new_day_vs_full"] += "; " + fixed_cost_line(
                    "a new day", fixed_day, fixed_scale, args.scale, full, per="full run")
    report = {
        "scale": args.scale,
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "code": code,
        "machine": machine(),
        "stages": [asdict(s) for s in stages],
        "ratios": ratios,
        "goals": goals,
        "goals_met": goals_met,
        # the scale-100 full run the scale-300 goal is measured against
        "reference": reference.describe() if "full_run_vs_scale_100" in ratios and reference
        else None,
        "holds_the_time": holds_the_time,
        # what a run costs whatever its data: the same runs at a small scale
        "fixed_cost": fixed_cost,
        "part_reconciliation": {
            "merge_precision": round(quality.merge_precision, 4),
            "recall": round(quality.recall, 4),
            "review_precision": round(quality.review_precision, 4),
            "summary": quality.summary(),
        },
    }
    out = args.out or bench_dir / f"bench_scale_{args.scale:g}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print_table(report)
    print(f"written: {out}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def print_table(report: dict) -> None:
    print(f"\nplansignal bench, scale {report['scale']:g} "
          f"({report['machine']['cpus']} cores, {report['machine']['memory_gb']} GB)")
    print(f"{'stage':<34}{'wall s':>10}{'peak MB':>10}{'x floor':>9}{'cores':>7}")
    floor_s = report["stages"][-1]["seconds"]
    for stage in report["stages"]:
        print(f"{stage['name']:<34}{stage['seconds']:>10.1f}{stage['peak_rss_mb']:>10.0f}"
              f"{stage['seconds'] / floor_s:>9.1f}{stage.get('cores', 0.0):>7.2f}")
        for step, values in stage.get("steps", {}).items():
            print(f"  {step:<32}{values['seconds']:>10.1f}{values['peak_rss_mb']:>10.0f}"
                  f"{values['seconds'] / floor_s:>9.1f}{values.get('cores', 0.0):>7.2f}")
            if step == "dbt build":
                # dbt runs two nodes at a time: these overlap, they do not add up.
                for node, seconds in stage.get("slowest_dbt_nodes", {}).items():
                    print(f"    {node[:46]:<46}{seconds:>6.1f} s")
                if stage.get("dbt_critical_path_summary"):
                    print(f"    critical path {stage['dbt_critical_path_summary']}")
    r, met, goals = report["ratios"], report["goals_met"], report["goals"]
    for key, label in RATIO_LABELS.items():
        if r.get(key) is None and f"{key}_max" not in goals:
            continue
        print(verdict_line(label, r.get(key), goals.get(f"{key}_max"), met.get(key)))
        if key == "full_run_vs_scale_100":
            found = report.get("reference") or NO_REFERENCE
            print(f"  scale 100's full run: {found}")
        if key in report.get("holds_the_time", {}):
            print(f"  holds the time: {report['holds_the_time'][key]}")
    print(verdict_line("peak memory (process tree)", r["peak_memory_gb"],
                       goals.get("peak_memory_gb_max"), met.get("peak_memory"), unit=" GB"))
    print(report["part_reconciliation"]["summary"])


if __name__ == "__main__":
    sys.exit(main())
