"""HTML pages of the governance site: index, detail tables, per-part evidence."""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from . import charts
from .queries import MartData, PartEvidence, QualityData, Row

Format = Callable[[Any, Row], str]


@dataclass
class DocLink:
    """A generated documentation set and whether this build produced it."""

    title: str
    href: str | None
    note: str


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def num(value: Any, digits: int = 1) -> str:
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


@dataclass
class Col:
    key: str
    title: str
    kind: str = "text"  # text | long (wraps) | num | pct | sev | part | bool | signed
    fmt: Format | None = None
    sort: str | None = None  # key whose value sorts this column (default: the text)


class Links:
    """Where a part's evidence page is, relative to the page being written."""

    def __init__(self, part_ids: set[str], prefix: str) -> None:
        self.part_ids, self.prefix = part_ids, prefix

    def part(self, row: Row) -> str:
        number = esc(row.get("canonical_part_number") or row.get("canonical_part_id"))
        pid = row.get("canonical_part_id")
        if pid in self.part_ids:
            return f'<a href="{self.prefix}parts/{esc(pid)}.html">{number}</a>'
        return number


def _cell(col: Col, row: Row, links: Links) -> str:
    value = row.get(col.key)
    if col.fmt is not None:
        sort = f' data-v="{esc(row.get(col.sort))}"' if col.sort else ""
        return f"<td{sort}>{col.fmt(value, row)}</td>"
    if col.kind == "part":
        return f'<td data-v="{esc(row.get("canonical_part_number"))}">{links.part(row)}</td>'
    if col.kind == "sev":
        rank = {"high": 1, "ERROR": 1, "medium": 2, "WARNING": 2, "low": 3}.get(value, 4)
        return f'<td data-v="{rank}"><span class="sev sev-{esc(value)}">{esc(value)}</span></td>'
    if col.kind in ("num", "pct", "signed"):
        text = pct(value) if col.kind == "pct" else num(value)
        if col.kind == "signed" and value is not None and float(value) > 0:
            text = "+" + text
        sort = "" if value is None else float(value)
        return f'<td class="num" data-v="{sort}">{text}</td>'
    if col.kind == "bool":
        return f"<td>{'yes' if value else ''}</td>"
    if col.kind == "long":
        return f'<td class="long">{esc(num(value))}</td>'
    return f"<td>{esc(num(value))}</td>"


