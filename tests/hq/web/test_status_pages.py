"""The back office's status pages over real HTTP (issue 6 §2): the register offline status
dashboard and its JSON feed, gift cards with locks and force-unlock, the sales report."""

from __future__ import annotations

import re

from sqlalchemy import select

from kassa.db.hq_giftcard_schema import stored_value_audit, stored_value_cards
from kassa.domain.ids import new_id
from kassa.hq.distribution import entities, journal_flags, setup
from kassa.hq.posting import post
from kassa.hq.posting.report import sales_report
from kassa.hq.realtime.service import RealtimeService
from kassa.hq.web.pages import money
from support.hq_web import Web
from support.hq_world import STORE_A, STORE_B
from support.posting_baskets import random_records


def report_status(web: Web, store: int, number: int, *, mode: str, pending: int,
                  checkpoint: int | None) -> None:
    """Support offline on for the register, then a store server's status report for it."""
    register = web.world.registers[(store, number)]
    now = web.world.clock.now()
    with web.world.engine.begin() as conn:
        setup.set_support_offline(conn, register, True, now)
        entities.record_status(conn, store_id=store, register_id=register,
                               checkpoint=checkpoint, pending_uploads=pending, mode=mode, now=now)


def test_the_dashboard_shows_mode_lag_pending_and_contact_per_register(web: Web) -> None:
    web.sign_in()
    web.post_form("/schedules/1/run", {"group": str(STORE_A)})  # package 1 of group 367
    report_status(web, STORE_A, 1, mode="offline (automatic)", pending=3, checkpoint=0)
    report_status(web, STORE_A, 2, mode="online", pending=0, checkpoint=1)
    # when the admin opens the dashboard
    page = web.http.get("/dashboard")
    # then each register shows its mode, checkpoint, lag, pending uploads, with colours
    assert page.status_code == 200
    assert '<span class="badge bad">offline (automatic)</span>' in page.text
    assert "1 package behind" in page.text and "3 waiting for upload" in page.text
    assert 'data-feed="/dashboard.json?' in page.text and "dashboard.js" in page.text
    # and the feed the page refreshes itself from says the same, as JSON
    feed = web.http.get("/dashboard.json", params={"store": STORE_A})
    body = feed.json()
    assert body["summary"]["offline"] == 1 and body["summary"]["pending_uploads"] == 3
    rows = {(r["kind"], r["register_number"]): r for r in body["rows"]}
    bad = rows[("offline", 1)]
    assert (bad["mode"], bad["lag"], bad["pending_uploads"], bad["state"]) == (
        "offline (automatic)", 1, 3, "bad")
    assert rows[("offline", 2)]["state"] == "ok" and rows[("offline", 2)]["lag"] == 0
    assert all(r["store_id"] == STORE_A for r in body["rows"])
    # and "only those that need attention" leaves the register in sync out
    attention = web.http.get("/dashboard.json", params={"attention": "1"}).json()
    assert ("offline", 2) not in {(r["kind"], r["register_number"]) for r in attention["rows"]
                                  if r["store_id"] == STORE_A}


def test_a_register_whose_offline_journal_was_edited_is_flagged_on_the_dashboard(
        web: Web) -> None:
    # given register 2 in sync, and its store server reporting a break of its journal
    web.sign_in()
    report_status(web, STORE_A, 2, mode="online", pending=0, checkpoint=None)
    now = web.world.clock.now()
    edited = new_id()
    with web.world.engine.begin() as conn:
        journal_flags.record_breaks(conn, STORE_A, [journal_flags.ReportedBreak(
            web.world.registers[(STORE_A, 2)], 1, edited, "journal.hash_mismatch",
            "stored hash differs", now)], now)
    # when the admin opens the dashboard, only those that need attention
    page = web.http.get("/dashboard", params={"attention": "1", "store": STORE_A})
    rows = web.http.get("/dashboard.json", params={"attention": "1", "store": STORE_A}).json()
    # then the register is there, red, naming the break and the edited transaction
    [row] = [r for r in rows["rows"] if r["register_number"] == 2]
    assert row["state"] == "bad"
    assert row["notes"][0].startswith("journal break: 1 journal break(s)")
    assert str(edited) in page.text and "journal.hash_mismatch" in page.text


