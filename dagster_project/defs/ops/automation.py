"""Unattended operation: a daily schedule, a new-extract sensor and a run watchdog.

All three run in the Dagster daemon of ``make ui`` (``dagster dev``) and are on by default
(toggle them in the UI; the toggle is kept in the instance under DAGSTER_HOME).

- ``daily_full_pipeline``: the full job every day (``PLANSIGNAL_DAILY_CRON``, default 06:00,
  in ``PLANSIGNAL_TIMEZONE``, default UTC). A day without new extracts costs a few seconds: raw
  ingestion skips loaded files and the dbt build gate skips the rest.
- ``new_extract_sensor``: starts the job when a landing file appears, changes or goes (removing
  a refused extract lets those that waited behind it load). It compares
  each file's (size, mtime) against the listing it saw last, kept as the sensor's cursor in
  Dagster; it never opens the DuckDB files, which a run may hold for writing. A file modified
  less than ``PLANSIGNAL_SETTLE_SECONDS`` (default 60) ago is taken to be still copying and the
  sensor waits for it; copy extracts in under a dot-name and rename them to be safe anyway.
  The first tick (empty cursor) starts one run, to catch up with whatever landed while the
  daemon was down; when that finds nothing new it is cheap.
- ``pipeline_watchdog``: when a run's process died holding the pipeline lock (killed, OOM),
  stops the dbt process it left and marks the run failed, so the one-run queue moves on
  without waiting for the next run to do the same.

Runs the daemon launches queue one at a time (``run_queue`` in DAGSTER_HOME/dagster.yaml), and
every run takes the pipeline lock, so they never overlap with ``make run`` either.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import dagster as dg

from dagster_project.resources import fail_dead_run
from dagster_project.runtime.run_lock import PipelineBusy, PipelineLock, lock_path_for, read_holder
from dagster_project.runtime.settings import Settings
from dagster_project.warehouse.recovery import stop_orphans

DAILY_CRON = os.environ.get("PLANSIGNAL_DAILY_CRON", "0 6 * * *")
TIMEZONE = os.environ.get("PLANSIGNAL_TIMEZONE", "UTC")
SETTLE_SECONDS = float(os.environ.get("PLANSIGNAL_SETTLE_SECONDS", "60"))
SENSOR_INTERVAL_SECONDS = 30
WATCHDOG_INTERVAL_SECONDS = 60
TRIGGER_TAG = "plansignal/trigger"
MAX_FILES_IN_TAG = 10

Listing = dict[str, tuple[int, int]]  # landing-relative path -> (size, mtime_ns)


def landing_listing(landing_dir: Path) -> Listing:
    """Every file in the table folders (dot-names excluded), with its size and mtime.

    Unknown folders and unsupported files count too: the run they start fails with a message
    that names them, which is better than silence.
    """
    listing: Listing = {}
    for folder in sorted(landing_dir.iterdir()):
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") or not path.is_file():
                continue
            stat = path.stat()
            listing[f"{folder.name}/{path.name}"] = (stat.st_size, stat.st_mtime_ns)
    return listing


def _parse_cursor(cursor: str | None) -> Listing | None:
    if not cursor:
        return None
    try:
        return {k: (int(v[0]), int(v[1])) for k, v in json.loads(cursor).items()}
    except (ValueError, TypeError, KeyError, IndexError):
        return None  # a cursor from an older format: start over, like a first tick


def evaluate_landing(
    landing_dir: Path, cursor: str | None, now: float, settle_seconds: float = SETTLE_SECONDS
) -> dg.SensorResult | dg.SkipReason:
    """The sensor's decision, as a plain function of the folder, the cursor and the time."""
    try:
        listing = landing_listing(landing_dir)
    except OSError as exc:
        return dg.SkipReason(f"{landing_dir}: landing folder not readable ({exc.strerror})")
    previous = _parse_cursor(cursor)
    changed = [rel for rel, stat in listing.items() if previous is None or
               previous.get(rel) != stat]
    # A removed file starts a run too: removing a refused extract lets the extracts that
    # waited behind it load.
    removed = sorted(set(previous or {}) - set(listing))
    new_cursor = json.dumps(listing, sort_keys=True)
    if not changed and not removed:
        return dg.SkipReason("no new, changed or removed extract")
    settling = [rel for rel in changed if now - listing[rel][1] / 1e9 < settle_seconds]
    if settling:
        return dg.SkipReason(
            f"waiting for {len(settling)} file(s) still being written to settle "
            f"({settle_seconds:.0f} s without change), e.g. {settling[0]}"
        )
    run_key = hashlib.sha256(new_cursor.encode("utf-8")).hexdigest()[:20]
    named = changed + [f"{rel} (removed)" for rel in removed]
    files = ", ".join(named[:MAX_FILES_IN_TAG]) + (" ..." if len(named) > MAX_FILES_IN_TAG
                                                    else "")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=run_key,
                tags={TRIGGER_TAG: "new_extract", "plansignal/new_files": files},
            )
        ],
        cursor=new_cursor,
    )


def check_dead_run(instance: dg.DagsterInstance, lock_path: Path) -> str:
    """Fail the run whose process died holding the lock; return what was done (one line)."""
    holder = read_holder(lock_path)
    if holder is None or holder.released:
        return "no run holds the pipeline lock"
    try:
        lock = PipelineLock.acquire(lock_path, wait_seconds=0, command="pipeline_watchdog")
    except PipelineBusy:
        return f"pipeline run in progress ({holder.describe()})"
    try:
        crashed = lock.crashed_holder
        if crashed is None:
            return "no dead run"
        stopped = stop_orphans(crashed)
        failed = (f"; marked run {crashed.run_id} failed"
                  if fail_dead_run(instance, crashed, "found by pipeline_watchdog") else "")
        # Releasing marks the record handled; the next run still clears leftover files (it
        # always does).
        return f"run process pid {crashed.pid} died; stopped {len(stopped)} process(es){failed}"
    finally:
        lock.release()


def build_automation(
    job: dg.UnresolvedAssetJobDefinition, settings: Settings
) -> tuple[list[dg.ScheduleDefinition], list[dg.SensorDefinition]]:
    daily = dg.ScheduleDefinition(
        name="daily_full_pipeline",
        job=job,
        cron_schedule=DAILY_CRON,
        execution_timezone=TIMEZONE,
        tags={TRIGGER_TAG: "schedule"},
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="The full pipeline once a day; cheap when nothing new landed.",
    )

    @dg.sensor(
        name="new_extract_sensor",
        job=job,
        minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Starts the full pipeline when a landing file appears, changes or goes "
        "(size, mtime); the cursor is the last listing seen.",
    )
    def new_extract_sensor(
        context: dg.SensorEvaluationContext,
    ) -> dg.SensorResult | dg.SkipReason:
        return evaluate_landing(settings.landing_dir, context.cursor, time.time())

    @dg.sensor(
        name="pipeline_watchdog",
        minimum_interval_seconds=WATCHDOG_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Fails a run whose process died holding the pipeline lock and stops the "
        "dbt process it left, so the one-run queue moves on.",
    )
    def pipeline_watchdog(context: dg.SensorEvaluationContext) -> dg.SkipReason:
        return dg.SkipReason(
            check_dead_run(context.instance, lock_path_for(settings.pipeline_db))
        )

    return [daily], [new_extract_sensor, pipeline_watchdog]
