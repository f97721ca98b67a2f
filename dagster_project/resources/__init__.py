"""Dagster resources shared by every layer of definitions.

Owns ``Warehouse`` (the paths of a run, read-write connections to the pipeline database, the
pipeline lock taken when a run starts, recovery after a killed run) and failing a Dagster run
whose process died; ``resources/dbt.py`` is the one way the project runs dbt (the Dagster dbt
resource, also used outside Dagster by the manifest parse and the tests). May import
``runtime`` and ``warehouse``; ``defs/`` builds on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from dagster_project.runtime.run_lock import (
    Holder,
    PipelineLock,
    held_lock,
    lock_path_for,
)
from dagster_project.runtime.settings import (
    DEFAULT_DUCKDB_MEMORY_LIMIT,
    Settings,
    get_settings,
)
from dagster_project.warehouse.recovery import recover

# How long a run launched by Dagster (schedule, sensor, UI) waits for a CLI run to finish.
DEFAULT_LOCK_WAIT_SECONDS = 3 * 3600


class Warehouse(dg.ConfigurableResource):
    """Where the pipeline reads and writes: landing folder, DuckDB files, site folder.

    Defaults come from :mod:`dagster_project.runtime.settings` (environment variables); the
    pipeline is the only writer of ``pipeline_db`` and never writes into ``serving_db`` in place.

    It is also the run's guard: every step uses it, so Dagster sets it up once when a run
    starts and tears it down when the run ends. Set-up takes the pipeline lock (one run at a
    time, whether started by ``make run``, a schedule, a sensor or the UI; see
    :mod:`dagster_project.runtime.run_lock`) and cleans up after a crashed run
    (:mod:`dagster_project.warehouse.recovery`).
    """

    landing_dir: str
    pipeline_db: str
    serving_db: str
    site_dir: str
    truth_dir: str
    lock_wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS
    # A landing table whose newest extract is older is stale (ingest/freshness.py).
    extract_max_age_days: float = 7.0
    # What `plansignal export` writes; the site links its files as downloads.
    planner_exports_dir: str = ""
    # DuckDB's memory_limit for the pipeline's connections (settings.py).
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT

    _lock: PipelineLock | None = PrivateAttr(default=None)

    @classmethod
    def from_settings(
        cls, settings: Settings | None = None, lock_wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS
    ) -> Warehouse:
        settings = settings or get_settings()
        return cls(
            landing_dir=str(settings.landing_dir),
            pipeline_db=str(settings.pipeline_db),
            serving_db=str(settings.serving_db),
            extract_max_age_days=settings.extract_max_age_days,
            planner_exports_dir=str(settings.planner_exports_dir),
            duckdb_memory_limit=settings.duckdb_memory_limit,
            site_dir=str(settings.site_dir),
            truth_dir=str(settings.truth_dir),
            lock_wait_seconds=lock_wait_seconds,
        )

    @property
    def landing_path(self) -> Path:
        return Path(self.landing_dir)

    @property
    def pipeline_path(self) -> Path:
        return Path(self.pipeline_db)

    @property
    def serving_path(self) -> Path:
        return Path(self.serving_db)

    @property
    def site_path(self) -> Path:
        return Path(self.site_dir)

    @property
    def lock_path(self) -> Path:
        return lock_path_for(self.pipeline_path)

    @property
    def work_path(self) -> Path:
        """Scratch files of a run (transcoded extracts); emptied when a run starts."""
        return self.pipeline_path.parent / "work"

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        def waiting(holder: Holder | None) -> None:
            who = holder.describe() if holder else "another process"
            context.log.warning(f"waiting for the pipeline lock held by {who}")

        # PipelineBusy, if raised, fails the run before any step starts; its message names the
        # holder.
        lock = PipelineLock.acquire(
            self.lock_path, wait_seconds=self.lock_wait_seconds, on_wait=waiting
        )
        self._lock = lock
        if context.run_id:
            lock.set_run_id(context.run_id)
        if lock.recovered:
            return  # re-entrant acquisition within the same run
        lock.recovered = True
        crashed = lock.crashed_holder
        for line in recover(self.serving_path, self.work_path, crashed):
            context.log.warning(f"recovery: {line}")
        if crashed is not None and crashed.run_id != context.run_id and context.instance:
            fail_dead_run(context.instance, crashed, f"cleaned up by run {context.run_id}")

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def register_child(self, pid: int) -> None:
        """A process (dbt) the next run must stop if this run dies before it does."""
        # Through the process registry: the resource object a step gets need not be the one
        # Dagster set up.
        lock = held_lock(self.lock_path)
        if lock is not None:
            lock.add_child(pid)

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection to the pipeline database, closed on exit.

        Connections are short-lived because dbt, a separate process, writes the same file.
        """
        self.pipeline_path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(
            str(self.pipeline_path), config={"memory_limit": self.duckdb_memory_limit}
        )
        try:
            yield con
        finally:
            con.close()


def fail_dead_run(instance: dg.DagsterInstance, crashed: Holder, found_by: str) -> bool:
    """Mark the run that died holding the lock as failed, so run history does not show it
    STARTED forever (and, for runs the daemon launched, so it stops counting against the
    one-run queue). Used at run start and by the watchdog; True when a run was marked."""
    if not crashed.run_id:
        return False
    run = instance.get_run_by_id(crashed.run_id)
    if run is None or run.is_finished:
        return False
    instance.report_run_failed(
        run,
        message=f"the run's process (pid {crashed.pid}) died holding the pipeline lock; "
        f"{found_by}",
    )
    return True
