"""Ingest: landing files into DuckDB schema ``raw``.

Owns the landing contract (``landing_contract.py``: tables, keys, columns, types), reading,
typing and merging one extract at a time (``extracts.py``; a file's text encoding in
``encodings.py``), the load log (``load_log.py``:
what was loaded, from where, demo or own, and what was retracted), and copying raw to Spark
(``spark_raw.py``). May import ``runtime`` and ``warehouse``. Knows nothing of Dagster, dbt or
Great Expectations: the raw asset in ``defs/ingest`` puts the contract check between staging
and merging.
"""
