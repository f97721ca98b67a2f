"""The governance site, built from a real pipeline run and looked at in a real browser.

A small generated extract runs through the whole pipeline once (module fixture), the CLI writes
the site, a local http.server serves it on 127.0.0.1 and headless Chromium (Debian's chromium +
chromium-driver, installed by tests/setup_chromium.sh) loads the pages. The tests assert on what
renders: the status line, the contract table, plotly charts, every local link, the evidence page
of any part with a finding (drawn by static/evidence.js from the part's data file), and that no
page asks for anything outside the site (it must work offline), and that values from the data
that look like markup stay text.

Without chromium the browser tests skip, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import ast
import contextlib
import json
import math
import os
import re
import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from html import escape
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, urljoin, urlparse

import duckdb
import pytest

from dagster_project.cli import RunReport, write_site
from dagster_project.defs.dbt.assets import dbt_docs_target
from dagster_project.defs.site.assets import (
    DBT_DOCS_INPUTS,
    DBT_DOCS_PAGE,
    dbt_docs_inputs,
    generate_dbt_docs,
)
from dagster_project.resources.dbt import dbt_resource
from dagster_project.runtime.settings import REPO_ROOT, Settings
from dagster_project.site import build_site, details, evidence
from dagster_project.site.pages import DETAIL_PAGES
from tests.conftest import demo_pipeline

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SCREENSHOT_DIR = REPO_ROOT / "data" / "site_screenshots"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1400,1800",
]
# Any element that loads a resource from another host (links in <a> are fine: not fetched).
EXTERNAL_RESOURCE = re.compile(
    r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=["'](?:https?:)?//""", re.IGNORECASE)


@dataclass
class SiteRun:
    settings: Settings
    report: RunReport
    index: Path
    build_seconds: float


@pytest.fixture(scope="module")
def site_run(tmp_path_factory: pytest.TempPathFactory) -> SiteRun:
    with demo_pipeline(tmp_path_factory, "plansignal_site", 0.03, 11) as (settings, report):
        t0 = time.perf_counter()
        index = Path(write_site(settings, report))
        yield SiteRun(settings, report, index, time.perf_counter() - t0)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # keep pytest output quiet
        pass


@contextlib.contextmanager
def _serve(directory: Path) -> Iterator[str]:
    """Serve a folder on 127.0.0.1 (a free port); yields its base URL."""
    handler = partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)  # port 0: a free port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def base_url(site_run: SiteRun) -> str:
    with _serve(site_run.settings.site_dir) as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        message = ("headless chromium and chromedriver are not installed: "
                   "run tests/setup_chromium.sh (apt-get install chromium chromium-driver)")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium_profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _wait(driver, script: str, timeout: float = 30.0) -> object:
    """Poll a JavaScript expression until it is truthy; returns its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = driver.execute_script(f"return {script}")
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


DRAWN_CHARTS = ("Array.from(document.querySelectorAll('.js-plotly-plot'))"
                ".filter(function (e) { return e.querySelector('.main-svg'); }).length")


def _severe_console_errors(driver) -> list[str]:
    """SEVERE browser log entries since the last call (reading the log clears it)."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def _open(driver, url: str) -> None:
    _severe_console_errors(driver)  # drop what earlier pages logged
    driver.get(url)


def _requested_urls(driver) -> list[str]:
    return driver.execute_script(
        "return [location.href].concat(performance.getEntriesByType('resource')"
        ".map(function (e) { return e.name; }))")


def _full_page_screenshot(driver, name: str, tmp_dir: Path) -> Path:
    """Screenshot the whole page into the pytest tmp dir and data/site_screenshots/."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, min(max(height, 800), 12000))
    time.sleep(0.5)  # let plotly's responsive charts settle at the new size
    shot = tmp_dir / name
    driver.save_screenshot(str(shot))
    driver.set_window_size(1400, 1800)
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, SCREENSHOT_DIR / name)
    return shot


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.urls.append(value)


def _local_links(page: Path) -> list[str]:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return [u for u in parser.urls
            if not urlparse(u).scheme and not u.startswith(("#", "//", "data:"))]


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _first_part_page(site_dir: Path) -> str:
    """The first evidence page the index links: parts/part.html?id=<canonical_part_id>."""
    links = [u for u in _local_links(site_dir / "index.html") if u.startswith("parts/")]
    assert links, "index.html links to no evidence page"
    return links[0]


def _part_id(page: str) -> str:
    return parse_qs(urlparse(page).query)["id"][0]


def _fnv1a(text: str) -> int:
    """The hash that picks a part's data file (evidence.FNV_1A, evidence.js fnv1a)."""
    h = 2166136261
    for ch in text:
        h = ((h ^ ord(ch)) * 16777619) % 2**32
    return h


def _script_data(path: Path, function: str) -> dict:
    """The JSON object a data file hands to `function` (the file is just that call)."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith(f"{function}(") and text.endswith(");\n"), path.name
    return json.loads(text.removeprefix(f"{function}(")[:-3])


def _data_files(site_dir: Path) -> dict[int, dict]:
    """The evidence data files (parts/data/<n>.js), each as the JSON object it registers."""
    return {int(path.stem): _script_data(path, "plansignalEvidence")
            for path in (site_dir / "parts" / "data").glob("*.js")}


def _detail_rows(site_dir: Path, name: str) -> tuple[list[str], list[dict]]:
    """A detail page's data files (<name>.data.<n>.js): their columns and rows, in order."""
    paths = sorted(site_dir.glob(f"{name}.data.*.js"), key=lambda p: int(p.name.split(".")[2]))
    columns, rows = [], []
    for n, path in enumerate(paths):
        data = _script_data(path, "plansignalRows")
        assert (data["page"], data["file"], data["files"]) == (name, n, len(paths))
        columns = data["columns"]
        rows += [dict(zip(columns, row, strict=True)) for row in data["rows"]]
    return columns, rows


