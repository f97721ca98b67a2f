"""The dbt project as Dagster assets: staging, intermediate and marts.

One translator decides keys and groups from the dbt folder a model lives in (its fqn), never
from its name: models under models/<layer>/ get the key [<layer>, <model>] and the group
<layer>; seeds are steward inputs; sources keep the key their meta names (["raw", <table>]).
"""


import os
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from dagster_project.resources import Warehouse
from dagster_project.settings import DBT_PROJECT_DIR, dbt_executable

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# `dagster dev` parses the project itself; `make run` and the tests run `dbt parse` first.
dbt_project.prepare_if_dev()

STEWARD_GROUP = "steward_inputs"


class PlansignalTranslator(DagsterDbtTranslator):
    def _layer(self, props: Mapping[str, Any]) -> str | None:
        fqn = props.get("fqn") or []
        # fqn = [project, <layer>, ..., <name>] for models
        return fqn[1] if props.get("resource_type") == "model" and len(fqn) > 2 else None

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        resource_type = dbt_resource_props.get("resource_type")
        if resource_type == "model":
            layer = self._layer(dbt_resource_props) or "models"
            return dg.AssetKey([layer, dbt_resource_props["name"]])
        if resource_type == "seed":
            return dg.AssetKey([STEWARD_GROUP, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props.get("resource_type") == "seed":
            return STEWARD_GROUP
        return self._layer(dbt_resource_props) or super().get_group_name(dbt_resource_props)


translator = PlansignalTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
)
def plansignal_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse
) -> Iterator[Any]:
    # dbt reads the pipeline database path from the environment (dbt/profiles.yml).
    os.environ["PLANSIGNAL_PIPELINE_DB"] = warehouse.pipeline_db
    yield from dbt.cli(["build"], context=context).stream()


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=dbt_project,
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=dbt_executable(),
    )


__all__ = ["dbt_project", "dbt_resource", "plansignal_dbt_models"]
