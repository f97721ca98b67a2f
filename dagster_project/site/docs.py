"""Great Expectations Data Docs and dbt docs, built into the site folder.

GX Data Docs are built from validation results saved during the run (one JSON file per suite
run, under ``<warehouse>/validations/<run_id>/``, see `persist_validation_results`) and then
rewritten to load Bootstrap, jQuery and Font Awesome from the site's own ``assets/vendor``
instead of CDNs. dbt docs come from ``dbt docs generate --static`` (one self-contained HTML
file), run in the background while the rest of the site is built.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dagster_project.contracts.suites import SuiteOutcome, write_data_docs
from dagster_project.runtime.settings import DBT_PROJECT_DIR, dbt_executable, get_settings

from .files import ASSETS, staging_dir, swap_dir, write_atomic

VALIDATIONS = "validations"
KEEP_RUNS = 20  # run folders kept under <warehouse>/validations
DBT_TIMEOUT_S = 600


def validations_dir(pipeline_db: Path) -> Path:
    """Where a pipeline database's runs keep their GX results (git-ignored warehouse folder)."""
    return Path(pipeline_db).parent / VALIDATIONS


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:120] or "_"


def persist_validation_results(
    con: duckdb.DuckDBPyConnection, outcomes: Iterable[SuiteOutcome]
) -> list[Path]:
    """Save each suite run's GX result next to the database `con` is connected to.

    Called where contract outcomes are recorded, so the site step (maybe another process) can
    build Data Docs. One file per suite run: a raw table validated once per extract keeps one
    result per extract. Does nothing for an in-memory database.
    """
    row = con.execute("select path from duckdb_databases() "
                      "where database_name = current_database()").fetchone()
    if not row or not row[0]:
        return []
    written = []
    for outcome in outcomes:
        if not outcome.validation_result:
            continue
        folder = validations_dir(Path(row[0])) / _safe(outcome.run_id)
        name = f"{_safe(outcome.suite)}__{outcome.started_at:%Y%m%dT%H%M%S%f}.json"
        target = folder / name
        write_atomic(target, json.dumps(outcome.validation_result))
        written.append(target)
    return written


def latest_validation_files(folder: Path, runs: int = 5) -> list[Path]:
    """Result files of the newest `runs` runs (by folder time); prunes runs beyond KEEP_RUNS."""
    if not folder.is_dir():
        return []
    run_dirs = sorted((d for d in folder.iterdir() if d.is_dir()),
                      key=lambda d: d.stat().st_mtime, reverse=True)
    for old in run_dirs[KEEP_RUNS:]:
        shutil.rmtree(old, ignore_errors=True)
    return sorted(f for d in run_dirs[:runs] for f in d.glob("*.json"))


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
    """Replace CDN <script>/<link> tags by the site's local copies; drop the rest."""

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


@dataclass
class Built:
    """A generated documentation set: its link from the site root (None: absent) and a note."""

    href: str | None
    note: str


def build_gx_docs(
    site_dir: Path, results: Sequence[SuiteOutcome | Path], runs_label: str = ""
) -> Built:
    """Data Docs for these results into <site_dir>/gx/, made offline, swapped in at once."""
    if not results:
        return Built(None, "no saved validation results yet: Data Docs not built")
    stage = staging_dir(site_dir, "gx")
    try:
        write_data_docs(results, stage)
        built = stage / "gx"
        for page in built.rglob("*.html"):
            depth = len(page.relative_to(built).parts)  # gx/<...>/page.html
            root = "../" * depth
            gx_root = "../" * (depth - 1)
            page.write_text(_offline_html(page.read_text(encoding="utf-8"), root, gx_root),
                            encoding="utf-8")
        swap_dir(built, site_dir / "gx")
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return Built("gx/index.html", f"{len(results)} suite run(s){runs_label}")


@dataclass
class DbtDocsJob:
    process: subprocess.Popen[bytes] | None
    target: Path
    log: Path
    error: str = ""


