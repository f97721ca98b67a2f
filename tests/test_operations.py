"""Operations: one run at a time, nothing new -> nothing done, crash safety, analysts reading.

Unit tests first (lock, fingerprint, sensor, instance config), then the real pipeline on a
small generated extract:

- ``base``: one uninterrupted run; a second run with nothing new skips dbt and publishing;
  a second ``make run`` while one holds the lock is refused in one line, or waits with --wait.
- ``crashed``: a new extract lands, then the CLI is SIGKILLed at each crash point
  (dagster_project/runtime/faults.py) in turn; after each, the serving database opens and holds a
  complete state, raw holds exactly the extracts its load log lists, and the next run cleans up
  (orphaned dbt stopped, dead run marked failed, temp files removed). The final run, with an
  analyst's read-only connection open the whole time, must publish what an uninterrupted run
  on the same extracts publishes.
- slow: SIGKILL after N seconds for several N (``pytest -m slow``).

The pipeline-run tests are marked e2e: ``make test-e2e`` runs them (and CI), ``make test``
the unit tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import psutil
import pytest

from dagster_project.cli import EXIT_BUSY, RunReport, main, run_pipeline
from dagster_project.defs.ingest.assets import raw_assets
from dagster_project.defs.ops.automation import check_dead_run, evaluate_landing
from dagster_project.ingest.landing_contract import LANDING_TABLES
from dagster_project.ingest.load_log import ensure_load_log
from dagster_project.resources import Warehouse
from dagster_project.runtime.faults import CRASH_ENV
from dagster_project.runtime.run_history import dagster_yaml, prepare_dagster_home
from dagster_project.runtime.run_lock import PipelineBusy, PipelineLock, lock_path_for, read_holder
from dagster_project.runtime.settings import REPO_ROOT, Settings
from dagster_project.warehouse import build_state
from dagster_project.warehouse.publish import TMP_MARKER
from tests.conftest import SETTINGS_VARS, point_settings_at
from tooling.demo_data import generate

SCALE = 0.03
SEED = 11

HOLD_LOCK = """
import sys
from pathlib import Path
from dagster_project.runtime.run_lock import PipelineLock
lock = PipelineLock.acquire(Path(sys.argv[1]), command="test holder")
print("locked", flush=True)
sys.stdin.read()
lock.release()
"""

ANALYST = """
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
def counts():
    names = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts'"
    ).fetchall()]
    return {n: con.execute(f'select count(*) from marts."{n}"').fetchone()[0] for n in names}
print(json.dumps(counts()), flush=True)
for line in sys.stdin:
    print(json.dumps(counts()), flush=True)
