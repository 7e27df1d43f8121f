"""The register's HTTP API (docs/API.md "Register"), used by the cashier UI and the demo replay.

Local to the till (bind 127.0.0.1). Sign in with ``POST /api/sign-in``; the answer carries a
session token, sent back as ``Authorization: Bearer <token>`` or the ``kassa_session``
cookie (set by the sign-in answer for the browser). Every error is ``{"error": {"code",
"message", "details"}}`` (``kassa.http_errors``): 401 no session / bad password, 403 role,
404 unknown product / line, 409 state (no cart, closed, online-only offline), 422 bad input,
503 store server gone and the register cannot switch. Money in integer cents.

Answers: a cart is the transaction record (``Transaction.to_record()``: lines, tenders,
``totals`` in cents) or ``null``; see each route's docstring.

The cart actions (start, lines, tenders, complete, void) are ``async`` routes that call the
engine directly on the event loop: a register serves one cashier, whose actions the engine
serialises anyway, and handing each call to a worker thread cost more CPU than the action
(issue 7). Rarer or slower operations (sign-in with its password hash, search, 917, gift
card operations, sync now) stay in FastAPI's worker threads.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from kassa.http_errors import error_responses, install_error_handlers
from kassa.pos import api_models as m
from kassa.pos.engine import Finished
from kassa.pos.runtime import RegisterRuntime
from kassa.pos.sessions import Session
from kassa.pos.web import mount_register_ui

COOKIE = "kassa_session"


async def session(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Session:
    """The operator's session: ``Authorization: Bearer <token>`` or the ``kassa_session``
    cookie. Raises NotAuthenticated ``auth.session`` (401). A dict lookup: ``async`` so it
    runs on the event loop, not in a worker thread of its own."""
    token = None
    if authorization and authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
    token = token or request.cookies.get(COOKIE)
    runtime: RegisterRuntime = request.app.state.runtime
    return runtime.engine.sessions.get(token)


Auth = Annotated[Session, Depends(session)]


def _finished(done: Finished) -> dict[str, Any]:
    return {"transaction": done.transaction.to_record(), "receipt": done.receipt,
            "committed_to": done.outcome.where, "result": done.outcome.result,
            "cards": [c.to_dict() for c in done.cards]}


def create_app(runtime: RegisterRuntime, *, close_runtime: bool = False) -> FastAPI:
    """The register FastAPI app around ``runtime`` (``close_runtime``: close it at shutdown)."""
    engine = runtime.engine
    app = FastAPI(title="Kassa register", version="1", description=__doc__,
                  responses=error_responses(401, 403, 404, 409, 422, 503))
    app.state.runtime = runtime
    install_error_handlers(app)
    if close_runtime:
        app.router.add_event_handler("shutdown", runtime.close)

    def cart() -> dict[str, Any]:
        return {"cart": engine.cart_record()}

    @app.post("/api/sign-in", tags=["session"], responses=error_responses(429))
    def sign_in(body: m.SignIn, response: Response) -> dict[str, Any]:
        """Sign in → ``{"token", "operator": {"operator_id", "name", "role"}}``."""
        s = engine.sign_in(body.operator_id, body.password)
        response.set_cookie(COOKIE, s.token, httponly=True, samesite="strict")
        return {"token": s.token, "operator": s.operator.to_dict()}

    @app.post("/api/sign-out", tags=["session"], status_code=204)
    def sign_out(s: Auth, response: Response) -> None:
        """End the session (the open cart stays)."""
        engine.sign_out(s)
        response.delete_cookie(COOKIE)

    @app.get("/api/status", tags=["status"])
    async def status() -> dict[str, Any]:
        """Status header + Connection status window (DESIGN §3.6; kassa.pos.status)."""
        return await run_in_threadpool(runtime.status)

    @app.post("/api/status/dismiss-warning", tags=["status"], status_code=204)
    def dismiss_warning(s: Auth) -> None:
        """The cashier closed the offline dialog / banner."""
        runtime.source.dismiss_warning()

    @app.post("/api/transactions", tags=["cart"], status_code=201)
    async def start(s: Auth, body: m.StartTransaction | None = None) -> dict[str, Any]:
        """Start a transaction (the reconnect attempt of DESIGN §3.2 happens here) → cart."""
        engine.start_transaction(s, None if body is None else body.customer_id)
        return cart()

    @app.get("/api/cart", tags=["cart"])
    async def get_cart(s: Auth) -> dict[str, Any]:
        """``{"cart": record | null}``."""
        return cart()

    @app.post("/api/cart/lines", tags=["cart"], status_code=201)
    async def add_line(s: Auth, body: m.AddLine) -> dict[str, Any]:
        """Add a line → ``{"line": line record, "cart": record}``."""
        line = engine.add_line(s, barcode=body.barcode, product_id=body.product_id,
                               quantity=body.quantity, is_return=body.is_return)
        return {"line": line.to_record(), **cart()}

    @app.patch("/api/cart/lines/{line_id}", tags=["cart"])
    async def change_line(s: Auth, line_id: str, body: m.ChangeLine) -> dict[str, Any]:
        """Quantity / price override / line discount (role checks) → line and cart."""
        changes = {k: getattr(body, k) for k in body.model_fields_set}
        line = engine.change_line(s, line_id, changes)
        return {"line": line.to_record(), **cart()}

    @app.delete("/api/cart/lines/{line_id}", tags=["cart"])
    async def void_line(s: Auth, line_id: str) -> dict[str, Any]:
        """Void a line → line and cart."""
        line = engine.void_line(s, line_id)
        return {"line": line.to_record(), **cart()}

    @app.post("/api/cart/tenders", tags=["cart"], status_code=201)
    async def add_tender(s: Auth, body: m.AddTender) -> dict[str, Any]:
        """Add a tender → ``{"tender", "cart"}``. Gift card (214) / credit memo (213):
        online only; the card is locked at HQ and the amount may not exceed its balance
        (409 ``tender.exceeds_balance``; 409 ``giftcard.locked`` names the register that
        holds it; 404 ``giftcard.unknown``; 503 ``realtime.unreachable``)."""
        tender = engine.add_tender(s, body.type, body.amount_cents, body.reference)
        return {"tender": tender.to_record(), **cart()}

    @app.delete("/api/cart/tenders/{tender_id}", tags=["cart"])
    async def void_tender(s: Auth, tender_id: str) -> dict[str, Any]:
        """Void a tender → tender and cart (a card's lock is released, or queued offline)."""
        tender = engine.void_tender(s, tender_id)
        return {"tender": tender.to_record(), **cart()}

    @app.post("/api/cart/complete", tags=["cart"])
    async def complete(s: Auth) -> dict[str, Any]:
        """Complete → ``{"transaction", "receipt": [text lines], "committed_to": "store" |
        "offline", "result": "committed" | "duplicate", "cards": [{"kind", "number",
        "amount_cents", "result": "redeemed" | "at_posting", "balance_cents", "error"}]}``.
        Offline with a card tender: 409 ``giftcard.offline_conclusion_not_allowed`` unless the
        commerce parameter allows it."""
        return _finished(engine.complete(s))

    @app.post("/api/cart/void", tags=["cart"])
    async def void(s: Auth) -> dict[str, Any]:
        """Void the transaction (tenders voided first) → as complete."""
        return _finished(engine.void(s))

    @app.get("/api/products/search", tags=["catalogue"])
    def search(s: Auth, q: Annotated[str, Query(max_length=100)],
               limit: Annotated[int, Query(ge=1, le=100)] = 20) -> dict[str, Any]:
        """Name search → ``{"items": [product]}``."""
        return {"items": [p.to_dict() for p in engine.source.search(q, limit)]}

    @app.get("/api/operations", tags=["operations"])
    def operations(s: Auth) -> dict[str, Any]:
        """Operations with ``enabled``/``reason`` for the mode → ``{"online", "items"}``."""
        return {"online": engine.source.online, "items": engine.operations()}

    @app.post("/api/operations/917", tags=["operations"])
    def operation_917(s: Auth, body: m.Operation917 | None = None) -> dict[str, Any]:
        """Database connection status: Disconnect / Connect → the switch status."""
        return engine.database_connection(s, None if body is None else body.action)

    @app.post("/api/operations/512", tags=["operations"])
    def issue_gift_card(s: Auth, body: m.IssueGiftCard) -> dict[str, Any]:
        """Issue gift card (online only) → ``{"card": {"kind", "number", "balance_cents",
        "active", "locked", "replayed"}}``."""
        card = engine.issue_gift_card(s, body.amount_cents, body.transaction_id)
        return {"card": card.to_dict()}

    @app.post("/api/operations/520", tags=["operations"])
    def add_to_gift_card(s: Auth, body: m.AddToGiftCard) -> dict[str, Any]:
        """Add to gift card (online only) → ``{"card"}`` with the new balance."""
        card = engine.add_to_gift_card(s, body.number, body.amount_cents, body.transaction_id)
        return {"card": card.to_dict()}

    @app.post("/api/operations/519", tags=["operations"])
    def gift_card_balance(s: Auth, body: m.CardBalance) -> dict[str, Any]:
        """Gift card balance (online only) → ``{"card"}``."""
        return {"card": engine.gift_card_balance(s, body.number, body.kind).to_dict()}

    @app.post("/api/sync/download", tags=["sync"])
    def sync_download(s: Auth) -> dict[str, Any]:
        """Download and apply packages now → the attempt."""
        return runtime.sync.download_now().to_dict()

    @app.post("/api/sync/upload", tags=["sync"])
    def sync_upload(s: Auth) -> dict[str, Any]:
        """Upload pending transactions now → the attempt."""
        return runtime.sync.upload_now().to_dict()

    mount_register_ui(app)  # the cashier's screen: /, /sign-in, /sign-out, /static (issue 6 §1)
    return app
