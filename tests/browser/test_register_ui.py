"""The register UI (the cashier's screen) in a real headless Chromium (issue 6 §3): sign in,
scan real products by their barcodes, pay, see the receipt; the store server blackholed
mid-sale; operation 917; the Connection status window; a gift card sale; keyboard only.

The till is real (:mod:`pos.web.real_register`): HQ with The Complete Journey imported →
store server → fault proxy → register, on loopback. Screenshots of the main screens go to
``test-artifacts/screenshots/register-*.png``; page loads and scan round trips to
``test-artifacts/timings-pos.json`` (reported by ``bench/ui_timings.py``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kassa.domain.clock import SystemClock
from kassa.hq.realtime.service import RealtimeService
from pos.web.real_register import SUPERVISOR, Till, real_register
from pos.web.ui_driver import (
    SLOW_MS,
    expect,
    lines,
    money,
    pay,
    receipt_where,
    scan,
    sign_in,
    watch_scans,
)
from support.browser import TimingLog, navigation_timing

pytestmark = pytest.mark.browser
#: Chromium logs every 4xx/5xx answer of fetch(); the refusals tested here are expected.
REFUSED = "Failed to load resource: the server responded with a status of"


@pytest.fixture(scope="module")
def till(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[Till]:
    with real_register(tmp_path_factory.mktemp("till")) as running:
        yield running


@pytest.fixture
def page(browser: Any, till: Till) -> Iterator[Any]:
    """A fresh browser context (no cookie) on a till at rest; fails the test on a script
    error or a Content-Security-Policy violation."""
    till.reset()
    context = browser.new_context(viewport={"width": 1366, "height": 820}, base_url=till.url)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("console", lambda m: errors.append(m.text)
              if m.type == "error" and not m.text.startswith(REFUSED) else None)
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield opened
        assert errors == []
    finally:
        context.close()


def test_sign_in_scan_three_real_products_pay_cash_and_see_the_receipt(
    page: Any, till: Till, screenshot: Callable[..., Path]
) -> None:
    page.goto("/")
    expect(page.locator("#mode-badge")).to_have_text("Online")
    expect(page.locator("#h-store")).to_have_text(f"Store {till.store_id}")
    screenshot(page, "register-sign-in")
    sign_in(page)
    for i, product in enumerate(till.products):
        scan(page, product.barcode)
        expect(lines(page)).to_have_count(i + 1)
        expect(lines(page).nth(i)).to_contain_text(product.name)
        expect(lines(page).nth(i).locator(".amount")).to_have_text(money(product.price_cents))
    cart = till.runtime.engine.cart
    assert cart is not None
    total = cart.to_record()["totals"]["total_cents"]
    expect(page.locator("#t-subtotal")).to_have_text(
        money(sum(p.price_cents for p in till.products)))
    expect(page.locator("#t-total")).to_have_text(money(total))
    expect(page.locator("#t-due")).to_have_text(money(total))
    sale = re.compile(rf"^Sale {till.store_id}-1-\d{{6}}$")
    expect(page.locator("#txn-number")).to_have_text(sale)
    number = page.locator("#txn-number").inner_text().removeprefix("Sale ")
    screenshot(page, "register-sale")
    page.keyboard.press("Alt+C")
    expect(page.get_by_label("Amount ($)")).to_have_value(f"{total // 100}.{total % 100:02d}")
    screenshot(page, "register-pay-cash")
    page.keyboard.type("20")
    page.keyboard.press("Enter")
    expect(receipt_where(page)).to_have_text("Completed · saved at the store server")
    expect(page.locator("#receipt-number")).to_have_text(number)
    expect(page.locator("#t-due-label")).to_have_text("Change")
    expect(page.locator("#t-due")).to_have_text(money(2000 - total))
    receipt = page.locator("#receipt-text")
    expect(receipt).to_contain_text(number)
    expect(receipt).to_contain_text("TOTAL")
    expect(page.locator("#scan")).to_be_focused()  # the next customer can be scanned at once
    screenshot(page, "register-receipt")


def test_store_server_blackholed_mid_sale_the_badge_turns_offline_and_the_sale_completes(
    page: Any, till: Till, screenshot: Callable[..., Path]
) -> None:
    pending = till.runtime.status()["header"]["pending_uploads"]
    sign_in(page)
    first, second = till.products[:2]
    scan(page, first.barcode)
    expect(lines(page)).to_have_count(1)
    till.proxy.blackhole()  # the store server stops answering in the middle of the sale
    scan(page, second.barcode)
    expect(page.locator("#mode-badge")).to_have_text("Offline · automatic", timeout=SLOW_MS)
    expect(lines(page)).to_have_count(2)  # the same scan was answered from the offline DB
    banner = page.locator("#banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("the register works offline. The sale goes on.")
    expect(page.locator("#mode-detail")).to_contain_text("did not answer in time")
    # online-only operations are disabled, with the reason on the screen
    expect(page.get_by_role("button", name=re.compile(r"^Gift card"))).to_be_disabled()
    expect(page.get_by_role("button", name=re.compile(r"^Credit memo"))).to_be_disabled()
    expect(page.get_by_role("button", name=re.compile(r"^Card balance"))).to_be_disabled()
    reasons = page.locator("#op-reasons")
    expect(reasons).to_contain_text(
        "Pay credit memo, Pay gift card: Not available offline: the card must be locked")
    expect(reasons).to_contain_text("Gift card balance: Not available offline: the balance is kept")
    expect(page.locator("#btn-917 .label")).to_have_text("Connect")
    screenshot(page, "register-offline-banner")
    pay(page, "Alt+K")
    expect(receipt_where(page)).to_have_text("Completed · saved offline — waiting for upload")
    expect(page.locator("#h-pending")).to_have_text(str(pending + 1))
    page.get_by_role("button", name="Dismiss").click()
    expect(banner).to_be_hidden()
    # the network is back: Connect in the Connection status window, then upload now
    till.proxy.pass_through()
    page.keyboard.press("Alt+I")
    window = page.locator("#connection-dialog")
    expect(window).to_be_visible()
    expect(window.locator("#conn-mode")).to_have_text("Offline (automatic)")
    expect(window.locator("#conn-reason")).to_contain_text("did not answer in time")
    expect(window.locator("#conn-pending")).to_have_text(str(pending + 1))
    screenshot(page, "register-connection-status-offline")
    window.get_by_role("button", name="Connect").click()
    expect(window.locator("#conn-mode")).to_have_text("Online", timeout=SLOW_MS)
    window.get_by_role("button", name="Upload now").click()
    expect(window.locator("#conn-result")).to_have_text(
        re.compile(rf"^Upload: ok · {pending + 1} transactions?$"), timeout=SLOW_MS)
    expect(window.locator("#conn-upload-last")).to_contain_text("· ok ·")
    expect(window.locator("#conn-pending")).to_have_text("0")
    expect(page.locator("#h-pending")).to_have_text("0")
    expect(page.locator("#mode-badge")).to_have_text("Online")
    screenshot(page, "register-connection-status")
    page.keyboard.press("Escape")
    expect(window).to_be_hidden()
    expect(page.locator("#scan")).to_be_focused()


def test_operation_917_disconnects_and_connects(page: Any, till: Till) -> None:
    sign_in(page)
    button = page.locator("#btn-917")
    expect(button).to_have_text("Disconnect")
    page.keyboard.press("Alt+O")
    expect(page.locator("#mode-badge")).to_have_text("Offline · manual")
    expect(button).to_have_text("Connect")
    expect(page.locator("#message")).to_contain_text("Disconnected")
    # a sale goes on offline (manual): it is saved offline
    scan(page, till.products[2].barcode)
    expect(lines(page)).to_have_count(1)
    expect(page.locator("#txn-mode")).to_have_text("started offline")
    expect(page.get_by_role("button", name=re.compile(r"^Gift card"))).to_be_disabled()
    pay(page, "Alt+C")
    expect(receipt_where(page)).to_contain_text("saved offline")
    page.keyboard.press("Alt+O")
    expect(page.locator("#mode-badge")).to_have_text("Online", timeout=SLOW_MS)
    expect(button).to_have_text("Disconnect")
    expect(page.locator("#message")).to_contain_text("Connected: the register is online.")


def test_connection_status_window_shows_the_last_download_and_upload(
    page: Any, till: Till
) -> None:
    sign_in(page)
    page.get_by_role("button", name="Connection status").click()
    window = page.locator("#connection-dialog")
    expect(window.locator("#conn-mode")).to_have_text("Online")
    expect(window.locator("#conn-download-last")).to_contain_text("· ok · package 1 ·")
    expect(window.locator("#conn-checkpoint")).to_have_text("1")
    expect(window.locator("#conn-ready")).to_have_text("yes")
    window.get_by_role("button", name="Download now").click()
    expect(window.locator("#conn-result")).to_have_text(
        re.compile(r"^Download: (ok|up to date) · package \d+"), timeout=SLOW_MS)
    expect(window.locator("#conn-download-last")).to_contain_text(
        re.compile(r"· (ok|up to date) · package"))
    window.get_by_role("button", name="Upload now").click()
    expect(window.locator("#conn-result")).to_have_text(
        re.compile(r"^Upload: (ok|nothing to upload)"), timeout=SLOW_MS)
    expect(window.locator("#conn-upload-last")).to_contain_text(
        re.compile(r"^\d\d:\d\d:\d\d · (ok|nothing to upload)"))
    expect(window.locator("#conn-data-age")).to_have_text(re.compile(r"^\d+ (s|min)"))


def test_a_switch_with_prompt_on_seamless_offline_shows_a_dialog(
    page: Any, till: Till, screenshot: Callable[..., Path]
) -> None:
    till.prompt_on_switch(True)
    sign_in(page)
    scan(page, till.products[0].barcode)
    expect(lines(page)).to_have_count(1)
    till.proxy.blackhole()
    scan(page, till.products[1].barcode)
    dialog = page.locator("#warning-dialog")
    expect(dialog).to_be_visible(timeout=SLOW_MS)
    expect(dialog).to_contain_text("the register works offline")
    expect(page.locator("#banner")).to_be_hidden()
    screenshot(page, "register-offline-dialog")
    page.keyboard.press("Enter")  # "OK, go on selling" has the focus
    expect(dialog).to_be_hidden()
    expect(page.locator("#scan")).to_be_focused()
    expect(lines(page)).to_have_count(2)
    pay(page, "Alt+C")
    expect(receipt_where(page)).to_contain_text("saved offline")
    deadline = time.monotonic() + 10
    while till.runtime.status()["warning"] is not None:  # dismissed at the register too
        assert time.monotonic() < deadline, "the warning was not dismissed at the register"
        time.sleep(0.05)


def test_a_gift_card_sale(page: Any, till: Till, screenshot: Callable[..., Path]) -> None:
    number = till.gift_cards[0]
    cards = RealtimeService(till.hq, SystemClock())
    before = cards.balance("gift_card", number).balance_cents
    sign_in(page)
    # the customer asks for the balance first (operation 519)
    page.keyboard.press("Alt+B")
    expect(page.locator("#balance-dialog").get_by_label("Card number")).to_be_focused()
    page.keyboard.type(number)
    page.keyboard.press("Enter")
    expect(page.locator("#balance-result")).to_have_text(
        f"Gift card ****{number[-4:]}: balance {money(before)}")
    page.keyboard.press("Escape")
    expect(page.locator("#scan")).to_be_focused()
    for product in till.products:
        scan(page, product.barcode)
    expect(lines(page)).to_have_count(3)
    page.keyboard.press("Alt+G")
    expect(page.get_by_label("Gift card number")).to_be_focused()
    page.keyboard.type(number)
    page.keyboard.press("Tab")
    page.keyboard.type("5.00")
    screenshot(page, "register-pay-gift-card")
    page.keyboard.press("Enter")
    tender = page.locator("#tender-rows li").first
    expect(tender).to_contain_text(f"Gift card · ****{number[-4:]}")
    expect(tender).to_contain_text("$5.00")
    expect(page.locator("#tender-rows")).not_to_contain_text(number)  # never the full number
    pay(page, "Alt+C")  # the rest in cash, exact
    expect(receipt_where(page)).to_contain_text("saved at the store server")
    expect(page.locator("#receipt-text")).to_contain_text(f"Gift card ****{number[-4:]}")
    expect(page.locator("#receipt-where")).to_contain_text(f"****{number[-4:]}: $5.00 redeemed")
    assert cards.balance("gift_card", number).balance_cents == before - 500
    assert cards.balance("gift_card", number).holder is None  # unlocked at completion
    screenshot(page, "register-receipt-gift-card")


def test_keyboard_only_search_line_changes_refusals_and_void(
    page: Any, till: Till, screenshot: Callable[..., Path]
) -> None:
    sign_in(page)
    product = till.products[0]
    # a code that is no barcode is a readable message, never a stack trace
    scan(page, "400000000001")
    message = page.locator("#message-text")
    expect(message).to_have_text(re.compile(r"Barcode 400000000001 has check digit 1, expected"))
    expect(message).not_to_contain_text("Traceback")
    # search by name: Alt+S, type, arrow, Enter
    page.keyboard.press("Alt+S")
    expect(page.locator("#search")).to_be_focused()
    page.keyboard.type(product.name)
    found = page.locator("#search-results [role=option]")
    expect(found.first).to_contain_text(f"#{product.id}")
    page.keyboard.press("ArrowDown")
    expect(found.nth(1)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    expect(lines(page)).to_have_count(1)
    expect(lines(page).first).to_contain_text(f"#{product.id}")
    expect(page.locator("#scan")).to_be_focused()
    # ↑ chooses the line, Enter changes it: quantity 3
    page.keyboard.press("ArrowUp")
    expect(lines(page).first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Quantity")).to_be_focused()
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    expect(lines(page).first.locator(".qty")).to_have_text("3")
    expect(page.locator("#line-dialog")).to_be_hidden()
    expect(page.locator("#scan")).to_be_focused()
    # a cashier may not give a discount: the engine says so, the dialog stays open
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    page.get_by_label("Line discount ($)").fill("0.50")
    page.keyboard.press("Enter")
    error = page.locator("#line-error")
    expect(error).to_have_text("A cashier may not do line discount; ask a supervisor or manager")
    screenshot(page, "register-change-line-refused")
    page.keyboard.press("Escape")
    expect(page.locator("#scan")).to_be_focused()
    # nor a return line
    page.keyboard.press("Alt+R")
    expect(page.locator("#return-mode")).to_be_checked()
    scan(page, product.barcode)
    expect(message).to_have_text(re.compile(r"^A cashier may not do return; ask a "))
    expect(lines(page)).to_have_count(1)
    # Delete voids the chosen line; Alt+V voids the sale after a confirmation
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Delete")
    expect(lines(page).first).to_have_class(re.compile(r"\bvoided\b"))
    page.keyboard.press("Alt+V")
    expect(page.locator("#confirm-dialog")).to_be_visible()
    page.keyboard.press("Shift+Tab")  # from "Keep the sale" to "Void sale"
    page.keyboard.press("Enter")
    expect(receipt_where(page)).to_contain_text("Voided")


def test_a_supervisor_overrides_a_price_and_takes_a_return(page: Any, till: Till) -> None:
    sign_in(page, SUPERVISOR)
    first, second = till.products[:2]
    scan(page, first.barcode)
    expect(lines(page)).to_have_count(1)
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    page.get_by_label("Price override ($, empty: the shelf price)").fill("1.00")
    page.get_by_label("Line discount ($)").fill("0.25")
    page.keyboard.press("Enter")
    expect(page.locator("#line-dialog")).to_be_hidden()
    expect(page.locator("#scan")).to_be_focused()
    row = lines(page).first
    expect(row.locator(".override")).to_have_text("$1.00")
    expect(row.locator(".discount")).to_have_text("-$0.25")
    expect(row.locator(".amount")).to_have_text("$0.75")
    page.keyboard.press("Alt+R")
    scan(page, second.barcode)
    expect(lines(page)).to_have_count(2)
    expect(lines(page).nth(1)).to_contain_text("Return")
    expect(lines(page).nth(1).locator(".amount")).to_have_text(money(-second.price_cents))
    expect(page.locator("#return-mode")).not_to_be_checked()  # one return line per Alt+R
    # the sale is now a refund: the cash tender is negative and must match exactly
    refund = 75 - second.price_cents
    expect(page.locator("#t-total")).to_have_text(money(refund))
    expect(page.locator("#t-due-label")).to_have_text("Refund due")
    page.keyboard.press("Alt+C")
    expect(page.locator("#tender-title")).to_have_text("Refund — Cash")
    expect(page.get_by_label("Amount ($)")).to_have_value(money(refund).replace("$", ""))
    page.keyboard.press("Enter")
    expect(receipt_where(page)).to_have_text("Completed · saved at the store server")


def test_page_loads_and_scan_round_trips_are_timed(page: Any, till: Till) -> None:
    log = TimingLog("pos", browser=f"chromium {page.context.browser.version}")
    page.goto("/sign-in")
    for _ in range(7):
        page.goto("/sign-in")
        log.add("Register page load /sign-in", navigation_timing(page)["load_ms"] / 1000,
                "Chromium navigation start → load event end, loopback")
    sign_in(page)
    for _ in range(7):
        page.goto("/")
        timing = navigation_timing(page)
        log.add("Register page load / (transaction screen)", timing["load_ms"] / 1000,
                "Chromium navigation start → load event end (boot data, JS modules), loopback")
    watch_scans(page)
    products = till.catalogue(12)
    for i, product in enumerate(products):
        scan(page, product.barcode)
        expect(lines(page)).to_have_count(i + 1)
        seconds = page.evaluate("window.__scan.t1 - window.__scan.t0") / 1000
        figure = "Register scan round trip (first: start + add)" if i == 0 else \
            "Register scan round trip"
        log.add(figure, seconds, "in the page: Enter keydown → the line's row in the table "
                                 "(performance.now()), real catalogue, register online")
    assert log.write().exists()
    slow = {f["figure"]: f["kassa_s"] for f in log.figures() if f["kassa_s"] >= 0.25}
    assert not slow, f"median over 250 ms: {slow}"
