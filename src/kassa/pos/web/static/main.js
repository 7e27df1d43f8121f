/* Kassa register — the cashier's screen (issue 6 §1): starts from the page's boot data,
   then every action calls the register's JSON API (docs/API.md "Register") one at a time,
   in the order the cashier (or the scanner) gave them, and redraws from the answer.
   The status header is polled (status.js); online-only operations are disabled offline
   with the reason (GET /api/operations, DESIGN §7). */

import { api, stayOnAuthError } from "./api.js";
import * as status from "./status.js";
import { renderCart } from "./cart.js";
import { anyOpen, confirmVoid, openBalance, openLine, openTender, wireDialogs } from "./dialogs.js";
import { wireKeys } from "./keys.js";
import { el, money, sentence } from "./format.js";

const $ = (id) => document.getElementById(id);
const boot = JSON.parse($("boot").textContent);
const BUSY_AFTER_MS = 300;
const SCAN = /^(?:(\d{1,5}(?:\.\d{1,3})?)\s*[*xX]\s*)?(\d{1,14})$/;

const state = { cart: boot.cart || null, last: boot.last || null, ops: boot.operations || null };
let queue = Promise.resolve();
let pending = 0;

function showMessage(text, level = "error") {
  const box = $("message");
  $("message-text").textContent = sentence(text);
  box.className = `message ${level}`;
  box.hidden = false;
}

function clearMessage() { $("message").hidden = true; }

function setBusy(on) {
  pending += on ? 1 : -1;
  const busy = $("busy");
  if (pending <= 0) { busy.textContent = ""; document.body.classList.remove("is-busy"); return; }
  window.setTimeout(() => {
    if (pending > 0) {
      busy.textContent = "Working\u2026 waiting for the answer (the register switches to offline by itself if the store server is gone)";
      document.body.classList.add("is-busy");
    }
  }, BUSY_AFTER_MS);
}

/** Run fn after the actions before it; the promise rejects with its error. */
function serial(fn) {
  const p = queue.then(async () => {
    setBusy(true);
    try { return await fn(); } finally { setBusy(false); status.refresh(); }
  });
  queue = p.catch(() => {});
  return p;
}

/** serial(fn), its error shown as a message (fn may return a note {text, level} to show);
    the focus goes back to the scan field. */
function run(fn) {
  return serial(fn)
    .then((note) => { if (note && note.text) { showMessage(note.text, note.level); } else { clearMessage(); } },
      (e) => showMessage(e.message || String(e)))
    .finally(() => { if (!anyOpen() && document.activeElement !== $("search")) { focusScan(); } });
}

function focusScan() { $("scan").focus(); }

function opEnabled(id) {
  const op = state.ops && state.ops.items.find((o) => o.id === id);
  return !op || op.enabled;
}

/** Enable the buttons that make sense now: the mode's operations and the open sale. */
function updateButtons() {
  const lines = Boolean(state.cart && state.cart.lines.some((l) => !l.voided));
  for (const b of document.querySelectorAll("[data-tender]")) {
    const allowed = opEnabled(Number(b.dataset.op));
    b.disabled = !lines || !allowed;
    b.classList.toggle("op-off", !allowed);
  }
  $("btn-complete").disabled = !lines;
  $("btn-void").disabled = !state.cart || !opEnabled(500);
  $("return-mode").disabled = !opEnabled(109);
  $("btn-917").disabled = !opEnabled(917);
  $("btn-balance").disabled = !opEnabled(519);
  $("conn-917").disabled = !opEnabled(917);
}

function draw() { renderCart(state.cart, state.last, lineActions); updateButtons(); }

function setCart(cart) { state.cart = cart; if (cart) { state.last = null; } draw(); }

async function ensureCart() {
  if (state.cart) { return; }
  try {
    setCart((await api("POST", "/api/transactions", {})).cart);
  } catch (e) {
    if (e.code !== "cart.open") { throw e; }
    setCart((await api("GET", "/api/cart")).cart);
  }
}

async function addLine(spec) {
  await ensureCart();
  const returning = $("return-mode").checked;
  const answer = await api("POST", "/api/cart/lines", { ...spec, is_return: returning });
  setCart(answer.cart);
  if (returning) { $("return-mode").checked = false; }
}

function scan(text) {
  const code = text.trim();
  if (!code) { return; }
  const m = SCAN.exec(code);
  if (!m) {
    showMessage(`"${code}" is not a barcode or a product id (digits only; 3*code for 3 pieces).`);
    return;
  }
  const spec = m[2].length >= 12 ? { barcode: m[2] } : { product_id: Number(m[2]) };
  if (m[1]) { spec.quantity = m[1]; }
  run(() => addLine(spec));
}

function findLine(id) {
  const lines = state.cart ? state.cart.lines : [];
  const index = lines.findIndex((l) => l.id === id);
  return [lines[index], index];
}

