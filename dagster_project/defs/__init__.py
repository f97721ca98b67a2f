"""Dagster definitions only, one folder per layer of the flow, thin over the rooms below.

``ingest/`` (one raw asset per landing table, its contract check between staging and merging),
``dbt/`` (the dbt project as assets through one translator, and the one dbt resource),
``contracts/`` (blocking Great Expectations checks on the marts, results into the history),
``publish/`` (the atomic swap of the serving database), ``site/`` (the governance site),
``ops/`` (schedule, new-extract sensor, watchdog, the nothing-new build gate).
May import every product room; nothing but ``definitions.py`` and the CLI imports it.
"""
