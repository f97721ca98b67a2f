"""Exports for planners: what ``plansignal export`` writes from the published serving database.

Owns the files a planner opens without SQL, in ``PLANSIGNAL_EXPORTS_DIR``: the worklist
(``marts.mart_master_data_exceptions``) as ``worklist.xlsx``, the change sets
(``marts.proposed_*``) as ``change_sets.xlsx`` with one sheet per target table, and every mart
as ``parquet/<table>.parquet``. ``workbook.py`` holds the Excel rules (text never becomes a
formula, real dates, frozen and filtered header, fitted widths, the row cap, rows streamed from
DuckDB in batches); ``planner.py`` reads the serving database read-only, writes each file
through a temporary name and a rename, and answers the command. Never runs or changes the
pipeline. May import ``runtime`` and ``warehouse``.
"""
