"""The two documentation sets the site links: Great Expectations Data Docs and dbt docs.

GX Data Docs are rendered by GX from validation results saved during the runs
(`dagster_project.contracts.saved_results`) into a scratch folder, then rewritten to load
Bootstrap, jQuery and Font Awesome from the site's own ``assets/vendor`` instead of CDNs.

dbt docs are not made here: the site asset runs ``dbt docs generate --static`` through the
Dagster dbt resource and hands over its one self-contained page (`DbtDocs`); the site copies
it to ``dbt/index.html``. Without a new page the site keeps the one it already has.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dagster_project.contracts.suites import SuiteOutcome, write_data_docs

from .files import ASSETS, SiteFiles

log = logging.getLogger(__name__)

DBT_PAGE = "dbt/index.html"


@dataclass(frozen=True)
class DbtDocs:
    """What ``dbt docs generate --static`` produced for the site: its page, or why none."""

    page: Path | None
    note: str


@dataclass(frozen=True)
class DocLink:
    """A documentation set as the index lists it: its link (None: absent) and a note."""

    title: str
    href: str | None
    note: str


def dbt_docs_or_previous(given: DbtDocs | None, site_dir: Path) -> DbtDocs:
    """The dbt docs page to publish: the one given, else the site's current copy, if any."""
    given = given or DbtDocs(None, "none handed to this build")
    if given.page is not None and given.page.is_file():
        return given
    why = given.note if given.page is None else f"{given.page} is missing"
    previous = Path(site_dir) / DBT_PAGE
    if previous.is_file():
        return DbtDocs(previous, f"from an earlier build; not regenerated: {why}")
    return DbtDocs(None, f"not available: {why}")


def dbt_docs_files(docs: DbtDocs) -> tuple[DocLink, SiteFiles]:
    if docs.page is None:
        return DocLink("dbt docs", None, docs.note), {}
    return DocLink("dbt docs", DBT_PAGE, docs.note), {DBT_PAGE: docs.page}


# CDN resources in GX Data Docs -> the site's copies (None: dropped, not needed offline).
_CDN = [
    ("jquery", "vendor/jquery.min.js"),
    ("popper", None),  # bundled in bootstrap.bundle.min.js
    ("bootstrap.min.js", "vendor/bootstrap.bundle.min.js"),
    ("bootstrap.min.css", "vendor/bootstrap.min.css"),
    ("font-awesome", "vendor/fontawesome/css/all.min.css"),
    ("bootstrap-table.min.js", "gx-offline.js"),  # draws the index tables without the library
]
_EXTERNAL_TAG = re.compile(
    r"""<(script|link)\b[^>]*?\b(?:src|href)=["'](https?:)?//[^"']+["'][^>]*>(?:\s*</script>)?""",
    re.IGNORECASE)
_EXTERNAL_IMG = re.compile(r"""(<img\b[^>]*?\bsrc=)["']https?://[^"']*logo[^"']*["']""",
                           re.IGNORECASE)


def _offline_html(text: str, root: str, gx_root: str) -> str:
    """Replace CDN <script>/<link> tags by the site's local copies; drop the rest.

    GX's own markup, not ours: its renderers escape the validated values; this only swaps
    the tags GX writes for its libraries.
    """

    def local(match: re.Match[str]) -> str:
        tag = match.group(0)
        url = re.search(r"""(?:src|href)=["']([^"']+)""", tag).group(1)
        if "<link" in tag.lower() and "stylesheet" not in tag.lower():
            return ""
        for needle, target in _CDN:
            if needle in url:
                if target is None:
                    return ""
                href = f"{root}{ASSETS}/{target}"
                if target.endswith(".css"):
                    return f'<link rel="stylesheet" href="{href}">'
                return f'<script src="{href}"></script>'
        return ""

    text = _EXTERNAL_TAG.sub(local, text)
    text = _EXTERNAL_IMG.sub(rf'\1"{gx_root}static/images/logo-long.png"', text)
    # GX gets the favicon's relative path wrong on nested pages.
    text = re.sub(r'href="(?:\./|(?:\.\./)*)static/images/favicon\.ico"',
                  f'href="{gx_root}static/images/favicon.ico"', text)
    back = (f'<div style="position:fixed;left:0;bottom:0;z-index:2000;padding:2px 10px;'
            f'background:#102a43"><a style="color:#fff" href="{root}index.html">'
            "&larr; plansignal governance site</a></div>")
    return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + back, text, count=1)


def gx_docs_files(
    results: Sequence[SuiteOutcome | Path], scratch: Path
) -> tuple[DocLink, SiteFiles]:
    """Data Docs for these results as the site's gx/ files, rendered in `scratch`.

    Data Docs are a view of the contract history: when GX fails, the site says so and goes on.
    """
    title = "Great Expectations Data Docs"
    if not results:
        return DocLink(title, None, "no saved validation results yet: Data Docs not built"), {}
    try:
        write_data_docs(results, scratch)
    except Exception as exc:
        log.warning("Great Expectations Data Docs not built: %s", exc)
        return DocLink(title, None, f"not built: {str(exc).splitlines()[0][:200]}"), {}
    built = scratch / "gx"
    files: SiteFiles = {}
    for path in sorted(built.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(built)
        if path.suffix == ".html":
            depth = len(relative.parts)  # gx/<...>/page.html
            files[f"gx/{relative.as_posix()}"] = _offline_html(
                path.read_text(encoding="utf-8"), "../" * depth, "../" * (depth - 1))
        else:
            files[f"gx/{relative.as_posix()}"] = path
    return DocLink(title, "gx/index.html", f"{len(results)} suite run(s)"), files
