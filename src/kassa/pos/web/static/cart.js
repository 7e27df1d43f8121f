/* Kassa register — drawing the sale: cart lines, payments, totals and the receipt view.
   The cart is the transaction record of the register API (lines, tenders, totals in
   integer cents); after completion the last finished sale's receipt is shown until the
   next scan starts a new sale. Text is set with textContent only. */

import { el, money } from "./format.js";

const $ = (id) => document.getElementById(id);

function lineRow(line, index, actions) {
  const tr = el("tr", "line");
  tr.id = `line-${line.id}`;
  tr.dataset.line = line.id;
  tr.tabIndex = -1;
  if (line.voided) { tr.classList.add("voided"); }
  if (line.is_return) { tr.classList.add("return"); }
  tr.appendChild(el("td", "n", index + 1));
  const product = el("td", "product");
  product.appendChild(el("span", "name", line.name));
  const sub = el("span", "sub", `${line.barcode || ""} \u00b7 #${line.product_id}`);
  product.appendChild(sub);
  if (line.is_return) { product.appendChild(el("span", "tag return", "Return")); }
  if (line.voided) { product.appendChild(el("span", "tag voided", "Voided")); }
  tr.appendChild(product);
  tr.appendChild(el("td", "num qty", line.quantity));
  const price = el("td", "num price");
  if (line.price_override_cents !== null && line.price_override_cents !== undefined) {
    price.appendChild(el("s", "was", money(line.unit_price_cents)));
    price.appendChild(el("span", "override", ` ${money(line.price_override_cents)}`));
  } else {
    price.textContent = money(line.unit_price_cents);
  }
  tr.appendChild(price);
  tr.appendChild(el("td", "num discount", line.discount_cents ? money(-line.discount_cents) : "\u2014"));
  tr.appendChild(el("td", "num amount", money(line.net_cents)));
  const acts = el("td", "acts");
  if (!line.voided && actions) {
    const change = el("button", "btn small", "Change");
    change.type = "button";
    change.setAttribute("aria-label", `Change line ${index + 1}, ${line.name}`);
    change.addEventListener("click", () => actions.edit(line));
    const voidBtn = el("button", "btn small danger", "Void");
    voidBtn.type = "button";
    voidBtn.setAttribute("aria-label", `Void line ${index + 1}, ${line.name}`);
    voidBtn.addEventListener("click", () => actions.voidLine(line));
    acts.append(change, voidBtn);
  }
  tr.appendChild(acts);
  return tr;
}

const TENDER_NAMES = { cash: "Cash", card: "Card", gift_card: "Gift card", credit_memo: "Credit memo" };

/** "Cash", "Gift card", … for a tender type. */
export function tenderName(type) { return TENDER_NAMES[type] || type; }

/** A card number as the cashier may see it: "****6316" (a card number is a credential). */
export function masked(number) {
  const text = String(number || "");
  return text.length > 4 ? `****${text.slice(-4)}` : text;
}

function tenderRow(t, actions) {
  const li = el("li", t.voided ? "tender voided" : "tender");
  const card = t.type === "gift_card" || t.type === "credit_memo";
  const ref = t.reference ? ` \u00b7 ${card ? masked(t.reference) : t.reference}` : "";
  li.appendChild(el("span", "what", `${tenderName(t.type)}${ref}`));
  li.appendChild(el("span", "amount", money(t.amount_cents)));
  if (!t.voided && actions) {
    const b = el("button", "btn small danger", "Void");
    b.type = "button";
    b.setAttribute("aria-label", `Void payment ${tenderName(t.type)} ${money(t.amount_cents)}`);
    b.addEventListener("click", () => actions.voidTender(t));
    li.appendChild(b);
  }
  return li;
}

