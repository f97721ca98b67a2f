"""Warehouse: the DuckDB side of a run, below everything that reads or writes tables.

Owns the small SQL helpers (``sql.py``: quoting, table exists, row counts), the one
data-quality history schema (``dq_history.py``), the build fingerprint that lets a run with
nothing new skip its work (``build_state.py``), the atomic publish of the serving database
(``publish.py``), the proposed change sets written beside it (``change_sets.py``), the
finding and change-set history kept from one publish to the next (``kept_history.py``) and
cleaning up after a killed run (``recovery.py``). May import ``runtime`` only.
"""
