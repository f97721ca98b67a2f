"""Governance: the steward's side of the loop (find, decide, change, verify).

Owns the steward decision files that ``plansignal review`` writes (``decisions.py``:
``match_decisions.csv`` and ``finding_waivers.csv`` in ``PLANSIGNAL_DECISIONS_DIR``, checked
against what the serving database shows before anything is written), the answer to
``plansignal status`` (``status.py``: the last run, what blocked it, how old the served data
is, which decisions wait for the next run, how fresh each landing table's extracts are), and
the failure notification (``notify.py``: a blocked or failed run's summary as JSON to
``PLANSIGNAL_NOTIFY_URL`` and/or ``PLANSIGNAL_NOTIFY_COMMAND``, never changing the run's
result). The dbt models read the decisions (``models/staging/steward``); this room never runs
the pipeline. May import ``runtime``, ``warehouse`` and ``ingest`` (extract freshness).
"""