def _wait_for_evidence(driver) -> str:
    """The evidence page's state once evidence.js is done: ready, missing, no-part, error."""
    return _wait(driver, "document.body.dataset.evidence") or ""


# --- the build itself ------------------------------------------------------------------------


def test_site_is_written_by_the_run_quickly_and_completely(site_run):
    site = site_run.settings.site_dir
    assert site_run.report.exit_code == 0, site_run.report.step_failures
    assert site_run.index == site / "index.html"
    # The CLI reuses the run's dbt docs (no dbt); GX Data Docs dominate. Generous for CI.
    assert site_run.build_seconds < 60, f"site took {site_run.build_seconds:.1f} s"
    for name in ("assets/plotly.min.js", "assets/site.css", "findings.html",
                 "lead_times.html", "safety_stock.html", "availability.html"):
        assert (site / name).is_file(), name
    assert (site / "parts" / "part.html").is_file() and any((site / "parts" / "data").glob("*.js"))
    assert not list((site / "parts").glob("*.html"))[1:], "one evidence page, not one per part"
    leftovers = [p.name for p in site.rglob(".*") if p.name.endswith((".tmp", ".new", ".old"))]
    leftovers += [p.name for p in site.parent.glob(f".{site.name}.*")]  # the swapped-in tree
    assert not leftovers, f"temporary files left in the site: {leftovers}"


def test_no_page_loads_anything_from_outside_the_site(site_run):
    offenders = []
    for page in site_run.settings.site_dir.rglob("*.html"):
        match = EXTERNAL_RESOURCE.search(page.read_text(encoding="utf-8", errors="replace"))
        if match:
            offenders.append(f"{page.relative_to(site_run.settings.site_dir)}: {match.group(0)}")
    assert not offenders, offenders[:5]


def test_great_expectations_data_docs_show_this_runs_contracts(site_run):
    gx_index = site_run.settings.site_dir / "gx" / "index.html"
    assert gx_index.is_file(), (
        "no GX Data Docs: the run saved no validation results under <warehouse>/validations; "
        "record_outcomes must call contracts.saved_results.persist_validation_results")
    with duckdb.connect(str(site_run.settings.pipeline_db), read_only=True) as con:
        suites = {r[0] for r in con.execute(
            "select distinct suite from dq.contract_results where run_id = ?",
            [site_run.report.run_id]).fetchall()}
    assert suites
    text = gx_index.read_text(encoding="utf-8")
    assert all(suite in text for suite in suites), suites
    assert site_run.report.run_id in text


def test_dbt_docs_are_copied_into_the_site(site_run):
    page = site_run.settings.site_dir / "dbt" / "index.html"
    assert page.is_file()
    # Made by the site asset through the Dagster dbt resource, reused by the CLI's rewrite.
    made = dbt_docs_target(site_run.settings.pipeline_db)
    assert (made / DBT_DOCS_PAGE).is_file() and (made / "dbt.log").is_file()
    index = site_run.index.read_text(encoding="utf-8")
    assert "from an earlier build" not in index and "not available" not in index
    text = page.read_text(encoding="utf-8")
    assert "mart_supplier_lead_times" in text and len(text) > 100_000
    # The build's own manifest is reused (dbt does not compile again): compiled SQL is there.
    assert 'select * from \\"pipeline\\".\\"staging\\".\\"stg_erp__goods_receipts\\"' in text