def table(cols: Sequence[Col], rows: Sequence[Row], links: Links, empty: str,
          table_id: str | None = None, filterable: bool = False) -> str:
    if not rows:
        return f'<p class="muted">{esc(empty)}</p>'
    head = "".join(
        f'<th class="{"num" if c.kind in ("num", "pct", "signed") else ""}">{esc(c.title)}</th>'
        for c in cols)
    body = "".join("<tr>" + "".join(_cell(c, r, links) for c in cols) + "</tr>" for r in rows)
    tid = f' id="{table_id}"' if table_id else ""
    box = (f'<input class="filter" type="search" placeholder="filter rows" '
           f'data-table="{table_id}">' if filterable and table_id else "")
    return (f'{box}<div class="wrap"><table class="data"{tid}><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def page(title: str, body: str, prefix: str, plotly_version: str, charts_used: bool) -> str:
    """A complete page; `prefix` leads from the page to the site root ('' or '../')."""
    script = (f'<script src="{prefix}assets/plotly.min.js?v={esc(plotly_version)}"></script>'
              if charts_used else "")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{prefix}assets/site.css">
{script}
<script src="{prefix}assets/site.js"></script>
</head><body>
{body}
</body></html>
"""


def _header(title: str, subtitle: str, prefix: str, back: bool = True) -> str:
    link = f'<a href="{prefix}index.html">&larr; governance overview</a> &middot; ' if back else ""
    return (f'<header class="top"><h1>{esc(title)}</h1>'
            f'<div class="muted small">{link}{subtitle}</div></header>')


FINDING_COLS = [
    Col("worklist_rank", "#", "num"), Col("severity", "severity", "sev"),
    Col("finding_type", "type"), Col("canonical_part_number", "part", "part"),
    Col("supplier_id", "supplier"), Col("plant", "plant"),
    Col("size", "size", fmt=lambda v, r: esc(v), sort="magnitude"),
    Col("proposed_change", "proposed change", "long"),
]
DRIFT_COLS = [
    Col("canonical_part_number", "part", "part"), Col("supplier_id", "supplier"),
    Col("n_lines", "lines", "num"), Col("median_lead_time_days", "median actual (d)", "num"),
    Col("p90_lead_time_days", "p90 (d)", "num"),
    Col("erp_planned_lead_time_days", "ERP planned (d)", "num"),
    Col("mrp_planned_lead_time_days", "MRP planned (d)", "num"),
    Col("drift_vs_erp_days", "drift vs ERP", "signed"),
    Col("drift_vs_mrp_days", "drift vs MRP", "signed"),
    Col("recommended_lead_time_days", "recommended (d)", "num"),
    Col("on_time_rate", "on time", "pct"),
]
SAFETY_COLS = [
    Col("canonical_part_number", "part", "part"), Col("plant", "plant"),
    Col("current_safety_stock", "current", "num"),
    Col("recommended_safety_stock", "recommended", "num"),
    Col("safety_stock_deviation_ratio", "deviation", "pct"),
    Col("is_safety_stock_deviation", "beyond tolerance", "bool"),
    Col("is_stale", "stale", "bool"), Col("last_changed_date", "last changed"),
    Col("lead_time_basis", "lead-time basis"),
]
AVAILABILITY_COLS = [
    Col("canonical_part_number", "part", "part"), Col("plant", "plant"),
    Col("as_of_date", "as of"), Col("required_qty", "required", "num"),
    Col("mrp_available_qty", "MRP available", "num"), Col("on_hand_qty", "on hand", "num"),
    Col("covering_po_number", "covering PO",
        fmt=lambda v, r: esc(f"{v}/{r.get('covering_po_line')}" if v else "")),
    Col("covering_supplier_id", "supplier"), Col("covering_due_date", "due"),
    Col("days_past_due", "days past due", "num"),
]
CONTRACT_COLS = [
    Col("table_name", "table"), Col("suite", "suite"),
    Col("run_at", "last validated"), Col("extracts", "extracts", "num"),
    Col("evaluated", "evaluated", "num"), Col("passed", "passed", "num"),
    Col("pass_rate", "pass rate", "pct"),
    Col("errors", "ERROR failures", fmt=lambda v, r: f'<span class="{"fail" if v else ""}">'
        f"{v}</span>"),
    Col("warnings", "WARNING failures", fmt=lambda v, r: f'<span class="{"warn" if v else ""}">'
        f"{v}</span>"),
]
FAILURE_COLS = [
    Col("table_name", "table"), Col("source_file", "extract"),
    Col("expectation_type", "expectation"), Col("column_name", "column"),
    Col("severity", "severity", "sev"), Col("unexpected_count", "failing rows", "num"),
    Col("element_count", "rows", "num"), Col("observed", "observed", "long"),
]

DETAIL_PAGES = {
    "findings.html": ("Governance worklist", "worklist", FINDING_COLS,
                      "mart_master_data_exceptions"),
    "lead_times.html": ("Lead-time drift", "drift", DRIFT_COLS, "mart_supplier_lead_times"),
    "safety_stock.html": ("Safety stock review", "safety_stock", SAFETY_COLS,
                          "mart_safety_stock_review"),
    "availability.html": ("False availability", "availability", AVAILABILITY_COLS,
                          "mart_availability_check"),
}


ZERO_KPIS = dict.fromkeys(
    ("parts", "findings", "high_findings", "drifting_part_suppliers", "part_suppliers",
     "safety_stock_deviations", "stale_parameters", "false_available", "availability_checks"), 0)


def _more(href: str, shown: int, total: int, what: str) -> str:
    return (f'<p class="more"><a href="{href}">All {total:,} {what} &rarr;</a>'
            f' <span class="muted small">(showing the top {min(shown, total)} here)</span></p>')


def _card(value: Any, label: str, href: str) -> str:
    return (f'<a class="card" href="{href}" style="text-decoration:none;color:inherit">'
            f'<div class="value">{esc(num(value))}</div><div class="label">{esc(label)}</div></a>')


def render_index(quality: QualityData, marts: MartData, status_line: str, docs: list[DocLink],
                 plotly_version: str, top_rows: int) -> str:
    links = Links(set(marts.parts), "")
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    failed = "FAILED" in status_line.upper()
    k = {**ZERO_KPIS, **marts.kpis}
    contract_total = sum(t["evaluated"] for t in quality.tables)
    contract_passed = sum(t["passed"] for t in quality.tables)
    parts: list[str] = [_header(
        "plansignal: planning data quality",
        f"Generated {generated} &middot; last contract run {esc(quality.latest_run_id or 'none')}"
        f" &middot; contract history from {esc(quality.source or 'nowhere yet')}", "",
        back=False)]
    parts.append('<nav class="sections"><a href="#contracts">Contracts</a>'
                 '<a href="#findings">Findings</a><a href="#evidence">Evidence pages</a>'
                 '<a href="#drift">Lead-time drift</a><a href="#safety-stock">Safety stock</a>'
                 '<a href="#availability">False availability</a><a href="#docs">Data Docs &amp; '
                 'dbt docs</a><a href="#marts">Marts</a></nav><main>')
    parts.append(f'<p id="status" class="{"failed" if failed else ""}">{esc(status_line)}</p>')
    if quality.note:
        parts.append(f'<p class="note">{esc(quality.note)}</p>')
    if marts.errors:
        parts.append('<p class="note">Sections that could not be read from the serving '
                     "database: " + "; ".join(esc(e) for e in marts.errors) + "</p>")
    if marts.published:
        parts.append('<div class="cards">' + "".join([
            _card(f"{contract_passed}/{contract_total}", "expectations met (latest per table)",
                  "#contracts"),
            _card(k["findings"], f"findings, {k['high_findings']:,} high", "#findings"),
            _card(k["drifting_part_suppliers"],
                  f"of {k['part_suppliers']:,} part/suppliers drift", "#drift"),
            _card(k["safety_stock_deviations"],
                  f"safety stocks off, {k['stale_parameters']:,} stale", "#safety-stock"),
            _card(k["false_available"],
                  f"false AVAILABLE of {k['availability_checks']:,} checks", "#availability"),
            _card(k["parts"], "canonical parts", "#marts"),
        ]) + "</div>")
    else:
        parts.append('<p class="note">Nothing published to the serving database yet.</p>')

    gx = next((d for d in docs if d.href and d.href.startswith("gx/")), None)
    parts.append('<h2 id="contracts">Contracts: pass rate per table</h2>')
    parts.append('<p class="muted small">Each table\'s latest validation (raw tables are '
                 'validated when an extract lands). '
                 + (f'Every expectation and its result: <a href="{gx.href}">Great Expectations '
                    'Data Docs</a>.' if gx else "") + "</p>")
    parts.append(table(CONTRACT_COLS, quality.tables, links, "No contract has run yet.",
                       "contracts-table"))
    if quality.trend:
        parts.append(f'<div class="chart">{charts.contract_trend(quality.trend)}</div>')
    parts.append("<h3>Failed expectations (latest validation of each table)</h3>")
    parts.append(table(FAILURE_COLS, quality.failures, links,
                       "None: every expectation passed.", "failures-table"))

    if marts.published:
        parts.append(_index_marts(marts, links, top_rows))
    parts.append('<h2 id="docs">Data Docs and dbt docs</h2><ul>')
    for doc in docs:
        link = f'<a href="{doc.href}">{esc(doc.title)}</a>' if doc.href else esc(doc.title)
        parts.append(f"<li>{link} <span class=\"muted small\">{esc(doc.note)}</span></li>")
    parts.append("</ul>")
    parts.append('<h2 id="marts">Serving database</h2>')
    parts.append(table([Col("mart", "mart"), Col("rows", "rows", "num")],
                       [{"mart": f"marts.{n}", "rows": r} for n, r in marts.mart_rows.items()],
                       links, "Nothing published yet.", "marts-table"))
    parts.append("</main>")
    return page("plansignal: planning data quality", "\n".join(parts), "", plotly_version,
                charts_used=True)


def _index_marts(marts: MartData, links: Links, top_rows: int) -> str:
    k = {**ZERO_KPIS, **marts.kpis}
    out = ['<h2 id="findings">Findings by type and severity</h2><div class="grid2">',
           f'<div class="chart">{charts.findings_by_type(marts.findings_by_type)}</div><div>',
           table([Col("finding_type", "type"), Col("severity", "severity", "sev"),
                  Col("findings", "findings", "num"), Col("parts", "parts", "num")],
                 marts.findings_by_type, links, "No findings.", "findings-table"),
           "</div></div>",
           _more("findings.html", len(marts.worklist), k["findings"], "findings in worklist order"),
           '<h3 id="evidence">Evidence pages: the worklist\'s top parts</h3>',
           '<p class="muted small">Ordered by severity, then by how extreme the finding is '
           "within its type (lead-time drift relative to plan, safety-stock deviation, share "
           "of the requirement not on hand, ...). Each part links to its lead times, exclusions "
           "and recommendation.</p>",
           table(FINDING_COLS, marts.top_findings, links, "No findings.", "evidence-table"),
           '<h2 id="drift">Parts whose lead time drifted most</h2><div class="grid2">',
           f'<div class="chart">{charts.drift_histogram(marts.drift_hist)}</div>',
           '<div class="explain"><p>Drift is the median actual lead time of completed PO lines '
           "in the trailing statistics window minus the planned lead time, from the ERP "
           "purchasing info and from MRP separately. Beyond the tolerance (dbt var "
           "<code>lead_time_drift_tolerance_days</code>) it is a finding.</p>"
           f"<p><strong>{k['drifting_part_suppliers']:,}</strong> of {k['part_suppliers']:,} "
           "part/supplier pairs drift. Pairs with fewer than 3 completed lines are low "
           "confidence: no drift finding and no recommendation. The recommended lead time is "
           "a quantile of the actual lead times (default p80), rounded up.</p></div></div>",
           table(DRIFT_COLS, marts.drift[:top_rows], links, "No drifting part/supplier.",
                 "drift-table"),
           _more("lead_times.html", top_rows, k["drifting_part_suppliers"],
                 "drifting part/suppliers"),
           '<h2 id="safety-stock">Safety stocks furthest from their recommendation</h2>'
           '<div class="grid2">',
           f'<div class="chart">{charts.safety_histogram(marts.safety_hist)}</div>',
           '<div class="explain"><p>Recommended safety stock = z &middot; &radic;(L&middot;'
           "&sigma;<sub>d</sub>&sup2; + d&sup2;&middot;&sigma;<sub>L</sub>&sup2;), from weekly "
           "demand history and actual lead times, at the service level of dbt var "
           "<code>service_level</code>.</p>"
           f"<p><strong>{k['safety_stock_deviations']:,}</strong> part/plant safety stocks "
           "differ from the recommendation by more than the tolerance "
           "(<code>safety_stock_tolerance</code>); "
           f"<strong>{k['stale_parameters']:,}</strong> MRP parameter sets have not been "
           "changed for longer than <code>parameter_stale_after_days</code>. -100 % means no "
           "safety stock at all.</p></div></div>",
           table(SAFETY_COLS, marts.safety_stock[:top_rows], links,
                 "No safety stock outside tolerance.", "safety-table"),
           _more("safety_stock.html", top_rows, len(marts.safety_stock),
                 "deviating or stale safety stocks"),
           '<h2 id="availability">False availability flags</h2><div class="grid2">',
           f'<div class="chart">{charts.availability_by_plant(marts.availability_by_plant)}'
           '</div><div class="explain"><p>MRP reports AVAILABLE, but the reconciled on-hand '
           "stock is below the requirement and the supply MRP counts on is a past-due open PO "
           f"line. <strong>{k['false_available']:,}</strong> of "
           f"{k['availability_checks']:,} availability checks.</p>"
           "<p>Expedite or re-date the PO line so MRP stops planning with supply that is late."
           "</p></div></div>",
           table(AVAILABILITY_COLS, marts.availability[:top_rows], links,
                 "No false availability flag.", "availability-table"),
           _more("availability.html", top_rows, k["false_available"], "false AVAILABLE flags")]
    return "\n".join(out)


def render_detail(name: str, marts: MartData, plotly_version: str) -> str:
    title, attr, cols, mart = DETAIL_PAGES[name]
    rows: list[Row] = getattr(marts, attr)
    links = Links(set(marts.parts), "")
    body = [_header(title, f"From marts.{esc(mart)} in the serving database.", ""), "<main>",
            f'<p class="muted small">{len(rows):,} rows shown (at most 2,000; query '
            f"marts.{esc(mart)} for all). Click a column to sort.</p>",
            table(cols, rows, links, "Nothing to show.", "detail-table", filterable=True),
            "</main>"]
    return page(f"plansignal: {title}", "\n".join(body), "", plotly_version, charts_used=False)


def _confidence(s: Row) -> str:
    n = num(s.get("n_lines"))
    if s.get("low_confidence"):
        return f'<span class="warn">low</span> ({n} lines): no recommendation'
    return f'<span class="pass">sufficient</span> ({n} lines)'


def _recommended(value: Any, row: Row) -> str:
    quantile = row.get("recommended_lead_time_quantile")
    if value is None or quantile is None:
        return num(value)
    return (f'<strong>{num(value)}</strong> <span class="muted small">'
            f"p{100 * float(quantile):.0f}</span>")


def render_part(evidence: PartEvidence, plotly_version: str) -> str:
    p = evidence.part
    links = Links(set(), "../")
    number = p.get("canonical_part_number") or p["canonical_part_id"]
    sub = (f"{esc(p.get('description'))} &middot; {esc(p.get('procurement_type'))} &middot; "
           f"{esc(p.get('status'))} &middot; canonical id {esc(p['canonical_part_id'])}")
    supplier_cols = [
        Col("supplier_id", "supplier"), Col("is_preferred_supplier", "preferred", "bool"),
        Col("n_lines", "lines", "num"),
        Col("recommended_lead_time_days", "recommended (d)", "num", fmt=_recommended),
        Col("low_confidence", "confidence", fmt=lambda v, r: _confidence(r)),
        Col("median_lead_time_days", "median (d)", "num"),
        Col("p90_lead_time_days", "p90 (d)", "num"),
        Col("erp_planned_lead_time_days", "ERP planned", "num"),
        Col("mrp_planned_lead_time_days", "MRP planned", "num"),
        Col("drift_vs_erp_days", "drift vs ERP", "signed"),
        Col("drift_vs_mrp_days", "drift vs MRP", "signed"),
        Col("stddev_lead_time_days", "std dev (d)", "num"),
        Col("on_time_rate", "on time", "pct"),
    ]
    window = next(((s.get("lead_time_window_start_date"), s.get("lead_time_window_end_date"))
                   for s in evidence.suppliers), (None, None))
    shown = len(evidence.points)
    body = [_header(f"Part {number}", sub, "../"), "<main>",
            "<h2>Findings</h2>",
            table([c for c in FINDING_COLS if c.key != "canonical_part_number"],
                  evidence.findings, links, "No findings for this part.", "part-findings"),
            "<h2>Recommendation and confidence</h2>",
            f'<p class="muted small">Statistics over completed PO lines whose completion date '
            f"lies in the window {esc(num(window[0]))} to {esc(num(window[1]))}; the "
            "recommended lead time is a quantile of the actual lead times, rounded up. Fewer "
            "than 3 lines: low confidence, no recommendation.</p>",
            table(supplier_cols, evidence.suppliers, links,
                  "No completed PO line: no lead-time statistics.", "part-suppliers"),
            "<h2>Lead times over time</h2>",
            f'<p class="muted small">{shown:,} most recent of {evidence.n_completed:,} completed '
            "PO lines plotted.</p>" if evidence.n_completed > shown else "",
            '<div class="grid2">',
            f'<div class="chart">{charts.part_scatter(evidence)}</div>',
            f'<div class="chart">{charts.part_histogram(evidence)}</div></div>',
            "<h2>Excluded PO lines</h2>",
            '<p class="muted small">Lines left out of the statistics, with the reason '
            "(cancelled, still open, receipt before the order date, ...).</p>",
            table([Col("exclusion_reason", "reason"), Col("lines", "lines", "num")],
                  evidence.excluded_counts, links, "No excluded line.", "part-excluded-counts"),
            table([Col("exclusion_reason", "reason"), Col("po_number", "PO"),
                   Col("po_line", "line"), Col("supplier_id", "supplier"),
                   Col("order_date", "ordered"), Col("line_status", "status"),
                   Col("order_qty", "ordered qty", "num"),
                   Col("net_received_qty", "net received", "num"),
                   Col("first_receipt_date", "first receipt"),
                   Col("last_receipt_date", "last receipt")],
                  evidence.excluded, links, "", "part-excluded"),
            "<h2>Safety stock by plant</h2>",
            table([Col("plant", "plant"), Col("current_safety_stock", "current", "num"),
                   Col("recommended_safety_stock", "recommended", "num"),
                   Col("safety_stock_deviation_ratio", "deviation", "pct"),
                   Col("is_stale", "stale", "bool"), Col("last_changed_date", "last changed"),
                   Col("mean_daily_demand", "mean daily demand", "num"),
                   Col("stddev_daily_demand", "std dev daily demand", "num"),
                   Col("lead_time_mean_days", "lead time mean (d)", "num"),
                   Col("lead_time_stddev_days", "lead time std dev (d)", "num"),
                   Col("lead_time_basis", "lead-time basis")],
                  evidence.safety_stock, links, "No MRP parameters for this part.",
                  "part-safety"),
            "<h2>Availability checks (SHORT or falsely AVAILABLE)</h2>",
            table([Col("as_of_date", "as of"), Col("plant", "plant"),
                   Col("mrp_status", "MRP status"),
                   Col("false_available", "false AVAILABLE", "bool")] + AVAILABILITY_COLS[3:],
                  evidence.availability, links, "No shortage or false availability.",
                  "part-availability"),
            "</main>"]
    return page(f"plansignal: part {number}", "\n".join(body), "../", plotly_version,
                charts_used=True)
