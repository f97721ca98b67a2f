"""Tooling the pipeline never needs: it may import the product package, never the reverse.

- ``demo_data.py``: the deterministic demo extract and its ground truth (``make demo-data``;
  ``make run`` writes it into an empty landing folder);
- ``planning_quality.py``, ``reconciliation_quality.py``: the marts scored against that truth;
- ``part_numbers.py``: the Python twin of the dbt part-number normalisation, for tests;
- ``bench/``: ``make bench``.
"""