class _DbtMustNotRun:
    """Stands in for the dbt resource where the page must be reused: running dbt fails."""

    def cli(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("dbt docs generate ran although nothing it shows had changed")


def test_dbt_docs_are_generated_again_only_when_what_they_show_changed(site_run):
    """The page is a function of the dbt project and the warehouse's columns, not of rows."""
    pipeline_db = site_run.settings.pipeline_db
    made = dbt_docs_target(pipeline_db)
    with duckdb.connect(str(pipeline_db)) as con:
        inputs = dbt_docs_inputs(con)
        assert (made / DBT_DOCS_INPUTS).read_text(encoding="utf-8") == inputs
        # New rows in a table: the same inputs, the same page, dbt does not run.
        con.execute("insert into marts.part_aliases select * from marts.part_aliases limit 1")
        assert dbt_docs_inputs(con) == inputs
        page_before = (made / DBT_DOCS_PAGE).read_bytes()
        reused = generate_dbt_docs(_DbtMustNotRun(), pipeline_db, inputs)  # type: ignore[arg-type]
        assert reused.page == made / DBT_DOCS_PAGE and "unchanged since" in reused.note
        assert (made / DBT_DOCS_PAGE).read_bytes() == page_before
        con.execute("delete from marts.part_aliases where rowid = (select max(rowid) "
                    "from marts.part_aliases)")
        # A new column is in the catalog the page shows: other inputs, dbt runs again.
        con.execute("alter table marts.part_aliases add column docs_probe integer")
        changed = dbt_docs_inputs(con)
    assert changed != inputs
    try:
        regenerated = generate_dbt_docs(dbt_resource(site_run.settings), pipeline_db, changed)
        assert regenerated.page is not None and "unchanged" not in regenerated.note
        assert "docs_probe" in regenerated.page.read_text(encoding="utf-8")
        assert (made / DBT_DOCS_INPUTS).read_text(encoding="utf-8") == changed
    finally:
        with duckdb.connect(str(pipeline_db)) as con:
            con.execute("alter table marts.part_aliases drop column docs_probe")


def test_the_site_package_runs_no_process_and_no_dagster():
    """dbt runs through the Dagster dbt resource only (defs/site); the site reads and writes."""
    for module in (REPO_ROOT / "dagster_project" / "site").glob("*.py"):
        imported = set()
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
        banned = {m for m in imported
                  if m.split(".")[0] in ("subprocess", "multiprocessing", "dagster", "dagster_dbt")
                  or m.startswith("dagster_project.defs")}
        assert not banned, f"{module.name} imports {banned}"


def test_site_builds_before_anything_is_published(tmp_path):
    """A first run that failed early still gets a readable site."""
    index = build_site(tmp_path / "none.duckdb", tmp_path / "none2.duckdb", tmp_path / "site",
                       "Run x FAILED; nothing published yet.")
    text = index.read_text(encoding="utf-8")
    assert "Run x FAILED" in text and "Nothing published" in text


def test_failed_contracts_are_listed_and_the_status_is_red(tmp_path):
    pipeline_db = tmp_path / "pipeline.duckdb"
    with duckdb.connect(str(pipeline_db)) as con:
        con.execute("create schema dq")
        con.execute("""create table dq.contract_results (run_id varchar, suite varchar,
            table_name varchar, expectation_type varchar, column_name varchar,
            kwargs_json varchar, severity varchar, success boolean, observed_value varchar,
            unexpected_count bigint, element_count bigint, validated_at timestamp,
            source_file varchar)""")
        con.execute("""insert into dq.contract_results values
            ('r1', 's', 'raw.t', 'expect_column_values_to_not_be_null', 'a', '{}', 'ERROR',
             true, null, 0, 10, '2026-01-01 10:00', 'x.csv'),
            ('r2', 's', 'raw.t', 'expect_column_values_to_not_be_null', 'a', '{}', 'ERROR',
             false, null, 3, 10, '2026-01-02 10:00', 'y.csv'),
            ('r2', 's', 'raw.t', 'expect_column_values_to_be_between', 'b', '{}', 'WARNING',
             true, null, 0, 10, '2026-01-02 10:00', 'y.csv')""")
    index = build_site(pipeline_db, tmp_path / "none.duckdb", tmp_path / "site",
                       "Run r2 FAILED; the serving database still holds the last good run.")
    text = index.read_text(encoding="utf-8")
    assert 'id="status" class="failed"' in text
    failures = text[text.index('id="failures-table"'):]
    assert "expect_column_values_to_not_be_null" in failures and "y.csv" in failures
    assert "whole table" in failures  # a history written before rows_scope
    assert "50.0 %" in text  # raw.t: 1 of 2 expectations met in its latest run
    assert 'id="chart-contract-trend"' in text


def test_a_failure_on_changed_rows_says_which_rows_were_checked(tmp_path):
    """A mart rule run on the rows rebuilt since its last pass (contracts/changed_rows.py):
    its 'rows' are the changed rows, and the failures table says so."""
    from dagster_project.warehouse.dq_history import insert_dq_history

    pipeline_db = tmp_path / "pipeline.duckdb"
    scope = ("rows whose key (po_number, po_line) was rebuilt in "
             "intermediate.int_purchase_order_lines__lead_times after 2026-01-01 06:00:00")
    with duckdb.connect(str(pipeline_db)) as con:
        insert_dq_history(con, [
            {"run_id": "r1", "suite": "marts__fct", "table_name": "marts.fct",
             "expectation_type": "expect_column_values_to_not_be_null", "column_name": "a",
             "severity": "ERROR", "success": False, "unexpected_count": 1,
             "element_count": 7, "validated_at": datetime(2026, 1, 2, 6), "rows_scope": scope},
        ])
    index = build_site(pipeline_db, tmp_path / "none.duckdb", tmp_path / "site", "Run r1.")
    text = index.read_text(encoding="utf-8")
    failures = text[text.index('id="failures-table"'):]
    assert "rows checked" in failures and scope in failures


def test_a_mart_with_unexpected_columns_costs_a_section_not_the_site(tmp_path):
    serving_db = tmp_path / "planning.duckdb"
    with duckdb.connect(str(serving_db)) as con:
        con.execute("create schema marts")
        for table in ("dim_parts", "fct_po_line_lead_times", "mart_supplier_lead_times",
                      "mart_safety_stock_review", "mart_availability_check",
                      "mart_master_data_exceptions"):
            con.execute(f"create table marts.{table} (canonical_part_id varchar)")
    index = build_site(tmp_path / "none.duckdb", serving_db, tmp_path / "site", "Run x.")
    assert "could not be read" in index.read_text(encoding="utf-8")


# Values an extract may carry that are markup: the site must show them as text.
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
# A canonical part id that is markup and breaks a naive URL (#, &, =, ?, /, quotes).
HOSTILE_ID = 'id"><img src=x onerror=alert(1)>#&id=<script>alert(1)</script>?/'
HTML_INJECTION = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(")


@dataclass
class HostileSite:
    site: Path
    part_page: str  # parts/part.html?id=<id> of the part whose number and description are markup
    hostile_id_page: str  # the evidence page of a part whose canonical id is HOSTILE_ID


@pytest.fixture(scope="module")
def hostile_site(site_run, tmp_path_factory) -> HostileSite:
    """The run's marts with one part's number, description, supplier, proposed change and
    finding evidence replaced by markup, another part's canonical id by HOSTILE_ID, and a site
    built from them."""
    root = tmp_path_factory.mktemp("hostile_site")
    serving = root / "planning.duckdb"
    shutil.copyfile(site_run.settings.serving_db, serving)
    part_page = _first_part_page(site_run.settings.site_dir)
    pid = _part_id(part_page)
    with duckdb.connect(str(serving)) as con:
        columns = con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'marts' and column_name in "
            "('canonical_part_number', 'supplier_id', 'proposed_change') "
            "and table_name in (select table_name from information_schema.columns "
            "  where table_schema = 'marts' and column_name = 'canonical_part_id')").fetchall()
        values = {"canonical_part_number": SCRIPT, "supplier_id": IMG, "proposed_change": IMG}
        for table, column in columns:
            con.execute(f'update marts."{table}" set "{column}" = ? where canonical_part_id = ?',
                        [values[column], pid])
        con.execute("update marts.dim_parts set description = ? where canonical_part_id = ?",
                    [IMG, pid])
        con.execute("update marts.mart_master_data_exceptions set evidence = "
                    "json_merge_patch(evidence, json_object(?, ?))::varchar "
                    "where canonical_part_id = ?", [SCRIPT, IMG, pid])
        other = con.execute(
            "select canonical_part_id from marts.mart_master_data_exceptions "
            "where canonical_part_id <> ? order by impact_rank limit 1", [pid]).fetchone()[0]
        for (table,) in con.execute(
                "select table_name from information_schema.columns where table_schema = 'marts' "
                "and column_name = 'canonical_part_id' and table_name in (select table_name "
                "from information_schema.tables where table_type = 'BASE TABLE')").fetchall():
            con.execute(f'update marts."{table}" set canonical_part_id = ? '
                        "where canonical_part_id = ?", [HOSTILE_ID, other])
    index = build_site(site_run.settings.pipeline_db, serving, root / "site", "Run x.",
                       validations=[])
    return HostileSite(index.parent, part_page,
                       f"parts/part.html?id={quote(HOSTILE_ID, safe='')}")


class _Elements(HTMLParser):
    """Start tags, text and inline scripts of a page, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.scripts if self._in_script else self.text).append(data)


def test_markup_in_the_data_is_text_on_every_page(hostile_site):
    html = (hostile_site.site / "index.html").read_text(encoding="utf-8")
    parsed = _Elements()
    parsed.feed(html)
    assert not [a for t, a in parsed.tags if t == "img" or "onerror" in a]
    # Inline scripts are plotly's figures, whose JSON escapes "<" (\\u003c): the payload
    # may be data in one, never a script of its own nor markup inside one.
    assert not [c for c in parsed.scripts if c.strip() == "alert(1)" or "<img" in c]
    text = "".join(parsed.text)
    assert SCRIPT in text, "index.html: the part number is not shown as text"
    assert IMG in text, "index.html: the proposed change is not shown as text"
    # The links to the part with the hostile id carry it percent-encoded, whole.
    assert f'href="{hostile_site.hostile_id_page}"' in html
    # The evidence page and the worklist hold no data; their data files hold the payloads as
    # JSON strings (the browser sets them as text: test_markup_in_the_data_stays_text_...).
    for page in ("parts/part.html", "findings.html"):
        assert "alert(1)" not in (hostile_site.site / page).read_text(encoding="utf-8"), page
    _, worklist = _detail_rows(hostile_site.site, "findings")
    pid = _part_id(hostile_site.part_page)
    mine = [r for r in worklist if r["canonical_part_id"] == pid]
    assert mine and all(r["canonical_part_number"] == SCRIPT and r["proposed_change"] == IMG
                        and r["supplier_id"] in (IMG, None) for r in mine)
    assert [r["has_evidence"] for r in worklist if r["canonical_part_id"] == HOSTILE_ID][0]
    parts = {pid: doc for f in _data_files(hostile_site.site).values()
             for pid, doc in f["parts"].items()}
    doc = parts[_part_id(hostile_site.part_page)]
    assert doc["part"]["canonical_part_number"] == SCRIPT and doc["part"]["description"] == IMG
    column = next(iter(_data_files(hostile_site.site).values()))["columns"]["findings"].index(
        "evidence")
    assert doc["findings"] and all(row[column][SCRIPT] == IMG for row in doc["findings"])
    assert parts[HOSTILE_ID]["part"]["canonical_part_id"] == HOSTILE_ID


def test_the_evidence_page_never_parses_data_as_markup():
    """evidence.js builds elements and text nodes only; no API that parses a string as HTML."""
    script = (REPO_ROOT / "dagster_project" / "site" / "static" / "evidence.js").read_text()
    assert not HTML_INJECTION.findall(script)
    assert "textContent" in script and "createElement" in script


# --- in the browser --------------------------------------------------------------------------


def test_index_renders_status_contracts_and_charts(site_run, base_url, browser, tmp_path):
    _open(browser, base_url + "index.html")
    assert _wait(browser, "window.Plotly !== undefined")
    assert _wait(browser, f"{DRAWN_CHARTS} >= 5"), "fewer than 5 plotly charts drew"
    status = browser.find_element("id", "status").text
    assert site_run.report.run_id in status and "FAILED" not in status
    rows = browser.execute_script(
        "return Array.from(document.querySelectorAll('#contracts-table tbody tr'))"
        ".map(function (r) { return r.cells[0].textContent; })")
    assert "raw.erp_goods_receipts" in rows
    for section in ("findings", "evidence", "drift", "safety-stock", "availability", "docs"):
        assert browser.find_element("id", section).is_displayed()
    assert browser.find_elements("css selector", "#evidence-table a[href^='parts/']")
    assert not _severe_console_errors(browser)
    _full_page_screenshot(browser, "index.png", tmp_path)


def test_every_local_link_on_the_index_resolves(site_run, base_url):
    site = site_run.settings.site_dir
    links = _local_links(site / "index.html")
    for required in ("gx/index.html", "dbt/index.html", "findings.html"):
        assert required in links, f"index.html does not link {required}"
    part = _first_part_page(site)
    pages = {urljoin(base_url, u.split("#")[0]) for u in links}
    # and everything the evidence page refers to
    pages |= {urljoin(base_url + part, u) for u in _local_links(site / "parts" / "part.html")}
    broken = {u: code for u in sorted(pages) if (code := _status(u)) != 200}
    assert not broken, broken


def _table(driver, table_id: str) -> list[dict[str, str]]:
    """A table of the page as rows of {column title: cell text}, and `<title>.v`: data-v."""
    return driver.execute_script("""
        var t = document.getElementById(arguments[0]);
        if (!t) return [];
        var heads = Array.from(t.tHead.rows[0].cells).map(function (c) { return c.textContent; });
        return Array.from(t.tBodies[0].rows).map(function (r) {
            var row = {};
            heads.forEach(function (h, i) {
                row[h] = r.cells[i].textContent;
                if (r.cells[i].dataset.v !== undefined) row[h + '.v'] = r.cells[i].dataset.v;
            });
            return row;
        });""", table_id)


def _number(value: object) -> float:
    """A number as a page's data-v carries it ('' for none: -inf, so that rows sort)."""
    return -math.inf if value in ("", None) else round(float(value), 6)


def test_part_page_shows_lead_time_evidence(site_run, base_url, browser, tmp_path):
    """The evidence page of the part with the most findings shows exactly what the marts hold
    for it: its findings, its suppliers' statistics, its PO lines plotted, its safety stocks."""
    with duckdb.connect(str(site_run.settings.serving_db), read_only=True) as con:
        pid, number, description = con.execute("""
            select e.canonical_part_id, any_value(d.canonical_part_number),
                any_value(d.description)
            from marts.mart_master_data_exceptions e
            join marts.dim_parts d using (canonical_part_id)
            where canonical_part_id in (select canonical_part_id
                                        from marts.mart_supplier_lead_times)
            group by 1 order by count(*) desc, 1 limit 1""").fetchone()
        findings = con.execute("""
            select finding_type, severity, impact_value from marts.mart_master_data_exceptions
            where canonical_part_id = ?""", [pid]).fetchall()
        suppliers = con.execute("""
            select supplier_id, n_lines, recommended_lead_time_days
            from marts.mart_supplier_lead_times where canonical_part_id = ?""", [pid]).fetchall()
        points = con.execute("""
            select count(*) from marts.fct_po_line_lead_times where canonical_part_id = ?
              and not is_excluded and completion_date is not null and lead_time_days is not null
            """, [pid]).fetchone()[0]
        plants = con.execute("select plant from marts.mart_safety_stock_review "
                             "where canonical_part_id = ?", [pid]).fetchall()
    page = f"parts/part.html?id={quote(pid, safe='')}"
    _, worklist = _detail_rows(site_run.settings.site_dir, "findings")
    assert [r["has_evidence"] for r in worklist if r["canonical_part_id"] == pid] \
        == [True] * len(findings)  # the worklist links the page from each of its findings
    _open(browser, base_url + page)
    assert _wait_for_evidence(browser) == "ready"
    assert browser.find_element("tag name", "h1").text == f"Part {number}"
    assert description in browser.find_element("id", "part-subtitle").text
    shown = _table(browser, "part-findings")
    assert sorted((r["type"], r["severity"], _number(r["impact.v"])) for r in shown) \
        == sorted((t, s, _number(v)) for t, s, v in findings)
    assert len(_table(browser, "part-evidence")) == len(findings)
    shown = _table(browser, "part-suppliers")
    assert sorted((r["supplier"], _number(r["lines.v"]), _number(r["recommended (d).v"]))
                  for r in shown) == sorted((s, _number(n), _number(r)) for s, n, r in suppliers)
    assert {r["plant"] for r in _table(browser, "part-safety")} == {p for (p,) in plants}
    drawn = browser.execute_script(
        "return document.querySelectorAll('#chart-part-scatter circle.point').length")
    assert drawn == min(points, evidence.SCATTER_POINTS) > 0
    assert browser.execute_script(
        "return document.querySelectorAll('#chart-part-histogram rect.bar').length")
    text = browser.find_element("tag name", "body").text
    for heading in ("Findings", "Recommendation and confidence", "Lead times over time",
                    "Excluded PO lines", "Safety stock by plant"):
        assert heading in text
    assert not _severe_console_errors(browser)
    _full_page_screenshot(browser, "part.png", tmp_path)


def test_pages_request_nothing_outside_the_site(site_run, base_url, browser):
    site = site_run.settings.site_dir
    validation_pages = sorted((site / "gx" / "validations").rglob("*.html"))
    pages = ["index.html", _first_part_page(site), "findings.html", "gx/index.html",
             "dbt/index.html"]
    if validation_pages:
        pages.append(validation_pages[0].relative_to(site).as_posix())
    for page in pages:
        _open(browser, base_url + page)
        _wait(browser, "document.readyState === 'complete'")
        if page.startswith("parts/"):
            assert _wait_for_evidence(browser) == "ready"
        outside = [u for u in _requested_urls(browser) if not u.startswith(base_url)]
        assert not outside, f"{page} requested {outside[:5]}"


def test_gx_data_docs_render_offline(site_run, base_url, browser, tmp_path):
    if not (site_run.settings.site_dir / "gx" / "index.html").exists():
        pytest.fail("no GX Data Docs (see test_great_expectations_data_docs_show_this_runs_"
                    "contracts)")
    _open(browser, base_url + "gx/index.html")
    # The validation table is drawn by script from the page's data: it must have rows.
    assert _wait(browser, "document.querySelectorAll('table tbody tr').length > 0")
    assert _wait(browser, "window.jQuery !== undefined && !!jQuery.fn.tooltip")  # bootstrap
    assert not _severe_console_errors(browser)
    _full_page_screenshot(browser, "gx_index.png", tmp_path)


def test_markup_in_the_data_stays_text_in_the_browser(hostile_site, browser):
    """The worklist, the overview and the evidence pages show the payloads as text; no element
    comes of them (an alert would also fail every browser call here). The part whose id is
    markup is reached by its link and its page shows the id as text."""
    with _serve(hostile_site.site) as url:
        for page in ("findings.html", hostile_site.part_page, "index.html",
                     hostile_site.hostile_id_page):
            _open(browser, url + page)
            assert _wait(browser, "document.readyState === 'complete'")
            if page.startswith("parts/"):
                assert _wait_for_evidence(browser) == "ready", page
            if page == "findings.html":
                assert _wait(browser, "document.body.dataset.rows") == "ready"
                # The part whose id is markup is linked from the worklist, its id whole.
                hrefs = browser.execute_script(
                    "return Array.from(document.querySelectorAll('#detail-table a'))"
                    ".map(function (a) { return a.getAttribute('href'); })")
                assert HOSTILE_ID in [_part_id(h) for h in hrefs if h.startswith("parts/")]
            found = browser.execute_script("""return {
                elements: document.querySelectorAll('img, [onerror]').length,
                scripts: Array.from(document.scripts)
                    .filter(function (s) { return s.text.trim() === 'alert(1)'; }).length,
                text: document.body.innerText};""")
            assert found["elements"] == 0 and found["scripts"] == 0, page
            if page == hostile_site.hostile_id_page:
                assert f"canonical id {HOSTILE_ID}" in found["text"]
            else:
                assert SCRIPT in found["text"] and IMG in found["text"], page
            assert not _severe_console_errors(browser), page


def test_home_shows_what_the_findings_cost_their_age_and_the_review_queue(site_run):
    """The governance loop on the home page: total impact per currency, the ten costliest
    findings with their basis, the Pareto chart, ageing, and a review page whose every open
    pair carries its accept and reject command."""
    html = site_run.index.read_text(encoding="utf-8")
    with duckdb.connect(str(site_run.settings.serving_db), read_only=True) as con:
        top = con.execute(
            "select impact_basis from marts.mart_master_data_exceptions "
            "where impact_value > 0 order by impact_rank limit 1").fetchone()
        open_pairs = [r[0] for r in con.execute(
            "select match_review_id from marts.part_match_review "
            "where review_status = 'proposed'").fetchall()]
    assert top is not None
    assert 'id="impact"' in html and "chart-impact-pareto" in html
    assert escape(top[0]) in html
    assert 'id="ageing-table"' in html and "1: under 7 days" in html
    assert 'id="change-sets-table"' in html
    change_sets = (site_run.settings.site_dir / "change_sets.html").read_text(encoding="utf-8")
    assert "outstanding" in change_sets
    _, review = _detail_rows(site_run.settings.site_dir, "review")
    assert open_pairs and len(review) == len(open_pairs)
    commands = {(r["accept_command"], r["reject_command"]) for r in review}
    for pair in open_pairs:
        assert (f"plansignal review accept {pair} --by NAME --note TEXT",
                f"plansignal review reject {pair} --by NAME --note TEXT") in commands


def test_every_part_with_a_finding_has_an_evidence_page(site_run):
    """Each part with a finding is in exactly one data file, the one its id hashes to."""
    with duckdb.connect(str(site_run.settings.serving_db), read_only=True) as con:
        parts = {r[0] for r in con.execute(
            "select distinct canonical_part_id from marts.mart_master_data_exceptions"
        ).fetchall()}
    files = _data_files(site_run.settings.site_dir)
    assert files and len(parts) > 25
    listed = [pid for f in files.values() for pid in f["parts"]]
    assert sorted(listed) == sorted(parts)
    for n, f in files.items():
        assert f["shard"] == n and f["shards"] == len(files)
        assert all(_fnv1a(pid) % len(files) == n for pid in f["parts"])


@pytest.fixture(scope="module")
def sharded_site(site_run, tmp_path_factory) -> Path:
    """The run's site with data files of a fifth of the evidence each: several files."""
    total = sum(p.stat().st_size for p in (site_run.settings.site_dir / "parts" / "data").iterdir())
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(evidence, "SHARD_BYTES", total // 5)
        settings = site_run.settings
        index = build_site(settings.pipeline_db, settings.serving_db,
                           tmp_path_factory.mktemp("sharded") / "site", "sharded", validations=[])
    return index.parent


def test_evidence_data_files_share_the_parts_by_their_ids_hash(site_run, sharded_site):
    files = _data_files(sharded_site)
    assert 5 <= len(files) <= 6  # the documents' size over SHARD_BYTES, rounded up
    assert [f["shards"] for f in files.values()] == [len(files)] * len(files)
    listed = [pid for f in files.values() for pid in f["parts"]]
    assert len(listed) == len(set(listed)) == sum(
        len(f["parts"]) for f in _data_files(site_run.settings.site_dir).values())
    assert all(_fnv1a(pid) % len(files) == n for n, f in files.items() for pid in f["parts"])


def test_evidence_data_files_hold_no_raw_line_separators(site_run, tmp_path):
    """U+2028/U+2029 are valid in JSON but end a line for older JavaScript parsers: the data
    files carry them escaped, and the page reads the text back unchanged."""
    serving = tmp_path / "planning.duckdb"
    shutil.copyfile(site_run.settings.serving_db, serving)
    description = "hex bolt\u2028M8\u2029zinc"
    with duckdb.connect(str(serving)) as con:
        part = con.execute("select min(canonical_part_id) from marts.mart_master_data_exceptions"
                           ).fetchone()[0]
        con.execute("update marts.dim_parts set description = ? where canonical_part_id = ?",
                    [description, part])
    site = build_site(site_run.settings.pipeline_db, serving, tmp_path / "site", "escaped",
                      validations=[]).parent
    texts = [p.read_text(encoding="utf-8") for p in (site / "parts" / "data").glob("*.js")]
    assert not any("\u2028" in t or "\u2029" in t for t in texts)
    shown = [f["parts"][part]["part"] for f in _data_files(site).values() if part in f["parts"]]
    assert shown and shown[0]["description"] == description


def test_evidence_pages_work_from_file_urls_whichever_file_holds_the_part(sharded_site, browser):
    """Opened from disk (file://, no server), the page finds a part in each data file (the
    browser's hash agrees with DuckDB's), says so for an unknown part, and asks for a part
    when given none."""
    page = (sharded_site / "parts" / "part.html").as_uri()
    for n, f in sorted(_data_files(sharded_site).items()):
        pid, doc = next(iter(f["parts"].items()))
        _open(browser, f"{page}?id={quote(pid, safe='')}")
        assert _wait_for_evidence(browser) == "ready", f"data file {n}"
        number = doc["part"]["canonical_part_number"] or pid
        assert browser.find_element("tag name", "h1").text == f"Part {number}"
        assert browser.find_elements("css selector", "#part-findings tbody tr")
        assert not _severe_console_errors(browser), f"data file {n}"
    _open(browser, f"{page}?id=no-such-part")
    assert _wait_for_evidence(browser) == "missing"
    assert "has no finding" in browser.find_element("id", "evidence-status").text
    _open(browser, page)
    assert _wait_for_evidence(browser) == "no-part"
    assert browser.find_element("id", "part-lookup").is_displayed()


VISIBLE_ROWS = """return Array.from(document.querySelectorAll('#detail-table tbody tr'))
    .map(function (r) { return r.textContent; });"""
# A column of the rows shown: each cell's sort key (data-v), else its text.
COLUMN = """var i = arguments[0];
    return Array.from(document.querySelectorAll('#detail-table tbody tr'))
    .map(function (r) { return r.cells[i].dataset.v || r.cells[i].textContent; });"""


def _detail_page(driver, url: str) -> None:
    _open(driver, url)
    assert _wait(driver, "document.body.dataset.rows") == "ready", url


def test_every_page_works_offline_and_large_tables_page(site_run, base_url, browser):
    """Each page of the site loads without a console error; the worklist holds every finding,
    shows 100 at a time, pages forward, its filter searches all of them and a click on a
    column sorts all of them."""
    site = site_run.settings.site_dir
    pages = sorted(p.name for p in site.glob("*.html")) + [_first_part_page(site)]
    assert {"index.html", "findings.html", "review.html", "change_sets.html"} <= set(pages)
    for page in pages:
        _open(browser, base_url + page)
        assert _wait(browser, "document.readyState === 'complete'")
        if page.startswith("parts/"):
            assert _wait_for_evidence(browser) == "ready"
        elif browser.find_elements("id", "detail-spec"):
            assert _wait(browser, "document.body.dataset.rows") == "ready", page
        assert not _severe_console_errors(browser), page
    with duckdb.connect(str(site_run.settings.serving_db), read_only=True) as con:
        findings = con.execute(
            "select count(*) from marts.mart_master_data_exceptions").fetchone()[0]
        last = con.execute("select canonical_part_number from marts.mart_master_data_exceptions "
                           "where canonical_part_number is not null "
                           "order by impact_rank desc limit 1").fetchone()[0]
        with_last, impacts = con.execute(
            "select count(*) filter (where canonical_part_number = ?), "
            "list(impact_value order by impact_value) "
            "from marts.mart_master_data_exceptions", [last]).fetchone()
    assert findings > 100, "the demo's worklist is too short to show paging"
    _detail_page(browser, base_url + "findings.html")
    first_page = browser.execute_script(VISIBLE_ROWS)
    assert len(first_page) == 100
    pager = browser.find_element("css selector", ".pager span")
    assert pager.text == f"rows 1\u2013100 of {findings}"
    browser.find_element("xpath", "//div[@class='pager']/button[2]").click()
    second_page = browser.execute_script(VISIBLE_ROWS)
    assert len(second_page) == min(100, findings - 100) and second_page[0] not in first_page
    assert pager.text.startswith("rows 101\u2013")
    # Sorted by impact, cheapest first, then costliest first: over all rows, not the page's.
    heads = [th.text for th in browser.find_elements("css selector", "#detail-table th")]
    impact = browser.find_element("xpath", "//table[@id='detail-table']//th[text()='impact']")
    impact.click()
    assert pager.text.startswith("rows 1\u2013100 of")
    shown = [_number(v) for v in browser.execute_script(COLUMN, heads.index("impact"))]
    assert shown == sorted(_number(v) for v in impacts)[:100]
    impact.click()
    shown = [_number(v) for v in browser.execute_script(COLUMN, heads.index("impact"))]
    assert shown == sorted((_number(v) for v in impacts), reverse=True)[:100]
    # The filter searches every row, in the order sorted.
    browser.find_element("css selector", "input.filter").send_keys(last)
    matching = browser.execute_script(VISIBLE_ROWS)
    assert len(matching) == min(with_last, 100)
    assert all(last.lower() in row.lower() for row in matching)
    assert f"of {with_last} matching ({findings} in all)" in pager.text or with_last <= 100
    shown = [_number(v) for v in browser.execute_script(COLUMN, heads.index("impact"))]
    assert shown == sorted(shown, reverse=True)
    # A text column sorts as text.
    browser.find_element("xpath", "//table[@id='detail-table']//th[text()='type']").click()
    assert browser.execute_script("""var c = new Intl.Collator(); var v = arguments[0];
        return v.every(function (x, i) { return !i || c.compare(v[i - 1], x) <= 0; });""",
        browser.execute_script(COLUMN, heads.index("type")))
    assert not _severe_console_errors(browser)


def test_detail_pages_hold_the_marts_rows(site_run):
    """Each detail page's data files hold its mart's rows (all of them, in the page's order),
    with every column the page shows, sorts by or links with; a hand-picked row of the worklist
    and of the change sets equals the mart's."""
    site = site_run.settings.site_dir
    counts = {
        "findings": "from marts.mart_master_data_exceptions",
        "lead_times": "from marts.mart_supplier_lead_times where not low_confidence "
                      "and (is_drifting_vs_erp or is_drifting_vs_mrp)",
        "safety_stock": "from marts.mart_safety_stock_review "
                        "where is_safety_stock_deviation or is_stale",
        "availability": "from marts.mart_availability_check where false_available",
        "review": "from marts.part_match_review where review_status = 'proposed'",
        "change_sets": "from marts.mart_change_set_status",
    }
    assert set(counts) == set(DETAIL_PAGES)
    with duckdb.connect(str(site_run.settings.serving_db), read_only=True) as con:
        expected = {name: con.execute(f"select count(*) {sql}").fetchone()[0]
                    for name, sql in counts.items()}
        worklist_key = ("canonical_part_id", "finding_type", "supplier_id", "plant")
        picked = con.execute(f"""
            select {", ".join(worklist_key)}, severity, canonical_part_number, impact_value,
                impact_currency, days_open, status, proposed_change
            from marts.mart_master_data_exceptions
            where canonical_part_id is not null order by impact_rank desc limit 1""")
        names = [d[0] for d in picked.description]
        picked = dict(zip(names, picked.fetchone(), strict=True))
        same = con.execute(f"""
            select {", ".join(names)} from marts.mart_master_data_exceptions
            where {" and ".join(f"{c} is not distinct from ?" for c in worklist_key)}""",
            [picked[c] for c in worklist_key]).fetchall()
        change = con.execute("""
            select status, target_table, target_field, part_number, supplier_id, plant,
                strftime(first_proposed_at, '%Y-%m-%d %H:%M') as first_proposed_at,
                strftime(closed_at, '%Y-%m-%d %H:%M') as closed_at, closed_by_extract
            from marts.mart_change_set_status order by proposal_id limit 1""")
        change = dict(zip([d[0] for d in change.description], change.fetchone(), strict=True))
    assert expected["findings"] > 100 and expected["change_sets"]
    for name, page in DETAIL_PAGES.items():
        columns, rows = _detail_rows(site, name)
        assert len(rows) == expected[name], name
        needed = {c.key for c in page.cols} | {c.sort for c in page.cols if c.sort}
        if any(c.kind == "part" for c in page.cols):
            needed |= {"canonical_part_id", "has_evidence"}
        assert needed <= set(columns), (name, needed - set(columns))
        html = (site / f"{name}.html").read_text(encoding="utf-8")
        assert f"{len(rows):,} rows, 100 to a page" in html and "Cut at" not in html
        assert all(f">{c.title}</th>" in html for c in page.cols), name
    _, worklist = _detail_rows(site, "findings")
    assert [r["worklist_rank"] for r in worklist] == list(range(1, len(worklist) + 1))
    mine = [tuple(r[c] for c in names) for r in worklist
            if all(r[c] == picked[c] for c in worklist_key)]
    assert sorted(mine, key=repr) == sorted(
        (tuple(float(v) if isinstance(v, Decimal) else v for v in row) for row in same),
        key=repr)
    _, changes = _detail_rows(site, "change_sets")
    assert change in [{c: r[c] for c in change} for r in changes]


def test_a_detail_page_over_the_ceiling_is_cut_and_says_so(site_run, tmp_path, monkeypatch):
    monkeypatch.setattr(details, "DETAIL_ROWS", 150)
    settings = site_run.settings
    site = build_site(settings.pipeline_db, settings.serving_db, tmp_path / "site", "cut",
                      validations=[]).parent
    _, worklist = _detail_rows(site, "findings")
    assert [r["worklist_rank"] for r in worklist] == list(range(1, 151))
    with duckdb.connect(str(settings.serving_db), read_only=True) as con:
        findings = con.execute(
            "select count(*) from marts.mart_master_data_exceptions").fetchone()[0]
    text = " ".join((site / "findings.html").read_text(encoding="utf-8").split())
    assert "150 rows, 100 to a page" in text
    assert f"Cut at 150 rows</strong> (of {findings:,}): query marts.mart_master_data_exceptions" \
        in text
