"""Issue 21's goals, by the scale a bench ran at, and the verdict on one bench's measurements.

The issue states two sets: at scale 100 (full run at most 4x the floor; one new day at most
20 %, nothing new at most 5 % and the governance site at most 10 % of the full run; peak
memory at most 4 GB) and at scale 300 (peak memory at most 8 GB, wall time at most 3.5x scale
100). Below scale 100 (a quick bench) the scale-100 goals are the yardstick, between 100 and
300 scale 300's; above 300 the issue states none. The scale-300 time goal needs a scale-100
full run: the bench reads it from a scale-100 bench's JSON (`reference`), which names the
code it ran on, so a reader sees whether the two measured the same code.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCALE_100_GOALS = {
    "full_run_vs_floor_max": 4.0,
    "new_day_vs_full_max": 0.20,
    "rerun_vs_full_max": 0.05,
    "site_vs_full_max": 0.10,
    "peak_memory_gb_max": 4.0,
}
SCALE_300_GOALS = {
    "full_run_vs_scale_100_max": 3.5,
    "peak_memory_gb_max": 8.0,
}
RATIO_LABELS = {
    "full_run_vs_floor": "full run / floor",
    "full_run_vs_scale_100": "full run / scale 100's",
    "new_day_vs_full": "one new day / full run",
    "rerun_vs_full": "nothing new / full run",
    "site_vs_full": "governance site / full run",
}


def goals_for(scale: float) -> dict[str, float]:
    """The goals a bench at `scale` is held to (none above scale 300)."""
    if scale <= 100:
        return dict(SCALE_100_GOALS)
    if scale <= 300:
        return dict(SCALE_300_GOALS)
    return {}


def code_version(repo: Path) -> str:
    """The commit the bench ran (``+changes`` when the work tree differs), or ``unknown``."""
    try:
        commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}+changes" if dirty else commit


@dataclass(frozen=True)
class Reference:
    """A scale-100 bench's full run, which the scale-300 time goal is measured against."""

    path: Path
    full_run_s: float
    ran_at: str
    code: str

    def describe(self) -> str:
        return (f"{self.full_run_s:.1f} s in {self.path.name}, run {self.ran_at} "
                f"on code {self.code}")


def read_reference(path: Path) -> Reference | None:
    """The full run of a scale-100 bench JSON; None when there is none or it is not scale 100."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if report.get("scale") != 100:
        return None
    full = next((s for s in report.get("stages", []) if s.get("name") == "full run"), None)
    if full is None:
        return None
    return Reference(path, float(full["seconds"]), str(report.get("ran_at", "?")),
                     str(report.get("code", "unknown")))


def verdicts(goals: dict[str, float], ratios: dict[str, float | None]) -> dict[str, bool | None]:
    """Per goal the bench holds, met or not; None where the bench did not measure it."""
    met: dict[str, bool | None] = {}
    for key, limit in goals.items():
        name = key.removesuffix("_max")
        value = ratios.get(name)
        met[name.removesuffix("_gb")] = None if value is None else value <= limit
    return met


def verdict_line(label: str, value: float | None, goal: float | None, met: bool | None,
                 unit: str = "") -> str:
    """One line of the bench's verdict: the measurement, the goal, met or not."""
    shown = "not measured" if value is None else f"{value}{unit}"
    if goal is None:
        return f"{label}: {shown} (no goal at this scale)"
    outcome = "not measured" if met is None else ("met" if met else "NOT met")
    return f"{label}: {shown} (goal <= {goal:g}{unit}: {outcome})"


__all__ = [
    "RATIO_LABELS", "Reference", "SCALE_100_GOALS", "SCALE_300_GOALS", "code_version",
    "goals_for", "read_reference", "verdict_line", "verdicts",
]
