"""The site's own pages (index, detail tables, the evidence page), from Jinja2 templates.

The markup lives in ``templates/`` and the environment autoescapes every value: a part number
or description from an extract is text on the page whatever it contains. The only markup
passed in is `markupsafe.Markup` from `charts` (plotly's figure divs). Python decides what
each page shows (columns, rows, links) and how a value reads (the `num`, `pct` filters).

Evidence: one page, parts/part.html?id=<canonical_part_id>, for every part with a finding. It
is a shell; static/evidence.js loads the part's data file (parts/data/<n>.js, written by
`evidence.read_evidence`) and builds the tables and charts in the browser, as text nodes.
The columns it shows are PART_COLS here, handed to it as JSON in the page.

Detail pages (findings.html, ...: DETAIL_PAGES) are shells the same way: the page has the
headings and text, static/site.js draws the rows from the data files <page>.data.<n>.js
(`details.read_detail`), 100 to a page, as text nodes; the columns are handed to it as JSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import jinja2

from . import charts
from .details import DetailData
from .docs import DocLink
from .evidence import SCATTER_POINTS
from .files import SiteFiles
from .queries import MartData, QualityData

SEVERITY_RANK = {"high": 1, "ERROR": 1, "medium": 2, "WARNING": 2, "low": 3}


def num(value: Any, digits: int = 1) -> str:
    """A value as a reviewer reads it: thousands separators, dates, yes/no; None is ''."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    value = float(value) if isinstance(value, Decimal) else value
    if isinstance(value, float):
        if value.is_integer() and abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:,.{digits}f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def pct(value: Any) -> str:
    return "" if value is None else f"{100 * float(value):,.1f} %"


def signed(value: Any) -> str:
    text = num(value)
    return "+" + text if value is not None and float(value) > 0 else text


def sort_key(value: Any, numeric: bool = False) -> str:
    """What a table cell sorts by (its data-v), '' when there is no value."""
    if value is None:
        return ""
    return str(float(value)) if numeric else str(value)


EVIDENCE_PAGE = "parts/part.html"  # the evidence page; its data files are in parts/data/


def part_href(part_id: Any) -> str:
    """The evidence page of a part, from the site root (the id percent-encoded)."""
    return f"{EVIDENCE_PAGE}?id={quote(str(part_id), safe='')}"


ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("dagster_project.site", "templates"),
    autoescape=True,  # every template, whatever its name: values are text unless Markup
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
ENV.filters.update(num=num, pct=pct, signed=signed, sort_key=sort_key, part_href=part_href,
                   sev_rank=lambda v: SEVERITY_RANK.get(v, 4))


@dataclass(frozen=True)
class Col:
    key: str
    title: str
    # text | long (wraps) | num | pct | signed | sev | part | bool | flag (count, class `flag`
    # when not 0) | po (covering PO/line) | recommended | confidence | link (to row.href):
    # see macros.html `cell`
    kind: str = "text"
    sort: str | None = None  # key whose value sorts this column (default: the text)
    flag: str = ""

    @property
    def numeric(self) -> bool:
        return self.kind in ("num", "pct", "signed", "recommended")


@dataclass(frozen=True)
class Links:
    """Which parts have evidence (every part with a finding), and the way to the site root
    from the page being written."""

    ids: frozenset[str]
    prefix: str


