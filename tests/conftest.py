"""Shared fixtures: a throwaway plansignal home in tmp_path, settings pointed at it."""

from __future__ import annotations

from pathlib import Path

import pytest

from dagster_project.settings import Settings, get_settings

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


@pytest.fixture
def tmp_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    return point_settings_at(monkeypatch, tmp_path)
