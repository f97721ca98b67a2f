"""Crash points for the crash-safety tests (tests/test_operations.py, tests/test_fault_matrix.py).

``crash_point(name)`` kills its own process with SIGKILL when the environment variable
``PLANSIGNAL_CRASH_AT`` equals ``name``, so a test can stop a run at an exact place (inside the
merge transaction, while dbt writes, between writing and renaming the new serving file) rather
than hoping a timer lands there. SIGKILL cannot be caught: no ``finally`` or ``atexit`` runs,
just as when the machine loses power or the OOM killer strikes. Unset, it is a dictionary
lookup.
"""

from __future__ import annotations

import os
import signal

CRASH_ENV = "PLANSIGNAL_CRASH_AT"

# Every place a test can crash a run, in pipeline order.
CRASH_POINTS = (
    "ingest.before_commit",  # raw rows inserted, load log written, transaction not committed
    "dbt.running",  # dbt is running as a child process and has finished at least one node
    "publish.before_swap",  # the new serving file is complete, not yet renamed into place
    "publish.before_record",  # swapped in, ops.build_state not yet updated
)


def crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
