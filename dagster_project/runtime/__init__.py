"""Runtime: the settings that decide every path (environment variables with defaults), the
one-run-at-a-time pipeline lock, and named crash points for the crash-safety tests.

Owns: ``settings.py``, ``run_lock.py``, ``faults.py``. Imports nothing of the project: every
other room may import it.
"""
