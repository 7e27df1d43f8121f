/* Kassa register — the status header, the offline warning and the Connection status window
   (DESIGN §3.1, §3.4, §3.6), kept fresh from GET /api/status (no sign-in needed): polled
   every POLL_MS while the page is visible, and refreshed after every action. */

import { api } from "./api.js";
import { age, el, outcome, time } from "./format.js";

const POLL_MS = 1500;
const $ = (id) => document.getElementById(id);
const listeners = [];
let last = null;
let inFlight = null;
let dismissedAt = null;

/** The last status read (GET /api/status shape), or null. */
export function current() { return last; }

/** Call fn(status, previous) after every status read. */
export function onStatus(fn) { listeners.push(fn); }

function modeText(h) {
  if (h.mode === "online") { return ["Online", "online"]; }
  return h.manual ? ["Offline \u00b7 manual", "manual"] : ["Offline \u00b7 automatic", "automatic"];
}

function storeText(h) {
  const plain = `Store ${h.store_id}`;
  return h.store_name && h.store_name !== plain ? `${h.store_name} (${h.store_id})` : plain;
}

function renderHeader(s) {
  const h = s.header;
  const [text, cls] = modeText(h);
  const badge = $("mode-badge");
  badge.textContent = text;
  badge.className = `badge ${cls}`;
  const detail = $("mode-detail");
  if (h.mode === "online") {
    detail.textContent = "";
  } else {
    detail.textContent = `since ${time(h.since)}${h.reason ? ` \u00b7 ${h.reason}` : ""}`;
  }
  $("h-store").textContent = storeText(h);
  $("h-register").textContent = `Register ${h.register_number}`;
  const op = h.operator;
  $("h-operator").textContent = op ? `${op.name} (${op.operator_id}) \u00b7 ${op.role}` : "not signed in";
  const pending = $("h-pending");
  pending.textContent = String(h.pending_uploads);
  pending.classList.toggle("some", h.pending_uploads > 0);
  for (const id of ["btn-917", "conn-917"]) {
    const b = $(id);
    if (b) { b.querySelector(".label").textContent = h.button_label; }
  }
  document.body.classList.toggle("offline", h.mode !== "online");
}

async function dismiss(w) {
  dismissedAt = w.at;
  $("banner").hidden = true;
  try { await api("POST", "/api/status/dismiss-warning"); } catch (_) { /* shown again */ }
}

function renderWarning(s) {
  const w = s.warning;
  const banner = $("banner");
  const dialog = $("warning-dialog");
  if (!w || w.at === dismissedAt) {
    banner.hidden = true;
    return;
  }
  if (w.style === "dialog" && dialog) {
    banner.hidden = true;
    $("warning-text").textContent = w.message;
    if (!dialog.open) {
      dialog.showModal();
      dialog.addEventListener("close", () => dismiss(w), { once: true });
    }
    return;
  }
  $("banner-text").textContent = w.message;
  banner.hidden = false;
  $("banner-dismiss").onclick = () => dismiss(w);
}

function attempt(a, kind) {
  if (!a) { return "never"; }
  return [time(a.at), describe(a, kind)].join(" \u00b7 ");
}

/** An attempt ({"result", "package_number", "rows", "count", "error"}) in words. */
export function describe(a, kind) {
  const bits = [outcome(a.result, kind)];
  if (kind === "download" && a.package_number !== null) { bits.push(`package ${a.package_number}`); }
  if (kind === "download" && a.result === "ok" && a.rows !== null) { bits.push(`${a.rows.toLocaleString("en-US")} rows`); }
  if (kind === "upload" && a.result !== "nothing_new" && a.count !== null) { bits.push(`${a.count} transaction${a.count === 1 ? "" : "s"}`); }
  if (a.error) { bits.push(`error: ${a.error}`); }
  return bits.join(" \u00b7 ");
}

/** The Connection status window's rows (DESIGN §3.6). */
function renderConnection(s) {
  const c = s.connection;
  const dl = $("conn-fields");
  if (!dl) { return; }
  const rows = [
    ["Mode", c.mode === "online" ? "Online" : `Offline (${c.manual ? "manual" : "automatic"})`, "conn-mode"],
    ["Since", time(c.since), "conn-since"],
    ["Reason", c.reason || "\u2014", "conn-reason"],
    ["Last download", attempt(c.last_download, "download"), "conn-download-last"],
    ["Last upload", attempt(c.last_upload, "upload"), "conn-upload-last"],
    ["Waiting for upload", String(c.pending_uploads), "conn-pending"],
    ...(c.pending_unlocks === undefined ? [] : [["Card unlocks waiting", String(c.pending_unlocks), "conn-unlocks"]]),
    ["Oldest waiting", age(c.oldest_pending_age_s), "conn-oldest"],
    ["Offline data age", age(c.offline_data_age_s), "conn-data-age"],
    ["Package checkpoint", c.checkpoint === null ? "none yet" : String(c.checkpoint), "conn-checkpoint"],
    ["Support offline", c.support_offline ? "yes" : "no", "conn-support"],
    ["Offline database ready", c.offline_db_ready ? "yes" : "no (first sync not finished)", "conn-ready"],
    ["Last probe", c.last_probe_at ? `${time(c.last_probe_at)} \u00b7 ${c.last_probe_ok ? "ok" : `failed${c.last_probe_error ? `: ${c.last_probe_error}` : ""}`}` : "none", "conn-probe"],
    ["Sync", c.sync_paused ? "paused by the offline profile" : (c.sync_running ? "running in the background" : "on demand"), "conn-sync"],
  ];
  const frag = document.createDocumentFragment();
  for (const [label, value, id] of rows) {
    const row = el("div", "conn-row");
    row.appendChild(el("dt", "", label));
    const dd = el("dd", "", value);
    dd.id = id;
    row.appendChild(dd);
    frag.appendChild(row);
  }
  dl.replaceChildren(frag);
}

/** Apply a status answer to the page. */
export function render(s) {
  const previous = last;
  last = s;
  renderHeader(s);
  renderWarning(s);
  renderConnection(s);
  for (const fn of listeners) { fn(s, previous); }
}

/** Read the status now (one request at a time) and render it. */
export function refresh() {
  if (!inFlight) {
    inFlight = api("GET", "/api/status")
      .then(render)
      .catch(() => { $("mode-detail").textContent = "status not updated: the register does not answer"; })
      .finally(() => { inFlight = null; });
  }
  return inFlight;
}

/** Start polling. */
export function start(initial) {
  if (initial) { render(initial); }
  window.setInterval(() => { if (!document.hidden) { refresh(); } }, POLL_MS);
}
