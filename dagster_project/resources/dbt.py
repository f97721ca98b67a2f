"""The one way this project runs dbt: the Dagster dbt resource.

`dbt_resource` builds it from the settings (project and profiles dir, the dbt beside the
interpreter, the paths dbt reads from the environment); the dbt assets, the site's dbt docs,
the manifest parse (`ensure_manifest`) and the tests' partial builds (tests/dbt_harness.py)
all run dbt through it, each dbt a subprocess. The only other dbt start is the Spark test
(tests/spark_harness.py): dbt-spark's `session` method must run dbt inside the process that
holds the SparkSession, which a subprocess cannot.

Importing this module does no work: the project and the resource are built when asked for.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache, cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliInvocation, DbtCliResource, DbtProject
from packaging import version

from dagster_project.runtime.settings import DBT_PROJECT_DIR, Settings, dbt_executable, get_settings

# The folders whose files, with dbt_project.yml and profiles.yml, make the manifest stale.
DBT_INPUT_DIRS = ("models", "macros", "seeds", "tests", "snapshots", "analyses")
PIPELINE_DB_VAR = "PLANSIGNAL_PIPELINE_DB"  # dbt/profiles.yml reads the database path from it

# dagster-dbt gives dbt a copy of os.environ; the resource's variables are put there only while
# it starts dbt, one start at a time.
_ENVIRON_LOCK = threading.Lock()


@cache
def dbt_project() -> DbtProject:
    """The dbt project (dbt/), its manifest at dbt/target/manifest.json."""
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


@contextmanager
def environ_overrides(overrides: Mapping[str, str]) -> Iterator[None]:
    """os.environ with `overrides` set while the block runs (one block at a time), then as it was.

    For starting dbt with this project's variables: the resource's subprocess and the Spark
    test harness's in-process dbtRunner.
    """
    with _ENVIRON_LOCK:
        saved = {name: os.environ.get(name) for name in overrides}
        os.environ.update(overrides)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


class PlansignalDbtCliResource(DbtCliResource):
    """DbtCliResource that hands dbt this project's paths, without two fixed costs.

    - `env` (settings.dbt_env: pipeline database, data and decisions folders) is dbt's
      environment on top of the process's; `cli(..., pipeline_db=...)` names another database
      for one invocation (the run's warehouse, a test's own file).
    - dagster-dbt runs `dbt --version` in a subprocess (about 2 s). The dbt this project runs
      is the one installed beside its interpreter (settings.dbt_executable), so its version is
      the installed dbt-core's; any other dbt executable is still asked.
    - dagster-dbt loads a dbt adapter in the Dagster process (about 1.5 s). It needs one only to
      fetch row counts and column metadata after the build, which this project does not ask
      for (the raw assets and contracts report row counts themselves).
    tests/test_dbt_resource.py fails when dagster-dbt renames either hook.
    """

    env: dict[str, str] = {}

    def cli(  # type: ignore[override]  # one keyword more than DbtCliResource.cli
        self,
        args: Sequence[str],
        *,
        raise_on_error: bool = True,
        manifest: Mapping[str, Any] | str | Path | None = None,
        dagster_dbt_translator: DagsterDbtTranslator | None = None,
        context: dg.OpExecutionContext | dg.AssetExecutionContext | None = None,
        target_path: Path | None = None,
        pipeline_db: Path | str | None = None,
        parse_state: Path | None = None,
    ) -> DbtCliInvocation:
        """Start ``dbt <args>`` (see DbtCliResource.cli); without a context, outside any asset.

        Without ``target_path`` dbt writes into a folder of its own under dbt/target.
        ``parse_state``: a parse state dbt saved (partial_parse.msgpack) for this invocation's
        database, to start from instead of the one in dbt/target, which the last parse of any
        database left there (a test's, another home's); dbt parses the whole project again
        when the state's profile differs (3-4 s). Ignored when the file does not exist.
        """
        if parse_state is not None and parse_state.is_file():
            # dagster-dbt copies dbt/target's state into the invocation's folder only when that
            # folder has none yet
            target_path = target_path or self._get_unique_target_path(context=context)
            if not target_path.is_absolute():  # dagster-dbt's are relative to the project
                target_path = Path(self.project_dir) / target_path
            target_path.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(parse_state, target_path / parse_state.name)
        env = dict(self.env)
        if pipeline_db is not None:
            env[PIPELINE_DB_VAR] = str(pipeline_db)
        # dbt's process is started (and its environment copied) in here
        with environ_overrides(env):
            return super().cli(
                args,
                raise_on_error=raise_on_error,
                manifest=manifest,
                dagster_dbt_translator=dagster_dbt_translator,
                context=context,
                target_path=target_path,
            )

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None

    @cached_property
    def _cli_version(self) -> version.Version:  # overrides dagster-dbt's private hook
        if Path(self.dbt_executable) == Path(sys.executable).with_name("dbt"):
            return version.parse(metadata.version("dbt-core"))
        return super()._cli_version


def dbt_resource(settings: Settings | None = None) -> PlansignalDbtCliResource:
    """The dbt resource for these settings (by default, the environment's now)."""
    settings = settings or get_settings()
    return PlansignalDbtCliResource(
        project_dir=dbt_project(),
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=dbt_executable(),
        env=settings.dbt_env(),
    )


def manifest_is_stale(manifest: Path) -> bool:
    """True when the manifest is missing or older than any file of the dbt project."""
    files = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in DBT_INPUT_DIRS:
        files.extend(p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file())
    newest = max(p.stat().st_mtime for p in files if p.exists())
    return not manifest.exists() or manifest.stat().st_mtime < newest


def ensure_manifest() -> Path:
    """The project's manifest, parsed first (``dbt parse`` through the resource) when stale.

    The asset definitions are read from the manifest, so a stale one would describe models
    that no longer exist (or miss new ones); every entry point (CLI, tests, dagster dev) comes
    through here, so none needs its own parse step. (dagster-dbt's own `prepare_if_dev` parses
    only under `dagster dev`, always, and through a plain DbtCliResource without this
    project's environment.)
    """
    manifest = dbt_project().manifest_path
    if manifest_is_stale(manifest):
        dbt_resource().cli(["parse", "--quiet"], target_path=manifest.parent).wait()
    return manifest


__all__ = ["PlansignalDbtCliResource", "dbt_project", "dbt_resource", "ensure_manifest"]
