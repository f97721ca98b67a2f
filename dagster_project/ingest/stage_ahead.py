"""Stage a table's next extract while the current one is validated and merged.

Reading a CSV and running the raw contract's queries each leave part of the cores idle: staging
a scale-100 history of eight receipt extracts one after the other used 1.4 of 2 cores. The next
extract is staged on its own connection to the same database as ``<relation>__next`` and
renamed to ``<relation>`` once the current extract has left it, so the contract always sees one
extract there; when the current extract is refused, the next one is discarded.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

import duckdb

Staged = TypeVar("Staged")


class StageAhead(Generic[Staged]):
    """``with StageAhead(con, "incoming.t") as ahead: ahead.start(stage); ...; ahead.take()``."""

    def __init__(self, con: duckdb.DuckDBPyConnection, relation: str) -> None:
        self.con, self.relation = con, relation
        self.next_relation = f"{relation}__next"
        self.pool: ThreadPoolExecutor | None = None
        self.pending: Future[Staged] | None = None

    def __enter__(self) -> StageAhead[Staged]:
        return self

    def start(self, stage: Callable[..., Staged]) -> None:
        """Run ``stage(con, relation=...)`` on a worker thread into the next relation."""
        self.pool = self.pool or ThreadPoolExecutor(max_workers=1, thread_name_prefix="stage")
        self.pending = self.pool.submit(self._stage, stage)

    def _stage(self, stage: Callable[..., Staged]) -> Staged:
        cursor = self.con.cursor()  # a DuckDB connection is not shared between threads
        try:
            return stage(cursor, relation=self.next_relation)
        finally:
            cursor.close()

    def take(self) -> Staged:
        """The next extract, now in ``relation``; its staging error is raised here, in order."""
        assert self.pending is not None, "start() first"
        pending, self.pending = self.pending, None
        staged = pending.result()
        self.con.execute(f"drop table if exists {self.relation}")
        self.con.execute(
            f"alter table {self.next_relation} rename to {self.relation.rsplit('.', 1)[-1]}"
        )
        return staged

    def __exit__(self, *_: object) -> None:
        # A refused extract or an error: let the next one's staging end, then drop it.
        if self.pending is not None:
            self.pending.exception()
            self.pending = None
        if self.pool is not None:
            self.pool.shutdown(wait=True)
        self.con.execute(f"drop table if exists {self.next_relation}")