# How each column of a site table reads, wherever a table shows it (title, Col.kind, the key
# it sorts by, the class that flags it). A table lists keys (`cols`); a page that titles a
# column its own way passes a Col for it instead.
COLUMNS: dict[str, Col] = {c.key: c for c in (
    Col("worklist_rank", "#", "num"),
    Col("severity", "severity", "sev"),
    Col("finding_type", "type"),
    Col("canonical_part_number", "part", "part"),
    Col("supplier_id", "supplier"),
    Col("plant", "plant"),
    Col("impact_value", "impact", "num"),
    Col("impact_currency", "cur."),
    Col("days_open", "days open", "num"),
    Col("status", "status"),
    Col("proposed_change", "proposed change", "long"),
    Col("impact_basis", "how it is computed", "long"),
    Col("target_system", "system"),
    Col("target_table", "table"),
    Col("target_field", "field"),
    Col("part_number", "part number"),
    Col("proposed_value", "proposed value", "num"),
    Col("first_proposed_at", "first proposed"),
    Col("closed_at", "closed"),
    Col("closed_by_extract", "carried by extract"),
    Col("score", "score", "num"),
    Col("part_number_a", "part a"),
    Col("description_a", "description a", "long"),
    Col("uom_a", "UoM a"),
    Col("mpn_a", "mfr part no. a"),
    Col("part_number_b", "part b"),
    Col("description_b", "description b", "long"),
    Col("uom_b", "UoM b"),
    Col("mpn_b", "mfr part no. b"),
    Col("shared_suppliers", "shared suppliers", "num"),
    Col("evidence", "evidence", "long"),
    Col("accept_command", "to accept", "long"),
    Col("reject_command", "to reject", "long"),
    Col("n_lines", "lines", "num"),
    Col("median_lead_time_days", "median actual (d)", "num"),
    Col("p90_lead_time_days", "p90 (d)", "num"),
    Col("erp_planned_lead_time_days", "ERP planned (d)", "num"),
    Col("mrp_planned_lead_time_days", "MRP planned (d)", "num"),
    Col("drift_vs_erp_days", "drift vs ERP", "signed"),
    Col("drift_vs_mrp_days", "drift vs MRP", "signed"),
    Col("recommended_lead_time_days", "recommended (d)", "num"),
    Col("on_time_rate", "on time", "pct"),
    Col("current_safety_stock", "current", "num"),
    Col("recommended_safety_stock", "recommended", "num"),
    Col("safety_stock_deviation_ratio", "deviation", "pct"),
    Col("is_safety_stock_deviation", "beyond tolerance", "bool"),
    Col("is_stale", "stale", "bool"),
    Col("last_changed_date", "last changed"),
    Col("lead_time_basis", "lead-time basis"),
    Col("as_of_date", "as of"),
    Col("required_qty", "required", "num"),
    Col("mrp_available_qty", "MRP available", "num"),
    Col("on_hand_qty", "on hand", "num"),
    Col("covering_po_number", "covering PO", "po"),
    Col("covering_supplier_id", "supplier"),
    Col("covering_due_date", "due"),
    Col("days_past_due", "days past due", "num"),
    Col("table_name", "table"),
    Col("suite", "suite"),
    Col("run_at", "last validated"),
    Col("extracts", "extracts", "num"),
    Col("evaluated", "evaluated", "num"),
    Col("passed", "passed", "num"),
    Col("pass_rate", "pass rate", "pct"),
    Col("source_file", "extract"),
    Col("expectation_type", "expectation"),
    Col("column_name", "column"),
    Col("unexpected_count", "failing rows", "num"),
    Col("element_count", "rows", "num"),
    Col("rows_checked", "rows checked"),
    Col("observed", "observed", "long"),
    Col("findings", "findings", "num"),
    Col("parts", "parts", "num"),
    Col("mart", "mart"),
    Col("rows", "rows", "num"),
    Col("file", "file", "link"),
    Col("size_kb", "size (KB)", "num"),
    Col("written_at", "written (UTC)"),
    Col("newest_file", "newest extract"),
    Col("loaded_at", "loaded (UTC)"),
    Col("age_days", "age (days)", "num"),
    Col("business_date", "newest date in data"),
    Col("currency", "currency"),
    Col("impact", "impact", "num"),
    Col("age", "open for"),
    Col("open", "open", "num"),
    Col("waived", "waived", "num"),
    Col("open_impact", "open impact", "num"),
    Col("resolved", "findings resolved", "num"),
    Col("target", "target field"),
    Col("outstanding", "outstanding", "num"),
    Col("applied", "applied", "num"),
    Col("superseded", "superseded", "num"),
    Col("is_preferred_supplier", "preferred", "bool"),
    Col("low_confidence", "confidence", "confidence"),
    Col("stddev_lead_time_days", "std dev (d)", "num"),
    Col("exclusion_reason", "reason"),
    Col("lines", "lines", "num"),
    Col("po_number", "PO"),
    Col("po_line", "line"),
    Col("order_date", "ordered"),
    Col("line_status", "status"),
    Col("order_qty", "ordered qty", "num"),
    Col("net_received_qty", "net received", "num"),
    Col("first_receipt_date", "first receipt"),
    Col("last_receipt_date", "last receipt"),
    Col("mean_daily_demand", "mean daily demand", "num"),
    Col("stddev_daily_demand", "std dev daily demand", "num"),
    Col("lead_time_mean_days", "lead time mean (d)", "num"),
    Col("lead_time_stddev_days", "lead time std dev (d)", "num"),
    Col("mrp_status", "MRP status"),
    Col("false_available", "false AVAILABLE", "bool"),
    Col("size", "size", sort="magnitude"),
    Col("errors", "ERROR failures", "flag", flag="fail"),
    Col("warnings", "WARNING failures", "flag", flag="warn"),
    Col("stale", "", "flag", flag="warn"),
)}


