// The evidence page (parts/part.html?id=<canonical_part_id>), drawn in the browser.
// The page holds no part's data. It reads the part id from its address and loads the one data
// file that holds the part: data/<n>.js, n = FNV-1a (32 bit, over the id's code points) modulo
// the number of files, the same hash evidence.read_evidence computes in DuckDB. A data file is
// a <script> that calls plansignalEvidence(...), so it loads from file:// too, where fetch()
// of a local file does not. The tables and the two charts (inline SVG) are built from it with
// createElement and textContent: a value from an extract is text, never markup.
(function () {
  "use strict";
  var SVG_NS = "http://www.w3.org/2000/svg";
  var PALETTE = ["#1f5fa8", "#dc6803", "#027a48", "#7a5af8", "#c11574", "#0e9384", "#854d0e",
                 "#475467"];
  var DASH = {dash: "6 4", dot: "2 3", dashdot: "8 3 2 3"};
  var DAY_MS = 86400000;
  var spec = JSON.parse(document.getElementById("evidence-spec").textContent);
  var partId = new URLSearchParams(location.search).get("id");
  var num = plansignal.num, el = plansignal.el;  // site.js

  function fnv1a(text) {
    var h = 2166136261;
    for (var ch of text) h = Math.imul(h ^ ch.codePointAt(0), 16777619) >>> 0;
    return h;
  }

  // --- tables (the columns are pages.PART_COLS, from the page's spec; site.js draws them) ---
  function table(container, cols, rows) {
    if (!rows.length) {
      if (container.dataset.empty) container.appendChild(el("p", "muted", container.dataset.empty));
      return;
    }
    var wrap = el("div", "wrap"), t = el("table", "data");
    t.id = container.dataset.id;
    var head = t.createTHead().insertRow();
    cols.forEach(function (c) { head.appendChild(el("th", c.numeric ? "num" : "", c.title)); });
    wrap.appendChild(t);
    container.appendChild(wrap);
    plansignal.dataTable(t, cols, rows, "../");
  }

  // --- charts: inline SVG ----------------------------------------------------------------
  var W = 640, H = 400, M = {l: 58, r: 16, t: 34, b: 46};

  function svg(tag, attrs, parent, text) {
    var e = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  function niceTicks(lo, hi, count) {  // round steps, at least 1 (days, lines)
    var span = hi - lo || 1, step = Math.pow(10, Math.floor(Math.log10(span / count)));
    var err = span / count / step;
    step = Math.max(step * (err >= 7.5 ? 10 : err >= 3.5 ? 5 : err >= 1.5 ? 2 : 1), 1);
    var ticks = [];
    for (var t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(t);
    return ticks;
  }

  function monthTicks(lo, hi) {  // lo, hi in days since 1970: the first days of months
    var months = (hi - lo) / 30.4, step = [1, 2, 3, 6, 12, 24, 60].find(function (s) {
      return months / s <= 7;
    }) || 120;
    var d = new Date(lo * DAY_MS), y = d.getUTCFullYear(), m = d.getUTCMonth() + 1, ticks = [];
    m = Math.ceil(m / step) * step;
    for (;;) {
      y += Math.floor(m / 12); m %= 12;
      var day = Date.UTC(y, m, 1) / DAY_MS;
      if (day > hi) break;
      if (day >= lo) ticks.push({v: day, label: step >= 12 ? String(y)
                                  : y + "-" + String(m + 1).padStart(2, "0")});
      m += step;
    }
    return ticks;
  }

  // A framed plot: axes, grid, ticks, labels. x, y: [lo, hi]; xTicks: [{v, label}].
  function plot(container, title, x, y, xTicks, xLabel, yLabel) {
    var root = svg("svg", {viewBox: "0 0 " + W + " " + H, width: "100%", role: "img",
                           "class": "svgchart"});
    svg("title", {}, root, title);
    svg("text", {x: M.l, y: 20, "font-size": 14, "font-weight": 600}, root, title);
    var sx = function (v) { return M.l + (v - x[0]) / ((x[1] - x[0]) || 1) * (W - M.l - M.r); };
    var sy = function (v) { return H - M.b - (v - y[0]) / ((y[1] - y[0]) || 1) * (H - M.t - M.b); };
    var grid = svg("g", {stroke: "#e4e7ec", "font-size": 11, fill: "#475467"}, root);
    niceTicks(y[0], y[1], 6).forEach(function (t) {
      svg("line", {x1: M.l, x2: W - M.r, y1: sy(t), y2: sy(t)}, grid);
      svg("text", {x: M.l - 6, y: sy(t) + 4, "text-anchor": "end", stroke: "none"}, grid, num(t));
    });
    xTicks.forEach(function (t) {
      svg("line", {x1: sx(t.v), x2: sx(t.v), y1: M.t, y2: H - M.b}, grid);
      svg("text", {x: sx(t.v), y: H - M.b + 16, "text-anchor": "middle", stroke: "none"}, grid,
          t.label);
    });
    svg("rect", {x: M.l, y: M.t, width: W - M.l - M.r, height: H - M.t - M.b, fill: "none",
                 stroke: "#98a2b3"}, root);
    svg("text", {x: (M.l + W - M.r) / 2, y: H - 8, "text-anchor": "middle", "font-size": 12},
        root, xLabel);
    svg("text", {x: 14, y: (M.t + H - M.b) / 2, "text-anchor": "middle", "font-size": 12,
                 transform: "rotate(-90 14 " + (M.t + H - M.b) / 2 + ")"}, root, yLabel);
    container.appendChild(root);
    var legend = el("div", "legend small");
    container.appendChild(legend);
    return {root: root, sx: sx, sy: sy, legend: legend};
  }

  function legendItem(p, label, color, dash, marker) {
    var item = el("span", "legend-item"), key = el("span", marker ? "swatch dot" : "swatch");
    key.style.borderColor = color;
    if (marker) key.style.background = color;
    else key.style.borderTopStyle = dash ? (dash === "dot" ? "dotted" : "dashed") : "solid";
    item.appendChild(key);
    item.appendChild(document.createTextNode(label));
    p.legend.appendChild(item);
  }

  function line(p, x1, y1, x2, y2, color, dash, tip) {
    var l = svg("line", {x1: p.sx(x1), y1: p.sy(y1), x2: p.sx(x2), y2: p.sy(y2),
                         stroke: color, "stroke-width": 2, "stroke-dasharray": DASH[dash]}, p.root);
    svg("title", {}, l, tip);
  }

  function supplierColors(part) {
    var ids = part.suppliers.map(function (s) { return s.supplier_id; });
    part.points.concat(part.histogram).forEach(function (r) {
      if (ids.indexOf(r.supplier_id) < 0) ids.push(r.supplier_id);
    });
    var colors = {};
    ids.forEach(function (id, i) { colors[id] = PALETTE[i % PALETTE.length]; });
    return colors;
  }

  function days(date) { return Date.parse(date) / DAY_MS; }

  // Completion date against actual lead time per PO line, planned lead times as lines.
  function scatter(container, part, colors) {
    var pts = part.points, lines = [];
    part.suppliers.forEach(function (s) {
      [["ERP planned", s.erp_planned_lead_time_days, "dash"],
       ["recommended", s.recommended_lead_time_days, "dot"]].forEach(function (l) {
        if (l[1] !== null && l[1] !== undefined) {
          lines.push({label: s.supplier_id + " " + l[0] + " (" + l[1] + " d)", v: l[1],
                      color: colors[s.supplier_id], dash: l[2]});
        }
      });
    });
    var mrp = part.suppliers.map(function (s) { return s.mrp_planned_lead_time_days; })
      .find(function (v) { return v !== null && v !== undefined; });
    if (mrp !== undefined) {  // MRP plans per part, not per supplier: once
      lines.push({label: "MRP planned (" + mrp + " d)", v: mrp, color: "#101828", dash: "dashdot"});
    }
    var xs = pts.map(function (p) { return days(p.completion_date); });
    var x = xs.length ? [Math.min.apply(null, xs) - 30, Math.max.apply(null, xs) + 30]
      : [Date.now() / DAY_MS - 365, Date.now() / DAY_MS];
    var top = Math.max.apply(null, [1].concat(pts.map(function (p) { return p.lead_time_days; }),
                                              lines.map(function (l) { return l.v; })));
    var p = plot(container, "Actual lead time per PO line against planned", x, [0, top * 1.05],
                 monthTicks(x[0], x[1]), "completion date", "lead time (days)");
    var seen = {};
    pts.forEach(function (pt, i) {
      var c = svg("circle", {cx: p.sx(xs[i]), cy: p.sy(pt.lead_time_days), r: 3.5,
                             fill: colors[pt.supplier_id], "fill-opacity": 0.75,
                             "class": "point"}, p.root);
      svg("title", {}, c, "PO " + pt.po_number + "/" + pt.po_line + " ordered " + pt.order_date
          + ", completed " + pt.completion_date + ": " + num(pt.lead_time_days) + " days"
          + (pt.short_closed ? ", short closed" : "") + " (" + pt.supplier_id + ")");
      if (!seen[pt.supplier_id]) {
        seen[pt.supplier_id] = true;
        legendItem(p, pt.supplier_id + " actual", colors[pt.supplier_id], null, true);
      }
    });
    lines.forEach(function (l) {
      line(p, x[0], l.v, x[1], l.v, l.color, l.dash, l.label);
      legendItem(p, l.label, l.color, l.dash);
    });
    var start = part.suppliers.length ? part.suppliers[0].lead_time_window_start_date : null;
    if (start && days(start) > x[0]) {
      line(p, days(start), 0, days(start), top * 1.05, "#98a2b3", "dot", "statistics window");
      svg("text", {x: p.sx(days(start)) + 4, y: M.t + 12, "font-size": 11, fill: "#667085"},
          p.root, "statistics window");
    }
    if (!pts.length) {
      svg("text", {x: W / 2, y: H / 2, "text-anchor": "middle", fill: "#667085"}, p.root,
          "no completed PO line");
    }
  }

  // Distribution of actual lead times in the statistics window, stacked by supplier.
  function histogram(container, part, colors) {
    var stacked = {}, bars = [];
    part.histogram.forEach(function (r) {
      var base = stacked[r.lead_time_days] || 0;
      bars.push({x: r.lead_time_days, y0: base, y1: base + r.n, row: r});
      stacked[r.lead_time_days] = base + r.n;
    });
    var main = part.suppliers[0], lines = [];
    if (main) {
      [[main.supplier_id + " ERP planned", main.erp_planned_lead_time_days, "dash"],
       ["MRP planned", main.mrp_planned_lead_time_days, "dashdot"],
       [main.supplier_id + " recommended", main.recommended_lead_time_days, "dot"]]
        .forEach(function (l) {
          if (l[1] !== null && l[1] !== undefined) {
            lines.push({label: l[0] + " (" + l[1] + " d)", v: l[1], dash: l[2]});
          }
        });
    }
    var values = bars.map(function (b) { return b.x; })
      .concat(lines.map(function (l) { return l.v; }));
    var x = values.length ? [Math.min.apply(null, values) - 1, Math.max.apply(null, values) + 1]
      : [0, 10];
    var top = Math.max.apply(null, [1].concat(Object.keys(stacked).map(function (k) {
      return stacked[k];
    }))) * 1.05;
    var ticks = niceTicks(x[0], x[1], 8).map(function (v) { return {v: v, label: num(v)}; });
    var p = plot(container, "Distribution of actual lead times (statistics window)", x, [0, top],
                 ticks, "lead time (days)", "PO lines");
    var half = Math.max(0.45 * (p.sx(1) - p.sx(0)), 0.5), seen = {};
    bars.forEach(function (b) {
      var r = svg("rect", {x: p.sx(b.x) - half, width: 2 * half, y: p.sy(b.y1),
                           height: Math.max(p.sy(b.y0) - p.sy(b.y1), 0),
                           fill: colors[b.row.supplier_id], "class": "bar"}, p.root);
      svg("title", {}, r, b.row.supplier_id + ": " + num(b.row.n) + " PO lines of "
          + num(b.x) + " days");
      if (!seen[b.row.supplier_id]) {
        seen[b.row.supplier_id] = true;
        legendItem(p, b.row.supplier_id, colors[b.row.supplier_id], null, true);
      }
    });
    lines.forEach(function (l) {
      line(p, l.v, 0, l.v, top, "#101828", l.dash, l.label);
      legendItem(p, l.label, "#101828", l.dash);
    });
  }

  // --- the page ----------------------------------------------------------------------------
  function status(text, state) {
    var p = document.getElementById("evidence-status");
    p.textContent = text;
    p.hidden = !text;
    document.body.dataset.evidence = state;
  }

  function render(doc, shard) {
    var part = {};
    Object.keys(shard.columns).forEach(function (name) {
      part[name] = plansignal.objects(shard.columns[name], doc[name]);
    });
    var info = doc.part, number = num(info.canonical_part_number || info.canonical_part_id);
    document.title = "plansignal: part " + number;
    document.querySelector("header.top h1").textContent = "Part " + number;
    document.getElementById("part-subtitle").textContent = [
      num(info.description), num(info.procurement_type), num(info.status),
      "canonical id " + info.canonical_part_id].join(" \u00b7 ");
    var first = part.suppliers[0] || {};
    document.getElementById("window-start").textContent = num(first.lead_time_window_start_date);
    document.getElementById("window-end").textContent = num(first.lead_time_window_end_date);
    document.getElementById("evidence").hidden = false;
    document.querySelectorAll("#evidence [data-table]").forEach(function (container) {
      var name = container.dataset.table;
      table(container, spec.columns[name], part[container.dataset.rows || name]);
    });
    if (doc.n_completed > part.points.length) {
      var note = document.getElementById("points-note");
      note.textContent = num(part.points.length) + " most recent of " + num(doc.n_completed)
        + " completed PO lines plotted.";
      note.hidden = false;
    }
    var colors = supplierColors(part);
    scatter(document.getElementById("chart-part-scatter"), part, colors);
    histogram(document.getElementById("chart-part-histogram"), part, colors);
    status("", "ready");
  }

  window.plansignalEvidence = function (shard) {
    var doc = Object.prototype.hasOwnProperty.call(shard.parts, partId) ? shard.parts[partId]
      : null;
    if (doc) render(doc, shard);
    else status("Part " + partId + " has no finding in this run, so it has no evidence page.",
                "missing");
  };

  if (!partId) {
    status("Which part? Open this page from a part in any table of the site, or enter its "
           + "canonical id.", "no-part");
    document.getElementById("part-lookup").hidden = false;
  } else if (!spec.shards) {
    status("No part has a finding in the served data: there is no evidence to show.", "missing");
  } else {
    var script = document.createElement("script");
    script.src = "data/" + (fnv1a(partId) % spec.shards) + ".js?v=" + spec.build;
    script.onerror = function () {
      status("The evidence data file " + script.src + " could not be loaded.", "error");
    };
    document.body.appendChild(script);
  }
})();
