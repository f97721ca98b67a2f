"""Plotly figures for the site, as <div>s that use the page's local plotly.min.js.

Inputs are the small aggregated row lists from `queries`; nothing here touches a database.
Figures are plain plotly JSON dicts rendered with validation off: building graph_objects for
some 60 figures a build cost seconds (template deep copies, property validation).

Each figure is returned as `Markup`, the one kind of HTML the page templates take as it is:
plotly writes the figure as JSON inside a <script> with ``<``, ``>`` and ``/`` escaped
(``\\u003c`` ...), so no value from the data can end the script or start an element.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from functools import cache
from typing import Any

import plotly.io as pio
from markupsafe import Markup

from .queries import PartEvidence, Row

SEVERITY_COLORS = {"high": "#b42318", "medium": "#dc6803", "low": "#3e6b8a"}
PALETTE = ["#1f5fa8", "#dc6803", "#027a48", "#7a5af8", "#c11574", "#0e9384", "#854d0e",
           "#475467"]
CONFIG = {"displaylogo": False, "responsive": True,
          "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


Figure = dict[str, Any]


@cache
def _template() -> dict[str, Any]:
    return pio.templates["plotly_white"].to_plotly_json()


def _figure(title: str, height: int = 320, **layout: Any) -> Figure:
    base = {
        "title": {"text": title, "x": 0.01, "font": {"size": 14}}, "template": _template(),
        "height": height, "margin": {"l": 55, "r": 15, "t": 40, "b": 50},
        "legend": {"orientation": "h", "y": -0.22, "yanchor": "top"}, "font": {"size": 12},
        "shapes": [], "annotations": [],
    }
    return {"data": [], "layout": {**base, **layout}}


def _axis(title: str, **kwargs: Any) -> dict[str, Any]:
    return {"title": {"text": title}, **kwargs}


def _html(fig: Figure, div_id: str) -> Markup:
    return Markup(pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=div_id,
                              config=CONFIG, validate=False))


def _run_label(row: Row) -> str:
    return f"{row['run_at']:%Y-%m-%d %H:%M:%S}"


def contract_trend(trend: Sequence[Row]) -> Markup:
    """Pass rate (share of expectations met) per table over the last runs."""
    # Runs as categories in time order: evenly spaced, and one run alone still reads well.
    order = sorted({(r["run_at"], _run_label(r)) for r in trend})
    fig = _figure("Contract pass rate per table, by run",
                  yaxis=_axis("% expectations met", range=[0, 105]),
                  xaxis=_axis("run started", type="category", categoryorder="array",
                              categoryarray=[label for _, label in order]))
    by_table: dict[str, list[Row]] = defaultdict(list)
    for row in trend:
        by_table[row["table_name"]].append(row)
    for i, (table, rows) in enumerate(sorted(by_table.items())):
        fig["data"].append({
            "type": "scatter", "mode": "lines+markers", "name": table,
            "x": [_run_label(r) for r in rows], "y": [100 * r["pass_rate"] for r in rows],
            "line": {"color": PALETTE[i % len(PALETTE)]},
            "customdata": [[r["run_id"], r["errors"], r["warnings"]] for r in rows],
            "hovertemplate": f"{table}<br>%{{x}}<br>pass rate %{{y:.1f}} %<br>run "
                             "%{customdata[0]}<br>ERROR failures %{customdata[1]}, WARNING "
                             "%{customdata[2]}<extra></extra>",
        })
    return _html(fig, "chart-contract-trend")


def findings_by_type(rows: Sequence[Row]) -> Markup:
    types = sorted({r["finding_type"] for r in rows},
                   key=lambda t: sum(r["findings"] for r in rows if r["finding_type"] == t))
    fig = _figure("Findings by type and severity", height=max(260, 40 + 30 * len(types)),
                  barmode="stack", xaxis=_axis("findings"),
                  margin={"l": 170, "r": 15, "t": 40, "b": 50})
    for severity, color in SEVERITY_COLORS.items():
        counts = {r["finding_type"]: r["findings"] for r in rows if r["severity"] == severity}
        if counts:
            fig["data"].append({"type": "bar", "orientation": "h", "name": severity,
                                "y": types, "x": [counts.get(t, 0) for t in types],
                                "marker": {"color": color}})
    return _html(fig, "chart-findings")


def impact_pareto(rows: Sequence[Row]) -> Markup:
    """The costliest findings as bars, the cumulative share of the total as a line."""
    currency = rows[0].get("currency") if rows else None
    labels = [f"#{r['impact_rank']} {r['canonical_part_number'] or ''} ({r['finding_type']})"
              for r in rows]
    fig = _figure("What the findings cost: the costliest first (Pareto)", height=380,
                  xaxis=_axis("", showticklabels=False),
                  yaxis=_axis(f"impact {currency or ''}".strip()),
                  yaxis2=_axis("cumulative share of all findings' cost", overlaying="y",
                               side="right", range=[0, 1], tickformat=".0%"),
                  margin={"l": 70, "r": 70, "t": 40, "b": 30})
    fig["data"] += [
        {"type": "bar", "name": "impact", "x": labels, "y": [r["impact_value"] for r in rows],
         "marker": {"color": PALETTE[0]}},
        {"type": "scatter", "mode": "lines+markers", "name": "cumulative share", "x": labels,
         "y": [r["cumulative_share"] for r in rows], "yaxis": "y2",
         "line": {"color": SEVERITY_COLORS["high"]}},
    ]
    return _html(fig, "chart-impact-pareto")


def drift_histogram(rows: Sequence[Row]) -> Markup:
    fig = _figure("Lead-time drift per part and supplier (5-day bins, clipped at ±100)",
                  barmode="group", bargap=0.05,
                  xaxis=_axis("median actual minus planned (days)"),
                  yaxis=_axis("part/supplier pairs"))
    for i, basis in enumerate(sorted({r["basis"] for r in rows})):
        sub = [r for r in rows if r["basis"] == basis]
        fig["data"].append({"type": "bar", "name": f"median actual {basis} planned",
                            "x": [float(r["bin"]) + 2.5 for r in sub], "y": [r["n"] for r in sub],
                            "marker": {"color": PALETTE[i]}})
    return _html(fig, "chart-drift")


def safety_histogram(rows: Sequence[Row]) -> Markup:
    fig = _figure("Current vs recommended safety stock (10 % bins, clipped at +300 %)",
                  barmode="stack", xaxis=_axis("deviation from recommended (%)"),
                  yaxis=_axis("part/plant pairs"))
    for stale, color, label in ((False, "#1f5fa8", "reviewed recently"),
                                (True, "#dc6803", "stale parameters")):
        sub = [r for r in rows if bool(r["is_stale"]) == stale]
        fig["data"].append({"type": "bar", "name": label, "width": 9.2,
                            "x": [100 * float(r["bin"]) + 5 for r in sub],
                            "y": [r["n"] for r in sub], "marker": {"color": color}})
    return _html(fig, "chart-safety")


def availability_by_plant(rows: Sequence[Row]) -> Markup:
    fig = _figure("False AVAILABLE flags by plant", height=280, yaxis=_axis("checks"))
    fig["data"].append({
        "type": "bar", "name": "false AVAILABLE", "marker": {"color": SEVERITY_COLORS["high"]},
        "x": [r["plant"] for r in rows], "y": [r["false_available"] for r in rows],
        "customdata": [[r["reported_available"], r["checks"]] for r in rows],
        "hovertemplate": "%{x}: %{y} false of %{customdata[0]} AVAILABLE "
                         "(%{customdata[1]} checks)<extra></extra>",
    })
    return _html(fig, "chart-availability")


def _supplier_colors(evidence: PartEvidence) -> dict[str, str]:
    ids = [s["supplier_id"] for s in evidence.suppliers]
    ids += sorted({p["supplier_id"] for p in evidence.points} - set(ids))
    return {sid: PALETTE[i % len(PALETTE)] for i, sid in enumerate(ids)}


def _line(name: str, x: list[Any], y: list[Any], color: str, dash: str) -> dict[str, Any]:
    return {"type": "scatter", "mode": "lines", "name": name, "x": x, "y": y,
            "line": {"color": color, "dash": dash, "width": 2},
            "hovertemplate": f"{name}<extra></extra>"}


def part_scatter(evidence: PartEvidence) -> Markup:
    """Completion date vs actual lead time per PO line, with planned lead times as lines."""
    fig = _figure("Actual lead time per PO line against planned", height=420,
                  xaxis=_axis("completion date"),
                  yaxis=_axis("lead time (days)", rangemode="tozero"))
    colors = _supplier_colors(evidence)
    by_supplier: dict[str, list[Row]] = defaultdict(list)
    for p in evidence.points:
        by_supplier[p["supplier_id"]].append(p)
    for sid, pts in by_supplier.items():
        fig["data"].append({
            "type": "scatter", "mode": "markers", "name": f"{sid} actual",
            "x": [p["completion_date"] for p in pts], "y": [p["lead_time_days"] for p in pts],
            "marker": {"color": colors[sid], "size": 7, "opacity": 0.75},
            "customdata": [[f"{p['po_number']}/{p['po_line']}", p["order_date"],
                            "short closed" if p["short_closed"] else ""] for p in pts],
            "hovertemplate": "PO %{customdata[0]} ordered %{customdata[1]}<br>completed %{x}: "
                             "%{y} days %{customdata[2]}<extra></extra>",
        })
    dates = [p["completion_date"] for p in evidence.points]
    if not dates:
        return _html(fig, "chart-part-scatter")
    # Planned lines span the plotted dates, padded so that one PO line still shows them.
    x = [min(dates) - timedelta(days=30), max(dates) + timedelta(days=30)]
    mrp_done = False
    for s in evidence.suppliers:
        sid, color = s["supplier_id"], colors.get(s["supplier_id"], "#475467")
        for label, value, dash in (("ERP planned", s.get("erp_planned_lead_time_days"), "dash"),
                                   ("recommended", s.get("recommended_lead_time_days"), "dot")):
            if value is not None:
                fig["data"].append(_line(f"{sid} {label} ({value:g} d)", x, [float(value)] * 2,
                                         color, dash))
        mrp = s.get("mrp_planned_lead_time_days")
        if not mrp_done and mrp is not None:  # MRP plans per part, not per supplier: once
            fig["data"].append(_line(f"MRP planned ({mrp:g} d)", x, [float(mrp)] * 2,
                                     "#101828", "dashdot"))
            mrp_done = True
    window = next((s.get("lead_time_window_start_date") for s in evidence.suppliers), None)
    if window is not None and window > x[0]:
        fig["layout"]["shapes"].append({
            "type": "line", "xref": "x", "yref": "paper", "x0": window, "x1": window, "y0": 0,
            "y1": 1, "line": {"color": "#98a2b3", "dash": "dot"}})
        fig["layout"]["annotations"].append({
            "x": window, "y": 1, "xref": "x", "yref": "paper", "text": "statistics window",
            "showarrow": False, "xanchor": "left", "font": {"size": 11, "color": "#667085"}})
    return _html(fig, "chart-part-scatter")


def part_histogram(evidence: PartEvidence) -> Markup:
    """Distribution of actual lead times in the statistics window, stacked by supplier."""
    fig = _figure("Distribution of actual lead times (statistics window)", height=420,
                  barmode="stack", bargap=0.1, xaxis=_axis("lead time (days)"),
                  yaxis=_axis("PO lines"))
    colors = _supplier_colors(evidence)
    by_supplier: dict[str, list[Row]] = defaultdict(list)
    stacked: dict[Any, int] = defaultdict(int)
    for row in evidence.histogram:
        by_supplier[row["supplier_id"]].append(row)
        stacked[row["lead_time_days"]] += row["n"]
    for sid, rows in by_supplier.items():
        fig["data"].append({"type": "bar", "name": sid,
                            "x": [r["lead_time_days"] for r in rows], "y": [r["n"] for r in rows],
                            "marker": {"color": colors.get(sid, "#475467")}})
    top = max(stacked.values(), default=1) * 1.05
    main = evidence.suppliers[0] if evidence.suppliers else None  # the most lines
    if main is not None:
        # Vertical lines as traces (not shapes) so they are named in the legend.
        for label, value, dash in (
            (f"{main['supplier_id']} ERP planned", main.get("erp_planned_lead_time_days"), "dash"),
            ("MRP planned", main.get("mrp_planned_lead_time_days"), "dashdot"),
            (f"{main['supplier_id']} recommended", main.get("recommended_lead_time_days"), "dot"),
        ):
            if value is not None:
                fig["data"].append(_line(f"{label} ({value:g} d)", [float(value)] * 2, [0, top],
                                         "#101828", dash))
    return _html(fig, "chart-part-histogram")
