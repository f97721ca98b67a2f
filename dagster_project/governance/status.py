"""`plansignal status`: the last run, what blocked it, how old the served data is, and which
steward decisions wait for the next run. Read-only; works while nothing runs."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dagster_project.governance.decisions import DECISION_COLUMNS, decision_file
from dagster_project.ingest.freshness import TableFreshness, read_landing_freshness
from dagster_project.runtime.settings import Settings
from dagster_project.warehouse.build_state import STATE_TABLE
from dagster_project.warehouse.sql import table_exists


@dataclass
class RunRecord:
    """What the last `plansignal run` left in <warehouse>/logs/last_run.json."""

    run_id: str
    finished_at: str  # ISO, UTC
    outcome: str  # published, nothing new, blocked, failed
    blocking: list[str] = field(default_factory=list)
    unchanged_since: str | None = None


def last_run_path(settings: Settings) -> Path:
    return settings.warehouse_dir / "logs" / "last_run.json"


def save_last_run(settings: Settings, record: RunRecord) -> None:
    path = last_run_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.writing")
    temp.write_text(json.dumps(asdict(record), indent=2) + "\n", encoding="utf-8")
    temp.replace(path)


def load_last_run(settings: Settings) -> RunRecord | None:
    path = last_run_path(settings)
    if not path.is_file():
        return None
    try:
        return RunRecord(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError):
        return None


def _age(then: datetime, now: datetime) -> str:
    minutes = max(0, int((now - then).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // (24 * 60)} days ago"


def last_publish_time(pipeline_db: Path) -> datetime | None:
    """UTC time of the last publish, from ops.build_state (None before the first)."""
    if not pipeline_db.exists():
        return None
    try:
        con = duckdb.connect(str(pipeline_db), read_only=True)
    except duckdb.Error:
        return None  # a run holds the database open for writing
    try:
        if not table_exists(con, "ops", "build_state"):
            return None
        row = con.execute(
            f"select max(recorded_at) from {STATE_TABLE} where event = 'published'"
        ).fetchone()
    finally:
        con.close()
    return row[0].replace(tzinfo=UTC) if row and row[0] else None


def read_freshness(settings: Settings, now: datetime) -> list[TableFreshness] | None:
    """Each landing table's freshness; None while a run holds the pipeline database."""
    return read_landing_freshness(
        settings.pipeline_db, now.replace(tzinfo=None), settings.extract_max_age_days
    )


def freshness_lines(settings: Settings, now: datetime) -> list[str]:
    """Per landing table: newest extract, its load time and newest business date."""
    tables = read_freshness(settings, now)
    if tables is None:
        return ["extracts: not readable now (a run holds the pipeline database)"]
    if not tables:
        return []
    head = (f"extracts (stale after {settings.extract_max_age_days:g} days, "
            f"PLANSIGNAL_EXTRACT_MAX_AGE_DAYS): {sum(t.stale for t in tables)} stale")
    return [head] + [f"  {t.describe(now.replace(tzinfo=None))}" for t in tables]


def stale_extract_lines(settings: Settings) -> list[str]:
    """The run summary's warning lines: landing tables whose newest extract is stale."""
    now = datetime.now(UTC)
    return [f"WARNING stale extract: {t.describe(now.replace(tzinfo=None))}"
            for t in read_freshness(settings, now) or [] if t.stale]


def status_lines(settings: Settings, now: datetime | None = None) -> list[str]:
    now = now or datetime.now(UTC)
    lines: list[str] = []
    record = load_last_run(settings)
    if record is None:
        lines.append("last run: none recorded yet (`plansignal run` runs the pipeline)")
    else:
        finished = datetime.fromisoformat(record.finished_at)
        outcome = record.outcome
        if record.unchanged_since:
            outcome += f" (serving the publish of run {record.unchanged_since})"
        lines.append(f"last run: {record.run_id}, finished {finished:%Y-%m-%d %H:%M} UTC "
                     f"({_age(finished, now)}): {outcome}")
        lines += [f"  blocked by: {line}" for line in record.blocking]
    published = last_publish_time(settings.pipeline_db)
    if settings.serving_db.exists():
        when = published or datetime.fromtimestamp(settings.serving_db.stat().st_mtime, UTC)
        lines.append(f"serving database: {settings.serving_db}, published "
                     f"{when:%Y-%m-%d %H:%M} UTC ({_age(when, now)})")
    else:
        lines.append(f"serving database: {settings.serving_db} does not exist yet")
    for name in DECISION_COLUMNS:
        path = decision_file(settings.decisions_dir, name)
        if not path.exists():
            continue
        changed = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        if published is None or changed > published:
            lines.append(f"decisions waiting for the next run: {path} (changed "
                         f"{changed:%Y-%m-%d %H:%M} UTC)")
    return lines + freshness_lines(settings, now)
