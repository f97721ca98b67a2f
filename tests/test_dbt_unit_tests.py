"""The dbt unit tests (the tricky logic: netting, completion, safety stock, change points...).

The pipeline's `dbt build` leaves unit tests out (DBT_BUILD_ARGS: dbt Labs' advice is to run
them in development and CI, not on every production run, where they cost time and events and
test nothing new about the data). Here they run on their own: every model built empty
(`dbt run --empty`, so dbt knows each input's columns), then `dbt test --select
test_type:unit`. Every unit test defined must run and pass.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from dagster_project.ingest.extracts import ensure_raw_schema
from tests.dbt_harness import run_dbt


def test_every_dbt_unit_test_passes(tmp_path: Path) -> None:
    database = tmp_path / "pipeline.duckdb"
    with duckdb.connect(str(database)) as con:
        ensure_raw_schema(con)
    run_dbt(database, ["seed"], tmp_path)
    run_dbt(database, ["run", "--empty"], tmp_path)
    run_dbt(database, ["test", "--select", "test_type:unit"], tmp_path)

    target = tmp_path / "dbt_target"
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    defined = set(manifest["unit_tests"])
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    ran = {r["unique_id"]: r["status"] for r in results}
    assert len(defined) >= 20, "the dbt project's unit tests were not found"
    assert set(ran) == defined, f"not run: {sorted(defined - set(ran))}"
    assert set(ran.values()) == {"pass"}, {k: v for k, v in ran.items() if v != "pass"}
