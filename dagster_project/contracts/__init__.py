"""Contracts: the Great Expectations suites under ``expectations/``, run on DuckDB.

Owns the shim that keeps one DuckDB connection open for GX (``gx_duckdb.py``, with a test that
fails loudly when a GX upgrade breaks it), loading, running and summarising suites
(``suites.py``) and the GX results saved for Data Docs (``saved_results.py``). May import
``runtime``. The Dagster checks that block on ERROR failures live in ``defs/contracts``.
"""
