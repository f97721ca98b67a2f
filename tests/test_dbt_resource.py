"""The dbt resource (resources/dbt.py): its shortcut for dbt's version, the environment it
gives dbt, and the pruning of per-run target folders (defs/dbt/assets.py)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from dagster_dbt import DbtCliResource

from dagster_project.defs.dbt.assets import prune_run_targets
from dagster_project.resources.dbt import PlansignalDbtCliResource, dbt_project, dbt_resource


def test_version_shortcut_agrees_with_dbt_itself() -> None:
    # dagster-dbt's private hooks must still exist, or the overrides are silently dead code.
    assert "_cli_version" in vars(DbtCliResource)
    assert "_initialize_dbt_core_adapter" in vars(DbtCliResource)
    assert "_get_unique_target_path" in vars(DbtCliResource)  # used by cli(parse_state=...)
    resource = dbt_resource()
    assert isinstance(resource, PlansignalDbtCliResource)
    asked = DbtCliResource._cli_version.func(resource)  # runs `dbt --version`
    assert resource._cli_version == asked


def test_dbt_gets_the_resources_environment_only_while_it_starts(monkeypatch, tmp_path: Path):
    seen: dict[str, str] = {}

    def start(self: DbtCliResource, args: list[str], **kwargs: object) -> str:
        seen.update(os.environ)  # dagster-dbt copies os.environ into dbt's environment
        return "started"

    monkeypatch.setattr(DbtCliResource, "cli", start)
    monkeypatch.delenv("PLANSIGNAL_PIPELINE_DB", raising=False)
    resource = dbt_resource()
    assert resource.cli(["parse"], pipeline_db=tmp_path / "own.duckdb") == "started"
    assert seen["PLANSIGNAL_PIPELINE_DB"] == str(tmp_path / "own.duckdb")
    assert seen["PLANSIGNAL_DECISIONS_DIR"] == resource.env["PLANSIGNAL_DECISIONS_DIR"]
    assert "PLANSIGNAL_PIPELINE_DB" not in os.environ  # put back once dbt has started
    resource.cli(["parse"])
    assert seen["PLANSIGNAL_PIPELINE_DB"] == resource.env["PLANSIGNAL_PIPELINE_DB"]


def test_dbt_starts_from_the_parse_state_it_is_given(monkeypatch, tmp_path: Path) -> None:
    started: dict[str, object] = {}

    def start(self: DbtCliResource, args: list[str], **kwargs: object) -> str:
        started.update(kwargs)
        return "started"

    monkeypatch.setattr(DbtCliResource, "cli", start)
    state = tmp_path / "home" / "partial_parse.msgpack"
    resource = dbt_resource()
    resource.cli(["build"], parse_state=state)  # no state saved yet: dbt/target's serves
    assert started["target_path"] is None
    state.parent.mkdir()
    state.write_bytes(b"the home's own state")
    resource.cli(["build"], parse_state=state)
    target = started["target_path"]
    assert isinstance(target, Path) and target.parent == dbt_project().manifest_path.parent
    assert (target / "partial_parse.msgpack").read_bytes() == b"the home's own state"
    shutil.rmtree(target)
    given = tmp_path / "given_target"
    resource.cli(["build"], parse_state=state, target_path=given)
    assert started["target_path"] == given
    assert (given / "partial_parse.msgpack").read_bytes() == b"the home's own state"


def test_old_per_run_target_folders_are_pruned(tmp_path: Path) -> None:
    for age in range(8):
        folder = tmp_path / f"plansignal_dbt_models-{age:07d}-abcdef0"
        folder.mkdir()
        os.utime(folder, (1_000_000 - age, 1_000_000 - age))  # age 0 is the newest
    (tmp_path / "manifest.json").write_text("{}")  # the project's own target files stay
    (tmp_path / "other_op-0000000-abcdef0").mkdir()
    prune_run_targets(tmp_path, "plansignal_dbt_models", keep=3)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [
        "manifest.json",
        "other_op-0000000-abcdef0",
        "plansignal_dbt_models-0000000-abcdef0",
        "plansignal_dbt_models-0000001-abcdef0",
        "plansignal_dbt_models-0000002-abcdef0",
    ]
