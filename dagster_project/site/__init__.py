"""The governance site: static HTML written by every run to the site folder.

index.html shows the state of planning data at a glance (contract pass rates and their trend,
findings by type and severity, lead-time drift, safety stocks, false availability) and links
to detail tables, Great Expectations Data Docs (gx/) and dbt docs (dbt/). Every part with a
finding has evidence (its findings, lead times per supplier, PO lines over time, exclusions,
safety stocks, availability checks) on one page, parts/part.html?id=<canonical_part_id>, which
draws it in the browser from the part's data file, parts/data/<n>.js: a few data files of about
1 MB each written by DuckDB in one pass, instead of an HTML file per part (tens of thousands at
scale 100, which made the site the run's slowest step). The detail pages (the worklist, lead
times, safety stock, availability, review queue, change sets) are shells the same way:
static/site.js draws their rows from <page>.data.<n>.js (`details`, up to DETAIL_ROWS rows each),
100 to a page, filtered and sorted in the browser. Everything ships with the site:
plotly.js and the Data Docs' Bootstrap/jQuery/Font Awesome are copied into assets/, nothing
comes from a CDN, and every page works from file:// (the data files are scripts, not fetched).

`build_site` is one pass: gather (`queries` read both databases once, and DuckDB writes the
data files' text, `evidence` and `details`, with `datafiles`; the saved GX results;
the dbt docs page it is handed; `downloads` the exported files it links), render (`pages`
fills the Jinja2 templates in templates/, `charts` the plotly figures, `docs` the Data Docs),
write (`files` writes the whole tree beside the site folder and swaps it in). A leaf: it
reads databases and files and writes the site folder, nothing else; it runs no process. The
dbt docs page comes from the site asset (``defs/site``), which runs dbt through the Dagster
dbt resource.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict, Unpack

from dagster_project.contracts.saved_results import latest_validation_files, validations_dir
from dagster_project.contracts.suites import SuiteOutcome

from . import queries
from .docs import DbtDocs, dbt_docs_files, dbt_docs_or_previous, gx_docs_files
from .downloads import download_files, read_downloads
from .files import SiteFiles, assets, write_site
from .pages import render_pages

__all__ = [
    "DbtDocs", "GatherOptions", "SiteInputs", "build_site", "gather", "published_status", "render",
]

log = logging.getLogger(__name__)


def published_status(run_id: str) -> str:
    """The site's status line after a run that published (the site asset and the CLI)."""
    return f"Run {run_id} succeeded and published the serving database."


@dataclass
class SiteInputs:
    """Everything the site shows, read once."""

    quality: queries.QualityData
    marts: queries.MartData
    validations: list[SuiteOutcome | Path]
    dbt_docs: DbtDocs
    top_rows: int  # rows per table on the index page


class GatherOptions(TypedDict, total=False):
    """What `gather` (and so `build_site`) may be told besides the databases and the folder."""

    validations: Sequence[SuiteOutcome | Path] | None
    gx_runs: int
    dbt_docs: DbtDocs | None
    top_parts: int
    top_rows: int
    extract_max_age_days: float
    download_dirs: Sequence[Path]


def gather(
    pipeline_db: Path,
    serving_db: Path,
    site_dir: Path,
    *,
    validations: Sequence[SuiteOutcome | Path] | None = None,
    gx_runs: int = 1,
    dbt_docs: DbtDocs | None = None,
    top_parts: int = 25,
    top_rows: int = queries.TOP_ROWS,
    extract_max_age_days: float = 7.0,
    download_dirs: Sequence[Path] = (),
) -> SiteInputs:
    """Read what the site shows: contract history, marts, GX results, the dbt docs page."""
    pipeline_db, serving_db = Path(pipeline_db), Path(serving_db)
    if validations is None:
        validations = latest_validation_files(validations_dir(pipeline_db), gx_runs)
    quality = queries.read_quality(pipeline_db, serving_db, extract_max_age_days)
    quality.downloads = read_downloads(download_dirs, serving_db)
    return SiteInputs(
        quality=quality,
        marts=queries.read_marts(serving_db, top_parts, top_rows),
        validations=list(validations),
        dbt_docs=dbt_docs_or_previous(dbt_docs, Path(site_dir)),
        top_rows=top_rows,
    )


def render(inputs: SiteInputs, status_line: str, scratch: Path) -> SiteFiles:
    """Every file of the site (relative path -> content); GX renders its pages in `scratch`."""
    files, plotly_version = assets()
    gx_link, gx_files = gx_docs_files(inputs.validations, scratch)
    dbt_link, dbt_files = dbt_docs_files(inputs.dbt_docs)
    pages = render_pages(inputs.quality, inputs.marts, status_line, [gx_link, dbt_link],
                         plotly_version, inputs.top_rows)
    return files | gx_files | dbt_files | pages | download_files(inputs.quality.downloads)


def build_site(
    pipeline_db: Path,
    serving_db: Path,
    site_dir: Path,
    status_line: str,
    **options: Unpack[GatherOptions],
) -> Path:
    """Write the whole site into `site_dir` and return its index.html; `options` go to `gather`.

    `validations`: GX results for Data Docs; by default the saved results of the last
    `gx_runs` runs under <warehouse>/validations (about 35 ms per suite run to render).
    `dbt_docs`: the page ``dbt docs generate --static`` wrote (the site asset makes it); None
    or a failed one keeps the site's current dbt docs. `top_parts`: how many of the
    worklist's top parts the home page lists (every part with a finding has evidence on
    parts/part.html). `download_dirs`: folders whose files the home page links as downloads (the
    planners' exports, the change-set CSVs). Phase timings are logged at INFO.
    """
    site_dir = Path(site_dir)
    t0 = time.perf_counter()
    inputs = gather(pipeline_db, serving_db, site_dir, **options)
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="plansignal-site-") as scratch:
        files = render(inputs, status_line, Path(scratch))
        t2 = time.perf_counter()
        write_site(site_dir, files)
    t3 = time.perf_counter()
    log.info("governance site written to %s in %.1f s (gather %.2f s, render %.2f s, "
             "write %.2f s, %d files)", site_dir, t3 - t0, t1 - t0, t2 - t1, t3 - t2,
             len(files))
    return site_dir / "index.html"
