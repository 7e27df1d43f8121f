/* Kassa HQ — register offline status dashboard: refreshes the summary and the table from
   the page's JSON feed (data-feed) every data-refresh-s seconds while the box is ticked and
   the tab is visible. Text is set with textContent only. */
(function () {
  "use strict";
  var table = document.getElementById("status");
  if (!table || !window.fetch) { return; }
  var feed = table.getAttribute("data-feed");
  var every = Number(table.getAttribute("data-refresh-s") || 5) * 1000;
  var auto = document.getElementById("auto");
  var updated = document.getElementById("updated");
  var tones = { offline: "bad", lagging: "warn", pending_uploads: "warn", stale: "warn" };

  function fmt(n) { return n === null || n === undefined ? "\u2014" : Number(n).toLocaleString("en-US"); }

  function cell(tr, text, cls) {
    var td = document.createElement("td");
    if (cls) { td.className = cls; }
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  function span(parent, text, cls) {
    var s = document.createElement("span");
    s.className = cls;
    s.textContent = text;
    parent.appendChild(s);
    return s;
  }

  function modeClass(mode) {
    if (mode.indexOf("automatic") >= 0) { return "badge bad"; }
    return mode.indexOf("offline") === 0 ? "badge warn" : "badge ok";
  }

  function row(r) {
    var tr = document.createElement("tr");
    tr.className = "state-" + r.state;
    var store = cell(tr, r.store_name);
    if (r.store_name !== "Store " + r.store_id) { store.appendChild(document.createTextNode(" ")); span(store, "id " + r.store_id, "muted small"); }
    cell(tr, r.kind === "channel" ? "Channel DB" : "Register " + r.register_number);
    var mode = cell(tr, "");
    if (r.mode) { span(mode, r.mode, modeClass(r.mode)); } else { span(mode, "\u2014", "muted"); }
    cell(tr, r.checkpoint === null ? "\u2014" : String(r.checkpoint), "num");
    cell(tr, r.lag === null ? "\u2014" : String(r.lag), "num");
    cell(tr, r.pending_uploads === null ? "\u2014" : String(r.pending_uploads), "num");
    var contact = cell(tr, "");
    if (r.contact_age_s === null) { span(contact, "never", "muted"); } else { span(contact, r.contact_age + " ago", "").title = r.last_contact; }
    var status = cell(tr, "");
    var dot = span(status, "", "dot " + r.state);
    dot.setAttribute("aria-hidden", "true");
    status.appendChild(document.createTextNode(" " + (r.notes.length ? r.notes.join(", ") : "in sync")));
    return tr;
  }

  function render(data) {
    var s = data.summary;
    document.querySelectorAll("[data-k]").forEach(function (el) { el.textContent = fmt(s[el.getAttribute("data-k")]); });
    document.querySelectorAll("[data-tone]").forEach(function (el) {
      var k = el.getAttribute("data-tone");
      el.classList.remove("ok", "warn", "bad");
      el.classList.add(s[k] ? tones[k] : "ok");
    });
    var body = document.createElement("tbody");
    data.rows.forEach(function (r) { body.appendChild(row(r)); });
    if (!data.rows.length) {
      var tr = document.createElement("tr");
      var td = cell(tr, "No channel database matches.", "empty");
      td.colSpan = 8;
      body.appendChild(tr);
    }
    table.replaceChild(body, table.tBodies[0]);
    updated.textContent = "updated " + data.generated_at;
  }

  function schedule() { window.setTimeout(tick, every); }

  function tick() {
    if ((auto && !auto.checked) || document.hidden) { schedule(); return; }
    fetch(feed, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (r.status === 401) { throw new Error("signed out \u2014 reload the page to sign in"); }
        if (!r.ok) { throw new Error("HQ answered " + r.status); }
        return r.json();
      })
      .then(render)
      .catch(function (e) { updated.textContent = "not updated: " + e.message; })
      .then(schedule);
  }

  schedule();
}());
