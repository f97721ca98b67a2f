"""Warehouse: the DuckDB files of a run besides raw.

Owns the build fingerprint that lets a run with nothing new skip its work
(``build_state.py``), the atomic publish of the serving database (``publish.py``), the
proposed change sets written beside it (``change_sets.py``), cleaning up after a killed run
(``recovery.py``), and copying raw to Spark (``spark_raw.py``). May import ``runtime`` and
``ingest``.
"""
