"""HQ real-time service for gift cards and credit memos (DESIGN §6, issue 5).

* :mod:`.numbers` — 16-digit card numbers with a Luhn check digit.
* :mod:`.cards` — card rows ↔ the domain aggregate, loaded for update.
* :mod:`.listing` — cards with lock owner (store, register number) and age.
* :mod:`.service` — issue, add, balance, lock, redeem-and-unlock, unlock, force-unlock,
  listings; each one DB transaction.
* :mod:`.posting_handler` — the P-job hook: posted tenders redeem and unlock.
"""