BUILD_MANIFEST = "build_manifest.json"


def dbt_docs_target(pipeline_db: Path) -> Path:
    """dbt's target folder for the docs: next to the database, not dbt/target (see below)."""
    return Path(pipeline_db).parent / "dbt_docs"


def keep_build_manifest(manifest: Path, pipeline_db: Path) -> None:
    """Keep the manifest of the build that wrote `pipeline_db` for the docs (start_dbt_docs)."""
    target = dbt_docs_target(pipeline_db)
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(manifest, target / BUILD_MANIFEST)


def start_dbt_docs(pipeline_db: Path) -> DbtDocsJob:
    """Start `dbt docs generate --static` in the background against the pipeline database.

    Its own target folder next to the database (not dbt/target, which the pipeline uses) keeps
    concurrent builds apart and lets dbt re-parse incrementally. dbt opens the database
    read-write, so the caller must not hold a connection to it until `finish_dbt_docs`.

    When the dbt build left its manifest (keep_build_manifest), the docs use it, compiled SQL
    included, and dbt only reads the catalog (`--no-compile`): compiling all ~300 nodes again
    cost about 4 s of every run. dbt 1.11 then expects manifest.json in the target folder
    (it writes none itself without compiling), hence the copy. Without one, dbt compiles.
    """
    target = dbt_docs_target(pipeline_db)
    log = target / "docs_generate.log"
    if not Path(pipeline_db).exists():
        return DbtDocsJob(None, target, log, "the pipeline database does not exist yet")
    target.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **get_settings().dbt_env(),
           "PLANSIGNAL_PIPELINE_DB": str(pipeline_db),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}  # offline: no tracking calls
    (target / "static_index.html").unlink(missing_ok=True)
    compile_args: list[str] = []
    if (target / BUILD_MANIFEST).is_file():
        shutil.copyfile(target / BUILD_MANIFEST, target / "manifest.json")
        compile_args = ["--no-compile"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [dbt_executable(), "docs", "generate", "--static", *compile_args,
             "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
             "--target-path", str(target), "--log-path", str(target / "logs")],
            env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    return DbtDocsJob(process, target, log)


def _last_error(log: Path) -> str:
    try:
        lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return "no log"
    errors = [ln for ln in lines if "error" in ln.lower()]
    return (errors or lines or ["no output"])[-1][:300]


def finish_dbt_docs(job: DbtDocsJob, site_dir: Path) -> Built:
    """Wait for dbt and copy its static page to <site_dir>/dbt/index.html."""
    if job.process is None:
        return _keep_previous(site_dir, job.error)
    try:
        code = job.process.wait(timeout=DBT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        job.process.kill()
        job.process.wait()
        return _keep_previous(site_dir, f"dbt docs generate timed out after {DBT_TIMEOUT_S} s")
    page = job.target / "static_index.html"
    if code != 0 or not page.exists():
        return _keep_previous(site_dir, f"dbt docs generate failed ({code}): "
                                        f"{_last_error(job.log)}; log {job.log}")
    write_atomic(site_dir / "dbt" / "index.html", page.read_bytes())
    generated = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    return Built("dbt/index.html",
                 f"models, sources, tests and lineage of the dbt project, generated {generated}")


def _keep_previous(site_dir: Path, why: str) -> Built:
    if (site_dir / "dbt" / "index.html").exists():
        return Built("dbt/index.html", f"from an earlier build; not regenerated: {why}")
    return Built(None, f"not available: {why}")


def build_dbt_docs(pipeline_db: Path, site_dir: Path) -> Path:
    """Generate dbt docs for `pipeline_db` into <site_dir>/dbt/index.html (blocking)."""
    job = start_dbt_docs(pipeline_db)
    result = finish_dbt_docs(job, site_dir)
    if job.process is None or job.process.returncode != 0:
        raise RuntimeError(result.note)
    return site_dir / "dbt" / "index.html"
