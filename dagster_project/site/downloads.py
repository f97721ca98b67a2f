"""The files planners download from the site: `plansignal export`'s workbooks and Parquet
files, and the change-set CSVs every publish rewrites.

They are put into the site under ``downloads/<folder>/`` (hard links, files.Linked), so the
links work wherever the site is opened or served (`make site` serves only the site folder),
and each row says whether the file is older than the served data it came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .files import Linked, SiteFiles

DOWNLOAD_SUFFIXES = (".xlsx", ".parquet", ".csv")
DOWNLOADS = "downloads"


def read_downloads(folders: Sequence[Path], serving_db: Path) -> list[dict[str, Any]]:
    """One row per downloadable file of ``folders``: its place in the site, size, age."""
    served = serving_db.stat().st_mtime if serving_db.exists() else None
    rows: list[dict[str, Any]] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.suffix not in DOWNLOAD_SUFFIXES or path.name.startswith("."):
                continue
            stat = path.stat()
            file = path.relative_to(folder.parent).as_posix()
            rows.append({
                "file": file,
                "href": f"{DOWNLOADS}/{file}",
                "source": path,
                "size_kb": round(stat.st_size / 1024, 1),
                "written_at": datetime.fromtimestamp(stat.st_mtime, UTC).replace(tzinfo=None),
                "stale": "older than the served data"
                if served is not None and stat.st_mtime < served else "",
            })
    return rows


def download_files(rows: Sequence[dict[str, Any]]) -> SiteFiles:
    return {row["href"]: Linked(row["source"]) for row in rows}
