"""The session's demo pipeline runs, (scale, seed) -> (home, report): see conftest.demo_pipeline.

Its own module, so there is one cache: pytest loads tests/conftest.py as the module `conftest`,
while test files import `tests.conftest`, a second copy with globals of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

DEMO_RUNS: dict[tuple[float, int], tuple[Path, Any]] = {}