def cols(*columns: str | Col) -> list[Col]:
    """A table's columns: catalogue keys, or a Col where the table titles one its own way."""
    return [c if isinstance(c, Col) else COLUMNS[c] for c in columns]


FINDING_COLS = cols(
    "worklist_rank", "severity", "finding_type", "canonical_part_number", "supplier_id", "plant",
    "impact_value", "impact_currency", "size", "days_open", "status", "proposed_change",
)
IMPACT_COLS = cols(
    "worklist_rank", "finding_type", "canonical_part_number", "supplier_id", "plant",
    "impact_value", "impact_currency", "impact_basis", "days_open",
)
CHANGE_SET_COLS = cols(
    "status", "target_system", "target_table", "target_field", "part_number", "supplier_id",
    "plant", "proposed_value", "first_proposed_at", "closed_at", "closed_by_extract",
)
REVIEW_COLS = cols(
    "score", "part_number_a", "description_a", "uom_a", "mpn_a", "part_number_b", "description_b",
    "uom_b", "mpn_b", "shared_suppliers", "evidence", "accept_command", "reject_command",
)
DRIFT_COLS = cols(
    "canonical_part_number", "supplier_id", "n_lines", "median_lead_time_days",
    "p90_lead_time_days", "erp_planned_lead_time_days", "mrp_planned_lead_time_days",
    "drift_vs_erp_days", "drift_vs_mrp_days", "recommended_lead_time_days", "on_time_rate",
)
SAFETY_COLS = cols(
    "canonical_part_number", "plant", "current_safety_stock", "recommended_safety_stock",
    "safety_stock_deviation_ratio", "is_safety_stock_deviation", "is_stale", "last_changed_date",
    "lead_time_basis",
)
AVAILABILITY_COLS = cols(
    "canonical_part_number", "plant", "as_of_date", "required_qty", "mrp_available_qty",
    "on_hand_qty", "covering_po_number", "covering_supplier_id", "covering_due_date",
    "days_past_due",
)
INDEX_COLS = {
    "contracts": cols(
        "table_name", "suite", "run_at", "extracts", "evaluated", "passed", "pass_rate", "errors",
        "warnings",
    ),
    "failures": cols(
        "table_name", "source_file", "expectation_type", "column_name", "severity",
        "unexpected_count", "element_count", "rows_checked", "observed",
    ),
    "findings_by_type": cols("finding_type", "severity", "findings", "parts"),
    "findings": FINDING_COLS,
    "drift": DRIFT_COLS,
    "safety": SAFETY_COLS,
    "availability": AVAILABILITY_COLS,
    "marts": cols("mart", "rows"),
    "downloads": cols("file", "size_kb", "written_at", "stale"),
    "freshness": cols(
        Col("table_name", "landing table"), "newest_file", "loaded_at", "age_days",
        Col("extracts", "extracts in raw", "num"), "business_date", "stale",
    ),
    "impact": IMPACT_COLS,
    "impact_totals": cols("currency", "impact", Col("findings", "findings with a cost", "num")),
    "ageing": cols("age", "open", "waived", "open_impact"),
    "resolved": cols(Col("run_at", "run (UTC)"), "resolved"),
    "change_sets": cols("target", "outstanding", "applied", "superseded"),
}
# The evidence page's tables (drawn by static/evidence.js from the part's data file: a `key`
# is a column of the evidence.PART_TABLES entry of the same name; "evidence" shows the findings'
# evidence JSON).
PART_COLS = {
    "findings": [c for c in FINDING_COLS if c.key != "canonical_part_number"],
    "evidence": cols(
        "worklist_rank", "finding_type", "supplier_id", "plant",
        Col("evidence", "the facts behind the finding", "evidence"),
    ),
    "suppliers": cols(
        "supplier_id", "is_preferred_supplier", "n_lines",
        Col("recommended_lead_time_days", "recommended (d)", "recommended"), "low_confidence",
        Col("median_lead_time_days", "median (d)", "num"), "p90_lead_time_days",
        Col("erp_planned_lead_time_days", "ERP planned", "num"),
        Col("mrp_planned_lead_time_days", "MRP planned", "num"), "drift_vs_erp_days",
        "drift_vs_mrp_days", "stddev_lead_time_days", "on_time_rate",
    ),
    "excluded_counts": cols("exclusion_reason", "lines"),
    "excluded": cols(
        "exclusion_reason", "po_number", "po_line", "supplier_id", "order_date", "line_status",
        "order_qty", "net_received_qty", "first_receipt_date", "last_receipt_date",
    ),
    "safety": cols(
        "plant", "current_safety_stock", "recommended_safety_stock",
        "safety_stock_deviation_ratio", "is_stale", "last_changed_date", "mean_daily_demand",
        "stddev_daily_demand", "lead_time_mean_days", "lead_time_stddev_days", "lead_time_basis",
    ),
    "availability": cols(
        "as_of_date", "plant", "mrp_status", "false_available", "required_qty",
        "mrp_available_qty", "on_hand_qty", "covering_po_number", "covering_supplier_id",
        "covering_due_date", "days_past_due",
    ),
}


