/* Kassa register — the dialogs of the transaction screen: a payment (amount, and the card
   number for a gift card or a credit memo), changing a line (quantity, price override,
   discount), confirming a void. Each dialog is a native <dialog> (modal, Esc closes, focus
   stays inside); a refused action keeps it open with the register's message. */

import { el, money, parseCents, plainAmount, sentence } from "./format.js";
import { tenderName } from "./cart.js";

const $ = (id) => document.getElementById(id);

/** Close buttons ([data-close]) of every dialog; fn() runs after any dialog closed. */
export function wireDialogs(afterClose) {
  for (const dialog of document.querySelectorAll("dialog")) {
    for (const b of dialog.querySelectorAll("[data-close]")) {
      b.addEventListener("click", () => dialog.close("cancel"));
    }
    dialog.addEventListener("close", () => afterClose(dialog));
  }
}

/** True while a modal dialog is open. */
export function anyOpen() { return document.querySelector("dialog[open]") !== null; }

function showError(id, message) {
  const p = $(id);
  p.textContent = sentence(message);
  p.hidden = !message;
}

/** Run submit() for a dialog's form: keep it open with the message when it fails (and
    when `stay`: the dialog shows the answer). */
function onSubmit(form, dialog, errorId, submit, stay = false) {
  form.onsubmit = async (event) => {
    event.preventDefault();
    const button = form.querySelector("[type=submit]");
    button.disabled = true;
    showError(errorId, "");
    try {
      await submit();
      if (!stay) { dialog.close("ok"); }
    } catch (e) {
      showError(errorId, e.message || String(e));
    } finally {
      button.disabled = false;
    }
  };
}

function quickAmounts(due) {
  const out = [due];
  for (const note of [500, 1000, 2000, 5000, 10000]) {
    const up = Math.ceil(due / note) * note;
    if (up > due && !out.includes(up)) { out.push(up); }
    if (out.length >= 5) { break; }
  }
  return out;
}

/** Ask for a payment of `type` for `cart`; pay({amount_cents, reference}) adds it. */
export function openTender(type, cart, pay) {
  const dialog = $("tender-dialog");
  const due = cart ? cart.totals.amount_due_cents : 0;
  const refund = due < 0;
  const name = tenderName(type);
  const needsCard = type === "gift_card" || type === "credit_memo";
  $("tender-title").textContent = `${refund ? "Refund" : "Pay"} \u2014 ${name}`;
  $("tender-due").textContent = `${refund ? "To refund" : "Due"}: ${money(due)}`;
  $("card-field").hidden = !needsCard;
  $("tender-card-label").textContent = `${name} number`;
  $("tender-card").value = "";
  $("tender-amount").value = plainAmount(due);
  $("tender-ok").textContent = `${refund ? "Refund" : "Pay"} ${name.toLowerCase()}`;
  showError("tender-error", "");
  const quick = $("quick-cash");
  quick.replaceChildren();
  quick.hidden = type !== "cash" || due <= 0;
  if (!quick.hidden) {
    quickAmounts(due).forEach((cents, i) => {
      const b = el("button", "btn quick-amount", i === 0 ? `Exact ${money(cents)}` : money(cents));
      b.type = "button";
      b.addEventListener("click", () => { $("tender-amount").value = plainAmount(cents); $("tender-form").requestSubmit(); });
      quick.appendChild(b);
    });
  }
  onSubmit($("tender-form"), dialog, "tender-error", async () => {
    const reference = $("tender-card").value.trim();
    if (needsCard && !reference) { throw new Error(`Enter or scan the ${name.toLowerCase()} number.`); }
    const cents = parseCents($("tender-amount").value);
    if (cents === null) { throw new Error("Enter the amount."); }
    await pay({ amount_cents: cents, reference: needsCard ? reference : null });
  });
  dialog.showModal();
  (needsCard ? $("tender-card") : $("tender-amount")).select();
  (needsCard ? $("tender-card") : $("tender-amount")).focus();
}

/** Change a line: save(changes) with only the fields changed; voidLine() voids it. */
export function openLine(line, index, save, voidLine) {
  const dialog = $("line-dialog");
  $("line-title").textContent = `Change line ${index + 1}`;
  $("line-product").textContent = `${line.name} \u00b7 shelf price ${money(line.unit_price_cents)}`;
  const override = line.price_override_cents;
  $("line-qty").value = line.quantity;
  $("line-price").value = override === null || override === undefined ? "" : plainAmount(override);
  $("line-discount").value = line.discount_cents ? plainAmount(line.discount_cents) : "";
  showError("line-error", "");
  onSubmit($("line-form"), dialog, "line-error", async () => {
    const changes = {};
    const q = $("line-qty").value.trim();
    if (!q) { throw new Error("Enter the quantity."); }
    if (q !== String(line.quantity)) { changes.quantity = q; }
    const price = parseCents($("line-price").value, "price");
    if (price !== (override === undefined ? null : override)) { changes.price_cents = price; }
    const discount = parseCents($("line-discount").value, "discount") || 0;
    if (discount !== line.discount_cents) { changes.discount_cents = discount; }
    if (Object.keys(changes).length) { await save(changes); }
  });
  $("line-void").onclick = async () => {
    try { await voidLine(); dialog.close("void"); } catch (e) { showError("line-error", e.message); }
  };
  dialog.showModal();
  $("line-qty").select();
}

/** Confirm voiding the sale; yes() voids it. */
export function confirmVoid(cart, yes) {
  const dialog = $("confirm-dialog");
  const paid = cart.tenders.filter((t) => !t.voided).length;
  $("confirm-text").textContent = `Sale ${cart.receipt_number}, total ${money(cart.totals.total_cents)}: every line`
    + `${paid ? ` and the ${paid} payment${paid > 1 ? "s" : ""}` : ""} will be voided. The voided sale is kept for the audit.`;
  showError("confirm-error", "");
  onSubmit(dialog.querySelector("form"), dialog, "confirm-error", yes);
  dialog.showModal();
}

/** Operation 519: check({kind, number}) answers the card ({"balance_cents", "active",
    "locked"}); the dialog stays open with the balance. */
export function openBalance(check) {
  const dialog = $("balance-dialog");
  const result = $("balance-result");
  result.hidden = true;
  $("balance-number").value = "";
  showError("balance-error", "");
  onSubmit($("balance-form"), dialog, "balance-error", async () => {
    result.hidden = true;
    const number = $("balance-number").value.trim();
    if (!number) { throw new Error("Enter or scan the card number."); }
    const kind = dialog.querySelector("input[name=balance-kind]:checked").value;
    const card = await check({ kind, number });
    const notes = [card.active ? "" : "not active", card.locked ? "in use at a register" : ""].filter(Boolean);
    result.textContent = `${tenderName(kind)} ${card.number.length > 4 ? `****${card.number.slice(-4)}` : card.number}: `
      + `balance ${money(card.balance_cents)}${notes.length ? ` (${notes.join(", ")})` : ""}`;
    result.hidden = false;
    $("balance-number").select();
  }, true);
  dialog.showModal();
  $("balance-number").focus();
}
