"""The dbt project as Dagster assets: staging, intermediate and marts.

One translator decides keys and groups from the dbt folder a model lives in (its fqn), never
from its name: models under models/<layer>/ get the key [<layer>, <model>] and the group
<layer>; seeds are steward inputs; sources keep the key their meta names (["raw", <table>]).
"""


import os
import shutil
import sys
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from packaging import version

from dagster_project.defs.ops.build_gate import open_build_gate
from dagster_project.governance.decisions import ensure_decision_files
from dagster_project.resources import Warehouse
from dagster_project.runtime.settings import DBT_PROJECT_DIR, dbt_executable, get_settings

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
DBT_INPUT_DIRS = ("models", "macros", "seeds", "tests", "snapshots", "analyses")


def ensure_manifest() -> None:
    """Parse the dbt project when its manifest is missing or older than any project file.

    The asset definitions are read from the manifest, so a stale one would describe models
    that no longer exist (or miss new ones); every entry point (CLI, tests, dagster dev) comes
    through here, so none needs its own parse step.
    """
    manifest = dbt_project.manifest_path
    files = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in DBT_INPUT_DIRS:
        files.extend(p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file())
    newest = max(p.stat().st_mtime for p in files if p.exists())
    if manifest.exists() and manifest.stat().st_mtime >= newest:
        return
    # The one dbt runner (dbt_resource), writing the manifest where the assets read it; dbt
    # reads the paths from the environment (settings.dbt_env) like every run does.
    saved = dict(os.environ)
    os.environ.update(get_settings().dbt_env())
    try:
        dbt_resource().cli(
            ["parse", "--quiet"], target_path=dbt_project.manifest_path.parent
        ).wait()
    finally:
        os.environ.clear()
        os.environ.update(saved)


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
    ensure_manifest()

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
        # Nothing changed since the last publish: yield nothing, so Dagster skips the (optional)
        # dbt outputs and everything downstream of them (defs/ops/build_gate.py).
        # A fresh PLANSIGNAL_DECISIONS_DIR gets header-only decision files, so the models that
        # read them build.
        ensure_decision_files(get_settings().decisions_dir)
        gate = open_build_gate(context, warehouse, DBT_BUILD_ARGS)
        if gate.unchanged:
            return
        invocation = dbt.cli(list(DBT_BUILD_ARGS), context=context)
        try:
            yield from gate.stream(invocation)
            # The site's dbt docs describe this build, compiled SQL included (defs/site).
            keep_build_manifest(invocation.target_path / "manifest.json", warehouse.pipeline_path)
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


class PlansignalDbtCliResource(DbtCliResource):
    """DbtCliResource without two fixed costs of dagster-dbt's per-invocation set-up.

    - dagster-dbt runs `dbt --version` in a subprocess (about 2 s). The dbt this project runs
      is the one installed beside its interpreter (settings.dbt_executable), so its version is
      the installed dbt-core's; any other dbt executable is still asked.
    - dagster-dbt loads a dbt adapter in the Dagster process (about 1.5 s). It needs one only to
      fetch row counts and column metadata after the build, which this project does not ask
      for (the raw assets and contracts report row counts themselves).
    tests/test_dbt_resource.py fails when dagster-dbt renames either hook.
    """

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None

    @cached_property
    def _cli_version(self) -> version.Version:  # overrides dagster-dbt's private hook
        if Path(self.dbt_executable) == Path(sys.executable).with_name("dbt"):
            return version.parse(metadata.version("dbt-core"))
        return super()._cli_version


def dbt_resource() -> DbtCliResource:
    return PlansignalDbtCliResource(
        project_dir=dbt_project,
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=dbt_executable(),
    )


__all__ = ["build_dbt_assets", "dbt_project", "dbt_resource"]
