"""What every page of the register UI shares: templates, security headers, static files and
the boot data the cashier's screen starts from (DESIGN §3.6, §7, §8; issue 6 §1).

* :data:`SECURITY_HEADERS` — a Content-Security-Policy without inline script or style (the
  pages load only the first-party files of ``static/``), no framing, ``no-store``.
* :class:`Static` — the files of ``static/`` read once, served under
  ``/static/<version>/<name>`` where ``<version>`` is a digest of their contents: a browser
  may keep them for a year, and a new release gets new addresses (the modules import each
  other by relative paths, so they stay on one version).
* :func:`render` — a template of ``templates/`` (autoescaped) as an HTML answer.
* :func:`boot_data` — the JSON the transaction screen starts from (status, cart, operations,
  the last finished sale), embedded in the page as a non-executed ``application/json``
  block so that the first paint needs no further request.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

if TYPE_CHECKING:
    from kassa.pos.runtime import RegisterRuntime

HERE: Final = Path(__file__).resolve().parent
#: Cookie holding the operator's session token (the register API reads the same one).
COOKIE: Final = "kassa_session"
#: Static files and their media types (nothing else is served).
MEDIA_TYPES: Final = {
    "register.css": "text/css; charset=utf-8",
    "api.js": "text/javascript; charset=utf-8",
    "format.js": "text/javascript; charset=utf-8",
    "status.js": "text/javascript; charset=utf-8",
    "cart.js": "text/javascript; charset=utf-8",
    "dialogs.js": "text/javascript; charset=utf-8",
    "keys.js": "text/javascript; charset=utf-8",
    "main.js": "text/javascript; charset=utf-8",
}
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        "form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
#: Keyboard shortcuts of the transaction screen, as shown on it: (keys, what).
SHORTCUTS: Final = (
    ("Enter", "add"),
    ("Alt+S", "search"),
    ("Alt+R", "return"),
    ("↑ ↓", "choose a line"),
    ("Enter / Del", "change / void it"),
    ("Alt+C", "cash"),
    ("Alt+K", "card"),
    ("Alt+G", "gift card"),
    ("Alt+M", "credit memo"),
    ("Alt+B", "card balance"),
    ("Alt+P", "complete"),
    ("Alt+V", "void sale"),
    ("Alt+I", "connection status"),
    ("Alt+O", "disconnect / connect"),
    ("Esc", "back to scanning"),
)


@dataclass(frozen=True)
class Static:
    """The static files, read once: ``files[name] = bytes`` and the ``version`` digest."""

    files: dict[str, bytes]
    version: str

    @classmethod
    def load(cls) -> Static:
        """Read every file of :data:`MEDIA_TYPES` from ``static/``."""
        files = {name: (HERE / "static" / name).read_bytes() for name in MEDIA_TYPES}
        digest = hashlib.sha256()
        for name in sorted(files):
            digest.update(name.encode() + b"\0" + files[name])
        return cls(files, digest.hexdigest()[:12])

    def url(self, name: str) -> str:
        """``/static/<version>/<name>``."""
        return f"/static/{self.version}/{name}"


def make_environment(static: Static) -> Environment:
    """The Jinja2 environment of ``templates/`` (autoescaped; ``static(name)`` global)."""
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    modules = [name for name in MEDIA_TYPES if name.endswith(".js")]
    env.globals.update(static=static.url, shortcuts=SHORTCUTS, modules=modules)
    return env


def render(env: Environment, template: str, *, status: int = 200,
           **values: Any) -> HTMLResponse:
    """``template`` rendered with ``values`` as an HTML answer with the security headers."""
    html = env.get_template(template).render(**values)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def redirect(path: str) -> RedirectResponse:
    """303 See Other to a local path (after a form, or to the sign-in page)."""
    return RedirectResponse(path, status_code=303, headers=SECURITY_HEADERS)


def header_view(status: dict[str, Any]) -> dict[str, Any]:
    """The status header's texts from ``GET /api/status`` (the first paint; ``status.js``
    keeps them fresh): ``mode_text``, ``mode_class``, ``store``, ``register``,
    ``operator``, ``pending``, ``button``."""
    head = status["header"]
    online = head["mode"] == "online"
    operator = head["operator"]
    store = head["store_name"] or f"Store {head['store_id']}"
    if head["store_name"] and head["store_name"] != f"Store {head['store_id']}":
        store = f"{head['store_name']} ({head['store_id']})"
    return {
        "mode_text": "Online" if online else
        ("Offline · manual" if head["manual"] else "Offline · automatic"),
        "mode_class": "online" if online else ("manual" if head["manual"] else "automatic"),
        "store": store,
        "register": f"Register {head['register_number']}",
        "operator": "not signed in" if operator is None else
        f"{operator['name']} ({operator['operator_id']}) · {operator['role']}",
        "pending": head["pending_uploads"],
        "button": head["button_label"],
    }


def boot_data(runtime: RegisterRuntime) -> dict[str, Any]:
    """What the transaction screen starts from: ``{"status", "cart", "operations",
    "last"}`` — the shapes of ``GET /api/status``, ``GET /api/cart`` (``cart``),
    ``GET /api/operations`` and ``POST /api/cart/complete`` (``last``: the last finished
    sale of this register process, or ``None``)."""
    engine = runtime.engine
    cart = engine.cart
    last = engine.last_finished
    return {
        "status": runtime.status(),
        "cart": None if cart is None else cart.to_record(),
        "operations": {"online": engine.source.online, "items": engine.operations()},
        "last": None if last is None else {
            "transaction": last.transaction.to_record(), "receipt": last.receipt,
            "committed_to": last.outcome.where, "result": last.outcome.result,
            "cards": [card.to_dict() for card in getattr(last, "cards", ())]},
    }
