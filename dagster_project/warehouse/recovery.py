"""Recovery at the start of every run: whatever a killed run left behind is cleaned up here.

What a run killed at any point (SIGKILL, power loss) can leave, and why each is harmless:

- the pipeline lock: an ``flock``, dropped by the kernel with the process;
- a dbt process it started, still writing the pipeline database: stopped here (the lock file
  names it, with its start time so a reused pid is never touched);
- a staged extract that was never merged: it lived in the in-memory ``incoming`` database of
  the killed process and died with it (the merge and its load-log entry are one transaction,
  so raw holds all of an extract or none);
- ``.publishing-planning.duckdb.*``: a serving file that was never renamed into place (the
  rename is the only step analysts can see); deleted here;
- transcoded copies of non-UTF-8 extracts in the ingest work folder; deleted here;
- a Dagster run left in STARTED; marked failed by the ``warehouse`` resource.

The half-built dbt relations need nothing: the next build rebuilds them, because the build
fingerprint (:mod:`dagster_project.warehouse.build_state`) is recorded only after a publish.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import psutil

from dagster_project.runtime.run_lock import Holder
from dagster_project.warehouse.publish import remove_leftovers

STOP_TIMEOUT_SECONDS = 15.0


def stop_orphans(holder: Holder) -> list[str]:
    """Stop the child processes a crashed holder recorded; return one line per process stopped."""
    procs: list[psutil.Process] = []
    for pid, create_time in holder.children:
        try:
            proc = psutil.Process(pid)
            if abs(proc.create_time() - create_time) > 0.5:
                continue  # the pid was reused by an unrelated process
            procs.append(proc)
        except psutil.Error:
            continue
    lines = []
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            lines.append(
                f"stopped pid {proc.pid} ({' '.join(proc.cmdline()[:3])}) left running by "
                f"crashed run (pid {holder.pid})"
            )
            proc.terminate()
    _, alive = psutil.wait_procs(procs, timeout=STOP_TIMEOUT_SECONDS)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(alive, timeout=STOP_TIMEOUT_SECONDS)
    return lines


def clear_work_dir(work_dir: Path) -> list[str]:
    if not work_dir.is_dir():
        return []
    lines = []
    for entry in work_dir.iterdir():
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        lines.append(f"removed leftover work file {entry}")
    return lines


def recover(serving_db: Path, work_dir: Path, crashed: Holder | None) -> list[str]:
    """Make the warehouse consistent for a new run; return what was done, one line each."""
    lines: list[str] = []
    if crashed is not None:
        lines.append(f"previous run ({crashed.describe()}) ended without releasing the lock")
        lines += stop_orphans(crashed)
    lines += [f"removed unfinished publish file {p}" for p in remove_leftovers(serving_db)]
    lines += clear_work_dir(work_dir)
    return lines