"""


# --------------------------------------------------------------------------- helpers


def cli_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS and k != CRASH_ENV}
    env.update(
        PLANSIGNAL_DATA_DIR=str(settings.data_dir),
        DAGSTER_HOME=str(settings.dagster_home),
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def start_cli(
    settings: Settings, *args: str, crash_at: str | None = None, output: Path | None = None
) -> subprocess.Popen:
    """The CLI in its own process; its output to a pipe, or to ``output`` when nobody reads
    the pipe while it runs (a full pipe would stall it)."""
    extra = {CRASH_ENV: crash_at} if crash_at else {}
    sink = output.open("w") if output else None
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "dagster_project.cli", "run", *args],
            cwd=REPO_ROOT,
            env=cli_env(settings, **extra),
            stdout=sink or subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    finally:
        if sink is not None:
            sink.close()  # the child has its own copy


def run_cli(settings: Settings, *args: str, crash_at: str | None = None) -> tuple[int, str]:
    proc = start_cli(settings, *args, crash_at=crash_at)
    out, _ = proc.communicate(timeout=900)
    return proc.returncode, out


def mart_counts(serving: Path) -> dict[str, int]:
    """Rows per table of schema marts; opening it at all proves the file is not torn."""
    with duckdb.connect(str(serving), read_only=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        ]
        return {n: con.execute(f'select count(*) from marts."{n}"').fetchone()[0] for n in names}


# Histories differ between a run in two steps and one in one step: the quality history grows
# with every contract run; findings resolved and proposals superseded between the steps stay
# in the governance history.
RUN_HISTORY_MARTS = {"dq_contract_history", "mart_finding_history", "mart_change_set_status"}


def comparable(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if k not in RUN_HISTORY_MARTS}


def raw_vs_load_log(pipeline_db: Path) -> dict[str, tuple[int, int]]:
    """Per raw table: (rows in raw, rows the load log says were merged). Equal = no half merge."""
    with duckdb.connect(str(pipeline_db), read_only=True) as con:
        out = {}
        for table in LANDING_TABLES:
            in_raw = con.execute(f"select count(*) from raw.{table}").fetchone()[0]
            logged = con.execute(
                "select coalesce(sum(row_count), 0) from raw._load_log where table_name = ? "
                "and retracted_at is null",
                [table],
            ).fetchone()[0]
            out[table] = (int(in_raw), int(logged))
        return out


def assert_no_half_merge(pipeline_db: Path) -> None:
    state = raw_vs_load_log(pipeline_db)
    assert all(raw == logged for raw, logged in state.values()), state


def read_until(proc: subprocess.Popen, text: str) -> str:
    """Read a process's output up to the line containing ``text``."""
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if text in line:
            return line
    raise AssertionError(f"{text!r} never printed:\n{''.join(lines)}")


def run_status(settings: Settings, run_id: str) -> dg.DagsterRunStatus:
    with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        run = instance.get_run_by_id(run_id)
        assert run is not None
        return run.status


def wait_for_children(settings: Settings, timeout: float = 180) -> None:
    """Let dbt processes a killed run left behind finish (or die of their closed pipe)."""
    holder = read_holder(lock_path_for(settings.pipeline_db))
    procs = []
    for pid, _ in holder.children if holder else []:
        with contextlib.suppress(psutil.Error):
            procs.append(psutil.Process(pid))
    psutil.wait_procs(procs, timeout=timeout)


def add_second_extract(landing: Path) -> None:
    """A later extract: five more PO lines and their receipts (copies of existing ones)."""
    po_dir = landing / "erp_purchase_order_lines"
    gr_dir = landing / "erp_goods_receipts"
    with duckdb.connect() as con:
        con.execute(
            f"create table po as select * from read_csv('{po_dir}/*.csv', all_varchar = true)"
        )
        con.execute(
            "create table picked as select distinct po_number from po "
            "where line_status = 'CLOSED' order by po_number limit 5"
        )
        con.execute(
            f"copy (select * replace ('E2-' || po_number as po_number) from po "
            f"where po_number in (select po_number from picked) order by po_number, po_line) "
            f"to '{po_dir}/erp_purchase_order_lines__zz_second.csv' (header)"
        )
        con.execute(
            f"copy (select * replace ('E2-' || receipt_id as receipt_id, "
            f"'E2-' || po_number as po_number, "
            f"case when reverses_receipt_id is null or reverses_receipt_id = '' then "
            f"reverses_receipt_id else 'E2-' || reverses_receipt_id end as reverses_receipt_id) "
            f"from read_csv('{gr_dir}/*.csv', all_varchar = true) "
            f"where po_number in (select po_number from picked) order by receipt_id) "
            f"to '{gr_dir}/erp_goods_receipts__zz_second.csv' (header)"
        )


@dataclass
class Scenario:
    settings: Settings
    report: RunReport
    counts: dict[str, int]
    full_seconds: float
    notes: dict[str, object] = field(default_factory=dict)


def fresh_run(root: Path, add_second: bool = False) -> Iterator[Scenario]:
    monkeypatch = pytest.MonkeyPatch()
    settings = point_settings_at(monkeypatch, root)
    generate(SCALE, SEED, settings.landing_dir, settings.truth_dir, progress=False)
    if add_second:
        add_second_extract(settings.landing_dir)
    started = time.monotonic()
    report = run_pipeline(settings)
    seconds = time.monotonic() - started
    assert report.exit_code == 0, report.step_failures + report.blocking_failures
    try:
        yield Scenario(settings, report, mart_counts(settings.serving_db), seconds)
    finally:
        monkeypatch.undo()


