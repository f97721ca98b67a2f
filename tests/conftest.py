"""Shared fixtures: a throwaway plansignal home in tmp_path, settings pointed at it.

Whole-pipeline runs cost 25-60 s each (Dagster start, a dbt build of ~300 nodes, GX), so:

- ``demo_pipeline`` runs a generated demo extract through the real pipeline once per session
  for each (scale, seed); every module that asks for the same one reads the same published
  home. Tests that change a home (run again, land a bad file, tamper a suite) take
  ``private_copy`` of it instead.
- Tests marked ``e2e`` run whole jobs to show what only a whole job shows (crash recovery,
  the publish invariant, real data sets, reruns). ``make test`` leaves them out;
  ``make test-e2e`` (``pytest -m e2e``) runs them, and CI runs both (.ci/run).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import duckdb
import pandas as pd
import pytest

from dagster_project.runtime.settings import DECISIONS_DIR, Settings, get_settings
from tests.demo_runs import DEMO_RUNS

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
    "PLANSIGNAL_DECISIONS_DIR",
    "PLANSIGNAL_EXTRACT_MAX_AGE_DAYS",
    "PLANSIGNAL_DUCKDB_MEMORY_LIMIT",
    "PLANSIGNAL_EXPORTS_DIR",
    "DAGSTER_HOME",
    # A developer's own notification target is never sent a test run's summary.
    "PLANSIGNAL_NOTIFY_URL",
    "PLANSIGNAL_NOTIFY_COMMAND",
    "PLANSIGNAL_NOTIFY_ON",
)


def point_settings_at(monkeypatch: pytest.MonkeyPatch, root: Path) -> Settings:
    for var in SETTINGS_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PLANSIGNAL_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("DAGSTER_HOME", str(root / "dagster_home"))
    # The home's own steward decisions, starting as the committed ones (so a test's decisions
    # never touch the repository's dbt/decisions).
    decisions = root / "decisions"
    if not decisions.exists():
        shutil.copytree(DECISIONS_DIR, decisions)
    monkeypatch.setenv("PLANSIGNAL_DECISIONS_DIR", str(decisions))
    settings = get_settings()
    settings.landing_dir.mkdir(parents=True, exist_ok=True)
    return settings


Quality = TypeVar("Quality")


def query(database: Path, sql: str, params: Sequence[object] = ()) -> list[tuple]:
    """The rows of `sql` on a DuckDB file opened read-only, and closed (a run may write it next)."""
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def query_frame(database: Path, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
    """`query` as a DataFrame."""
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql, params).df()


def shown(quality: Quality, capsys: pytest.CaptureFixture[str]) -> Quality:
    """A ground-truth measurement (tooling/*_quality.py), its summary printed in the test output."""
    with capsys.disabled():
        print(f"\n{quality.summary()}")  # type: ignore[attr-defined]
    return quality


@contextmanager
def demo_pipeline(
    tmp_path_factory: pytest.TempPathFactory, name: str, scale: float, seed: int
) -> Iterator[tuple[Settings, RunReport]]:
    """A generated demo extract run through the real pipeline in its own temporary home.

    Built once per session for each (scale, seed), in a home named after the first caller's
    ``name``, and shared by every caller: read it, never change it (``private_copy``).
    Settings point at the home while the context is open.
    """
    from dagster_project.cli import run_pipeline
    from tooling.demo_data import generate

    monkeypatch = pytest.MonkeyPatch()
    try:
        if (scale, seed) not in DEMO_RUNS:
            root = tmp_path_factory.mktemp(name)
            settings = point_settings_at(monkeypatch, root)
            generate(scale, seed, settings.landing_dir, settings.truth_dir, progress=False)
            DEMO_RUNS[scale, seed] = root, run_pipeline(settings)
        root, report = DEMO_RUNS[scale, seed]
        yield point_settings_at(monkeypatch, root), report
    finally:
        monkeypatch.undo()


@pytest.fixture(scope="module")
def shared_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, RunReport]]:
    """The session's published demo run (scale 0.03, seed 11): read it, never change it."""
    with demo_pipeline(tmp_path_factory, "plansignal", 0.03, 11) as (settings, report):
        assert report.exit_code == 0, report.step_failures + report.blocking_failures
        yield settings, report


def private_copy(monkeypatch: pytest.MonkeyPatch, settings: Settings, root: Path) -> Settings:
    """A copy of a home (data and Dagster run history) in ``root``, settings pointed at it.

    Files keep their timestamps, so the copy's serving file is still the one its last run
    published (warehouse/build_state compares size and mtime): a run on the copy behaves as
    a run on the original would, and the original stays as it was.
    """
    shutil.copytree(settings.data_dir, root / "data", symlinks=True)
    shutil.copytree(settings.decisions_dir, root / "decisions")
    if settings.dagster_home.exists():
        shutil.copytree(settings.dagster_home, root / "dagster_home", symlinks=True)
    return point_settings_at(monkeypatch, root)


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
