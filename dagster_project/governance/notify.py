"""Failure notification: a run that blocks or fails sends its summary (JSON) somewhere.

Two channels, either or both, from the settings (runtime/settings.py reads the environment):

- ``PLANSIGNAL_NOTIFY_URL``: the JSON is POSTed there (``Content-Type: application/json``).
- ``PLANSIGNAL_NOTIFY_COMMAND``: a shell command that gets the JSON on stdin.

``PLANSIGNAL_NOTIFY_ON`` is ``failure`` (the default: blocked and failed runs) or ``always``
(published and nothing-new runs too).

A notification is a courtesy, never part of the run: one that cannot be delivered (connection
refused, HTTP status >= 400, timeout, a command that exits non-zero or hangs) is one warning
line, and :func:`notify_run` returns normally. The run's result and exit code stay as they were.

The payload (``SCHEMA_VERSION`` 1; receivers may rely on these keys, later versions only add):

| key | |
|---|---|
| ``schema``, ``schema_version`` | ``plansignal.run_notification``, ``1`` |
| ``plansignal_version`` | the installed package's version |
| ``run_id``, ``finished_at`` | the Dagster run id; ISO 8601 UTC |
| ``outcome`` | ``published``, ``nothing new``, ``blocked`` or ``failed`` |
| ``blocking`` | one line per failed ERROR contract (``<asset> [contract]``) |
| ``step_failures`` | one line per failed step (``<step>: <message>``) |
| ``unchanged_since`` | nothing new: the run whose publish is still served (else null) |
| ``serving_db``, ``site_index`` | paths on ``host`` |
| ``host`` | the machine the run ran on |
| ``launched_by`` | ``cli`` (``plansignal run``) or ``dagster`` (schedule, sensor, UI) |
| ``text`` | the same in one line (chat webhooks such as Slack's show ``text``) |
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any

from dagster_project.governance.status import RunRecord
from dagster_project.runtime.settings import Settings

SCHEMA = "plansignal.run_notification"
SCHEMA_VERSION = 1
DEFAULT_TIMEOUT_SECONDS = 10.0
NOTIFY_ON_CHOICES = ("failure", "always")
FAILED_OUTCOMES = ("blocked", "failed")
USER_AGENT = "plansignal-notify"

Warn = Callable[[str], None]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def plansignal_version() -> str:
    try:
        return metadata.version("plansignal")
    except metadata.PackageNotFoundError:
        return "unknown"


def summary_text(payload: dict[str, Any]) -> str:
    """The payload in one line, for people (and the ``text`` of chat webhooks)."""
    head = f"plansignal run {payload['run_id']} on {payload['host']}: {payload['outcome']}"
    reasons = list(payload.get("blocking") or []) + list(payload.get("step_failures") or [])
    if reasons:
        more = f" (+{len(reasons) - 3} more)" if len(reasons) > 3 else ""
        head += " by " + "; ".join(reasons[:3]) + more
    return head + f"; site: {payload['site_index']}"


def run_payload(
    settings: Settings,
    *,
    run_id: str,
    finished_at: str,
    outcome: str,
    blocking: Sequence[str] = (),
    step_failures: Sequence[str] = (),
    unchanged_since: str | None = None,
    launched_by: str = "cli",
) -> dict[str, Any]:
    """The JSON document a notification carries (see the module docstring)."""
    payload: dict[str, Any] = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "plansignal_version": plansignal_version(),
        "run_id": run_id,
        "finished_at": finished_at,
        "outcome": outcome,
        "blocking": [line.splitlines()[0] if line else line for line in blocking],
        "step_failures": list(step_failures),
        "unchanged_since": unchanged_since,
        "serving_db": str(settings.serving_db),
        "site_index": str(settings.site_dir / "index.html"),
        "host": socket.gethostname(),
        "launched_by": launched_by,
    }
    payload["text"] = summary_text(payload)
    return payload


def record_payload(
    settings: Settings, record: RunRecord, step_failures: Sequence[str] = ()
) -> dict[str, Any]:
    """The payload of a `plansignal run`, from the record it saved (last_run.json).

    The record's ``blocking`` lists the failed contracts, then the failed steps; the payload
    keeps the two apart.
    """
    steps = list(step_failures)
    return run_payload(
        settings,
        run_id=record.run_id,
        finished_at=record.finished_at,
        outcome=record.outcome,
        blocking=[line for line in record.blocking if line not in steps],
        step_failures=steps,
        unchanged_since=record.unchanged_since,
        launched_by="cli",
    )


def should_notify(outcome: str, notify_on: str) -> bool:
    return outcome in FAILED_OUTCOMES or notify_on == "always"


def post_json(url: str, body: bytes, timeout: float) -> str | None:
    """POST the body; None when delivered (2xx/3xx), else why not, in a few words."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code} {exc.reason}"
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            return f"no answer within {timeout:g} s"
        return str(getattr(reason, "strerror", None) or reason)
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except (OSError, ValueError) as exc:  # reset connection, malformed URL
        return str(exc) or type(exc).__name__
    return None if status < 400 else f"HTTP {status}"


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """The shell and whatever it started (a shell's child keeps the pipes open otherwise)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (OSError, AttributeError):
        process.kill()


def pipe_to_command(command: str, body: bytes, timeout: float) -> str | None:
    """Run the shell command with the body on stdin; None when it exits 0, else why not."""
    try:
        process = subprocess.Popen(
            command,
            shell=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group, killed whole on timeout
        )
    except OSError as exc:
        return f"could not start: {exc.strerror or exc}"
    try:
        _, stderr = process.communicate(body, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        process.communicate()
        return f"still running after {timeout:g} s, killed"
    if process.returncode == 0:
        return None
    last = (stderr or b"").decode("utf-8", "replace").strip().splitlines()
    said = f": {last[-1][:200]}" if last else ""
    return f"exit status {process.returncode}{said}"


def notify_run(
    settings: Settings,
    payload: dict[str, Any],
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    warn: Warn | None = None,
) -> list[str]:
    """Send the payload where the settings say, if its outcome calls for it.

    Returns the warnings, each also given to ``warn`` (default: one line on stderr). Never
    raises: a notification must not change the run's result.
    """
    warn = warn or _stderr
    warnings: list[str] = []
    try:
        if not (settings.notify_url or settings.notify_command):
            return warnings
        notify_on = settings.notify_on
        if notify_on not in NOTIFY_ON_CHOICES:
            warnings.append(f"PLANSIGNAL_NOTIFY_ON={notify_on!r} is neither failure nor "
                            "always; notifying blocked and failed runs only")
            notify_on = "failure"
        if should_notify(str(payload.get("outcome")), notify_on):
            body = json.dumps(payload).encode("utf-8")
            if settings.notify_url:
                problem = post_json(settings.notify_url, body, timeout)
                if problem:
                    warnings.append(f"notification to PLANSIGNAL_NOTIFY_URL "
                                    f"{settings.notify_url} not delivered: {problem}")
            if settings.notify_command:
                problem = pipe_to_command(settings.notify_command, body, timeout)
                if problem:
                    warnings.append(f"notification command PLANSIGNAL_NOTIFY_COMMAND failed: "
                                    f"{problem}")
    except Exception as exc:  # whatever happens here, the run's result stands
        warnings.append(f"notification failed: {type(exc).__name__}: {exc}")
    for line in warnings:
        with contextlib.suppress(Exception):  # a broken log must not fail the run either
            warn(f"plansignal: warning: {line} (the run's result is unchanged)")
    return warnings
