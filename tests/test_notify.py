"""Failure notification (governance/notify.py): a blocked or failed run's summary as JSON.

A local HTTP server on 127.0.0.1 (port 0, own thread) receives the POSTs; commands write stdin
to a file in tmp_path. An undeliverable notification is one warning line, never an exception.
The last test runs the real CLI on a copy of the demo home with a bad extract (e2e).
"""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.governance.notify import (
    SCHEMA,
    SCHEMA_VERSION,
    notify_run,
    record_payload,
    run_payload,
)
from dagster_project.governance.status import RunRecord
from dagster_project.runtime.settings import Settings, get_settings
from tests.conftest import demo_pipeline, private_copy


@dataclasses.dataclass
class Received:
    path: str
    content_type: str
    body: dict


class Receiver:
    """An HTTP server in a thread that answers every POST with ``status``."""

    def __init__(self, status: int = 204) -> None:
        self.status = status
        self.received: list[Received] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                receiver.received.append(Received(
                    self.path, self.headers.get("Content-Type", ""),
                    json.loads(self.rfile.read(length)),
                ))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"  # nothing listens there any more


def with_notify(settings: Settings, **changes: str | None) -> Settings:
    return dataclasses.replace(settings, **changes)


def blocked_record() -> RunRecord:
    return RunRecord(
        run_id="run-1234",
        finished_at="2026-12-05T06:00:00+00:00",
        outcome="blocked",
        blocking=["raw/erp_goods_receipts [contract]", "dbt_build: dbt exited 1"],
    )


def payload(settings: Settings, outcome: str = "blocked") -> dict:
    record = dataclasses.replace(blocked_record(), outcome=outcome)
    return record_payload(settings, record, ["dbt_build: dbt exited 1"])


def test_settings_read_the_three_variables(monkeypatch, tmp_settings):
    assert (tmp_settings.notify_url, tmp_settings.notify_command, tmp_settings.notify_on) == (
        None, None, "failure")
    monkeypatch.setenv("PLANSIGNAL_NOTIFY_URL", "http://example.invalid/x")
    monkeypatch.setenv("PLANSIGNAL_NOTIFY_COMMAND", "cat > /dev/null")
    monkeypatch.setenv("PLANSIGNAL_NOTIFY_ON", "Always")
    settings = get_settings()
    assert (settings.notify_url, settings.notify_command, settings.notify_on) == (
        "http://example.invalid/x", "cat > /dev/null", "always")


def test_blocked_run_is_posted_as_json(tmp_settings, receiver, capsys):
    settings = with_notify(tmp_settings, notify_url=receiver.url)
    assert notify_run(settings, payload(settings)) == []
    (got,) = receiver.received
    assert got.path == "/hook"
    assert got.content_type == "application/json"
    body = got.body
    assert body["schema"] == SCHEMA and body["schema_version"] == SCHEMA_VERSION == 1
    assert body["plansignal_version"]
    assert body["run_id"] == "run-1234"
    assert body["finished_at"] == "2026-12-05T06:00:00+00:00"
    assert body["outcome"] == "blocked"
    assert body["blocking"] == ["raw/erp_goods_receipts [contract]"]
    assert body["step_failures"] == ["dbt_build: dbt exited 1"]
    assert body["unchanged_since"] is None
    assert body["serving_db"] == str(settings.serving_db)
    assert body["site_index"] == str(settings.site_dir / "index.html")
    assert body["host"] == socket.gethostname()
    assert body["launched_by"] == "cli"
    assert "run-1234" in body["text"] and "blocked" in body["text"]
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("how", ["http 500", "closed port"])
def test_undeliverable_url_is_one_warning(tmp_settings, how, capsys):
    server = Receiver(status=500) if how == "http 500" else None
    url = server.url if server else closed_port_url()
    try:
        settings = with_notify(tmp_settings, notify_url=url)
        warnings = notify_run(settings, payload(settings), timeout=5)
    finally:
        if server:
            server.close()
    assert len(warnings) == 1
    assert ("HTTP 500" in warnings[0]) if server else ("refused" in warnings[0].lower())
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("plansignal: warning: notification")
    if server:
        assert len(server.received) == 1  # it was sent; the receiver refused it


