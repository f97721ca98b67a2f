"""Command line: run the whole pipeline headless and print what it produced.

    python -m dagster_project.cli run [--verbose] [--wait] [--force]   # what `make run` calls
    python -m dagster_project.cli site              # rewrite the governance site only
    python -m dagster_project.cli init-home         # write DAGSTER_HOME/dagster.yaml (make ui)

Exit status 0 when the run succeeded (or found nothing new), 1 when an ERROR contract failed or
a step failed; the site is written either way, so a failed run can be reviewed there. Exit
status 75 when another pipeline run holds the lock (``--wait`` queues behind it instead).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.defs.contracts.results import CONTRACT_CHECK
from dagster_project.defs.ops.build_gate import FORCE_TAG
from dagster_project.lib.build_state import run_outcome
from dagster_project.lib.run_lock import Holder, PipelineBusy, PipelineLock, lock_path_for
from dagster_project.settings import Settings, get_settings

DAGSTER_YAML_MARKER = "# Written by plansignal"
DAGSTER_YAML = f"""\
{DAGSTER_YAML_MARKER}: local run history for `make run`, `make ui` and the tests.
# Remove the first line to keep your own edits; otherwise plansignal rewrites this file.
telemetry:
  enabled: false
# One pipeline run at a time for runs Dagster launches (schedule, sensor, UI); runs of
# `make run` take the same pipeline lock (dagster_project/lib/run_lock.py).
run_queue:
  max_concurrent_runs: 1
# A run whose worker died is failed after 12 h at the latest, so it cannot hold the one-run
# queue forever; the next run that takes the pipeline lock fails it at once.
run_monitoring:
  enabled: true
  max_runtime_seconds: 43200
  max_resume_run_attempts: 0
