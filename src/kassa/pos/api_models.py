"""Request bodies of the register API (docs/API.md "Register"), strict JSON types.

Money is integer cents (``*_cents``); quantities are decimal strings (``"1.5"``) or integers —
never floats (a float quantity or amount is refused with 422). Unknown fields are refused.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

#: Largest id the databases hold (BigInteger).
MAX_ID = 2**63 - 1


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignIn(_Body):
    """``POST /api/sign-in``."""

    operator_id: StrictStr = Field(min_length=1, max_length=32)
    password: StrictStr = Field(min_length=1, max_length=200)


class StartTransaction(_Body):
    """``POST /api/transactions``: optional loyalty customer (household id)."""

    customer_id: StrictInt | None = Field(default=None, ge=0, le=MAX_ID)


class AddLine(_Body):
    """``POST /api/cart/lines``: a ``barcode`` or a ``product_id``, quantity (default 1)."""

    barcode: StrictStr | None = Field(default=None, max_length=32)
    product_id: StrictInt | None = Field(default=None, ge=0, le=MAX_ID)
    quantity: StrictStr | StrictInt = "1"
    is_return: StrictBool = False


class ChangeLine(_Body):
    """``PATCH /api/cart/lines/{id}``: any of ``quantity``, ``price_cents`` (``null`` removes
    the override), ``discount_cents``. Only the fields sent are changed."""

    quantity: StrictStr | StrictInt | None = None
    price_cents: StrictInt | None = None
    discount_cents: StrictInt | None = None


class AddTender(_Body):
    """``POST /api/cart/tenders``; for ``gift_card`` / ``credit_memo`` the ``reference`` is
    the card number (the card is locked at HQ, DESIGN §6)."""

    type: Literal["cash", "card", "gift_card", "credit_memo"]
    amount_cents: StrictInt
    reference: StrictStr | None = Field(default=None, max_length=64)


class Operation917(_Body):
    """``POST /api/operations/917``: ``connect``, ``disconnect`` or nothing (the button)."""

    action: Literal["connect", "disconnect"] | None = None


class IssueGiftCard(_Body):
    """``POST /api/operations/512``: a new gift card of ``amount_cents``; ``transaction_id``
    (optional) makes a retry answer the same card."""

    amount_cents: StrictInt
    transaction_id: StrictStr | None = Field(default=None, max_length=36)


class AddToGiftCard(IssueGiftCard):
    """``POST /api/operations/520``: add ``amount_cents`` to gift card ``number``."""

    number: StrictStr = Field(min_length=1, max_length=64)


class CardBalance(_Body):
    """``POST /api/operations/519``: the balance of card ``number`` (a body, not the URL:
    a card number is a bearer credential and stays out of access logs)."""

    number: StrictStr = Field(min_length=1, max_length=64)
    kind: Literal["gift_card", "credit_memo"] = "gift_card"
