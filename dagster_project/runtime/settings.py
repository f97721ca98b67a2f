"""The one place that decides every path the project uses.

Each path comes from an environment variable with a documented default under the repository,
so nothing depends on the working directory. dbt reads the same values through the environment
that :func:`dbt_env` builds.

| variable                  | default                               |
|---------------------------|---------------------------------------|
| PLANSIGNAL_DATA_DIR       | <repo>/data                           |
| PLANSIGNAL_LANDING_DIR    | $PLANSIGNAL_DATA_DIR/landing          |
| PLANSIGNAL_MAPPINGS_DIR   | <repo>/data/mappings (committed config, |
|                           | so it does not follow the data dir)   |
| PLANSIGNAL_TRUTH_DIR      | $PLANSIGNAL_DATA_DIR/demo_truth       |
| PLANSIGNAL_WAREHOUSE_DIR  | $PLANSIGNAL_DATA_DIR/warehouse        |
| PLANSIGNAL_PIPELINE_DB    | $PLANSIGNAL_WAREHOUSE_DIR/pipeline.duckdb |
| PLANSIGNAL_SERVING_DB     | $PLANSIGNAL_WAREHOUSE_DIR/planning.duckdb |
| PLANSIGNAL_SITE_DIR       | $PLANSIGNAL_DATA_DIR/site             |
| PLANSIGNAL_DECISIONS_DIR  | <repo>/dbt/decisions (steward decision |
|                           | files, committed like the mappings)   |
| PLANSIGNAL_EXPORTS_DIR    | $PLANSIGNAL_DATA_DIR/exports (what    |
|                           | `plansignal export` writes for planners) |
| DAGSTER_HOME              | <repo>/.dagster_home                  |

Two export folders, not to be confused: ``planner_exports_dir`` (``PLANSIGNAL_EXPORTS_DIR``)
holds the planners' workbooks and Parquet files ``plansignal export`` writes on request;
the property ``exports_dir`` is the proposed-changes CSV folder the publish step rewrites
next to the serving database (``<warehouse>/proposed_changes``, no variable of its own).
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
# The committed steward decisions (dbt seeds written by `plansignal review`).
DECISIONS_DIR = DBT_PROJECT_DIR / "decisions"


def dbt_executable() -> str:
    """dbt from the interpreter's own environment, so `.venv/bin/python` works without PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def _path(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    landing_dir: Path
    mappings_dir: Path
    truth_dir: Path
    warehouse_dir: Path
    pipeline_db: Path
    serving_db: Path
    site_dir: Path
    decisions_dir: Path
    dagster_home: Path
    # `plansignal export` (dagster_project/exports): worklist.xlsx, change_sets.xlsx, parquet/.
    planner_exports_dir: Path

    @property
    def exports_dir(self) -> Path:
        """The proposed-changes CSVs (publish step); the planners' exports are elsewhere."""
        return exports_dir_for(self.serving_db)

    def dbt_env(self) -> dict[str, str]:
        """Environment for dbt subprocesses: the same paths the Python side uses."""
        return {
            "PLANSIGNAL_PIPELINE_DB": str(self.pipeline_db),
            "PLANSIGNAL_DATA_DIR": str(self.data_dir),
            "PLANSIGNAL_DECISIONS_DIR": str(self.decisions_dir),
        }


def exports_dir_for(serving_db: Path) -> Path:
    """Proposed master-data change sets (one CSV per target table), next to the serving db."""
    return serving_db.parent / "proposed_changes"


def get_settings() -> Settings:
    """Read the settings from the environment now (tests point them at tmp_path)."""
    data_dir = _path("PLANSIGNAL_DATA_DIR", REPO_ROOT / "data")
    warehouse_dir = _path("PLANSIGNAL_WAREHOUSE_DIR", data_dir / "warehouse")
    return Settings(
        data_dir=data_dir,
        landing_dir=_path("PLANSIGNAL_LANDING_DIR", data_dir / "landing"),
        mappings_dir=_path("PLANSIGNAL_MAPPINGS_DIR", REPO_ROOT / "data" / "mappings"),
        truth_dir=_path("PLANSIGNAL_TRUTH_DIR", data_dir / "demo_truth"),
        warehouse_dir=warehouse_dir,
        pipeline_db=_path("PLANSIGNAL_PIPELINE_DB", warehouse_dir / "pipeline.duckdb"),
        serving_db=_path("PLANSIGNAL_SERVING_DB", warehouse_dir / "planning.duckdb"),
        site_dir=_path("PLANSIGNAL_SITE_DIR", data_dir / "site"),
        decisions_dir=_path("PLANSIGNAL_DECISIONS_DIR", DECISIONS_DIR),
        dagster_home=_path("DAGSTER_HOME", REPO_ROOT / ".dagster_home"),
        planner_exports_dir=_path("PLANSIGNAL_EXPORTS_DIR", data_dir / "exports"),
    )
