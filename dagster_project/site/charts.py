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
from functools import cache
from typing import Any

import plotly.io as pio
from markupsafe import Markup

from .queries import Row

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
