"""Progress of a pipeline run on the terminal: each stage as it finishes, with elapsed time.

`RunProgress` listens to the run's Dagster events (``DagsterInstance.add_event_listener``,
called in the run's own thread for every event) and prints:

- ingest: per landing table, the extracts merged, rows and rows/s;
- dbt: models built so far of all (a live bar on a terminal), then the build's time;
- contracts: each suite's result as it is evaluated;
- publish and site: when they finish.

On a terminal it draws with rich (a live bar for the dbt build); when the output is not a
terminal (cron, CI, a pipe) every line is plain text with its elapsed time. ``quiet`` prints
nothing. The run summary that follows is printed by the CLI either way.
"""

from __future__ import annotations

import contextlib
import time
from typing import IO, Any

import dagster as dg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dagster_project.defs.contracts.results import CONTRACT_CHECK

DBT_STEP = "plansignal_dbt_models"  # the op of the dbt multi-asset (defs/dbt/assets.py)
STEP_NAMES = {"serving__planning_db": "publish", "site__governance_site": "site"}


class RunProgress:
    """Prints a run's stages as its events arrive; `attach` it before the run starts."""

    def __init__(self, out: IO[str], dbt_models: int, quiet: bool = False) -> None:
        self.console = Console(file=out, highlight=False, soft_wrap=True)
        self.quiet = quiet
        self.fancy = self.console.is_terminal and not quiet
        self.dbt_models = dbt_models
        self.dbt_done = 0
        self.started = time.monotonic()
        self.step_rows: dict[str, tuple[int, int]] = {}  # step -> (files, rows) loaded
        self.step_contract: dict[str, str] = {}  # raw step -> its contract's result
        self._bar: Progress | None = None
        self._bar_task: Any = None

    def attach(self, instance: dg.DagsterInstance, run_id: str) -> None:
        if not self.quiet:
            instance.add_event_listener(run_id, self.on_event)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    # --- output ----------------------------------------------------------------------------

    def line(self, text: str) -> None:
        elapsed = time.monotonic() - self.started
        if self.fancy:
            self.console.print(f"[dim]{elapsed:6.1f}s[/dim]  {text}", markup=True)
        else:
            self.console.print(f"{elapsed:6.1f}s  {text}", markup=False)

    def _dbt_advance(self) -> None:
        self.dbt_done += 1
        if self.fancy:
            if self._bar is None:
                self._bar = Progress(
                    TextColumn("        dbt build"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("models"), TimeElapsedColumn(), console=self.console,
                    transient=True,
                )
                self._bar_task = self._bar.add_task("dbt", total=self.dbt_models)
                self._bar.start()
            self._bar.update(self._bar_task, completed=self.dbt_done)
        elif self.dbt_done % 25 == 0:
            self.line(f"dbt build: {self.dbt_done}/{self.dbt_models} models")

    # --- events ----------------------------------------------------------------------------

    def on_event(self, entry: dg.EventLogEntry) -> None:
        event = entry.dagster_event
        if event is None:
            return
        with contextlib.suppress(Exception):  # progress must never break a run
            self._handle(event)

    def _handle(self, event: dg.DagsterEvent) -> None:
        step = event.step_key or ""
        kind = event.event_type_value
        if kind == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            key = materialization.asset_key.path
            metadata = materialization.metadata
            if step == DBT_STEP:
                self._dbt_advance()
            elif key[0] == "raw" and "rows_loaded" in metadata:
                self.step_rows[step] = (
                    int(metadata["files_loaded"].value), int(metadata["rows_loaded"].value)
                )
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if evaluation.check_name == CONTRACT_CHECK:
                result = "passed" if evaluation.passed else (
                    f"FAILED ({evaluation.severity.value})")
                # Said when its step ends, with the step's time (a raw table's with its ingest).
                self.step_contract[step] = (
                    result if step in self.step_rows
                    else f"contract {evaluation.asset_key.to_user_string()}: {result}"
                )
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            seconds = event.event_specific_data.duration_ms / 1000 if kind == "STEP_SUCCESS" \
                else None
            self._step_done(step, seconds, failed=kind == "STEP_FAILURE")

    def _step_done(self, step: str, seconds: float | None, failed: bool) -> None:
        took = f" in {seconds:.1f} s" if seconds is not None else ""
        if step == DBT_STEP:
            self.close()
            verb = "FAILED" if failed else f"{self.dbt_done}/{self.dbt_models} models built"
            self.line(f"dbt build: {verb}{took}")
        elif step in self.step_rows:
            files, rows = self.step_rows[step]
            rate = f", {rows / seconds:,.0f} rows/s" if seconds and rows else ""
            table = step.removeprefix("raw__")
            what = f"{files} new extract(s), {rows:,} rows{rate}" if files else "nothing new"
            contract = self.step_contract.get(step)
            checked = f", contract {contract}" if files and contract else ""
            self.line(f"ingest {table}: {what}{took}{checked}")
        elif step in self.step_contract:
            self.line(f"{self.step_contract[step]}{took}")
        elif failed:
            self.line(f"{STEP_NAMES.get(step, step)}: FAILED")
        else:
            self.line(f"{STEP_NAMES.get(step, step)}: done{took}")