# --------------------------------------------------------------------------- unit tests


def test_lock_is_reentrant_and_refuses_other_processes(tmp_path: Path) -> None:
    lock_file = tmp_path / "pipeline.duckdb.lock"
    outer = PipelineLock.acquire(lock_file)
    inner = PipelineLock.acquire(lock_file)  # the resource inside a CLI run
    assert inner is outer
    inner.release()
    probe = subprocess.run(
        [sys.executable, "-c",
         "import sys; from pathlib import Path; "
         "from dagster_project.runtime.run_lock import PipelineLock, PipelineBusy\n"
         "try:\n PipelineLock.acquire(Path(sys.argv[1]))\n"
         "except PipelineBusy as e:\n print(e)", str(lock_file)],
        capture_output=True, text=True, cwd=REPO_ROOT, check=True,
    )
    line = probe.stdout.strip()
    assert line.startswith(f"another pipeline run is in progress (pid {os.getpid()}, started ")
    assert "\n" not in line
    outer.release()
    holder = read_holder(lock_file)
    assert holder is not None and holder.released


def test_lock_of_a_killed_process_is_free_and_names_it(tmp_path: Path) -> None:
    lock_file = tmp_path / "pipeline.duckdb.lock"
    victim = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(lock_file)],
        cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert victim.stdout.readline().strip() == "locked"
    with pytest.raises(PipelineBusy):
        PipelineLock.acquire(lock_file)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    lock = PipelineLock.acquire(lock_file)  # no stale lock: the kernel dropped it
    try:
        assert lock.crashed_holder is not None and lock.crashed_holder.pid == victim.pid
    finally:
        lock.release()


def test_fingerprint_follows_every_build_input(tmp_path: Path) -> None:
    project = tmp_path / "dbt"
    (project / "models").mkdir(parents=True)
    (project / "seeds").mkdir()
    (project / "target").mkdir()
    (project / "dbt_project.yml").write_text("vars: {service_level: 0.95}\n")
    (project / "models" / "m.sql").write_text("select 1")
    (project / "seeds" / "part_crosswalk.csv").write_text("a\n1\n")
    suites = tmp_path / "expectations"
    suites.mkdir()
    (suites / "marts__m.json").write_text("{}")
    decisions = tmp_path / "decisions"
    decisions.mkdir()
    (decisions / "finding_waivers.csv").write_text("finding_id\n")
    con = duckdb.connect()

    def fp() -> str:
        return build_state.fingerprint(con, project, suites, ["build"], decisions)

    seen = {fp()}
    (project / "target" / "manifest.json").write_text("{}")  # outputs do not count
    assert fp() in seen
    for change in (
        lambda: (project / "dbt_project.yml").write_text("vars: {service_level: 0.98}\n"),
        lambda: (project / "seeds" / "part_crosswalk.csv").write_text("a\n2\n"),
        lambda: (project / "models" / "m.sql").write_text("select 2"),
        lambda: (suites / "marts__m.json").write_text('{"x": 1}'),
        # a steward decision (plansignal review) changes the next build
        lambda: (decisions / "finding_waivers.csv").write_text("finding_id\nabc\n"),
        lambda: (
            con.execute("create schema raw"),
            ensure_load_log(con),
            con.execute(
                "insert into raw._load_log (table_name, source_file, content_sha256, "
                "row_count, loaded_at) values ('erp_items', 'f.csv', 'abc', 1, now())"
            ),
        ),
        # a retracted extract is a change of the raw data
        lambda: con.execute("update raw._load_log set retracted_at = now()"),
    ):
        change()
        current = fp()
        assert current not in seen
        seen.add(current)
    assert build_state.fingerprint(
        con, project, suites, ["build", "--vars", "{}"], decisions
    ) not in seen


