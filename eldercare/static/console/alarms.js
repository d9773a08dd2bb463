// The live alarm board: the open alarms from the API every half second, drawn without innerHTML.
(function () {
  var board = document.getElementById("alarm-board");
  if (!board) return;
  var status = document.getElementById("board-status");
  var known = null;
  function item(a) {
    var li = document.createElement("li");
    li.className = "alarm alarm-" + a.status + (known && !known.has(a.id) ? " alarm-new" : "");
    li.dataset.id = a.id;
    var link = document.createElement("a");
    link.href = board.dataset.detail.replace("/0/", "/" + a.id + "/");
    var source = document.createElement("span"); source.className = "alarm-source"; source.textContent = a.source_label;
    var name = document.createElement("strong"); name.textContent = a.elder_name;
    var where = document.createTextNode(" · " + a.community + " · " + a.address + " ");
    var time = document.createElement("span"); time.className = "alarm-time";
    time.textContent = new Date(a.raised_at).toLocaleTimeString("zh-CN", { hour12: false });
    var state = document.createElement("span"); state.className = "status-tag"; state.textContent = a.status_label;
    link.append(source, " ", name, where, time, " ", state);
    if (a.escalation_level) {
      var up = document.createElement("span"); up.className = "tag"; up.textContent = board.dataset.level + " ×" + a.escalation_level;
      link.append(" ", up);
    }
    li.append(link);
    return li;
  }
  function refresh() {
    fetch(board.dataset.api, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (page) {
        var alarms = page.items;
        var items = alarms.map(item);
        if (!items.length) { var none = document.createElement("li"); none.className = "empty"; none.textContent = board.dataset.empty; items = [none]; }
        board.replaceChildren.apply(board, items);
        known = new Set(alarms.map(function (a) { return a.id; }));
        status.textContent = new Date().toLocaleTimeString("zh-CN", { hour12: false }) + " ✓";
      })
      .catch(function () { status.textContent = "⚠ 连接中断，正在重试 / reconnecting"; });
  }
  known = new Set(Array.prototype.map.call(board.querySelectorAll("li[data-id]"), function (li) { return Number(li.dataset.id); }));
  setInterval(refresh, 500);
})();
