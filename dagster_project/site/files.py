"""The site's files: the assets it ships with, and the one place that writes the site.

A build hands `write_site` every file of the site at once (a mapping from relative path to
text, bytes, or a file to copy). The tree is written into a new folder beside the site folder
and swapped in with two renames, so a reader sees the old site or the new one, never a mix,
and nothing stale survives. Scripts, styles and fonts come from installed packages and from
``static/`` in this package: nothing is loaded from a CDN, so the site works offline.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

ASSETS = "assets"
STATIC_DIR = Path(__file__).with_name("static")  # site.css, site.js, gx-offline.js



@dataclass(frozen=True)
class Linked:
    """A file the site offers for download (an export): hard-linked into the site, so a large
    Parquet file costs no copy; copied where a link cannot be made (another filesystem)."""

    source: Path


Content = str | bytes | Path | Linked  # text, bytes, a file whose bytes are copied, a download
SiteFiles = dict[str, Content]  # relative POSIX path in the site -> content


def assets() -> tuple[SiteFiles, str]:
    """The files under assets/ (plotly.js, the site's and the Data Docs' scripts, styles and
    fonts) and plotly.js's version."""
    import plotly
    import plotly.offline
    import xstatic.pkg.bootstrap as bootstrap
    import xstatic.pkg.font_awesome as font_awesome
    import xstatic.pkg.jquery as jquery

    bootstrap_dir, fa_dir = Path(bootstrap.BASE_DIR), Path(font_awesome.BASE_DIR)
    files: SiteFiles = {f"{ASSETS}/plotly.min.js": plotly.offline.get_plotlyjs()}
    files |= {f"{ASSETS}/{p.name}": p for p in sorted(STATIC_DIR.iterdir()) if p.is_file()}
    vendor = f"{ASSETS}/vendor"
    files |= {
        f"{vendor}/bootstrap.min.css": bootstrap_dir / "css" / "bootstrap.min.css",
        f"{vendor}/bootstrap.bundle.min.js": bootstrap_dir / "js" / "bootstrap.bundle.min.js",
        f"{vendor}/jquery.min.js": Path(jquery.BASE_DIR) / "jquery.min.js",
        f"{vendor}/fontawesome/css/all.min.css": fa_dir / "css" / "all.min.css",
    }
    files |= {f"{vendor}/fontawesome/webfonts/{font.name}": font
              for font in sorted((fa_dir / "webfonts").glob("*"))
              if font.suffix in (".woff2", ".ttf")}
    return files, plotly.__version__


def write_site(site_dir: Path, files: Mapping[str, Content]) -> None:
    """Replace the folder `site_dir` by exactly these files (built beside it, swapped in)."""
    site_dir = Path(site_dir)
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    stage = _sibling(site_dir, "new")
    try:
        stage.mkdir()
        for relative, content in files.items():
            target = stage / _relative(relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Linked):
                try:
                    os.link(content.source, target)
                except OSError:
                    shutil.copyfile(content.source, target)
            elif isinstance(content, Path):
                shutil.copyfile(content, target)
            elif isinstance(content, str):
                target.write_text(content, encoding="utf-8")
            else:
                target.write_bytes(content)
        _swap_dir(stage, site_dir)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _relative(path: str) -> PurePosixPath:
    """A path inside the site; anything that could leave it (absolute, ..) is refused."""
    relative = PurePosixPath(path)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise ValueError(f"not a path inside the site: {path!r}")
    return relative


def _sibling(folder: Path, suffix: str) -> Path:
    return folder.with_name(f".{folder.name}.{os.getpid()}.{uuid.uuid4().hex[:6]}.{suffix}")


def _swap_dir(new: Path, live: Path) -> None:
    """Replace folder `live` by `new` with two renames (a reader sees old or new files)."""
    olds = []
    for _ in range(3):  # another build may swap in its folder between our two renames
        if live.exists():
            olds.append(_sibling(live, "old"))
            os.replace(live, olds[-1])
        try:
            os.replace(new, live)
            break
        except OSError:
            continue
    for old in olds:
        shutil.rmtree(old, ignore_errors=True)
