/* Kassa register — the keyboard: every action of the transaction screen has a key (shown on
   its button and in the footer), so a cashier never needs the mouse. Alt+letter keys use the
   physical key (event.code), so they work on any keyboard layout. */

import { anyOpen } from "./dialogs.js";
import { choosableRows } from "./cart.js";

const ALT_KEYS = {
  KeyS: "search", KeyR: "returnMode", KeyC: "cash", KeyK: "card", KeyG: "gift_card",
  KeyM: "credit_memo", KeyP: "complete", KeyV: "voidSale", KeyI: "connection", KeyO: "op917",
  KeyN: "newSale", KeyB: "balance",
};

function moveInLines(row, step, actions) {
  const rows = choosableRows();
  const i = rows.indexOf(row);
  const next = rows[i + step];
  if (next) { next.focus(); } else if (step > 0) { actions.focusScan(); }
}

function onLineKey(event, row, actions) {
  switch (event.key) {
    case "ArrowUp": moveInLines(row, -1, actions); break;
    case "ArrowDown": moveInLines(row, 1, actions); break;
    case "Enter": actions.editLine(row.dataset.line); break;
    case "Delete": case "Backspace": actions.voidLineById(row.dataset.line); break;
    case "Escape": actions.focusScan(); break;
    default: return;
  }
  event.preventDefault();
}

/** Install the shortcuts; `actions` maps each name of ALT_KEYS (and editLine,
    voidLineById, focusScan) to a function. */
export function wireKeys(actions) {
  document.addEventListener("keydown", (event) => {
    if (event.altKey && !event.ctrlKey && !event.metaKey && ALT_KEYS[event.code]) {
      event.preventDefault();
      if (!anyOpen()) { actions[ALT_KEYS[event.code]](); }
      return;
    }
    if (anyOpen()) { return; }
    if (event.key === "F2") { event.preventDefault(); actions.search(); return; }
    const target = event.target;
    const row = target instanceof Element ? target.closest("#line-rows tr.line") : null;
    if (row && target === row) { onLineKey(event, row, actions); return; }
    if (target && target.id === "scan" && event.key === "ArrowUp") {
      const rows = choosableRows();
      if (rows.length) { event.preventDefault(); rows[rows.length - 1].focus(); }
      return;
    }
    if (event.key === "Escape" && target && target.id !== "search") {
      actions.focusScan();
    }
  });
}
