/* Kassa register — formatting of money, quantities, times and ages for the cashier.
   Money arrives as integer cents (docs/API.md); it is never turned into a float here:
   amounts are formatted from the integer and parsed back digit by digit. */

const GROUP = /\B(?=(\d{3})+(?!\d))/g;

/** Integer cents → "$1,234.50" ("-$3.49" for a negative amount). */
export function money(cents) {
  const n = Number(cents || 0);
  const sign = n < 0 ? "-" : "";
  const abs = Math.abs(n);
  const whole = String(Math.floor(abs / 100)).replace(GROUP, ",");
  return `${sign}$${whole}.${String(abs % 100).padStart(2, "0")}`;
}

/** Integer cents → "1234.50" for an input field. */
export function plainAmount(cents) {
  const n = Number(cents || 0);
  const abs = Math.abs(n);
  return `${n < 0 ? "-" : ""}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

/** "12.5", "$12.50", "-3", "1,234.5" → integer cents; null for empty; throws Error with a
    readable message for anything else (never more than two decimals). */
export function parseCents(text, what = "amount") {
  const t = String(text || "").trim().replace(/[$,\s]/g, "");
  if (t === "") { return null; }
  const m = /^(-?)(\d{1,9})(?:\.(\d{0,2}))?$/.exec(t) || /^(-?)()\.(\d{1,2})$/.exec(t);
  if (!m) { throw new Error(`The ${what} must be dollars and cents, e.g. 12.50 (got "${text}").`); }
  const cents = Number(m[2] || "0") * 100 + Number((m[3] || "").padEnd(2, "0"));
  return m[1] === "-" ? -cents : cents;
}

/** Quantity text as the engine sends it ("2", "1.5") → "2", "1.5". */
export function qty(text) { return String(text); }

/** ISO time → local "14:05:09" (today) or "2017-06-01 14:05"; "—" for none. */
export function time(iso) {
  if (!iso) { return "\u2014"; }
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) { return String(iso); }
  const now = new Date();
  const hms = d.toLocaleTimeString("en-GB", { hour12: false });
  if (d.toDateString() === now.toDateString()) { return hms; }
  return `${d.toISOString().slice(0, 10)} ${hms.slice(0, 5)}`;
}

/** Seconds → "45 s", "3 min 4 s", "2 h 5 min", "3 d 4 h"; "—" for none. */
export function age(seconds) {
  if (seconds === null || seconds === undefined) { return "\u2014"; }
  const s = Math.max(0, Math.floor(Number(seconds)));
  if (s < 60) { return `${s} s`; }
  if (s < 3600) { return `${Math.floor(s / 60)} min ${s % 60} s`; }
  if (s < 86400) { return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`; }
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** A sync attempt's result for people: "ok", "up to date", "nothing to upload",
    "rejected", "failed". */
export function outcome(result, kind) {
  if (result === "nothing_new") { return kind === "upload" ? "nothing to upload" : "up to date"; }
  return result === "error" ? "failed" : String(result);
}

/** "a cashier may not…" → "A cashier may not…": the register's messages as sentences. */
export function sentence(text) {
  const t = String(text || "");
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/** A new element with a class and text (text is always set with textContent). */
export function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) { node.className = cls; }
  if (text !== undefined && text !== null) { node.textContent = String(text); }
  return node;
}
