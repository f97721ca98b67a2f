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
