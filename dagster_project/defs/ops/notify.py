"""Failure notification for the runs the Dagster daemon launches (schedule, sensor, UI).

``plansignal run`` notifies itself (cli.py, after saving the run record). Runs launched under
``make ui`` (``dagster dev``) do not go through the CLI; two run-status sensors send them the
same notification (governance/notify.py), built from the run's events:

- ``notify_on_run_failure``: every failed run of the job: ``blocked`` when an ERROR contract
  failed, ``failed`` otherwise.
- ``notify_on_run_success``: successful runs (``published`` or ``nothing new``), only with
  ``PLANSIGNAL_NOTIFY_ON=always``.

Both skip runs executed in a process of their own (``plansignal run``, the tests): those have
no code location, and Dagster's run-status sensors only look at runs of their own location, so a
CLI run is never notified twice. An undeliverable notification is a warning in the sensor's log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dagster as dg

from dagster_project.defs.contracts.results import CONTRACT_CHECK
from dagster_project.defs.publish.assets import SERVING_KEY
from dagster_project.governance.notify import notify_run, run_payload
from dagster_project.runtime.settings import Settings
from dagster_project.warehouse.build_state import run_outcome

NOTIFY_INTERVAL_SECONDS = 30
RUN_EVENTS = {
    dg.DagsterEventType.STEP_FAILURE,
    dg.DagsterEventType.ASSET_CHECK_EVALUATION,
    dg.DagsterEventType.ASSET_MATERIALIZATION,
}


def failure_message(event: dg.DagsterEvent) -> str:
    """A failed step's message in one line (the cause's first line, not the traceback)."""
    data = event.step_failure_data
    if data.user_failure_data and data.user_failure_data.description:
        return data.user_failure_data.description
    if data.error is not None:
        cause = data.error.cause or data.error
        lines = (cause.message or data.error.message).strip().splitlines()
        return lines[0] if lines else "step failed"
    return "step failed"


def daemon_run_payload(
    settings: Settings, instance: dg.DagsterInstance, run: dg.DagsterRun, failed: bool
) -> dict[str, Any]:
    """The notification of a Dagster-launched run, from its events (as cli.py reads a result)."""
    blocking: list[str] = []
    step_failures: list[str] = []
    published = False
    finished = None
    for entry in instance.all_logs(run.run_id, of_type=RUN_EVENTS):
        event = entry.dagster_event
        if event is None:
            continue
        finished = max(finished or entry.timestamp, entry.timestamp)
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            if error is None or error.cls_name != "DagsterAssetCheckFailedError":
                step_failures.append(f"{event.step_key}: {failure_message(event)}")
        elif event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            published = published or event.asset_key == SERVING_KEY
        else:
            check = event.event_specific_data
            if (check.check_name == CONTRACT_CHECK and not check.passed
                    and check.severity == dg.AssetCheckSeverity.ERROR):
                blocking.append(f"{check.asset_key.to_user_string()} [{check.check_name}]")
    record = instance.get_run_record_by_id(run.run_id)
    end = record.end_time if record and record.end_time else finished
    when = dt.datetime.fromtimestamp(end, dt.UTC) if end else dt.datetime.now(dt.UTC)
    unchanged = None if failed or published else run_outcome(settings.pipeline_db, run.run_id)
    if failed:
        outcome = "blocked" if blocking else "failed"
    else:
        outcome = "published" if published else "nothing new"
    return run_payload(
        settings,
        run_id=run.run_id,
        finished_at=when.isoformat(timespec="seconds"),
        outcome=outcome,
        blocking=blocking,
        step_failures=step_failures,
        unchanged_since=unchanged,
        launched_by="dagster",
    )


def notify_daemon_run(
    settings: Settings, context: dg.RunStatusSensorContext, failed: bool
) -> dg.SkipReason:
    if not (settings.notify_url or settings.notify_command):
        return dg.SkipReason("no PLANSIGNAL_NOTIFY_URL or PLANSIGNAL_NOTIFY_COMMAND set")
    if not failed and settings.notify_on != "always":
        return dg.SkipReason("a successful run; PLANSIGNAL_NOTIFY_ON=always notifies those too")
    run = context.dagster_run
    payload = daemon_run_payload(settings, context.instance, run, failed)
    warnings = notify_run(settings, payload, warn=context.log.warning)
    what = "not delivered" if warnings else "sent"
    return dg.SkipReason(f"run {run.run_id} ({payload['outcome']}): notification {what}")


def build_notify_sensors(
    job: dg.UnresolvedAssetJobDefinition, settings: Settings
) -> list[dg.SensorDefinition]:
    @dg.run_failure_sensor(
        name="notify_on_run_failure",
        monitored_jobs=[job],
        minimum_interval_seconds=NOTIFY_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Sends a blocked or failed run's summary (JSON) to PLANSIGNAL_NOTIFY_URL "
        "and/or PLANSIGNAL_NOTIFY_COMMAND.",
    )
    def notify_on_run_failure(context: dg.RunFailureSensorContext) -> dg.SkipReason:
        return notify_daemon_run(settings, context, failed=True)

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        name="notify_on_run_success",
        monitored_jobs=[job],
        minimum_interval_seconds=NOTIFY_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="With PLANSIGNAL_NOTIFY_ON=always: sends a successful run's summary too.",
    )
    def notify_on_run_success(context: dg.RunStatusSensorContext) -> dg.SkipReason:
        return notify_daemon_run(settings, context, failed=False)

    return [notify_on_run_failure, notify_on_run_success]
