"""plansignal: ERP/MRP extracts to verified planning marts (the product package).

Rooms, bottom up; each imports only from rooms above it in this list, never from below:

- ``runtime/``    settings (every path), the pipeline lock, crash points. Imports nothing of ours.
- ``warehouse/``  the DuckDB side of a run: SQL helpers, the data-quality history schema, build
  fingerprint, atomic publish, change sets, crash recovery.
- ``ingest/``     the landing contract, reading and staging extracts, the load log (origin,
  retraction, demo isolation), the Spark copy of raw.
- ``mapping/``    source mappings: an ERP's own files onto the landing contract, by YAML.
- ``contracts/``  Great Expectations suites on DuckDB (the shim), validation, results.
- ``governance/`` the steward's decision files (``plansignal review``) and ``plansignal status``.
- ``exports/``    ``plansignal export``: worklist and change sets as Excel, marts as Parquet.
- ``site/``       the governance site; a leaf: only ``defs/site`` and the CLI import it.
- ``resources/``, ``defs/``, ``definitions.py``  Dagster: resources, then definitions only,
  thin over the rooms above.
- ``cli.py``      the command line (``make run``, retract, demo-clean, site, export).

Tooling the pipeline never needs (demo generator and its scoring, bench) lives outside, in
the top-level ``tooling/`` package.
"""
