// The site's tables in the browser, without a server: values as a reviewer reads them, cells
// built from data as elements and text nodes (a value is never parsed as markup), and paging
// (PAGE_SIZE rows at a time), filtering and sorting of a table's rows.
//
// Two kinds of table: the overview's, whose rows are in the page (rendered and escaped by the
// templates), and tables drawn from data: the detail pages (findings.html, ...: their rows come
// from the data files <page>.data.<n>.js, scripts that call plansignalRows, written by
// details.read_detail) and the evidence page (evidence.js, which uses window.plansignal).
// Either way only the page's rows are elements; the filter and the sorts go over all rows.
(function () {
  "use strict";
  var PAGE_SIZE = 100;
  var SEVERITY_RANK = {high: 1, ERROR: 1, medium: 2, WARNING: 2, low: 3};
  var EVIDENCE_PAGE = "parts/part.html";  // pages.EVIDENCE_PAGE
  var INTEGER = new Intl.NumberFormat("en-US", {maximumFractionDigits: 0});
  var ONE_DIGIT = new Intl.NumberFormat("en-US", {minimumFractionDigits: 1,
                                                  maximumFractionDigits: 1});
  var COLLATOR = new Intl.Collator();

  // --- values as a reviewer reads them (pages.num, pct, signed) ---------------------------
  function num(v) {
    if (v === null || v === undefined) return "";
    if (typeof v === "boolean") return v ? "yes" : "no";
    if (typeof v === "number") return (Number.isInteger(v) ? INTEGER : ONE_DIGIT).format(v);
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
  }
  function pct(v) { return v === null || v === undefined ? "" : ONE_DIGIT.format(100 * v) + " %"; }
  function signed(v) { return (typeof v === "number" && v > 0 ? "+" : "") + num(v); }
  function evidenceText(v) {  // the facts as the mart recorded them, numbers unrounded
    if (v === null || typeof v !== "object") return num(v);
    return Object.keys(v).filter(function (k) { return v[k] !== null; }).map(function (k) {
      return k + ": " + (typeof v[k] === "number" ? String(v[k]) : num(v[k]));
    }).join("; ");
  }

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  // --- a cell from a row of data (the kinds of pages.Col, as macros.html `cell` draws them) --
  // A cell's text: what it shows and what the filter searches.
  function text(col, row) {
    var v = row[col.key];
    switch (col.kind) {
      case "part": return num(row.canonical_part_number || row.canonical_part_id);
      case "pct": return pct(v);
      case "signed": return signed(v);
      case "bool": return v ? "yes" : "";
      case "evidence": return evidenceText(v);
      case "po": return v ? v + "/" + num(row.covering_po_line) : "";
      case "recommended":
        var quantile = row.recommended_lead_time_quantile;
        return v === null || v === undefined || quantile === null || quantile === undefined
          ? num(v) : num(v) + " p" + Math.round(100 * quantile);
      case "confidence":
        return (v ? "low" : "sufficient") + " (" + num(row.n_lines) + " lines)"
          + (v ? ": no recommendation" : "");
      default: return num(v);
    }
  }

  // What a column sorts by: numbers as numbers, the severity by rank, else the text.
  function sortValue(col, row) {
    var v = row[col.key];
    switch (col.kind) {
      case "num": case "pct": case "signed": case "recommended": return v;
      case "sev": return SEVERITY_RANK[v] || 4;
      case "part": return row.canonical_part_number;
      default: return col.sort ? row[col.sort] : text(col, row);
    }
  }

  function cell(col, row, prefix) {
    var v = row[col.key], td = el("td", col.numeric ? "num" : "");
    if (col.numeric || col.sort || col.kind === "sev" || col.kind === "part") {
      var key = sortValue(col, row);  // as the templates' cells carry it
      td.dataset.v = key === null || key === undefined ? "" : key;
    }
    switch (col.kind) {
      case "sev":
        td.appendChild(el("span", "sev sev-" + num(v), num(v)));
        break;
      case "part":
        if (row.has_evidence && row.canonical_part_id !== null) {
          var a = el("a", null, text(col, row));
          a.href = prefix + EVIDENCE_PAGE + "?id=" + encodeURIComponent(row.canonical_part_id);
          td.appendChild(a);
        } else {
          td.textContent = text(col, row);
        }
        break;
      case "long":
        td.className = "long";
        td.textContent = num(v);
        break;
      case "evidence":
        td.className = "long small";
        td.textContent = evidenceText(v);
        break;
      case "recommended":
        var quantile = row.recommended_lead_time_quantile;
        if (v === null || v === undefined || quantile === null || quantile === undefined) {
          td.textContent = num(v);
        } else {
          td.appendChild(el("strong", null, num(v)));
          td.appendChild(document.createTextNode(" "));
          td.appendChild(el("span", "muted small", "p" + Math.round(100 * quantile)));
        }
        break;
      case "confidence":
        td.appendChild(v ? el("span", "warn", "low") : el("span", "pass", "sufficient"));
        td.appendChild(document.createTextNode(" (" + num(row.n_lines) + " lines)"
                                               + (v ? ": no recommendation" : "")));
        break;
      default:
        td.textContent = text(col, row);
    }
    return td;
  }

  // --- paging, filtering, sorting -----------------------------------------------------------
  function compare(x, y) {  // no value first, numbers by value, the rest as text
    var xNone = x === null || x === undefined || x === "";
    var yNone = y === null || y === undefined || y === "";
    if (xNone || yNone) return xNone === yNone ? 0 : (xNone ? -1 : 1);
    if (typeof x === "number" && typeof y === "number") return x - y;
    return COLLATOR.compare(String(x), String(y));
  }

  // items: the table's rows (elements or data); how.render(item) -> <tr>, how.text(item) ->
  // what the filter searches, how.key(item, column index) -> what a click on a column sorts.
  function pageRows(table, items, how) {
    var body = table.tBodies[0] || table.createTBody();
    var input = document.querySelector('input.filter[data-table="' + table.id + '"]');
    var shown = items, page = 0, query = "", texts = null;
    var nav = null, info = null, prev = null, next = null;

    function filter() {
      if (!query) { shown = items; return; }
      if (!texts) {  // each row's text, once, on the first search
        texts = new WeakMap();
        items.forEach(function (item) { texts.set(item, how.text(item).toLowerCase()); });
      }
      shown = items.filter(function (item) { return texts.get(item).indexOf(query) >= 0; });
    }

    function show() {
      var pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
      page = Math.min(page, pages - 1);
      var first = page * PAGE_SIZE, last = Math.min(first + PAGE_SIZE, shown.length);
      var rows = document.createDocumentFragment();
      for (var i = first; i < last; i++) rows.appendChild(how.render(shown[i]));
      body.replaceChildren(rows);
      if (nav) {
        info.textContent = shown.length
          ? "rows " + (first + 1) + "\u2013" + last + " of " + shown.length
            + (shown.length < items.length ? " matching (" + items.length + " in all)" : "")
          : "no row matches";
        prev.disabled = page === 0;
        next.disabled = page >= pages - 1;
      }
    }

    if (items.length > PAGE_SIZE) {
      nav = el("div", "pager");
      prev = el("button", null, "\u2039 previous");
      next = el("button", null, "next \u203a");
      info = el("span");
      prev.addEventListener("click", function () { page -= 1; show(); });
      next.addEventListener("click", function () { page += 1; show(); });
      nav.appendChild(prev); nav.appendChild(info); nav.appendChild(next);
      table.parentNode.parentNode.insertBefore(nav, table.parentNode.nextSibling);
    }
    if (input) {
      input.addEventListener("input", function () {
        query = input.value.toLowerCase();
        page = 0;
        filter();
        show();
      });
    }

    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, col) {
      th.title = "sort";
      th.addEventListener("click", function () {
        var asc = th.dataset.sort !== "asc", sign = asc ? 1 : -1;
        heads.forEach(function (h) { delete h.dataset.sort; });
        th.dataset.sort = asc ? "asc" : "desc";
        items = items.map(function (item) { return {k: how.key(item, col), item: item}; })
          .sort(function (a, b) { return sign * compare(a.k, b.k); })
          .map(function (keyed) { return keyed.item; });
        page = 0;
        filter();
        show();
      });
    });
    show();
  }

  // A table whose rows are in the page: a cell sorts by its data-v, else its text.
  function setUpTable(table) {
    if (!table.tBodies[0] || table.dataset.setUp) return;
    table.dataset.setUp = "yes";
    pageRows(table, Array.prototype.slice.call(table.tBodies[0].rows), {
      render: function (tr) { return tr; },
      text: function (tr) { return tr.textContent; },
      key: function (tr, col) {
        var c = tr.cells[col], v = c ? (c.dataset.v || c.textContent) : "";
        return v !== "" && !isNaN(Number(v)) ? Number(v) : v;
      },
    });
  }

  // A table drawn from data: cols are pages.Col as JSON ({key, title, kind, sort, numeric}),
  // rows objects (column -> value); prefix leads from the page to the site root.
  function dataTable(table, cols, rows, prefix) {
    table.dataset.setUp = "yes";
    pageRows(table, rows, {
      render: function (row) {
        var tr = document.createElement("tr");
        cols.forEach(function (c) { tr.appendChild(cell(c, row, prefix)); });
        return tr;
      },
      text: function (row) {
        return cols.map(function (c) { return text(c, row); }).join(" ");
      },
      key: function (row, col) { return sortValue(cols[col], row); },
    });
  }

  function objects(columns, rows) {  // [[v, ...], ...] -> [{column: v, ...}, ...]
    return rows.map(function (r) {
      var o = {};
      for (var i = 0; i < columns.length; i++) o[columns[i]] = r[i];
      return o;
    });
  }

  // --- a detail page: its data files, then its table ----------------------------------------
  var files = [];
  window.plansignalRows = function (file) { files[file.file] = file; };

  function detailPage(spec) {
    var status = document.getElementById("detail-status");
    var missing = [];
    for (var n = 0; n < spec.files; n++) if (!files[n]) missing.push(spec.name + ".data." + n + ".js");
    if (missing.length) {
      status.textContent = "The data file " + missing.join(", ") + " could not be loaded.";
      document.body.dataset.rows = "error";
      return;
    }
    var rows = [];
    files.forEach(function (f) { rows = rows.concat(objects(f.columns, f.rows)); });
    files = [];
    dataTable(document.getElementById(spec.table), spec.columns, rows, "");
    status.hidden = true;
    document.body.dataset.rows = "ready";
  }

  window.plansignal = {PAGE_SIZE: PAGE_SIZE, num: num, pct: pct, signed: signed, el: el,
                       objects: objects, dataTable: dataTable};
  window.setUpTable = setUpTable;

  document.addEventListener("DOMContentLoaded", function () {
    var spec = document.getElementById("detail-spec");
    if (spec) detailPage(JSON.parse(spec.textContent));
    document.querySelectorAll("table.data").forEach(setUpTable);
  });
})();
