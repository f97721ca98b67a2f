"""Command line: run the whole pipeline headless and print what it produced.

    python -m dagster_project.cli run [--verbose] [--wait] [--force]   # what `make run` calls
    python -m dagster_project.cli retract EXTRACT [--table T] [--note TEXT]   # take out, republish
    python -m dagster_project.cli demo-clean        # delete the demo extract's files from landing
    python -m dagster_project.cli site              # rewrite the governance site only
    python -m dagster_project.cli init-home         # write DAGSTER_HOME/dagster.yaml (make ui)
    plansignal status                               # last run, what blocked, served data age
    plansignal export [--only PART]                 # worklist, change sets (xlsx), marts (parquet)
    plansignal review list | accept ID | reject ID | waive FINDING_ID --until DAY  (--by, --note)

`plansignal` (a [project.scripts] entry) is this module's main: every subcommand above works as
``plansignal <subcommand>`` too.

Exit status 0 when the run succeeded (or found nothing new), 1 when an ERROR contract failed or
a step failed; the site is written either way, so a failed run can be reviewed there. Exit
status 75 when another pipeline run holds the lock (``--wait`` queues behind it instead).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import shutil
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.defs.contracts.results import CONTRACT_CHECK
from dagster_project.defs.ops.build_gate import FORCE_TAG
from dagster_project.defs.ops.notify import failure_message
from dagster_project.exports.planner import PARTS, export_command
from dagster_project.governance.decisions import DecisionError, decide_match, waive_finding
from dagster_project.governance.notify import notify_run, record_payload
from dagster_project.governance.status import (
    RunRecord,
    save_last_run,
    stale_extract_lines,
    status_lines,
)
from dagster_project.ingest.extracts import LandingError, discover_extracts, ensure_raw_schema
from dagster_project.ingest.load_log import (
    RETRACTED_BY_COMMAND,
    find_extracts,
    is_demo_extract,
    own_extracts_present,
    retract,
)
from dagster_project.progress import DBT_STEP, RunProgress
from dagster_project.runtime.run_history import prepare_dagster_home
from dagster_project.runtime.run_lock import Holder, PipelineBusy, PipelineLock, lock_path_for
from dagster_project.runtime.settings import Settings, get_settings
from dagster_project.warehouse.build_state import run_outcome

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

    @property
    def outcome(self) -> str:
        if self.blocking_failures:
            return "blocked"
        if self.exit_code:
            return "failed"
        return "published" if self.published else "nothing new"


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
    quiet: bool = True,
) -> RunReport:
    """Execute the full pipeline job in this process, recorded in the Dagster instance.

    dagster-dbt echoes every dbt event to stdout; with ``quiet_dbt`` that goes to the run log
    (``<warehouse>/logs/last_run.log``) so the terminal keeps to the summary.

    Takes the pipeline lock first: raises PipelineBusy when another run holds it, unless
    ``wait``. ``force`` rebuilds dbt from scratch even when nothing changed since the last
    publish.
    Unless ``quiet``, each stage is printed as it finishes (progress.py).
    """
    settings = settings or get_settings()
    lock = PipelineLock.acquire(
        lock_path_for(settings.pipeline_db),
        wait_seconds=float("inf") if wait else 0.0,
        on_wait=_tell_waiting,
    )
    try:
        return _run_locked(settings, log_level, quiet_dbt, force, quiet)
    finally:
        lock.release()


def _run_locked(
    settings: Settings, log_level: str, quiet_dbt: bool, force: bool, quiet: bool
) -> RunReport:
    prepare_dagster_home(settings)
    from dagster_project.definitions import FULL_PIPELINE, build_defs
    from dagster_project.defs.publish.assets import SERVING_KEY

    defs = build_defs(settings)
    job = defs.resolve_job_def(FULL_PIPELINE)
    log_path = run_log_path(settings)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    dbt_models = sum(len(a.keys) for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition)
                     and a.op.name == DBT_STEP)
    progress = RunProgress(sys.stdout, dbt_models, quiet=quiet)  # before stdout goes to the log
    run_id = str(uuid.uuid4())  # known before the run starts, so progress can listen to it
    with contextlib.ExitStack() as stack:
        stack.callback(progress.close)
        if quiet_dbt:
            log_file = stack.enter_context(log_path.open("w", encoding="utf-8"))
            stack.enter_context(contextlib.redirect_stdout(log_file))
        instance = stack.enter_context(dg.DagsterInstance.get())
        progress.attach(instance, run_id)
        result = job.execute_in_process(
            instance=instance,
            run_id=run_id,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
            tags={FORCE_TAG: "true"} if force else None,
        )
    report = RunReport(run_id=result.run_id, success=result.success, published=False)
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        if error is not None and error.cls_name == "DagsterAssetCheckFailedError":
            continue  # a failed blocking contract: reported below with its expectations
        report.step_failures.append(f"{event.step_key}: {failure_message(event)}")
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
    record = RunRecord(
        run_id=report.run_id,
        finished_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        outcome=report.outcome,
        blocking=[line.splitlines()[0] for line in report.blocking_failures]
        + report.step_failures,
        unchanged_since=report.unchanged_since,
    )
    save_last_run(settings, record)
    # Blocked or failed (or any run, PLANSIGNAL_NOTIFY_ON=always): never changes the result.
    notify_run(settings, record_payload(settings, record, report.step_failures))
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
    """Rewrite the governance site from the databases; returns its index.html.

    Runs no dbt: the dbt docs are the page the last site asset generated, if any.
    """
    from dagster_project.defs.site.assets import last_dbt_docs
    from dagster_project.site import build_site, published_status

    if report is None:
        status = "Site rewritten from the current databases."
    elif report.exit_code == 0:
        status = published_status(report.run_id)
    else:
        status = (
            f"Run {report.run_id} FAILED; the serving database still holds the last good run."
        )
    return str(
        build_site(
            settings.pipeline_db, settings.serving_db, settings.site_dir, status,
            dbt_docs=last_dbt_docs(settings.pipeline_db),
            extract_max_age_days=settings.extract_max_age_days,
            download_dirs=[settings.planner_exports_dir, settings.exports_dir],
        )
    )


def landing_origin_lines(settings: Settings) -> list[str]:
    """What the marts are built from, when it is (or was) the demo: one line each."""
    try:
        found = discover_extracts(settings.landing_dir)
    except LandingError:
        return []  # the run's own failure says why
    files = [p for table_files in found.values() for p in table_files]
    demo = [p for p in files if is_demo_extract(p.name)]
    if not demo:
        return []
    if own_extracts_present(files):
        return [
            f"demo extract retired: your own extracts are in {settings.landing_dir}, so its "
            f"{len(demo)} demo file(s) (e.g. {demo[0].parent.name}/{demo[0].name}) are ignored "
            "and their rows are out of raw; delete them with `make demo-clean`"
        ]
    return [
        f"data: the generated DEMO extract ({len(demo)} file(s) in {settings.landing_dir}); "
        "land your own extracts there and the demo retires itself"
    ]


# Below this share of completed PO lines inside the lead-time window, the summary says so.
WINDOW_COVERAGE_WARN = 0.5


def window_coverage_line(serving_db: Path) -> str | None:
    """One line when most completed PO lines lie outside the lead-time statistics window."""
    if not serving_db.exists():
        return None
    with duckdb.connect(str(serving_db), read_only=True) as con:
        try:
            start, end, inside, completed = con.execute(
                """
                with window_dates as (
                    select min(lead_time_window_start_date) as start_date,
                        max(lead_time_window_end_date) as end_date
                    from marts.mart_supplier_lead_times
                )
                select any_value(start_date), any_value(end_date),
                    count(*) filter (where completion_date between start_date and end_date),
                    count(*)
                from marts.fct_po_line_lead_times, window_dates
                where exclusion_reason is null and completion_date is not null
                """
            ).fetchone()
        except duckdb.CatalogException:
            return None  # nothing published yet
    if not completed or start is None or inside >= WINDOW_COVERAGE_WARN * completed:
        return None
    days = (end - start).days + 1
    return (
        f"lead-time window: only {inside:,} of {completed:,} completed PO lines "
        f"({inside / completed:.0%}) lie in the {days}-day window {start} to {end}; the rest is "
        "older history: widen it with the dbt var lead_time_window_days (dbt/dbt_project.yml)"
    )


def print_summary(report: RunReport, settings: Settings, site_index: str) -> None:
    out = sys.stdout
    print("\n=== plansignal run summary ===", file=out)
    print(f"run id: {report.run_id}", file=out)
    for line in landing_origin_lines(settings):
        print(line, file=out)
    coverage = window_coverage_line(settings.serving_db)
    if coverage:
        print(coverage, file=out)
    for line in stale_extract_lines(settings):
        print(line, file=out)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="plansignal")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the whole pipeline headless")
    run.add_argument("--verbose", action="store_true", help="show Dagster's INFO log")
    run.add_argument("--quiet", action="store_true", help="no progress lines, the summary only")
    run.add_argument(
        "--wait", action="store_true",
        help="when another pipeline run is in progress, wait for it instead of refusing",
    )
    run.add_argument(
        "--force", action="store_true",
        help="rebuild every dbt model from scratch (incremental ones included) and republish, "
        "even when nothing changed since the last publish",
    )
    retract = sub.add_parser(
        "retract",
        help="take a loaded extract out of raw (recorded in the load log) and republish",
    )
    retract.add_argument("extract", help="the extract's file name, or 8+ hex digits of its sha256")
    retract.add_argument("--table", default=None, help="the landing table, where names repeat")
    retract.add_argument("--note", default=None, help="why (kept in the load log)")
    retract.add_argument("--no-run", action="store_true", help="retract only; do not republish")
    sub.add_parser("demo-clean", help="delete the demo extract's files from the landing folder")
    sub.add_parser("site", help="rewrite the governance site from the databases")
    sub.add_parser("init-home", help="write DAGSTER_HOME/dagster.yaml (run queue of one)")
    sub.add_parser("status", help="the last run, what blocked it, the served data's age")
    add_review_parser(sub)
    export = sub.add_parser("export", help="worklist, change sets as Excel, marts as Parquet")
    export.add_argument("--only", choices=PARTS, help="write only this part")
    args = parser.parse_args(argv)
    settings = get_settings()
    if args.command == "status":
        print("\n".join(status_lines(settings)))
        return 0
    if args.command == "review":
        return review(settings, args)
    if args.command == "export":
        return export_command(settings, args.only)
    if args.command == "site":
        print(write_site(settings, None))
        return 0
    if args.command == "init-home":
        prepare_dagster_home(settings)
        print(settings.dagster_home / "dagster.yaml")
        return 0
    if args.command == "demo-clean":
        return demo_clean(settings)
    if args.command == "retract":
        code = retract_extract(settings, args.extract, args.table, args.note)
        if code or args.no_run:
            return code
        return run_and_report(settings)
    return run_and_report(settings, args.verbose, args.wait, args.force, args.quiet)


def add_review_parser(sub: argparse._SubParsersAction) -> None:
    review_parser = sub.add_parser("review", help="the steward's decisions (plansignal review -h)")
    actions = review_parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="open pairs of the review queue")
    listing.add_argument("--limit", type=int, default=20)
    for action in ("accept", "reject"):
        decide = actions.add_parser(
            action, help=f"{action} a pair of the review queue (applied by the next run)"
        )
        decide.add_argument("match_review_id")
        decide.add_argument("--by", required=True, help="who decides")
        decide.add_argument("--note", default="", help="why")
    waive = actions.add_parser("waive", help="waive a finding until a day (inclusive)")
    waive.add_argument("finding_id")
    waive.add_argument("--until", required=True, help="YYYY-MM-DD, today or later")
    waive.add_argument("--by", required=True, help="who decides")
    waive.add_argument("--note", default="", help="why")


def review(settings: Settings, args: argparse.Namespace) -> int:
    """`plansignal review ...`: list the queue or record one decision (one line on error)."""
    if args.action == "list":
        return review_list(settings, args.limit)
    today = dt.date.today()
    try:
        if args.action == "waive":
            recorded = waive_finding(settings.decisions_dir, settings.serving_db,
                                     args.finding_id, args.until, args.by, args.note, today)
        else:
            recorded = decide_match(settings.decisions_dir, settings.serving_db,
                                    args.match_review_id, args.action, args.by, args.note, today)
    except DecisionError as exc:
        print(f"plansignal review {args.action}: {exc}; nothing written", file=sys.stderr)
        return 2
    verb = "replaced the earlier decision in" if recorded.replaced else "added to"
    print(f"{args.action}: {verb} {recorded.path}; the next `plansignal run` applies it "
          "(commit the file to keep it reviewed like code)")
    return 0


def review_list(settings: Settings, limit: int) -> int:
    if not settings.serving_db.exists():
        print(f"plansignal review list: {settings.serving_db}: no serving database yet",
              file=sys.stderr)
        return 2
    with duckdb.connect(str(settings.serving_db), read_only=True) as con:
        rows = con.execute(
            "select match_review_id, part_number_a, part_number_b, score, evidence "
            "from marts.part_match_review where review_status = 'proposed' "
            "order by score desc, match_review_id limit ?",
            [limit],
        ).fetchall()
        total = con.execute(
            "select count(*) from marts.part_match_review where review_status = 'proposed'"
        ).fetchone()
    print(f"{total[0] if total else 0} open pair(s) in the review queue"
          + (f"; the {len(rows)} best scored:" if rows else ""))
    for review_id, part_a, part_b, score, evidence in rows:
        print(f"\n{review_id}  {part_a}  ~  {part_b}  (score {score:.2f})\n  {evidence}\n"
              f"  plansignal review accept {review_id} --by NAME --note TEXT\n"
              f"  plansignal review reject {review_id} --by NAME --note TEXT")
    return 0


def retract_extract(
    settings: Settings, reference: str, table: str | None, note: str | None
) -> int:
    """Take one loaded extract out of raw (load_log.py); 0 when done, 2 with one line if not."""
    if not settings.pipeline_db.exists():
        print(f"plansignal: {settings.pipeline_db}: no pipeline database yet, nothing to "
              "retract", file=sys.stderr)
        return 2
    try:
        lock = PipelineLock.acquire(lock_path_for(settings.pipeline_db), wait_seconds=0.0)
    except PipelineBusy as exc:
        print(f"plansignal: {exc}; retract again when it has finished", file=sys.stderr)
        return EXIT_BUSY
    try:
        with duckdb.connect(str(settings.pipeline_db)) as con:
            ensure_raw_schema(con)
            matches = find_extracts(con, reference, table)
            if len(matches) != 1:
                what = ("no loaded extract is" if not matches else
                        "several loaded extracts are: " + "; ".join(m.describe() for m in matches))
                print(f"plansignal: {what} named {reference!r} (a file name, or 8+ hex digits "
                      "of its sha256; --table narrows); nothing retracted", file=sys.stderr)
                return 2
            extract = matches[0]
            removed = retract(con, extract, RETRACTED_BY_COMMAND,
                              note or "retracted by the retract command")
    finally:
        lock.release()
    print(f"retracted {extract.describe()}: {removed:,} row(s) out of raw.{extract.table}")
    still_there = settings.landing_dir / extract.table / extract.source_file
    if still_there.exists():
        print(f"  {still_there} stays in the landing folder but is not loaded again; delete it "
              "or land a corrected file")
    return 0


def demo_clean(settings: Settings) -> int:
    """Delete the demo extract's files (and its ground truth); the next run retracts its rows."""
    try:
        found = discover_extracts(settings.landing_dir)
    except LandingError as exc:
        print(f"plansignal: {exc}", file=sys.stderr)
        return 2
    demo = [p for files in found.values() for p in files if is_demo_extract(p.name)]
    for path in demo:
        path.unlink()
    if settings.truth_dir.is_dir():
        shutil.rmtree(settings.truth_dir)
    print(f"removed {len(demo)} demo file(s) from {settings.landing_dir}; the next run takes "
          "their rows out of raw")
    return 0


def run_and_report(
    settings: Settings, verbose: bool = False, wait: bool = False, force: bool = False,
    quiet: bool = False,
) -> int:
    """Run the pipeline, write the site if the run did not, print the summary; exit code."""
    try:
        report = run_pipeline(
            settings, log_level="INFO" if verbose else "WARNING", quiet_dbt=not verbose,
            wait=wait, force=force, quiet=quiet,
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