def test_url_that_does_not_answer_times_out(tmp_settings):
    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        settings = with_notify(
            tmp_settings, notify_url=f"http://127.0.0.1:{listener.getsockname()[1]}/")
        started = time.monotonic()
        warnings = notify_run(settings, payload(settings), timeout=0.5, warn=lambda _: None)
    assert time.monotonic() - started < 5
    assert len(warnings) == 1 and "within 0.5 s" in warnings[0]


def test_command_gets_the_json_on_stdin(tmp_settings, tmp_path, capsys):
    out = tmp_path / "notification.json"
    settings = with_notify(tmp_settings, notify_command=f"cat > '{out}'")
    assert notify_run(settings, payload(settings, "failed")) == []
    body = json.loads(out.read_text(encoding="utf-8"))
    assert body["outcome"] == "failed" and body["run_id"] == "run-1234"
    assert capsys.readouterr().err == ""


def test_failing_command_is_one_warning(tmp_settings, capsys):
    settings = with_notify(tmp_settings, notify_command="echo 'no mail today' >&2; exit 3")
    (warning,) = notify_run(settings, payload(settings))
    assert "exit status 3: no mail today" in warning
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_hanging_command_is_killed_after_the_timeout(tmp_settings, capsys):
    settings = with_notify(tmp_settings, notify_command="cat > /dev/null; sleep 30")
    started = time.monotonic()
    (warning,) = notify_run(settings, payload(settings), timeout=0.5)
    assert time.monotonic() - started < 5
    assert "still running after 0.5 s" in warning
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_both_channels_one_failing_still_delivers_the_other(tmp_settings, receiver):
    settings = with_notify(tmp_settings, notify_url=receiver.url, notify_command="exit 3")
    warnings = notify_run(settings, payload(settings), warn=lambda _: None)
    assert len(receiver.received) == 1 and len(warnings) == 1


@pytest.mark.parametrize("outcome", ["published", "nothing new"])
def test_good_runs_notify_only_when_asked(tmp_settings, receiver, outcome):
    settings = with_notify(tmp_settings, notify_url=receiver.url)
    assert notify_run(settings, payload(settings, outcome)) == []
    assert receiver.received == []
    always = dataclasses.replace(settings, notify_on="always")
    assert notify_run(always, payload(always, outcome)) == []
    assert [r.body["outcome"] for r in receiver.received] == [outcome]


def test_unknown_notify_on_warns_and_notifies_failures(tmp_settings, receiver):
    settings = with_notify(tmp_settings, notify_url=receiver.url, notify_on="sometimes")
    (warning,) = notify_run(settings, payload(settings, "published"), warn=lambda _: None)
    assert "sometimes" in warning and receiver.received == []
    notify_run(settings, payload(settings, "failed"), warn=lambda _: None)
    assert len(receiver.received) == 1


def test_nothing_configured_sends_nothing(tmp_settings, capsys):
    assert notify_run(tmp_settings, payload(tmp_settings)) == []
    assert capsys.readouterr().err == ""


def test_malformed_url_and_broken_warn_do_not_raise(tmp_settings):
    def broken(_: str) -> None:
        raise RuntimeError("log is gone")

    settings = with_notify(tmp_settings, notify_url="not a url")
    assert len(notify_run(settings, payload(settings), warn=broken)) == 1


def test_payload_keeps_the_first_line_of_a_contract_failure(tmp_settings):
    body = run_payload(
        tmp_settings, run_id="r", finished_at="t", outcome="blocked",
        blocking=["raw/x [contract]\nERROR expect_...: 1 of 1 rows failed"],
    )
    assert body["blocking"] == ["raw/x [contract]"] and body["step_failures"] == []