"""
EXIT_BUSY = 75  # EX_TEMPFAIL: another run holds the pipeline lock; try again later


@dataclass
class RunReport:
    run_id: str
    success: bool
    published: bool
    step_failures: list[str] = field(default_factory=list)
    check_lines: list[str] = field(default_factory=list)
    dbt_tests_passed: int = 0
    dbt_tests_failed: list[str] = field(default_factory=list)
    blocking_failures: list[str] = field(default_factory=list)
    mart_rows: dict[str, int] = field(default_factory=dict)
    # Nothing new: the run whose publish is still served (dbt, contracts, publish skipped).
    unchanged_since: str | None = None

    @property
    def exit_code(self) -> int:
        return 0 if self.success and not self.blocking_failures and not self.step_failures else 1


def prepare_dagster_home(settings: Settings) -> None:
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    config = settings.dagster_home / "dagster.yaml"
    current = config.read_text(encoding="utf-8") if config.exists() else None
    # Ours and out of date (or missing): rewrite. Someone else's: leave it alone.
    if current is None or (current.startswith(DAGSTER_YAML_MARKER) and current != DAGSTER_YAML):
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)


def _failure_message(event: dg.DagsterEvent) -> str:
    data = event.step_failure_data
    if data.user_failure_data and data.user_failure_data.description:
        return data.user_failure_data.description
    if data.error is not None:
        cause = data.error.cause or data.error
        lines = (cause.message or data.error.message).strip().splitlines()
        return lines[0] if lines else "step failed"
    return "step failed"


def run_log_path(settings: Settings) -> Path:
    return settings.warehouse_dir / "logs" / "last_run.log"


def _tell_waiting(holder: Holder | None) -> None:
    who = holder.describe() if holder else "another process"
    print(f"plansignal: waiting for the running pipeline ({who}) to finish", file=sys.stderr)


def run_pipeline(
    settings: Settings | None = None,
    log_level: str = "WARNING",
    quiet_dbt: bool = True,
    wait: bool = False,
    force: bool = False,
) -> RunReport:
    """Execute the full pipeline job in this process, recorded in the Dagster instance.

    dagster-dbt echoes every dbt event to stdout; with ``quiet_dbt`` that goes to the run log
    (``<warehouse>/logs/last_run.log``) so the terminal keeps to the summary.

    Takes the pipeline lock first: raises PipelineBusy when another run holds it, unless
    ``wait``. ``force`` rebuilds dbt even when nothing changed since the last publish.
    """
    settings = settings or get_settings()
    lock = PipelineLock.acquire(
        lock_path_for(settings.pipeline_db),
        wait_seconds=float("inf") if wait else 0.0,
        on_wait=_tell_waiting,
    )
    try:
        return _run_locked(settings, log_level, quiet_dbt, force)
    finally:
        lock.release()


def _run_locked(settings: Settings, log_level: str, quiet_dbt: bool, force: bool) -> RunReport:
    prepare_dagster_home(settings)
    from dagster_project.definitions import FULL_PIPELINE, build_defs
    from dagster_project.defs.publish.assets import SERVING_KEY

    defs = build_defs(settings)
    job = defs.resolve_job_def(FULL_PIPELINE)
    log_path = run_log_path(settings)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        if quiet_dbt:
            log_file = stack.enter_context(log_path.open("w", encoding="utf-8"))
            stack.enter_context(contextlib.redirect_stdout(log_file))
        instance = stack.enter_context(dg.DagsterInstance.get())
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
            tags={FORCE_TAG: "true"} if force else None,
        )
    report = RunReport(run_id=result.run_id, success=result.success, published=False)
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        if error is not None and error.cls_name == "DagsterAssetCheckFailedError":
            continue  # a failed blocking contract: reported below with its expectations
        report.step_failures.append(f"{event.step_key}: {_failure_message(event)}")
    for evaluation in result.get_asset_check_evaluations():
        key = evaluation.asset_key.to_user_string()
        status = "passed" if evaluation.passed else f"FAILED ({evaluation.severity.value})"
        if evaluation.check_name != CONTRACT_CHECK:
            # dbt tests arrive as asset checks too; the summary counts them.
            if evaluation.passed:
                report.dbt_tests_passed += 1
            else:
                report.dbt_tests_failed.append(f"{key} [{evaluation.check_name}]: {status}")
            continue
        report.check_lines.append(f"{key} [{evaluation.check_name}]: {status}")
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            failures = evaluation.metadata.get("failures")
            detail = failures.value if failures is not None else ""
            report.blocking_failures.append(f"{key} [{evaluation.check_name}]\n{detail}")
    report.published = any(
        e.asset_key == SERVING_KEY
        for e in result.get_asset_materialization_events()
        if e.asset_key is not None
    )
    report.mart_rows = serving_row_counts(settings)
    if report.exit_code == 0 and not report.published:
        report.unchanged_since = run_outcome(settings.pipeline_db, report.run_id)
    return report


def serving_row_counts(settings: Settings) -> dict[str, int]:
    if not settings.serving_db.exists():
        return {}
    con = duckdb.connect(str(settings.serving_db), read_only=True)
    try:
        names = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        return {n: con.execute(f'select count(*) from marts."{n}"').fetchone()[0] for n in names}
    finally:
        con.close()


def write_site(settings: Settings, report: RunReport | None) -> str:
    from dagster_project.lib.site import build_site, published_status

    if report is None:
        status = "Site rewritten from the current databases."
    elif report.exit_code == 0:
        status = published_status(report.run_id)
    else:
        status = (
            f"Run {report.run_id} FAILED; the serving database still holds the last good run."
        )
    # The site asset already regenerated dbt docs when the run published; keep that copy.
    regenerate_dbt_docs = not (report is not None and report.published)
    return str(
        build_site(
            settings.pipeline_db, settings.serving_db, settings.site_dir, status,
            dbt_docs=regenerate_dbt_docs,
        )
    )


def print_summary(report: RunReport, settings: Settings, site_index: str) -> None:
    out = sys.stdout
    print("\n=== plansignal run summary ===", file=out)
    print(f"run id: {report.run_id}", file=out)
    print("marts in the serving database (rows):", file=out)
    for name, rows in report.mart_rows.items():
        print(f"  marts.{name:<32} {rows:>10,}", file=out)
    if not report.mart_rows:
        print("  (none published yet)", file=out)
    print("contracts (Great Expectations):", file=out)
    for line in report.check_lines:
        print(f"  {line}", file=out)
    if report.unchanged_since:
        print("dbt build, mart contracts, publish, site: skipped (nothing new)", file=out)
    else:
        print(
            f"dbt tests: {report.dbt_tests_passed} passed, {len(report.dbt_tests_failed)} failed",
            file=out,
        )
    for line in report.dbt_tests_failed:
        print(f"  {line}", file=out)
    print(f"serving database: {settings.serving_db}", file=out)
    print("  query it (read-only, also while a run is going):", file=out)
    print(
        f"  .venv/bin/python -c \"import duckdb; con = duckdb.connect('{settings.serving_db}', "
        "read_only=True); print(con.sql('from marts.mart_supplier_lead_times limit 5'))\"",
        file=out,
    )
    print(f"governance site: {site_index}", file=out)
    print(f"proposed master-data changes (CSV per target table): {settings.exports_dir}",
          file=out)
    print(f"run log (dbt output): {run_log_path(settings)}", file=out)
    if report.exit_code == 0 and report.unchanged_since:
        print(f"result: OK, nothing new since run {report.unchanged_since}: serving database "
              "unchanged", file=out)
        return
    if report.exit_code == 0:
        print("result: OK, serving database published", file=out)
        return
    print("result: FAILED; the serving database was left as the last good run published it",
          file=out)
    for line in report.step_failures:
        print(f"  step failed: {line}", file=out)
    for line in report.blocking_failures:
        print(f"  contract failed: {line}", file=out)


DEMO_SEED = 42


def landing_has_tables(settings: Settings) -> bool:
    landing = settings.landing_dir
    return landing.is_dir() and any(
        p.is_dir() and not p.name.startswith(".") for p in landing.iterdir()
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="plansignal")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the whole pipeline headless")
    run.add_argument("--verbose", action="store_true", help="show Dagster's INFO log")
    run.add_argument(
        "--demo-scale",
        type=float,
        default=None,
        help="when the landing folder holds no table folder, generate the demo extract first",
    )
    run.add_argument(
        "--wait", action="store_true",
        help="when another pipeline run is in progress, wait for it instead of refusing",
    )
    run.add_argument(
        "--force", action="store_true",
        help="rebuild dbt and republish even when nothing changed since the last publish",
    )
    sub.add_parser("site", help="rewrite the governance site from the databases")
    sub.add_parser("init-home", help="write DAGSTER_HOME/dagster.yaml (run queue of one)")
    args = parser.parse_args(argv)
    settings = get_settings()
    if args.command == "site":
        print(write_site(settings, None))
        return 0
    if args.command == "init-home":
        prepare_dagster_home(settings)
        print(settings.dagster_home / "dagster.yaml")
        return 0
    if args.demo_scale is not None and not landing_has_tables(settings):
        from dagster_project.lib.demo_data import generate

        print(f"{settings.landing_dir} is empty: generating the demo extract "
              f"(scale {args.demo_scale:g})")
        generate(args.demo_scale, DEMO_SEED, settings.landing_dir, settings.truth_dir)
    try:
        report = run_pipeline(
            settings, log_level="INFO" if args.verbose else "WARNING", quiet_dbt=not args.verbose,
            wait=args.wait, force=args.force,
        )
    except PipelineBusy as exc:
        print(f"plansignal: {exc}; not starting a second run (use --wait to queue behind it)",
              file=sys.stderr)
        return EXIT_BUSY
    index = settings.site_dir / "index.html"
    # Kept as it is when nothing was published (it still describes what is served) or when the
    # run's own site asset just wrote it, with this run's status.
    published_ok = report.published and report.exit_code == 0
    if index.exists() and (report.unchanged_since or published_ok):
        site_index = str(index)
    else:
        site_index = write_site(settings, report)
    print_summary(report, settings, site_index)
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
