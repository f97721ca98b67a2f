"""DuckDB's memory ceiling (PLANSIGNAL_DUCKDB_MEMORY_LIMIT, runtime/settings.py) reaches every
DuckDB the pipeline writes with: the Warehouse resource's connections and the dbt build."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from dagster_project.resources import Warehouse
from dagster_project.resources.dbt import dbt_resource
from dagster_project.runtime.settings import DEFAULT_DUCKDB_MEMORY_LIMIT, get_settings


def duckdb_says(limit: str) -> str:
    """The limit as DuckDB reports it back (it normalises units, e.g. 1GB -> 953.6 MiB)."""
    with duckdb.connect(config={"memory_limit": limit}) as con:
        return con.execute("select current_setting('memory_limit')").fetchone()[0]


def test_default_and_invalid_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    assert get_settings().duckdb_memory_limit == DEFAULT_DUCKDB_MEMORY_LIMIT
    monkeypatch.setenv("PLANSIGNAL_DUCKDB_MEMORY_LIMIT", "lots")
    with pytest.raises(SystemExit, match="PLANSIGNAL_DUCKDB_MEMORY_LIMIT='lots'"):
        get_settings()


@pytest.fixture
def own_limit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("PLANSIGNAL_DUCKDB_MEMORY_LIMIT", "1250MB")
    monkeypatch.setenv("PLANSIGNAL_PIPELINE_DB", str(tmp_path / "pipeline.duckdb"))
    expected = duckdb_says("1250MB")
    assert expected != duckdb_says(DEFAULT_DUCKDB_MEMORY_LIMIT)
    return expected


def test_the_warehouse_uses_the_limit(own_limit: str) -> None:
    with Warehouse.from_settings().connect() as con:
        assert con.execute("select current_setting('memory_limit')").fetchone()[0] == own_limit


@pytest.mark.e2e  # dbt parses the whole project: 17 s
def test_dbt_uses_the_limit(own_limit: str, tmp_path: Path) -> None:
    invocation = dbt_resource().cli(
        ["show", "--inline", "select current_setting('memory_limit') as memory_limit",
         "--output", "json", "--log-path", str(tmp_path / "logs")],
        target_path=tmp_path / "target", raise_on_error=True,
    )
    shown = [event.raw_event["data"].get("preview") for event in invocation.stream_raw_events()
             if event.raw_event.get("info", {}).get("name") == "ShowNode"]
    assert shown and json.loads(shown[0]) == [{"memory_limit": own_limit}]