@pytest.mark.e2e
def test_blocked_cli_run_posts_once_and_keeps_its_exit_code(
    tmp_path_factory, monkeypatch, receiver, capsys
):
    from dagster_project.cli import main

    with demo_pipeline(tmp_path_factory, "plansignal", 0.03, 11) as (shared, _):
        pass  # the session's demo home (built here if no other module did); copied below
    settings = private_copy(monkeypatch, shared, tmp_path_factory.mktemp("notify_e2e"))
    bad: Path = settings.landing_dir / "erp_goods_receipts" / "erp_goods_receipts__bad.csv"
    bad.write_text(
        "receipt_id,po_number,po_line,part_number,receipt_date,quantity,uom,movement_type,"
        "reverses_receipt_id\n"
        "BAD-1,PO-X,1,PN-X,2024-01-01,-5,EA,RECEIPT,\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PLANSIGNAL_NOTIFY_URL", receiver.url)
    monkeypatch.setenv("PLANSIGNAL_NOTIFY_COMMAND", "exit 3")  # undeliverable: warned only
    code = main(["run"])
    assert code == 1  # as without notification (tests/test_pipeline.py, the same bad file)
    (got,) = receiver.received
    assert got.content_type == "application/json"
    body = got.body
    assert body["outcome"] == "blocked" and body["launched_by"] == "cli"
    assert any(line.startswith("raw/erp_goods_receipts") for line in body["blocking"])
    assert json.loads((settings.warehouse_dir / "logs" / "last_run.json").read_text())[
        "run_id"] == body["run_id"]
    err = capsys.readouterr().err
    assert "PLANSIGNAL_NOTIFY_COMMAND failed: exit status 3" in err
    # The daemon's sensor reads the same facts from the run's events.
    from dagster_project.defs.ops.notify import daemon_run_payload

    with dg.DagsterInstance.get() as instance:
        run = instance.get_run_by_id(body["run_id"])
        again = daemon_run_payload(settings, instance, run, failed=True)
    assert (again["outcome"], again["blocking"], again["step_failures"]) == (
        "blocked", body["blocking"], body["step_failures"])


def _toy_run(instance, contract_passes: bool = False):
    """A toy job whose ERROR contract fails or passes (the sensor reads only events)."""

    @dg.asset(key=["raw", "toy"])
    def toy() -> int:
        return 1

    @dg.asset_check(asset=toy, name="contract", blocking=True)
    def contract() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=contract_passes, severity=dg.AssetCheckSeverity.ERROR)

    @dg.asset(key=["marts", "after"], deps=[toy])
    def after() -> None:
        pass

    job = dg.Definitions(
        assets=[toy, after], asset_checks=[contract], jobs=[dg.define_asset_job("toy_job")]
    ).resolve_job_def("toy_job")
    result = job.execute_in_process(instance=instance, raise_on_error=False)
    assert result.success == contract_passes
    return instance.get_run_by_id(result.run_id)


def test_sensors_send_dagster_launched_runs(tmp_settings, receiver):
    from dagster_project.definitions import full_pipeline_job
    from dagster_project.defs.ops.notify import build_notify_sensors

    settings = with_notify(tmp_settings, notify_url=receiver.url)
    failure_sensor, success_sensor = build_notify_sensors(full_pipeline_job, settings)
    with dg.instance_for_test() as instance:
        run = _toy_run(instance)
        skip = failure_sensor(status_context(instance, run, failure_sensor).for_run_failure())
        assert "notification sent" in skip.skip_message
        (got,) = receiver.received
        assert got.body["outcome"] == "blocked" and got.body["launched_by"] == "dagster"
        assert got.body["blocking"] == ["raw/toy [contract]"]
        assert got.body["run_id"] == run.run_id
        # A successful run: only with PLANSIGNAL_NOTIFY_ON=always.
        good = _toy_run(instance, contract_passes=True)
        skip = success_sensor(status_context(instance, good, success_sensor))
        assert "PLANSIGNAL_NOTIFY_ON=always" in skip.skip_message and len(receiver.received) == 1
        _, always_sensor = build_notify_sensors(
            full_pipeline_job, dataclasses.replace(settings, notify_on="always"))
        always_sensor(status_context(instance, good, always_sensor))
    assert [r.body["outcome"] for r in receiver.received] == ["blocked", "nothing new"]


def status_context(instance, run, sensor):
    (event,) = [e.dagster_event for e in instance.all_logs(
        run.run_id, of_type={dg.DagsterEventType.RUN_FAILURE, dg.DagsterEventType.RUN_SUCCESS})]
    return dg.build_run_status_sensor_context(
        sensor_name=sensor.name, dagster_event=event, dagster_instance=instance, dagster_run=run)
