"""The serving database describes itself, and a normal run is quiet.

- Every published table and column carries its description as a DuckDB comment (dbt
  persist_docs on the marts, the publish step copying comments, dq_history's own), so an
  analyst sees it in `duckdb_columns()` or DBeaver.
- Every mart is a dbt model contract (enforced), and the contract's types are the types the
  serving database has: a rename or retype fails the build, not an analyst's query.
- The shared demo run logged no warning through Dagster (framework warnings included).
"""

from __future__ import annotations

import json
import logging

import dagster as dg
import duckdb
import pytest

from dagster_project.cli import RunReport
from dagster_project.resources.dbt import ensure_manifest
from dagster_project.runtime.settings import Settings


@pytest.fixture(scope="module")
def published(shared_demo: tuple[Settings, RunReport]) -> tuple[Settings, RunReport]:
    return shared_demo


def serving_columns(settings: Settings) -> list[tuple[str, str, str, str | None]]:
    with duckdb.connect(str(settings.serving_db), read_only=True) as con:
        return con.execute(
            "select table_name, column_name, data_type, comment from duckdb_columns() "
            "where schema_name = 'marts' order by table_name, column_index"
        ).fetchall()


def test_every_published_table_and_column_has_a_comment(published):
    settings, report = published
    with duckdb.connect(str(settings.serving_db), read_only=True) as con:
        tables = dict(con.execute(
            "select table_name, comment from duckdb_tables() where schema_name = 'marts'"
        ).fetchall())
    assert set(tables) == set(report.mart_rows)
    assert [t for t, comment in tables.items() if not comment] == []
    uncommented = [f"{t}.{c}" for t, c, _, comment in serving_columns(settings) if not comment]
    assert uncommented == []


def test_every_mart_is_an_enforced_contract_with_the_served_types(published):
    settings, _ = published
    manifest = json.loads(ensure_manifest().read_text(encoding="utf-8"))
    marts = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    }
    assert marts, "no mart models in the manifest"
    assert [n for n, node in marts.items() if not node["config"]["contract"]["enforced"]] == []
    served = {(t, c): typ.lower() for t, c, typ, _ in serving_columns(settings)}
    contracted = {
        (name, column): spec["data_type"]
        for name, node in marts.items()
        for column, spec in node["columns"].items()
    }
    assert contracted == {key: typ for key, typ in served.items() if key[0] in marts}


def test_the_demo_run_logged_no_warning(published):
    settings, report = published
    with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        warnings = [
            f"{entry.step_key}: {entry.user_message[:200]}"
            for entry in instance.all_logs(report.run_id)
            if entry.level >= logging.WARNING
        ]
    assert warnings == []
