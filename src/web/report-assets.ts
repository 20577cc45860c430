/** The report page's inline style and its one script (table sorting), kept apart from the markup. */

export const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1a202c; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 24px 0 8px; }
.meta, .hint { color: #4a5568; } .hint { font-size: 12px; }
ul.counts, ul.stages { list-style: none; padding: 0; display: flex; gap: 16px; flex-wrap: wrap; }
table { border-collapse: collapse; } th, td { padding: 4px 8px; border-bottom: 1px solid #e2e8f0; text-align: left; }
table.fastp td { text-align: right; }
#problems th[data-key] { cursor: pointer; user-select: none; white-space: nowrap; }
#problems th[aria-sort="ascending"]::after { content: " ▲"; } #problems th[aria-sort="descending"]::after { content: " ▼"; }
#problems td[data-key="eager"], #problems td[data-key="compiled"], #problems td[data-key="ms"], #problems td[data-key="seconds"], #problems td[data-key="kernels"] { text-align: right; }
.message { display: inline-block; max-width: 36em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; vertical-align: bottom; }
.badge { padding: 1px 6px; border-radius: 8px; font-size: 12px; background: #edf2f7; }
.status-verified { color: #22543d; } .badge.status-verified { background: #c6f6d5; }
.badge.status-rejected { background: #fed7d7; } .badge.status-error, .badge.status-timeout { background: #feebc8; }
.badge.status-unsupported { background: #e9d8fd; }
.plots { display: flex; gap: 24px; flex-wrap: wrap; } figure { margin: 0; } figcaption { text-align: center; color: #4a5568; }
svg text { font-size: 11px; fill: #4a5568; } svg .note { font-size: 13px; fill: #718096; }
.files a { margin-right: 6px; }
`;

/** Sorts #problems by a column's data-value: numbers as numbers, empty cells last either way. */
export const SORT_SCRIPT = `
(function () {
  var table = document.getElementById("problems");
  if (!table) return;
  var heads = table.querySelectorAll("th[data-key]");
  function sortBy(th) {
    var key = th.getAttribute("data-key");
    var numeric = th.getAttribute("data-type") === "number";
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    heads.forEach(function (h) { h.setAttribute("aria-sort", "none"); });
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    function value(row) {
      var cell = row.querySelector('td[data-key="' + key + '"]');
      return cell ? cell.getAttribute("data-value") : "";
    }
    rows.sort(function (a, b) {
      var x = value(a), y = value(b);
      if (x === "" || y === "") return x === y ? 0 : x === "" ? 1 : -1;
      if (numeric) return (Number(x) - Number(y)) * dir;
      return x.localeCompare(y, "en", { numeric: true }) * dir;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  heads.forEach(function (th) {
    th.addEventListener("click", function () { sortBy(th); });
    th.addEventListener("keydown", function (e) { if (e.key === "Enter") sortBy(th); });
  });
})();
`;