const lineActions = {
  edit(line) {
    const [, index] = findLine(line.id);
    openLine(line, index,
      (changes) => serial(async () => setCart((await api("PATCH", `/api/cart/lines/${line.id}`, changes)).cart)),
      () => serial(async () => setCart((await api("DELETE", `/api/cart/lines/${line.id}`)).cart)));
  },
  voidLine(line) {
    run(async () => setCart((await api("DELETE", `/api/cart/lines/${line.id}`)).cart));
  },
  voidTender(t) {
    run(async () => setCart((await api("DELETE", `/api/cart/tenders/${t.id}`)).cart));
  },
};

function settled(cart) {
  const t = cart.totals;
  if (!cart.lines.some((l) => !l.voided)) { return false; }
  return t.total_cents >= 0 ? t.amount_due_cents <= 0 : t.amount_due_cents === 0;
}

async function complete() {
  const done = await api("POST", "/api/cart/complete");
  state.cart = null;
  state.last = done;
  draw();
}

function tender(type) {
  if (!state.cart || !state.cart.lines.some((l) => !l.voided)) {
    showMessage("Scan a product first: there is nothing to pay.");
    return;
  }
  const button = document.querySelector(`[data-tender="${type}"]`);
  if (button && !opEnabled(Number(button.dataset.op))) {
    const reason = $(`reason-${button.dataset.op}`);
    showMessage(reason ? reason.textContent : "This payment is not available now.");
    return;
  }
  openTender(type, state.cart, ({ amount_cents, reference }) => serial(async () => {
    const answer = await api("POST", "/api/cart/tenders", { type, amount_cents, reference });
    setCart(answer.cart);
  }).then(() => { if (settled(state.cart)) { run(complete); } }));
}

function voidSale() {
  if (!state.cart) { showMessage("There is no open sale to void."); return; }
  confirmVoid(state.cart, () => serial(async () => {
    for (const t of state.cart.tenders.filter((x) => !x.voided)) {
      setCart((await api("DELETE", `/api/cart/tenders/${t.id}`)).cart);
    }
    const done = await api("POST", "/api/cart/void");
    state.cart = null;
    state.last = done;
    draw();
  }));
}

function applyOperations(ops) {
  state.ops = ops;
  const byReason = new Map();
  for (const op of ops.items) {
    for (const node of document.querySelectorAll(`[data-op="${op.id}"]`)) {
      node.title = op.enabled ? "" : op.reason;
    }
    if (!op.enabled && document.querySelector(`[data-op="${op.id}"]`)) {
      byReason.set(op.reason, [...(byReason.get(op.reason) || []), op]);
    }
  }
  const reasons = document.createDocumentFragment();
  for (const [reason, group] of byReason) {
    const li = el("li", "reason", `${group.map((op) => op.name).join(", ")}: ${reason}`);
    li.id = `reason-${group[0].id}`;
    reasons.appendChild(li);
    for (const op of group.slice(1)) {
      const alias = el("span", "vh", `${op.name}: ${reason}`);
      alias.id = `reason-${op.id}`;
      reasons.appendChild(alias);
    }
  }
  $("op-reasons").replaceChildren(reasons);
  updateButtons();
}

async function loadOperations() {
  try { applyOperations(await api("GET", "/api/operations")); } catch (_) { /* next change */ }
}

function syncNow(kind) {
  const box = $("conn-result");
  box.hidden = true;
  run(async () => {
    const a = await api("POST", `/api/sync/${kind}`);
    box.textContent = `${kind === "download" ? "Download" : "Upload"}: ${status.describe(a, kind)}`;
    box.className = `flash ${a.result === "error" ? "error" : (a.result === "rejected" ? "info" : "ok")}`;
    box.hidden = false;
  });
}

function op917() {
  run(async () => {
    const answer = await api("POST", "/api/operations/917", {});
    await status.refresh();
    return answer.mode === "online"
      ? { text: "Connected: the register is online.", level: "info" }
      : { text: "Disconnected: the register works offline until you connect again.", level: "info" };
  });
}

function cardBalance() {
  if (!opEnabled(519)) {
    const reason = $("reason-519");
    showMessage(reason ? reason.textContent : "The card balance is not available now.");
    return;
  }
  openBalance(async ({ kind, number }) => (await serial(() => api("POST", "/api/operations/519", { kind, number }))).card);
}

function openConnection() {
  $("conn-result").hidden = true;
  status.refresh();
  $("connection-dialog").showModal();
}

function followStatus(s, previous) {
  const modeChanged = previous ? previous.header.mode !== s.header.mode : !state.ops;
  if (modeChanged) { loadOperations(); }
  const open = s.cart.open;
  const known = state.cart ? state.cart.receipt_number : null;
  if (pending === 0 && (open !== Boolean(state.cart) || (open && s.cart.receipt_number !== known))) {
    serial(async () => setCart((await api("GET", "/api/cart")).cart)).catch(() => {});
  }
}

