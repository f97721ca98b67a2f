"""Writing the site so that a reader never sees half of it, and the assets it ships with.

Every page is written to a temporary file in the same folder and renamed over the old one
(rename is atomic on POSIX); generated folders (gx/, parts/) are built beside the live one and
swapped in with two renames. Scripts and styles are copied from installed packages into
``assets/``: nothing is loaded from a CDN, so the site works offline.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

ASSETS = "assets"

SITE_CSS = """
:root { --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --bg: #f5f7fa; --accent: #1f5fa8;
  --high: #b42318; --medium: #b54708; --low: #3e6b8a; --pass: #027a48; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  margin: 0; background: #fff; }
header.top { background: #102a43; color: #fff; padding: 0.9rem 2rem; }
header.top h1 { margin: 0; font-size: 1.35rem; }
header.top a { color: #bcccdc; }
header.top .muted { color: #9fb3c8; }
nav.sections { display: flex; flex-wrap: wrap; gap: 0.3rem 1rem; padding: 0.5rem 2rem;
  background: var(--bg); border-bottom: 1px solid var(--line); position: sticky; top: 0;
  z-index: 10; }
nav.sections a { color: var(--accent); text-decoration: none; font-weight: 500; }
main { padding: 0.5rem 2rem 3rem; max-width: 1400px; }
h2 { margin: 2rem 0 0.4rem; font-size: 1.2rem; border-bottom: 2px solid var(--line);
  padding-bottom: 0.2rem; }
h3 { margin: 1.2rem 0 0.3rem; font-size: 1rem; }
a { color: var(--accent); }
.muted { color: var(--muted); } .small { font-size: 0.85rem; }
#status { font-weight: 600; padding: 0.55rem 0.8rem; border-radius: 6px; margin: 1rem 0;
  background: #e3f8ef; border: 1px solid #a6e3c8; }
#status.failed { background: #fde8e8; border-color: #f5b5b5; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr));
  gap: 0.8rem; margin: 1rem 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 0.7rem 0.9rem; }
.card .value { font-size: 1.6rem; font-weight: 650; }
.card .label { color: var(--muted); font-size: 0.85rem; }
.grid2 { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1.2rem; }
@media (max-width: 1000px) { .grid2 { grid-template-columns: minmax(0, 1fr); } }
.chart { border: 1px solid var(--line); border-radius: 8px; padding: 0.3rem; min-height: 120px; }
.explain { font-size: 0.92rem; } .explain p { margin: 0.2rem 0 0.6rem; }
table.data { border-collapse: collapse; margin: 0.4rem 0 0.8rem; font-size: 0.88rem;
  width: 100%; }
table.data th, table.data td { border-bottom: 1px solid var(--line); padding: 0.28rem 0.5rem;
  text-align: left; vertical-align: top; white-space: nowrap; }
table.data td.long { white-space: normal; min-width: 22rem; }
table.data th { background: var(--bg); cursor: pointer; white-space: nowrap; }
table.data td.num, table.data th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.data tr:hover td { background: #f0f4f8; }
.wrap { overflow-x: auto; }
.sev { display: inline-block; padding: 0 0.45rem; border-radius: 9px; font-size: 0.8rem;
  font-weight: 600; color: #fff; }
.sev-high, .sev-ERROR { background: var(--high); }
.sev-medium, .sev-WARNING { background: var(--medium); }
.sev-low { background: var(--low); }
.fail { color: var(--high); font-weight: 600; } .warn { color: var(--medium); font-weight: 600; }
.pass { color: var(--pass); font-weight: 600; }
.more { font-weight: 600; }
.note { background: #fffbea; border: 1px solid #f0d98c; border-radius: 6px;
  padding: 0.4rem 0.7rem; }
input.filter { padding: 0.3rem 0.5rem; border: 1px solid var(--line); border-radius: 5px;
  min-width: 18rem; margin: 0.3rem 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.15rem 1rem; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
"""

# Click a header to sort; type in a box above a table to filter its rows. Plain DOM, no library.
SITE_JS = """
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("table.data").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, col) {
      th.title = "sort";
      th.addEventListener("click", function () {
        var body = table.tBodies[0]; if (!body) return;
        var asc = th.dataset.sort !== "asc";
        heads.forEach(function (h) { delete h.dataset.sort; });
        th.dataset.sort = asc ? "asc" : "desc";
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col] ? a.cells[col].dataset.v || a.cells[col].textContent : "";
          var y = b.cells[col] ? b.cells[col].dataset.v || b.cells[col].textContent : "";
          var nx = parseFloat(x), ny = parseFloat(y);
          var r = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
          return asc ? r : -r;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  document.querySelectorAll("input.filter").forEach(function (input) {
    var table = document.getElementById(input.dataset.table);
    input.addEventListener("input", function () {
      var q = input.value.toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
        r.style.display = r.textContent.toLowerCase().indexOf(q) >= 0 ? "" : "none";
      });
    });
  });
});
"""

# Great Expectations Data Docs call bootstrap-table (from a CDN) to draw their index tables and
# vega-embed for some charts. These stand-ins draw the same table from the same data, offline.
GX_OFFLINE_JS = """
(function ($) {
  if (!$) { return; }
  function key(row, field) { var v = row[field]; return v === undefined || v === null ? "" : v; }
  $.fn.bootstrapTable = function (options) {
    if (typeof options !== "object" || !options || !options.columns) { return this; }
    var cols = options.columns, rows = (options.data || []).slice();
    var sortCol = cols.filter(function (c) { return c.field === options.sortName; })[0];
    if (sortCol) {
      var f = sortCol.sortName || sortCol.field, dir = options.sortOrder === "desc" ? -1 : 1;
      rows.sort(function (a, b) {
        return key(a, f) < key(b, f) ? -dir : key(a, f) > key(b, f) ? dir : 0;
      });
    }
    return this.each(function () {
      var table = this;
      table.className += " table table-hover table-sm";
      var head = table.createTHead().insertRow();
      cols.forEach(function (c) {
        var th = document.createElement("th");
        th.textContent = c.title || c.field;
        head.appendChild(th);
      });
      var body = table.createTBody();
      rows.forEach(function (row) {
        var tr = body.insertRow();
        var link = row._table_row_link_path;
        if (link) {
          tr.style.cursor = "pointer";
          tr.addEventListener("click", function () { window.location = link; });
        }
        cols.forEach(function (c) { tr.insertCell().innerHTML = String(key(row, c.field)); });
      });
    });
  };
})(window.jQuery);
window.vegaEmbed = window.vegaEmbed || function (el) {
  var node = typeof el === "string" ? document.querySelector(el) : el;
  if (node) { node.textContent = "(chart not available offline)"; }
  return Promise.resolve();
};
"""


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a file so readers see the old or the new content, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:6]}.tmp")
    if isinstance(data, str):
        tmp.write_text(data, encoding="utf-8")
    else:
        tmp.write_bytes(data)
    os.replace(tmp, path)


def staging_dir(site_dir: Path, name: str) -> Path:
    """A fresh folder beside the site's `name` folder, to build it before swapping it in."""
    path = site_dir / f".{name}.{os.getpid()}.{uuid.uuid4().hex[:6]}.new"
    path.mkdir(parents=True)
    return path


def swap_dir(new: Path, live: Path) -> None:
    """Replace folder `live` by `new` with two renames (a reader sees old or new files)."""
    olds = []
    for _ in range(3):  # another build may swap in its folder between our two renames
        if live.exists():
            olds.append(live.with_name(f".{live.name}.{os.getpid()}.{uuid.uuid4().hex[:6]}.old"))
            os.replace(live, olds[-1])
        try:
            os.replace(new, live)
            break
        except OSError:
            continue
    for old in olds:
        shutil.rmtree(old, ignore_errors=True)


def _copy_if_changed(src: Path, dest: Path) -> None:
    if dest.exists() and dest.stat().st_size == src.stat().st_size:
        return
    write_atomic(dest, src.read_bytes())


def install_assets(site_dir: Path) -> str:
    """Write the site's scripts and styles under assets/; returns plotly.js's version.

    plotly.min.js (4-5 MB) is rewritten only when its size changes, i.e. on a plotly upgrade.
    """
    import plotly
    import plotly.offline
    import xstatic.pkg.bootstrap as bootstrap
    import xstatic.pkg.font_awesome as font_awesome
    import xstatic.pkg.jquery as jquery

    assets = site_dir / ASSETS
    plotly_js = plotly.offline.get_plotlyjs().encode("utf-8")
    target = assets / "plotly.min.js"
    if not target.exists() or target.stat().st_size != len(plotly_js):
        write_atomic(target, plotly_js)
    for name, text in (("site.css", SITE_CSS), ("site.js", SITE_JS),
                       ("gx-offline.js", GX_OFFLINE_JS)):
        target = assets / name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            write_atomic(target, text)
    vendor = assets / "vendor"
    copies = {
        Path(bootstrap.BASE_DIR) / "css" / "bootstrap.min.css": vendor / "bootstrap.min.css",
        Path(bootstrap.BASE_DIR) / "js" / "bootstrap.bundle.min.js":
            vendor / "bootstrap.bundle.min.js",
        Path(jquery.BASE_DIR) / "jquery.min.js": vendor / "jquery.min.js",
        Path(font_awesome.BASE_DIR) / "css" / "all.min.css":
            vendor / "fontawesome" / "css" / "all.min.css",
    }
    for font in (Path(font_awesome.BASE_DIR) / "webfonts").glob("*"):
        if font.suffix in (".woff2", ".ttf"):
            copies[font] = vendor / "fontawesome" / "webfonts" / font.name
    for src, dest in copies.items():
        _copy_if_changed(src, dest)
    return plotly.__version__
