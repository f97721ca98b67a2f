"""Runtime: the settings that decide every path (environment variables with defaults), the
one-run-at-a-time pipeline lock, Dagster's home (dagster.yaml and the run history's storage),
and named crash points for the crash-safety tests.

Owns: ``settings.py``, ``run_lock.py``, ``run_history.py``, ``faults.py``. Imports nothing of
the project: every other room may import it.
"""