def col_specs(columns: list[Col]) -> list[dict[str, Any]]:
    """Columns as the browser's tables read them (site.js: a cell's kind, sort, alignment)."""
    return [{"key": c.key, "title": c.title, "kind": c.kind, "sort": c.sort,
             "numeric": c.numeric} for c in columns]


@dataclass(frozen=True)
class DetailPage:
    title: str
    cols: list[Col]
    mart: str


# <name>.html, its rows from details.DETAIL_TABLES[name] in <name>.data.<n>.js.
DETAIL_PAGES = {
    "findings": DetailPage("Governance worklist", FINDING_COLS, "mart_master_data_exceptions"),
    "lead_times": DetailPage("Lead-time drift", DRIFT_COLS, "mart_supplier_lead_times"),
    "safety_stock": DetailPage("Safety stock review", SAFETY_COLS, "mart_safety_stock_review"),
    "availability": DetailPage("False availability", AVAILABILITY_COLS,
                               "mart_availability_check"),
    "review": DetailPage("Review queue: possible duplicate parts", REVIEW_COLS,
                         "part_match_review"),
    "change_sets": DetailPage("Proposed changes: outstanding, applied, superseded",
                              CHANGE_SET_COLS, "mart_change_set_status"),
}

ZERO_KPIS = dict.fromkeys(
    ("parts", "findings", "high_findings", "drifting_part_suppliers", "part_suppliers",
     "safety_stock_deviations", "stale_parameters", "false_available", "availability_checks"), 0)


