// The exports page: while an export is queued or running, its progress every 2 s (no page reload);
// when one finishes the page reloads once to show its download link.
(function () {
  var table = document.getElementById("export-table");
  if (!table || !table.dataset.active) return;
  var stuck = document.getElementById("export-stuck");
  function tick() {
    fetch(table.dataset.status, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        var finished = false;
        data.items.forEach(function (item) {
          var row = table.querySelector('tr[data-id="' + item.id + '"]');
          if (!row) return;
          var bar = row.querySelector("progress");
          if (bar) { bar.value = item.percent; bar.textContent = item.percent + "%"; }
          var rows = row.querySelector('[data-field="rows"]');
          if (rows) rows.textContent = item.rows_done.toLocaleString() + (item.rows_total ? " / " + item.rows_total.toLocaleString() : "");
          var label = row.querySelector('[data-field="label"]');
          if (label && label.textContent !== item.label) {
            label.textContent = item.label;
            if (!item.active) finished = true;
          }
        });
        if (stuck) stuck.hidden = !data.items.some(function (item) { return item.stuck; });
        if (finished || !data.active) { window.location.reload(); return; }
        setTimeout(tick, 2000);
      })
      .catch(function () { setTimeout(tick, 5000); });
  }
  setTimeout(tick, 2000);
})();