def _built_and_published(tmp_path: Path) -> tuple[duckdb.DuckDBPyConnection, Path]:
    """Build state of a run-1 that built with fingerprint fp and published planning.duckdb."""
    con = duckdb.connect()
    serving = tmp_path / "planning.duckdb"
    serving.write_bytes(b"v1")
    build_state.record(con, "run-1", "built", "fp")
    build_state.record_published(con, "run-1", serving)
    return con, serving


def test_unchanged_needs_the_same_serving_file(tmp_path: Path) -> None:
    con, serving = _built_and_published(tmp_path)
    assert build_state.unchanged_since(con, "fp", serving).run_id == "run-1"
    assert build_state.unchanged_since(con, "other", serving) is None
    serving.write_bytes(b"v2, replaced by hand")
    assert build_state.unchanged_since(con, "fp", serving) is None
    serving.unlink()
    assert build_state.unchanged_since(con, "fp", serving) is None


def test_publish_without_a_build_forces_the_next_build(tmp_path: Path) -> None:
    con, serving = _built_and_published(tmp_path)
    build_state.record_published(con, "run-2", serving)  # e.g. publish materialised alone
    assert build_state.unchanged_since(con, "fp", serving) is None


def test_sensor_requests_a_run_for_new_settled_files_only(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "erp_items").mkdir(parents=True)
    (landing / "README.md").write_text("not an extract")
    (landing / "erp_items" / ".partial.csv").write_text("still copying")
    now = time.time()

    first = evaluate_landing(landing, None, now)  # empty folder, first tick
    assert isinstance(first, dg.SkipReason)

    path = landing / "erp_items" / "erp_items__1.csv"
    path.write_text("part_number\nA\n")
    fresh = evaluate_landing(landing, None, time.time(), settle_seconds=60)
    assert isinstance(fresh, dg.SkipReason) and "settle" in fresh.skip_message

    settled = evaluate_landing(landing, None, time.time() + 120, settle_seconds=60)
    assert isinstance(settled, dg.SensorResult)
    (request,) = settled.run_requests
    assert request.tags["plansignal/new_files"] == "erp_items/erp_items__1.csv"
    cursor = settled.cursor

    again = evaluate_landing(landing, cursor, time.time() + 240, settle_seconds=60)
    assert isinstance(again, dg.SkipReason)  # nothing new since the cursor

    stat = path.stat()
    path.write_text("part_number\nA\nB\n")  # a re-extract under the same name
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    changed = evaluate_landing(landing, cursor, time.time() + 360, settle_seconds=60)
    assert isinstance(changed, dg.SensorResult) and changed.run_requests
    assert changed.run_requests[0].run_key != request.run_key

    path.unlink()  # e.g. a refused extract removed: the extracts behind it may now load
    removed = evaluate_landing(landing, changed.cursor, time.time() + 480, settle_seconds=60)
    assert isinstance(removed, dg.SensorResult)
    assert removed.run_requests[0].tags["plansignal/new_files"] == (
        "erp_items/erp_items__1.csv (removed)"
    )
    idle = evaluate_landing(landing, removed.cursor, time.time() + 600, settle_seconds=60)
    assert isinstance(idle, dg.SkipReason)

    unreadable = evaluate_landing(tmp_path / "missing", cursor, time.time())
    assert isinstance(unreadable, dg.SkipReason) and "not readable" in unreadable.skip_message


def test_definitions_carry_schedule_sensor_and_watchdog() -> None:
    from dagster_project.definitions import FULL_PIPELINE, defs

    repo = defs.get_repository_def()
    (schedule,) = repo.schedule_defs
    assert schedule.job_name == FULL_PIPELINE
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    sensors = {s.name: s for s in repo.sensor_defs}
    assert set(sensors) == {"new_extract_sensor", "pipeline_watchdog", "notify_on_run_failure",
                            "notify_on_run_success"}
    assert sensors["new_extract_sensor"].job_name == FULL_PIPELINE