def render_pages(quality: QualityData, marts: MartData, status_line: str,
                 docs: list[DocLink], plotly_version: str, top_rows: int) -> SiteFiles:
    """index.html, the detail pages, the evidence page and its data files, as text."""
    links = Links(marts.evidence.ids, "")
    files: SiteFiles = {"index.html": render_index(quality, marts, status_line, docs,
                                                   plotly_version, top_rows, links)}
    build = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    for name, detail in DETAIL_PAGES.items():
        data = marts.details.get(name, DetailData())
        files[f"{name}.html"] = render_detail_page(name, detail, data, build)
        files |= {f"{name}.data.{n}.js": text for n, text in data.files.items()}
    files[EVIDENCE_PAGE] = render_evidence_page(marts)
    files |= {f"parts/data/{n}.js": text for n, text in marts.evidence.files.items()}
    return files


def render_index(quality: QualityData, marts: MartData, status_line: str,
                 docs: list[DocLink], plotly_version: str, top_rows: int, links: Links) -> str:
    k = {**ZERO_KPIS, **marts.kpis}
    total = sum(t["evaluated"] for t in quality.tables)
    passed = sum(t["passed"] for t in quality.tables)
    charts_html = {"trend": charts.contract_trend(quality.trend) if quality.trend else None}
    if marts.published:
        charts_html |= {
            "findings": charts.findings_by_type(marts.findings_by_type),
            "drift": charts.drift_histogram(marts.drift_hist),
            "safety": charts.safety_histogram(marts.safety_hist),
            "availability": charts.availability_by_plant(marts.availability_by_plant),
            "pareto": charts.impact_pareto(marts.impact_pareto) if marts.impact_pareto else None,
        }
    return ENV.get_template("index.html").render(
        title="plansignal: planning data quality", heading="plansignal: planning data quality",
        prefix="", back=False, plotly_version=plotly_version,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        status_line=status_line, failed="FAILED" in status_line.upper(),
        quality=quality, marts=marts, k=k, contracts_met=f"{passed}/{total}",
        gx_href=next((d.href for d in docs if d.href and d.href.startswith("gx/")), None),
        docs=docs, charts=charts_html, cols=INDEX_COLS, top_rows=top_rows,
        mart_rows=[{"mart": f"marts.{n}", "rows": r} for n, r in marts.mart_rows.items()],
        links=links)


def render_detail_page(name: str, detail: DetailPage, data: DetailData, build: str) -> str:
    """<name>.html: the headings and text of a detail page; site.js draws its rows from its
    data files (`build` in their addresses, so a browser never mixes two builds' files)."""
    spec = {"name": name, "table": "detail-table", "files": len(data.files), "build": build,
            "columns": col_specs(detail.cols)}
    return ENV.get_template("detail.html").render(
        title=f"plansignal: {detail.title}", heading=detail.title, prefix="", back=True,
        plotly_version=None, page=detail, spec=spec, data=data)


def render_evidence_page(marts: MartData) -> str:
    """parts/part.html: the page evidence.js fills with one part's evidence."""
    spec = {
        "shards": marts.evidence.shards, "parts": len(marts.evidence.ids),
        "build": datetime.now(UTC).strftime("%Y%m%d%H%M%S"), "scatter_points": SCATTER_POINTS,
        "columns": {name: col_specs(cols) for name, cols in PART_COLS.items()},
    }
    return ENV.get_template("part.html").render(
        title="plansignal: part evidence", heading="Part evidence", prefix="../", back=True,
        plotly_version=None, spec=spec)
