"""The dbt resource's shortcut for dbt's version (defs/dbt/assets.py, PlansignalDbtCliResource)."""

from __future__ import annotations

from dagster_dbt import DbtCliResource

from dagster_project.defs.dbt.assets import PlansignalDbtCliResource, dbt_resource


def test_version_shortcut_agrees_with_dbt_itself() -> None:
    # dagster-dbt's private hook must still exist, or the override is silently dead code.
    assert "_cli_version" in vars(DbtCliResource)
    resource = dbt_resource()
    assert isinstance(resource, PlansignalDbtCliResource)
    asked = DbtCliResource._cli_version.func(resource)  # runs `dbt --version`
    assert resource._cli_version == asked
