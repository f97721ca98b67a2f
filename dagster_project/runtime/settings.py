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
| PLANSIGNAL_EXTRACT_MAX_AGE_DAYS | 7: a landing table whose newest   |
|                           | extract was loaded longer ago is stale |
|                           | (the run warns; ingest/freshness.py)  |
| PLANSIGNAL_DUCKDB_MEMORY_LIMIT | 3GB: DuckDB's memory_limit for the |
|                           | pipeline's connections and dbt; past it |
|                           | DuckDB spills to disk (<db>.tmp)      |

Failure notification (governance/notify.py; not paths, but read here too, so the environment
is read in one place, but for the schedule's and sensor's settings, which
defs/ops/automation.py reads beside them):

| variable                  | default                               |
|---------------------------|---------------------------------------|
| PLANSIGNAL_NOTIFY_URL     | unset: the run summary (JSON) is POSTed |
|                           | here when a run blocks or fails       |
| PLANSIGNAL_NOTIFY_COMMAND | unset: a shell command that gets the  |
|                           | same JSON on stdin                    |
| PLANSIGNAL_NOTIFY_ON      | failure (blocked or failed runs);     |
|                           | always: every run, published too      |

Two export folders, not to be confused: ``planner_exports_dir`` (``PLANSIGNAL_EXPORTS_DIR``)
holds the planners' workbooks and Parquet files ``plansignal export`` writes on request;
the property ``exports_dir`` is the proposed-changes CSV folder the publish step rewrites
next to the serving database (``<warehouse>/proposed_changes``, no variable of its own).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
# The committed steward decisions (CSV files `plansignal review` writes; the dbt models
# stg_steward__* read them).
DECISIONS_DIR = DBT_PROJECT_DIR / "decisions"
# What DuckDB uses at most per database it opens (the pipeline's writer, the dbt build);
# past it DuckDB spills to disk. DuckDB's own default is 80 % of the machine, which
# at scale 100 took the run to 4.8 GB (make bench): 3GB keeps the run's process tree under
# issue 21's 4 GB with the Python processes beside it.
DEFAULT_DUCKDB_MEMORY_LIMIT = "3GB"
MEMORY_LIMIT = re.compile(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


def dbt_executable() -> str:
    """dbt from the interpreter's own environment, so `.venv/bin/python` works without PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def _path(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value).expanduser().resolve() if value else default


def _memory_limit(var: str, default: str) -> str:
    value = os.environ.get(var, "").strip() or default
    if not MEMORY_LIMIT.fullmatch(value):
        raise SystemExit(
            f"plansignal: {var}={value!r} is not a memory size such as 3GB, 2500MB or 0.5TB"
        )
    return value


def _days(var: str, default: float) -> float:
    value = os.environ.get(var)
    if not value:
        return default
    try:
        days = float(value)
    except ValueError:
        days = -1.0
    if days <= 0:
        raise SystemExit(f"plansignal: {var}={value!r} is not a positive number of days")
    return days


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
    extract_max_age_days: float = 7.0
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    # Where a run's summary goes when it blocks or fails (governance/notify.py).
    notify_url: str | None = None
    notify_command: str | None = None
    notify_on: str = "failure"  # failure | always

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
            "PLANSIGNAL_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit,
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
        extract_max_age_days=_days("PLANSIGNAL_EXTRACT_MAX_AGE_DAYS", 7.0),
        duckdb_memory_limit=_memory_limit(
            "PLANSIGNAL_DUCKDB_MEMORY_LIMIT", DEFAULT_DUCKDB_MEMORY_LIMIT
        ),
        notify_url=os.environ.get("PLANSIGNAL_NOTIFY_URL", "").strip() or None,
        notify_command=os.environ.get("PLANSIGNAL_NOTIFY_COMMAND", "").strip() or None,
        notify_on=os.environ.get("PLANSIGNAL_NOTIFY_ON", "").strip().lower() or "failure",
        planner_exports_dir=_path("PLANSIGNAL_EXPORTS_DIR", data_dir / "exports"),
    )
