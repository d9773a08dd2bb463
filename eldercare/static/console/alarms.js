// The call desk's script.
// - The live alarm board: the server pushes the open alarms (server-sent events, `data-stream`); when
//   the browser cannot keep a stream, the board asks the API every five seconds instead. Drawn
//   without innerHTML.
// - 拨打 buttons (alarm and elder pages): one click reveals the number (a POST, audited) and dials it.
(function () {
  var POLL_MS = 5000;

  function dialButtons() {
    Array.prototype.forEach.call(document.querySelectorAll("form.call-form"), function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var button = form.querySelector("button");
        if (button) button.disabled = true;
        fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
          .then(function (answer) {
            if (!answer.phone) { form.submit(); return; }
            var link = document.createElement("a");
            link.className = "btn btn-small btn-primary call-link";
            link.href = answer.tel;
            var number = document.createElement("span"); number.className = "code"; number.textContent = answer.phone;
            link.append("☎ ", number);
            var masked = form.previousElementSibling;
            if (masked && masked.classList.contains("code")) masked.remove();
            form.replaceWith(link);
            link.focus();
            link.click();  // dial: the phone (or softphone) that handles tel: links takes over
          })
          .catch(function () { form.submit(); });  // the page itself shows the number and its link
      });
    });
  }
  dialButtons();

  var board = document.getElementById("alarm-board");
  if (!board) return;
  var status = document.getElementById("board-status");
  var known = new Set(Array.prototype.map.call(board.querySelectorAll("li[data-id]"), function (li) { return Number(li.dataset.id); }));
  function item(a) {
    var li = document.createElement("li");
    li.className = "alarm alarm-" + a.status + (!known.has(a.id) ? " alarm-new" : "");
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
  function draw(alarms, how) {
    var items = alarms.map(item);
    if (!items.length) { var none = document.createElement("li"); none.className = "empty"; none.textContent = board.dataset.empty; items = [none]; }
    board.replaceChildren.apply(board, items);
    known = new Set(alarms.map(function (a) { return a.id; }));
    status.textContent = how + " · " + new Date().toLocaleTimeString("zh-CN", { hour12: false }) + " ✓";
  }

  var polling = null;
  function poll() {
    fetch(board.dataset.api + "?page_size=100", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (page) { draw(page.items, board.dataset.polling); })
      .catch(function () { status.textContent = "⚠ " + board.dataset.lost; });
  }
  function fallBack() {
    if (polling) return;
    poll();
    polling = setInterval(poll, POLL_MS);
  }
  if (!window.EventSource || !board.dataset.stream) { fallBack(); return; }
  var failures = 0;
  var source = new EventSource(board.dataset.stream);
  source.addEventListener("alarms", function (event) {
    failures = 0;
    if (polling) { clearInterval(polling); polling = null; }
    draw(JSON.parse(event.data).items, board.dataset.live);
  });
  source.addEventListener("error", function () {
    // The server ends each stream after a minute and the browser reconnects: one error is expected.
    // A stream closed for good (a refusal, a proxy that buffers) or failing again and again: poll.
    failures += 1;
    if (source.readyState === EventSource.CLOSED || failures > 3) { source.close(); fallBack(); }
  });
})();
