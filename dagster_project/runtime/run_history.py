"""Dagster's run history on SQLite, with one database engine per file instead of one per event.

Dagster's own ``SqliteEventLogStorage`` creates a new SQLAlchemy engine and opens a new SQLite
connection for every write, and a run writes several per event (the run's file, then the
cross-run index). The job plans ~420 events before its first step (every asset and asset
check, the dbt tests included), so a run with nothing new spent ~3 of its ~7 s opening
connections (docs/performance.md). This subclass keeps one engine per file: the same files,
the same transactions (one per write), the same locking between processes (SQLite's own), so
the UI and the daemon read what the CLI writes exactly as before.

Its connections commit with ``synchronous = NORMAL``. Dagster keeps these files in WAL mode,
where NORMAL skips the disk flush of every commit (FULL, SQLite's default, does one): a
crashed process loses nothing and the file stays consistent whatever happens; only a power
loss may drop a run's last events. A new-day run at scale 100 writes ~1,300 events with
~3,500 commits, whose flushes took 2.8 s (0.8 ms each while the dbt build writes to the same
disk); without them the run took 66-69 s instead of 70-73 s (docs/performance.md).

``DAGSTER_HOME/dagster.yaml`` (written by :func:`prepare_dagster_home`) names this class, so
``make run``, ``make ui`` and the daemon all use it. Engines are kept for the few files written
last (a long-lived daemon writes one file per run), and disposed before `wipe` deletes files.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster._check as check
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine

from dagster_project.runtime.settings import Settings

# Files whose engine stays open: the index and the files of the runs written last.
KEPT_ENGINES = 4


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` that reuses one engine (and its pooled connection) per file."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                # Threads (the event watcher) take turns under _db_lock, never at once.
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                              "check_same_thread": False},
            )
            event.listen(engine, "connect", _commit_without_flush)
        self._engines[shard] = engine
        while len(self._engines) > KEPT_ENGINES:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            check.str_param(shard, "shard")
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _dispose_engines(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        self._dispose_engines()  # wipe deletes the run files: no connection may hold one
        super().wipe()

    def dispose(self) -> None:
        self._dispose_engines()
        super().dispose()


def _commit_without_flush(dbapi_connection: Any, _record: Any) -> None:
    """``synchronous = NORMAL`` on a new connection (see the module docstring)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


DAGSTER_YAML_MARKER = "# Written by plansignal"
DAGSTER_YAML_TEMPLATE = f"""\
{DAGSTER_YAML_MARKER}: local run history for `make run`, `make ui` and the tests.
# Remove the first line to keep your own edits; otherwise plansignal rewrites this file.
telemetry:
  enabled: false
# One pipeline run at a time for runs Dagster launches (schedule, sensor, UI); runs of
# `make run` take the same pipeline lock (dagster_project/runtime/run_lock.py).
run_queue:
  max_concurrent_runs: 1
# A run whose worker died is failed after 12 h at the latest, so it cannot hold the one-run
# queue forever; the next run that takes the pipeline lock fails it at once.
run_monitoring:
  enabled: true
  max_runtime_seconds: 43200
  max_resume_run_attempts: 0
# Dagster's SQLite run history (history/runs/, the same files), one connection per file
# instead of one per event (dagster_project/runtime/run_history.py).
event_log_storage:
  module: dagster_project.runtime.run_history
  class: PooledSqliteEventLogStorage
  config:
    base_dir: {{event_log_dir}}
"""


def dagster_yaml(dagster_home: Path) -> str:
    """The dagster.yaml plansignal writes into ``dagster_home``."""
    return DAGSTER_YAML_TEMPLATE.format(
        event_log_dir=json.dumps(str(dagster_home.resolve() / "history" / "runs"))
    )


def prepare_dagster_home(settings: Settings) -> None:
    """Write dagster.yaml into the Dagster home (unless it is someone else's) and point
    DAGSTER_HOME at it."""
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    config = settings.dagster_home / "dagster.yaml"
    current = config.read_text(encoding="utf-8") if config.exists() else None
    # Ours and out of date (or missing): rewrite. Someone else's: leave it alone.
    wanted = dagster_yaml(settings.dagster_home)
    if current is None or (current.startswith(DAGSTER_YAML_MARKER) and current != wanted):
        config.write_text(wanted, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
