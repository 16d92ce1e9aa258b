// Narrow screens (a phone, 360 px): a table wider than the screen is shown as one block per
// row, each cell with its column's name before it (static/print.css: table.stacked), so the
// page never scrolls sideways. The column names come from the table's own header row, so
// tables that change their columns need nothing here. Checked again after every htmx swap
// and when the window changes size.
(function () {
  "use strict";

  const NARROW = window.matchMedia("(max-width: 40rem)");

  function headerNames(table) {
    const head = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (!head) return null;
    const names = [];
    for (const cell of head.cells) {
      for (let i = 0; i < (cell.colSpan || 1); i++) names.push(cell.textContent.trim());
    }
    return names;
  }

  function label(table) {
    const names = headerNames(table);
    if (!names) return false;
    for (const body of table.tBodies) {
      for (const row of body.rows) {
        let column = 0;
        for (const cell of row.cells) {
          const name = names[column];
          if (name && cell.tagName === "TD" && !cell.hasAttribute("data-label")) {
            cell.setAttribute("data-label", name);
          }
          column += cell.colSpan || 1;
        }
      }
    }
    return true;
  }

  function fit(root) {
    const scope = root && root.querySelectorAll ? root : document;
    const tables = scope.matches && scope.matches("table") ? [scope] : scope.querySelectorAll("table");
    for (const table of tables) {
      if (!label(table)) continue;
      table.classList.remove("stacked");
      if (NARROW.matches && table.getBoundingClientRect().right > document.documentElement.clientWidth) {
        table.classList.add("stacked");
      }
    }
  }

  let pending = null;
  function refit() {
    if (pending) return;
    pending = window.requestAnimationFrame(function () { pending = null; fit(document); });
  }

  document.addEventListener("DOMContentLoaded", function () { fit(document); });
  document.addEventListener("htmx:load", function (event) { fit(event.detail.elt); });
  document.addEventListener("htmx:afterSettle", refit);
  window.addEventListener("resize", refit);
})();
