"""Shared fixtures: a throwaway plansignal home in tmp_path, settings pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from dagster_project.runtime.settings import Settings, get_settings

if TYPE_CHECKING:
    from dagster_project.cli import RunReport

REALDATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"

SETTINGS_VARS = (
    "PLANSIGNAL_DATA_DIR",
    "PLANSIGNAL_LANDING_DIR",
    "PLANSIGNAL_TRUTH_DIR",
    "PLANSIGNAL_WAREHOUSE_DIR",
    "PLANSIGNAL_PIPELINE_DB",
    "PLANSIGNAL_SERVING_DB",
    "PLANSIGNAL_SITE_DIR",
    "DAGSTER_HOME",
)


def point_settings_at(monkeypatch: pytest.MonkeyPatch, root: Path) -> Settings:
    for var in SETTINGS_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PLANSIGNAL_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("DAGSTER_HOME", str(root / "dagster_home"))
    settings = get_settings()
    settings.landing_dir.mkdir(parents=True, exist_ok=True)
    return settings


@contextmanager
def demo_pipeline(
    tmp_path_factory: pytest.TempPathFactory, name: str, scale: float, seed: int
) -> Iterator[tuple[Settings, RunReport]]:
    """A generated demo extract run through the real pipeline in its own temporary home."""
    from dagster_project.cli import run_pipeline
    from tooling.demo_data import generate

    monkeypatch = pytest.MonkeyPatch()
    try:
        settings = point_settings_at(monkeypatch, tmp_path_factory.mktemp(name))
        generate(scale, seed, settings.landing_dir, settings.truth_dir, progress=False)
        yield settings, run_pipeline(settings)
    finally:
        monkeypatch.undo()


@pytest.fixture
def tmp_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    return point_settings_at(monkeypatch, tmp_path)


USAID_FILE = REALDATA_DIR / "usaid_scms" / "SCMS_Delivery_History_Dataset.csv"


@pytest.fixture(scope="session")
def usaid_pipeline_run(tmp_path_factory: pytest.TempPathFactory):
    """The real USAID SCMS history mapped onto the landing contract and run end to end.

    Read from ../shared/realdata (never copied into the project); skipped where it is absent.
    """
    if not USAID_FILE.is_file():
        pytest.skip(f"real data not available: {USAID_FILE}")
    from dagster_project.cli import run_pipeline
    from dagster_project.mapping.apply import apply_mapping
    from dagster_project.mapping.config import load_mapping
    from dagster_project.runtime.settings import REPO_ROOT

    monkeypatch = pytest.MonkeyPatch()
    settings = point_settings_at(monkeypatch, tmp_path_factory.mktemp("usaid"))
    mapping = load_mapping(REPO_ROOT / "data" / "mappings" / "usaid_scms.yml")
    apply_mapping(mapping, USAID_FILE.parent, settings.landing_dir, tag="2015-09-30")
    report = run_pipeline(settings)
    yield settings, report
    monkeypatch.undo()
