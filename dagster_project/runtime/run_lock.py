"""One pipeline run at a time: an ``flock`` on a lock file beside the pipeline database.

Why ``flock``: the kernel drops it when the holding process dies, even by SIGKILL, so a crashed
run never leaves a stale lock behind and nobody has to delete anything by hand. The file's
content records who holds it (pid, Dagster run id, start time, the dbt processes the run
started); a refused run names the holder, and the next run reads what a crashed one left to
clean up after it (see :mod:`dagster_project.warehouse.recovery`).

The lock is re-entrant within a process: ``python -m dagster_project.cli run`` takes it before
starting Dagster, and the ``warehouse`` resource takes it again inside the run (that is how runs
launched from ``dagster dev`` are serialised with CLI runs); the second acquisition in the same
process only adds a reference.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psutil

LOCK_SUFFIX = ".lock"
POLL_SECONDS = 0.5


class PipelineBusy(Exception):
    """Another process holds the pipeline lock; the message is one line for the user."""


@dataclass
class Holder:
    """What the lock file says about the process that holds (or last held) the lock."""

    pid: int
    started_at: str
    command: str
    run_id: str | None = None
    # (pid, create_time) of child processes (dbt) that must not outlive a crashed holder
    children: list[tuple[int, float]] = field(default_factory=list)
    released: bool = False

    def describe(self) -> str:
        run = f", Dagster run {self.run_id}" if self.run_id else ""
        return f"pid {self.pid}{run}, started {self.started_at}"

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        try:
            data = json.loads(text)
            data["children"] = [tuple(c) for c in data.get("children", [])]
            return cls(**data)
        except (ValueError, TypeError):
            return None  # empty or half-written by a process killed mid-write


def lock_path_for(pipeline_db: Path) -> Path:
    return pipeline_db.with_name(pipeline_db.name + LOCK_SUFFIX)


def read_holder(lock_path: Path) -> Holder | None:
    try:
        return Holder.parse(lock_path.read_text(encoding="utf-8"))
    except OSError:
        return None


_registry_guard = threading.Lock()
_held: dict[Path, PipelineLock] = {}


def held_lock(lock_path: Path) -> PipelineLock | None:
    """The lock this process holds on ``lock_path``, if any."""
    return _held.get(lock_path.resolve())


class PipelineLock:
    """An exclusive, process-wide, re-entrant lock; see the module docstring."""

    def __init__(self, lock_path: Path) -> None:
        self.path = lock_path.resolve()
        self._fd: int | None = None
        self._depth = 0
        self.holder: Holder | None = None
        # What the file said when this process took the lock: a holder that never released it
        # crashed, and whatever it started may still run.
        self.previous: Holder | None = None
        self.recovered = False

    @classmethod
    def acquire(
        cls,
        lock_path: Path,
        wait_seconds: float = 0.0,
        on_wait: Callable[[Holder | None], None] | None = None,
        command: str | None = None,
    ) -> PipelineLock:
        """Take the lock, waiting up to ``wait_seconds``; raise PipelineBusy if still held."""
        with _registry_guard:
            existing = _held.get(lock_path.resolve())
            if existing is not None:
                existing._depth += 1
                return existing
        lock = cls(lock_path)
        lock._take(wait_seconds, on_wait, command or " ".join(sys.argv) or "python")
        with _registry_guard:
            _held[lock.path] = lock
        return lock

    def _take(
        self,
        wait_seconds: float,
        on_wait: Callable[[Holder | None], None] | None,
        command: str,
    ) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        deadline = time.monotonic() + max(wait_seconds, 0.0)
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = read_holder(self.path)
                if time.monotonic() >= deadline:
                    os.close(fd)
                    who = holder.describe() if holder else "another process"
                    waited = f" after waiting {wait_seconds:.0f} s" if wait_seconds else ""
                    raise PipelineBusy(
                        f"another pipeline run is in progress ({who}; lock "
                        f"{self.path}){waited}"
                    ) from None
                if on_wait is not None and not told:
                    on_wait(holder)
                    told = True
                time.sleep(POLL_SECONDS)
        self._fd = fd
        self._depth = 1
        self.previous = Holder.parse(os.pread(fd, 1 << 20, 0).decode("utf-8", "replace"))
        self.holder = Holder(
            pid=os.getpid(),
            started_at=datetime.now(UTC).isoformat(timespec="seconds"),
            command=command[:300],
        )
        self._write()

    @property
    def crashed_holder(self) -> Holder | None:
        """The previous holder if it died holding the lock (it never marked itself released)."""
        prev = self.previous
        if prev is None or prev.released or prev.pid == os.getpid():
            return None
        return prev

    def _write(self) -> None:
        if self._fd is None or self.holder is None:
            return
        data = json.dumps(asdict(self.holder)).encode("utf-8")
        # One small pwrite, then truncate: a reader sees old or new JSON, or (rarely) junk that
        # Holder.parse turns into "unknown holder"; never a lock problem.
        os.pwrite(self._fd, data, 0)
        os.ftruncate(self._fd, len(data))

    def set_run_id(self, run_id: str) -> None:
        if self.holder is not None:
            self.holder.run_id = run_id
            self._write()

    def add_child(self, pid: int) -> None:
        """Record a child process (dbt) so that the next run can stop it if this one crashes."""
        if self.holder is None:
            return
        with contextlib.suppress(psutil.Error):
            self.holder.children.append((pid, psutil.Process(pid).create_time()))
            self._write()

    def release(self) -> None:
        """Drop one reference; the last one marks the file released and unlocks it."""
        with _registry_guard:
            self._depth -= 1
            if self._depth > 0:
                return
            _held.pop(self.path, None)
        if self._fd is None:
            return
        if self.holder is not None:
            self.holder.released = True
            self.holder.children = []
            self._write()
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> PipelineLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