def test_instance_queues_one_run_at_a_time(tmp_settings: Settings) -> None:

    config = tmp_settings.dagster_home / "dagster.yaml"
    tmp_settings.dagster_home.mkdir(parents=True)
    config.write_text("# Written by plansignal: an older version\ntelemetry:\n  enabled: false\n")
    prepare_dagster_home(tmp_settings)
    assert config.read_text() == dagster_yaml(tmp_settings.dagster_home)  # ours: brought up to date
    with dg.DagsterInstance.from_config(str(tmp_settings.dagster_home)) as instance:
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1
        assert instance.run_monitoring_enabled
    config.write_text("telemetry:\n  enabled: true\n")
    prepare_dagster_home(tmp_settings)
    assert config.read_text() == "telemetry:\n  enabled: true\n"  # someone's own: kept


def test_run_history_written_with_pooled_connections_reads_as_dagsters_own(
    tmp_settings: Settings,
) -> None:
    """The home's event log keeps one engine per file (run_history.py); the files are Dagster's
    own, so a UI or daemon on Dagster's default storage reads the same runs."""
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    from dagster_project.runtime.run_history import PooledSqliteEventLogStorage

    @dg.asset
    def probe() -> int:
        return 1

    prepare_dagster_home(tmp_settings)
    with dg.DagsterInstance.from_config(str(tmp_settings.dagster_home)) as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        runs = [dg.materialize([probe], instance=instance).run_id for _ in range(5)]
        instance.delete_run(runs[0])
        # Commits without a flush each (WAL + synchronous NORMAL, run_history.py).
        storage = instance.event_log_storage
        for shard in (runs[1], "index"):
            with storage._connect(shard) as conn:
                assert conn.exec_driver_sql("pragma journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("pragma synchronous").scalar() == 1  # NORMAL
    plain = SqliteEventLogStorage(str(tmp_settings.dagster_home / "history" / "runs"))
    for run_id in runs[1:]:
        records = plain.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
        assert [r.asset_key for r in records] == [dg.AssetKey("probe")]
    assert not plain.get_logs_for_run(runs[0])


# --------------------------------------------------------------------------- pipeline runs
# Whole jobs, several of them SIGKILLed CLI processes: marked e2e (make test-e2e, run by CI).


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    yield from fresh_run(tmp_path_factory.mktemp("ops_base"))


@pytest.mark.e2e
def test_nothing_new_run_skips_dbt_contracts_and_publish(base: Scenario) -> None:
    settings = base.settings
    before = os.stat(settings.serving_db)
    started = time.monotonic()
    report = run_pipeline(settings)
    seconds = time.monotonic() - started
    assert report.exit_code == 0, report.step_failures
    assert not report.published
    assert report.unchanged_since is not None
    after = os.stat(settings.serving_db)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert report.dbt_tests_passed == 0 and not report.dbt_tests_failed  # dbt did not run
    assert not any(line.startswith("marts/") for line in report.check_lines)
    assert comparable(report.mart_rows) == comparable(base.counts)
    print(f"\nfull run {base.full_seconds:.1f} s, nothing-new run {seconds:.1f} s "
          f"(in process, scale {SCALE})")


@pytest.mark.e2e
def test_second_run_is_refused_or_waits_while_one_holds_the_lock(
    base: Scenario, capsys: pytest.CaptureFixture
) -> None:
    settings = base.settings
    lock_file = lock_path_for(settings.pipeline_db)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(lock_file)],
        cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    waiter = None
    try:
        assert holder.stdout.readline().strip() == "locked"
        # 1. `make run` again: refused at once, one line naming the holder.
        monkeypatch = pytest.MonkeyPatch()
        point_settings_at(monkeypatch, settings.data_dir.parent)
        try:
            assert main(["run"]) == EXIT_BUSY
        finally:
            monkeypatch.undo()
        err = capsys.readouterr().err.strip()
        assert err.startswith(
            f"plansignal: another pipeline run is in progress (pid {holder.pid}, started "
        ), err
        assert err.endswith("not starting a second run (use --wait to queue behind it)")
        assert "\n" not in err

        # 2. A run Dagster launches (UI, schedule, sensor) waits in its resource set-up, then
        #    gives up with the same message.
        asset = next(a for a in raw_assets if a.key.path == ["raw", "erp_items"])
        warehouse = Warehouse.from_settings(settings, lock_wait_seconds=1.0)
        result = dg.materialize([asset], resources={"warehouse": warehouse},
                                raise_on_error=False)
        assert not result.success
        (failure,) = [e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE"]
        causes, error = [], failure.event_specific_data.error
        while error is not None:
            causes.append(error.message)
            error = error.cause
        assert any("another pipeline run is in progress" in c for c in causes), causes

        # 3. `run --wait`: queues behind the holder and runs when it is done.
        waiter = start_cli(settings, "--wait")
        read_until(waiter, f"waiting for the running pipeline (pid {holder.pid}")
        time.sleep(1)
        assert waiter.poll() is None
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    out, _ = waiter.communicate(timeout=600)
    assert waiter.returncode == 0, out
    # Nothing landed since the base run: the summary says so in one line.
    assert "result: OK, nothing new since run " in out and "serving database unchanged" in out
    assert "emitted no result" not in out  # Dagster's per-dbt-test warnings are filtered


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    """An uninterrupted run on the first and the second extract together."""
    yield from fresh_run(tmp_path_factory.mktemp("ops_reference"), add_second=True)


@pytest.fixture(scope="module")
def crashed(base: Scenario, reference: Scenario) -> Scenario:
    """Kill the CLI at every crash point in turn on the second extract; observe each time."""
    settings = base.settings
    notes = base.notes
    add_second_extract(settings.landing_dir)
    lock_file = lock_path_for(settings.pipeline_db)
    first_counts = base.counts

    # 1. Inside the merge transaction of the first new extract.
    rc, out = run_cli(settings, crash_at="ingest.before_commit")
    assert rc == -signal.SIGKILL, out
    holder = read_holder(lock_file)
    assert holder is not None and not holder.released and holder.run_id
    notes["ingest"] = {
        "counts": mart_counts(settings.serving_db),
        "raw": raw_vs_load_log(settings.pipeline_db),
        "run_id": holder.run_id,
    }
    # The watchdog (a sensor under dagster dev) fails the dead run at once.
    with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        notes["watchdog"] = check_dead_run(instance, lock_file)
    notes["ingest_run_status"] = run_status(settings, holder.run_id)

    # 2. While dbt runs as a child process: dbt may outlive the killed run.
    rc, out = run_cli(settings, crash_at="dbt.running")
    assert rc == -signal.SIGKILL, out
    holder = read_holder(lock_file)
    assert holder is not None and holder.children, holder
    notes["dbt"] = {"counts": mart_counts(settings.serving_db), "run_id": holder.run_id,
                    "children": holder.children}

    # 3. New serving file written, not yet renamed into place. This run starts by stopping
    #    the dbt process run 2 left (if still alive) and failing run 2 in the history.
    rc, out = run_cli(settings, crash_at="publish.before_swap")
    assert rc == -signal.SIGKILL, out
    notes["swap"] = {
        "counts": mart_counts(settings.serving_db),
        "raw": raw_vs_load_log(settings.pipeline_db),
        "leftovers": [p.name for p in settings.serving_db.parent.glob(f"{TMP_MARKER}*")],
        "orphans_alive": [pid for pid, ctime in notes["dbt"]["children"]
                          if psutil.pid_exists(pid)
                          and abs(psutil.Process(pid).create_time() - ctime) < 0.5],
        "dbt_run_status": run_status(settings, notes["dbt"]["run_id"]),
        "output": out,
    }

    # 4. The next run, with an analyst's read-only connection open throughout.
    analyst = subprocess.Popen(
        [sys.executable, "-c", ANALYST, str(settings.serving_db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    seen = [json.loads(analyst.stdout.readline())]
    output = settings.data_dir.parent / "final_run.txt"
    final = start_cli(settings, output=output)
    while final.poll() is None:
        analyst.stdin.write("q\n")
        analyst.stdin.flush()
        seen.append(json.loads(analyst.stdout.readline()))
        time.sleep(0.5)
    out = output.read_text()
    analyst.stdin.write("q\n")
    analyst.stdin.flush()
    seen.append(json.loads(analyst.stdout.readline()))
    analyst.stdin.close()
    analyst.wait(timeout=30)
    notes["final"] = {
        "rc": final.returncode,
        "output": out,
        "counts": mart_counts(settings.serving_db),  # a new connection
        "analyst": seen,
        "leftovers": [p.name for p in settings.serving_db.parent.glob(f"{TMP_MARKER}*")],
        "raw": raw_vs_load_log(settings.pipeline_db),
    }
    assert first_counts != reference.counts
    return base


@pytest.mark.e2e
def test_crash_inside_a_merge_merges_nothing(crashed: Scenario) -> None:
    notes = crashed.notes["ingest"]
    assert notes["counts"] == crashed.counts  # serving untouched
    raw = notes["raw"]
    assert all(in_raw == logged for in_raw, logged in raw.values()), raw


@pytest.mark.e2e
def test_watchdog_fails_the_dead_run(crashed: Scenario) -> None:
    assert "marked run" in crashed.notes["watchdog"], crashed.notes["watchdog"]
    assert crashed.notes["ingest_run_status"] == dg.DagsterRunStatus.FAILURE


@pytest.mark.e2e
def test_crash_during_dbt_leaves_serving_alone(crashed: Scenario) -> None:
    assert crashed.notes["dbt"]["counts"] == crashed.counts


@pytest.mark.e2e
def test_next_run_stops_the_orphaned_dbt_and_fails_its_run(crashed: Scenario) -> None:
    swap = crashed.notes["swap"]
    assert swap["orphans_alive"] == []
    assert swap["dbt_run_status"] == dg.DagsterRunStatus.FAILURE


@pytest.mark.e2e
def test_crash_before_the_swap_keeps_the_old_serving_file(crashed: Scenario) -> None:
    swap = crashed.notes["swap"]
    assert swap["counts"] == crashed.counts
    assert swap["leftovers"]  # the unfinished file is there; the next run removes it
    assert crashed.notes["final"]["leftovers"] == []
    assert all(in_raw == logged for in_raw, logged in swap["raw"].values()), swap["raw"]


@pytest.mark.e2e
def test_next_run_recovers_and_publishes_what_an_uninterrupted_run_does(
    crashed: Scenario, reference: Scenario
) -> None:
    final = crashed.notes["final"]
    assert final["rc"] == 0, final["output"]
    assert "result: OK, serving database published" in final["output"]
    assert comparable(final["counts"]) == comparable(reference.counts)
    assert final["leftovers"] == []
    assert all(in_raw == logged for in_raw, logged in final["raw"].values())
    assert final["raw"] == raw_vs_load_log(reference.settings.pipeline_db)


@pytest.mark.e2e
def test_analyst_connection_neither_blocks_nor_sees_a_half_state(crashed: Scenario) -> None:
    final = crashed.notes["final"]
    before = final["analyst"][0]
    # The run went through while the reader held the file open (previous test: rc 0) and the
    # reader saw the old complete state on every query during and after the run ...
    assert len(final["analyst"]) >= 3
    assert all(seen == before for seen in final["analyst"]), final["analyst"]
    # ... the state the crashed runs left in place; a new connection sees the new one.
    assert before == crashed.counts
    assert comparable(final["counts"]) != comparable(crashed.counts)


# --------------------------------------------------------------------------- slow


@pytest.mark.slow
def test_crash_after_the_swap_serves_the_complete_new_state(
    tmp_path: Path, reference: Scenario
) -> None:
    """Killed between the swap and recording the build: the new file is whole and served,
    and the next run, not knowing it was published, simply builds and publishes again."""
    runs = fresh_run(tmp_path / "after_swap")
    scenario = next(runs)
    try:
        settings = scenario.settings
        add_second_extract(settings.landing_dir)
        rc, out = run_cli(settings, crash_at="publish.before_record")
        assert rc == -signal.SIGKILL, out
        assert comparable(mart_counts(settings.serving_db)) == comparable(reference.counts)
        assert not list(settings.serving_db.parent.glob(f"{TMP_MARKER}*"))
        rc, out = run_cli(settings)
        assert rc == 0 and "serving database published" in out, out
        assert comparable(mart_counts(settings.serving_db)) == comparable(reference.counts)
    finally:
        runs.close()


@pytest.mark.slow
def test_sigkill_after_n_seconds_never_tears_anything(tmp_path: Path) -> None:
    """SIGKILL at many moments of forced full rebuilds; every state in between is whole."""
    runs = fresh_run(tmp_path / "timed")
    scenario = next(runs)
    try:
        _kill_at_many_moments(scenario)
    finally:
        runs.close()
        shutil.rmtree(tmp_path / "timed", ignore_errors=True)


def _kill_at_many_moments(scenario: Scenario) -> None:
    settings = scenario.settings
    complete = comparable(scenario.counts)
    outcomes = []
    for delay in (1, 3, 5, 8, 11, 14, 18, 22, 27, 33, 40):
        proc = start_cli(settings, "--force", output=settings.data_dir.parent / "run.txt")
        time.sleep(delay)
        killed = proc.poll() is None
        if killed:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=600)
        wait_for_children(settings)
        assert comparable(mart_counts(settings.serving_db)) == complete, delay
        assert_no_half_merge(settings.pipeline_db)
        outcomes.append((delay, "killed" if killed else f"finished rc={proc.returncode}"))
    rc, out = run_cli(settings, "--force")
    assert rc == 0, out
    assert comparable(mart_counts(settings.serving_db)) == complete
    assert not list(settings.serving_db.parent.glob(f"{TMP_MARKER}*"))
    print("\n" + ", ".join(f"{d}s: {o}" for d, o in outcomes))


def test_a_waiver_running_out_changes_the_fingerprint(tmp_path: Path) -> None:
    """The waiver file is unchanged, but its waiver ran out: the next run must rebuild, so the
    finding shows open again (int_finding_lifecycle)."""
    (tmp_path / "finding_waivers.csv").write_text(
        "finding_id,waived_by,waived_on,waived_until,note\n"
        "f1,me,2026-01-01,2026-03-31,why\n"
        "f2,me,2026-01-01,2026-12-31,\"a, b\"\n"
        "f3,me,2026-01-01,not a date,x\n"
    )
    assert build_state.waivers_in_force(tmp_path, date(2026, 3, 31)) == ["f1", "f2"]
    assert build_state.waivers_in_force(tmp_path, date(2026, 4, 1)) == ["f2"]
    assert build_state.waivers_in_force(tmp_path / "none", date(2026, 4, 1)) == []


def test_incremental_models_rebuild_from_scratch_after_an_unfinished_build() -> None:
    """build_state.full_refresh_reason: a failed, stopped or partial build may have advanced
    one incremental model and not the next, so the next build starts them from scratch."""
    con = duckdb.connect()
    assert build_state.full_refresh_reason(con, "d1") == "no build recorded"
    build_state.record(con, "run-1", "build_started")
    build_state.record(con, "run-1", "built", "fp", dbt_digest="d1")
    assert build_state.full_refresh_reason(con, "d1") is None
    assert "project changed" in build_state.full_refresh_reason(con, "d2")
    build_state.record(con, "run-2", "build_started")  # and never built: failed or a selection
    build_state.record(con, "run-3", "unchanged", "fp", ref_run_id="run-1")
    assert "did not finish" in build_state.full_refresh_reason(con, "d1")
    build_state.record(con, "run-4", "build_started")
    build_state.record(con, "run-4", "built", "fp", dbt_digest="d1")
    assert build_state.full_refresh_reason(con, "d1") is None