function renderTotals(t, finished) {
  const z = { subtotal_cents: 0, discount_total_cents: 0, tax_total_cents: 0, total_cents: 0,
    paid_cents: 0, change_due_cents: 0, amount_due_cents: 0 };
  const v = t || z;
  $("t-subtotal").textContent = money(v.subtotal_cents);
  $("t-discount").textContent = v.discount_total_cents ? money(-v.discount_total_cents) : money(0);
  $("t-tax").textContent = money(v.tax_total_cents);
  $("t-total").textContent = money(v.total_cents);
  $("t-paid").textContent = money(v.paid_cents);
  const row = $("due-row");
  const change = v.change_due_cents > 0 || (finished && v.amount_due_cents <= 0);
  row.classList.toggle("change", change);
  row.classList.toggle("settled", !change && v.amount_due_cents === 0 && v.total_cents !== 0);
  $("t-due-label").textContent = change ? "Change" : (v.total_cents < 0 ? "Refund due" : "Due");
  $("t-due").textContent = money(change ? v.change_due_cents : v.amount_due_cents);
}

/** Draw the open cart (record or null) and, without one, the last finished sale. */
export function renderCart(cart, last, actions) {
  const rows = $("line-rows");
  const receipt = $("receipt-view");
  const linesWrap = $("lines-wrap");
  if (cart) {
    const frag = document.createDocumentFragment();
    cart.lines.forEach((line, i) => frag.appendChild(lineRow(line, i, actions)));
    rows.replaceChildren(frag);
    $("empty").hidden = cart.lines.length > 0;
    receipt.hidden = true;
    linesWrap.hidden = false;
    $("txn-number").textContent = `Sale ${cart.receipt_number}`;
    $("txn-mode").textContent = cart.mode === "offline" ? "started offline" : "";
    const tenders = document.createDocumentFragment();
    cart.tenders.forEach((t) => tenders.appendChild(tenderRow(t, actions)));
    $("tender-rows").replaceChildren(tenders);
    renderTotals(cart.totals, false);
    document.body.classList.add("has-cart");
    return;
  }
  document.body.classList.remove("has-cart");
  rows.replaceChildren();
  $("tender-rows").replaceChildren();
  if (last) {
    const txn = last.transaction;
    linesWrap.hidden = true;
    receipt.hidden = false;
    $("receipt-number").textContent = txn.receipt_number;
    $("receipt-text").textContent = last.receipt.join("\n");
    const voided = txn.status === "voided";
    const where = last.committed_to === "store" ? "saved at the store server"
      : "saved offline \u2014 waiting for upload";
    const cards = (last.cards || []).map((c) => {
      const what = `${tenderName(c.kind)} ${masked(c.number)}: ${money(c.amount_cents)}`;
      if (c.result === "redeemed") {
        return `${what} redeemed${c.balance_cents === null || c.balance_cents === undefined ? "" : `, balance ${money(c.balance_cents)}`}`;
      }
      return `${what} redeemed when the sale is uploaded${c.error ? ` (${c.error})` : ""}`;
    });
    $("receipt-where").textContent = [`${voided ? "Voided" : "Completed"} \u00b7 ${where}`, ...cards].join(" \u00b7 ");
    $("txn-number").textContent = `${voided ? "Voided" : "Completed"} ${txn.receipt_number}`;
    $("txn-mode").textContent = "scan to start the next sale";
    const done = last.transaction.tenders.filter((t) => !t.voided);
    const list = document.createDocumentFragment();
    done.forEach((t) => list.appendChild(tenderRow(t, null)));
    $("tender-rows").replaceChildren(list);
    renderTotals(voided ? null : txn.totals, !voided);
    return;
  }
  receipt.hidden = true;
  linesWrap.hidden = false;
  $("empty").hidden = false;
  $("txn-number").textContent = "No sale open";
  $("txn-mode").textContent = "";
  renderTotals(null, false);
}

/** The line rows that can be chosen with the arrow keys (not voided). */
export function choosableRows() {
  return Array.from(document.querySelectorAll("#line-rows tr.line:not(.voided)"));
}