function wireSearch() {
  const input = $("search");
  const list = $("search-results");
  let seq = 0;
  let timer = 0;
  let items = [];
  let active = -1;
  const close = () => { list.hidden = true; input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); active = -1; };
  const mark = (i) => {
    active = i;
    list.querySelectorAll("[role=option]").forEach((o, j) => o.setAttribute("aria-selected", String(j === i)));
    if (i >= 0) { input.setAttribute("aria-activedescendant", `opt-${i}`); list.children[i].scrollIntoView({ block: "nearest" }); }
  };
  const pick = (i) => {
    const p = items[i];
    if (!p) { return; }
    close();
    input.value = "";
    focusScan();
    run(() => addLine({ product_id: p.id }));
  };
  const show = (found) => {
    items = found;
    const frag = document.createDocumentFragment();
    found.forEach((p, i) => {
      const li = el("li", "result");
      li.id = `opt-${i}`;
      li.setAttribute("role", "option");
      li.appendChild(el("span", "name", p.name));
      li.appendChild(el("span", "meta", `#${p.id} \u00b7 ${p.barcode || "no barcode"}`));
      li.appendChild(el("span", "price", p.price_cents === null ? "no price" : money(p.price_cents)));
      li.addEventListener("mousedown", (e) => { e.preventDefault(); pick(i); });
      frag.appendChild(li);
    });
    if (!found.length) { frag.appendChild(el("li", "none", "Nothing found.")); }
    list.replaceChildren(frag);
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    mark(found.length ? 0 : -1);
  };
  input.addEventListener("input", () => {
    window.clearTimeout(timer);
    const q = input.value.trim();
    if (q.length < 2) { close(); return; }
    timer = window.setTimeout(async () => {
      const mine = ++seq;
      try {
        const answer = await api("GET", `/api/products/search?q=${encodeURIComponent(q)}&limit=12`);
        if (mine === seq) { show(answer.items); }
      } catch (e) { showMessage(e.message); }
    }, 150);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" && items.length) { mark(Math.min(active + 1, items.length - 1)); e.preventDefault(); }
    else if (e.key === "ArrowUp" && items.length) { mark(Math.max(active - 1, 0)); e.preventDefault(); }
    else if (e.key === "Enter") { e.preventDefault(); if (!list.hidden) { pick(Math.max(active, 0)); } }
    else if (e.key === "Escape") { e.preventDefault(); close(); input.value = ""; focusScan(); }
  });
  input.addEventListener("blur", () => window.setTimeout(close, 150));
}

function startRegister() {
  $("scan-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = $("scan");
    const text = input.value;
    input.value = "";
    scan(text);
  });
  for (const b of document.querySelectorAll("[data-tender]")) {
    b.addEventListener("click", () => tender(b.dataset.tender));
  }
  $("btn-complete").addEventListener("click", () => run(complete));
  $("btn-void").addEventListener("click", voidSale);
  $("btn-917").addEventListener("click", op917);
  $("conn-917").addEventListener("click", op917);
  $("btn-connection").addEventListener("click", openConnection);
  $("btn-balance").addEventListener("click", cardBalance);
  $("conn-download").addEventListener("click", () => syncNow("download"));
  $("conn-upload").addEventListener("click", () => syncNow("upload"));
  $("message-close").addEventListener("click", () => { clearMessage(); focusScan(); });
  wireSearch();
  wireDialogs((dialog) => { if (dialog.id !== "connection-dialog" || !anyOpen()) { focusScan(); } });
  wireKeys({
    search: () => $("search").focus(),
    returnMode: () => { const r = $("return-mode"); if (!r.disabled) { r.checked = !r.checked; } focusScan(); },
    cash: () => tender("cash"), card: () => tender("card"),
    gift_card: () => tender("gift_card"), credit_memo: () => tender("credit_memo"),
    complete: () => run(complete), voidSale, connection: openConnection, op917, balance: cardBalance,
    newSale: () => { state.last = state.cart ? state.last : null; draw(); focusScan(); },
    editLine: (id) => { const [line] = findLine(id); if (line) { lineActions.edit(line); } },
    voidLineById: (id) => { const [line] = findLine(id); if (line) { lineActions.voidLine(line); } },
    focusScan,
  });
  status.onStatus(followStatus);
  if (state.ops) { applyOperations(state.ops); }
  status.start(boot.status);
  draw();
  if (boot.status.cart.recovered === "open cart" && state.cart) {
    showMessage(`Sale ${state.cart.receipt_number} was still open when the register stopped; it is back.`, "info");
  }
  focusScan();
}

if (boot.page === "sign-in") {
  stayOnAuthError();
  status.start(boot.status);
} else {
  startRegister();
}
