"""The dbt project as Dagster assets: staging, intermediate and marts.

One translator decides keys and groups from the dbt folder a model lives in (its fqn), never
from its name: models under models/<layer>/ get the key [<layer>, <model>] and the group
<layer>; seeds are steward inputs; sources keep the key their meta names (["raw", <table>]).
"""


import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, dbt_assets

from dagster_project.defs.ops.build_gate import open_build_gate
from dagster_project.governance.decisions import ensure_decision_files
from dagster_project.resources import Warehouse
from dagster_project.resources.dbt import PlansignalDbtCliResource, dbt_project, ensure_manifest
from dagster_project.runtime.settings import get_settings

STEWARD_GROUP = "steward_inputs"
# Unit tests check the SQL logic, not the data: they run in `make test`
# (tests/test_dbt_unit_tests.py), not on every pipeline run (dbt Labs' advice for production).
DBT_BUILD_ARGS = ("build", "--exclude-resource-type", "unit_test")


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


def build_dbt_assets() -> dg.AssetsDefinition:
    """The dbt project's models, seeds and tests as one multi-asset (parses dbt if stale).

    A function, not a module-level definition, so importing this module does no work.
    """
    @dbt_assets(
        manifest=ensure_manifest(),
        project=dbt_project(),
        dagster_dbt_translator=translator,
    )
    def plansignal_dbt_models(
        context: dg.AssetExecutionContext, dbt: PlansignalDbtCliResource, warehouse: Warehouse
    ) -> Iterator[Any]:
        # Nothing changed since the last publish: yield nothing, so Dagster skips the (optional)
        # dbt outputs and everything downstream of them (defs/ops/build_gate.py).
        # A fresh PLANSIGNAL_DECISIONS_DIR gets header-only decision files, so the models that
        # read them build.
        ensure_decision_files(get_settings().decisions_dir)
        gate = open_build_gate(context, warehouse, DBT_BUILD_ARGS)
        if gate.unchanged:
            return
        invocation = dbt.cli(
            gate.dbt_args(DBT_BUILD_ARGS), context=context, pipeline_db=warehouse.pipeline_path,
            parse_state=home_parse_state(warehouse.pipeline_path),
        )
        try:
            yield from gate.stream(invocation)
            # The site's dbt docs describe this build, compiled SQL included (defs/site).
            keep_build_manifest(invocation.target_path / "manifest.json", warehouse.pipeline_path)
            keep_partial_parse(invocation.target_path, warehouse.pipeline_path)
        finally:
            # If event handling fails mid-stream, dbt must not live on holding the database lock.
            if invocation.process.poll() is None:
                invocation.process.terminate()
                invocation.process.wait(timeout=60)
            prune_run_targets(invocation.target_path.parent, context.op.name)

    return plansignal_dbt_models


# The governance site's dbt docs (defs/site/assets.py) describe the last build, compiled SQL
# included: `dbt docs generate --no-compile` reads this build's manifest, kept in a target
# folder of its own next to the pipeline database (not dbt/target, which the builds use).
BUILD_MANIFEST = "build_manifest.json"


def dbt_docs_target(pipeline_db: Path) -> Path:
    """dbt's target folder for the site's docs, next to the pipeline database."""
    return Path(pipeline_db).parent / "dbt_docs"


def keep_build_manifest(manifest: Path, pipeline_db: Path) -> None:
    """Keep the manifest of the build that wrote `pipeline_db` for the site's dbt docs."""
    target = dbt_docs_target(pipeline_db)
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(manifest, target / BUILD_MANIFEST)


# dbt parses the project again unless the state it saved after its last parse matches this
# invocation's (files, vars, and the profile, whose database path comes from the environment):
# 6 s in full, under 3 s partially. dagster-dbt starts each invocation from the state in
# dbt/target, which the last parse of any database left there (a test's, another home's).
# Each build keeps its state beside its database too (home_parse_state), and the home's next
# build starts from that, so `make test` before a `make run` costs it no full parse; the state
# in dbt/target serves a home's first build and the site's `dbt docs generate` on it.
PARTIAL_PARSE = "partial_parse.msgpack"


def home_parse_state(pipeline_db: Path) -> Path:
    """The parse state the last build of `pipeline_db` saved (it may not exist yet)."""
    return dbt_docs_target(pipeline_db) / PARTIAL_PARSE


def keep_partial_parse(invocation_target: Path, pipeline_db: Path) -> None:
    """Make this build's saved parse state the one the next build and the docs start from."""
    saved = invocation_target / PARTIAL_PARSE
    if not saved.is_file():
        return
    for folder in (dbt_project().manifest_path.parent, dbt_docs_target(pipeline_db)):
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{PARTIAL_PARSE}.{uuid.uuid4().hex}"
        shutil.copyfile(saved, partial)
        os.replace(partial, folder / PARTIAL_PARSE)  # whole, for an invocation starting now


# dagster-dbt gives every invocation its own target folder (about 14 MB: manifest, compiled
# SQL, run results) and never removes one; a daily pipeline would grow dbt/target by GBs a year.
KEEP_RUN_TARGETS = 5


def prune_run_targets(target_root: Path, op_name: str, keep: int = KEEP_RUN_TARGETS) -> None:
    """Delete all but the newest ``keep`` per-invocation target folders of ``op_name``."""
    folders = sorted(
        (p for p in target_root.glob(f"{op_name}-*") if p.is_dir()),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for folder in folders[keep:]:
        shutil.rmtree(folder, ignore_errors=True)


__all__ = [
    "BUILD_MANIFEST", "build_dbt_assets", "dbt_docs_target", "home_parse_state",
    "keep_build_manifest", "keep_partial_parse",
    "prune_run_targets",
]
