// Sorting, filtering and paging of the site's tables, in the browser, without a server.
// Every row of a table is in the page (rendered and escaped by the site's templates); this
// only decides which rows show: the ones matching the filter, PAGE_SIZE at a time. The
// evidence page builds its tables from data later (evidence.js) and sets them up itself.
var PAGE_SIZE = 100;

function setUpTable(table) {
  var body = table.tBodies[0];
  if (!body || table.dataset.setUp) return;
  table.dataset.setUp = "yes";
  var input = document.querySelector('input.filter[data-table="' + table.id + '"]');
  var page = 0;
  var nav = null, info = null, prev = null, next = null;

  function matching() {
    var q = input ? input.value.toLowerCase() : "";
    return Array.prototype.filter.call(body.rows, function (r) {
      return !q || r.textContent.toLowerCase().indexOf(q) >= 0;
    });
  }

  function show() {
    var rows = matching();
    var pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
    page = Math.min(page, pages - 1);
    var first = page * PAGE_SIZE, last = first + PAGE_SIZE;
    Array.prototype.forEach.call(body.rows, function (r) { r.style.display = "none"; });
    rows.slice(first, last).forEach(function (r) { r.style.display = ""; });
    if (nav) {
      info.textContent = rows.length
        ? "rows " + (first + 1) + "\u2013" + Math.min(last, rows.length) + " of " + rows.length
          + (rows.length < body.rows.length ? " matching (" + body.rows.length + " in all)" : "")
        : "no row matches";
      prev.disabled = page === 0;
      next.disabled = page >= pages - 1;
    }
  }

  if (body.rows.length > PAGE_SIZE) {
    nav = document.createElement("div");
    nav.className = "pager";
    prev = document.createElement("button");
    prev.textContent = "\u2039 previous";
    next = document.createElement("button");
    next.textContent = "next \u203a";
    info = document.createElement("span");
    prev.addEventListener("click", function () { page -= 1; show(); });
    next.addEventListener("click", function () { page += 1; show(); });
    nav.appendChild(prev); nav.appendChild(info); nav.appendChild(next);
    table.parentNode.parentNode.insertBefore(nav, table.parentNode.nextSibling);
  }
  if (input) input.addEventListener("input", function () { page = 0; show(); });

  var heads = table.querySelectorAll("thead th");
  heads.forEach(function (th, col) {
    th.title = "sort";
    th.addEventListener("click", function () {
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
      page = 0;
      show();
    });
  });
  show();
}

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("table.data").forEach(setUpTable);
});
