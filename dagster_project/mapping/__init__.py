"""Mapping: a source system's own export files onto the landing contract, configured in YAML
(``data/mappings/*.yml``, documented in ``data/mappings/README.md``).

Owns the mapping engine (``source_mapping.py``; ``python -m dagster_project.mapping``). May
import ``runtime`` and ``ingest`` (the landing contract it writes to). The pipeline never
imports it: mapped files land like any other extract.
"""
