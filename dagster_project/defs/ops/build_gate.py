"""The dbt step's "nothing changed -> skip" gate (fingerprint in warehouse/build_state.py).

When the inputs of the dbt build equal those of the last published build and the serving file
is still the one that build published, the dbt step yields nothing. Its outputs are optional
(dagster-dbt marks dbt asset specs skippable), so Dagster skips every step downstream of them:
the dbt tests, the mart contracts, publishing and the site. The run still succeeds.

A subset of the dbt models (selected in the UI) always builds and records only that it started
(so the next whole build starts the incremental models from scratch, below); the run tag
``plansignal/force=true`` (``plansignal run --force``) builds even when nothing changed, and
from scratch (below).

The large facts are dbt incremental models (dbt/macros/incremental.sql). They keep rows from
build to build, so when any file of the dbt project changed since the last successful build
(a model, macro, seed or var may change rows no new extract touches), or no build recorded
which files it was made from, or the last build did not finish (failed, stopped, or built
only selected models: one incremental model may have advanced without the next), or the run
is forced, the gate adds ``--full-refresh``: everything is rebuilt.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliInvocation

from dagster_project.resources import Warehouse
from dagster_project.runtime.faults import crash_point
from dagster_project.runtime.settings import DBT_PROJECT_DIR, EXPECTATIONS_DIR, get_settings
from dagster_project.warehouse import build_state

FORCE_TAG = "plansignal/force"
DBT_STEP = "plansignal_dbt_models"


# Dagster's warning for each blocking check whose step emitted no result; when nothing changed
# the dbt step (dbt tests) and the mart contract steps emit none by design.
_SKIPPED_CHECK_WARNING = re.compile(
    rf"emitted no result in step '({DBT_STEP}|marts__\w+_contract)'"
)


class _SkippedChecksFilter(logging.Filter):
    """Keep those warnings (a dozen lines per run) out of the terminal."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not _SKIPPED_CHECK_WARNING.search(record.getMessage())


logging.getLogger("dagster._core.execution.plan.active").addFilter(_SkippedChecksFilter())


@dataclass
class BuildGate:
    context: dg.AssetExecutionContext
    warehouse: Warehouse
    fingerprint: str | None  # None: a subset build, not recorded
    unchanged_since: build_state.Published | None
    dbt_digest: str | None = None
    full_refresh: bool = False

    def dbt_args(self, args: Sequence[str]) -> list[str]:
        """The dbt command line: ``args``, plus --full-refresh when open_build_gate decided so."""
        return [*args, "--full-refresh"] if self.full_refresh else list(args)

    @property
    def unchanged(self) -> bool:
        return self.unchanged_since is not None

    def stream(self, invocation: DbtCliInvocation) -> Iterator[Any]:
        """dbt's events; the dbt process is registered with the run lock for crash recovery."""
        self.warehouse.register_child(invocation.process.pid)
        for count, event in enumerate(invocation.stream(), start=1):
            yield event
            if count == 1:
                crash_point("dbt.running")
        # stream() raises when dbt fails, so here the build succeeded.
        if self.fingerprint is not None:
            with self.warehouse.connect() as con:
                build_state.record(con, self.context.run_id, "built", self.fingerprint,
                                   dbt_digest=self.dbt_digest)


def open_build_gate(
    context: dg.AssetExecutionContext, warehouse: Warehouse, dbt_args: Sequence[str]
) -> BuildGate:
    """Decide, on one connection, whether dbt builds (and from scratch) and record it.

    A selection of models always builds and records no fingerprint; a whole build with the
    inputs of the last published one records ``unchanged``; any build records
    ``build_started`` first (build_state.full_refresh_reason).
    """
    force = context.run.tags.get(FORCE_TAG, "").lower() == "true"
    digest = build_state.dbt_project_digest(DBT_PROJECT_DIR)
    current: str | None = None
    last: build_state.Published | None = None
    with warehouse.connect() as con:
        reason = "the run was forced" if force else build_state.full_refresh_reason(con, digest)
        if not context.is_subset:
            current = build_state.fingerprint(
                con, DBT_PROJECT_DIR, EXPECTATIONS_DIR, dbt_args, get_settings().decisions_dir
            )
            if not force:
                last = build_state.unchanged_since(con, current, warehouse.serving_path)
        if last is not None:
            build_state.record(con, context.run_id, "unchanged", current, ref_run_id=last.run_id)
        else:
            build_state.record(con, context.run_id, "build_started")
    if last is not None:
        context.log.info(
            f"nothing new since run {last.run_id} (published {last.at:%Y-%m-%d %H:%M} UTC): "
            "no dbt build, mart contracts, publish or site; serving database unchanged"
        )
    elif reason is not None:
        context.log.info(f"incremental models rebuilt from scratch (--full-refresh): {reason}")
    if context.is_subset:
        return BuildGate(context, warehouse, None, None, None, reason is not None)
    return BuildGate(context, warehouse, current, last, digest, reason is not None)
