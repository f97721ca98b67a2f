"""Mapping: a source system's own export files onto the landing contract, configured in YAML
(``data/mappings/*.yml``, documented in ``data/mappings/README.md``).

Owns the mapping engine, one module per responsibility: ``spec`` (the mapping as data),
``config`` (reading and validating the YAML), ``sources`` (input files into DuckDB views and
joins), ``sql`` (conversion SQL), ``table`` (one landing table, step by step), ``checks``
(bad values named with file and line), ``textfiles``, ``errors``, ``report``, ``apply``
(:func:`~dagster_project.mapping.apply.apply_mapping`: the run, files written atomically) and
``cli`` (``python -m dagster_project.mapping``). May import ``runtime`` and ``ingest`` (the
landing contract it writes to). The pipeline never imports it: mapped files land like any
other extract.
"""