def test_a_bad_dashboard_filter_is_a_message_on_the_page(web: Web) -> None:
    web.sign_in()
    page = web.http.get("/dashboard", params={"store": "abc"})
    assert page.status_code == 200 and "The store must be a whole number" in page.text


def test_locked_cards_show_owner_and_age_and_force_unlock_writes_an_audit(web: Web) -> None:
    web.sign_in()
    # given a card issued from the back office and locked by register 2 of store 368
    issued = web.follow(web.post_form(
        "/giftcards/issue", {"kind": "gift_card", "amount": "25.00",
                             "transaction_id": str(new_id())}, from_page="/giftcards"))
    number = re.search(r"Gift card (\d{16}) issued for \$25\.00", issued.text)
    assert number, issued.text
    card = number.group(1)
    svc = RealtimeService(web.world.engine, web.world.clock)
    svc.lock("gift_card", card, register_id=web.world.registers[(STORE_B, 2)],
             transaction_id=new_id())
    web.world.clock.advance(125)
    # when the admin looks at the gift cards
    page = web.http.get("/giftcards")
    locked = page.text[page.text.index('id="locked"'):page.text.index('id="cards"')]
    assert card in locked and f"Store {STORE_B}, register 2" in locked and "2 min 5 s" in locked
    # a force-unlock without a name is refused and the card stays locked
    refused = web.follow(web.post_form(f"/giftcards/{card}/force-unlock", {"actor": ""}))
    assert "was not unlocked" in refused.text and "actor" in refused.text
    assert svc.card(card).card.holder is not None
    # with a name and a reason it is released, with an audit record
    done = web.follow(web.post_form(f"/giftcards/{card}/force-unlock",
                                    {"actor": "Ann HQ", "reason": "register crashed"}))
    assert f"Card {card} unlocked (held by register 2 of store {STORE_B})" in done.text
    assert svc.card(card).card.holder is None
    with web.world.engine.connect() as conn:
        audit = conn.execute(select(stored_value_audit)).mappings().one()
    assert (audit["number"], audit["actor"], audit["reason"]) == (
        card, "Ann HQ", "register crashed")
    assert "Ann HQ" in done.text and "No card is locked." in done.text


def test_sending_the_issue_form_twice_issues_one_card(web: Web) -> None:
    web.sign_in()
    form = {"kind": "credit_memo", "amount": "10", "transaction_id": str(new_id())}
    web.post_form("/giftcards/issue", form)
    again = web.follow(web.post_form("/giftcards/issue", form))
    assert "already sent: the same card" in again.text
    with web.world.engine.connect() as conn:
        assert len(conn.execute(select(stored_value_cards.c.number)).all()) == 1
    bad = web.follow(web.post_form("/giftcards/issue", {**form, "amount": "1.234",
                                                        "transaction_id": str(new_id())}))
    assert "No card issued" in bad.text and "more than two decimals" in bad.text


def test_the_sales_page_shows_the_posted_report_per_store_register_and_day(web: Web) -> None:
    web.sign_in()
    assert "No transactions have been posted yet" in web.http.get("/sales").text
    records = random_records(60, store_id=STORE_A)
    with web.world.engine.begin() as conn:
        post(conn, records, now=web.world.clock.now())
        report = sales_report(conn, store_id=STORE_A)
    page = web.http.get("/sales", params={"store": STORE_A})
    assert page.status_code == 200
    assert money(report["total"]["total_cents"]) in page.text
    first = report["rows"][0]
    assert f'<a href="/sales?day={first["business_day"]}">' in page.text
    latest = max(r["business_day"] for r in report["rows"])
    default = web.http.get("/sales")
    assert f'value="{latest}"' in default.text
    bad = web.http.get("/sales", params={"day": "2017-13-01"})
    assert "day must be YYYY-MM-DD" in bad.text
