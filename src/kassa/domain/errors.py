"""One error hierarchy for all of Kassa, with stable error codes.

Every error Kassa raises on purpose is a :class:`KassaError`. Each carries a stable
``code`` (dotted, lower case, never renamed once released) and a human message that can be
shown to a cashier or operator as it is. Only the HTTP layer maps error *classes* to
status codes; the domain never knows about HTTP.

The tree::

    KassaError                      kassa.error
    ├── InvalidInput                invalid_input          bad value from a user or a file
    │   ├── MoneyError              money.invalid          float, NaN, bad cents
    │   └── QuantityError           quantity.invalid       zero / negative / absurd quantity
    ├── NotFound                    not_found              unknown product, card, register …
    ├── Conflict                    conflict               state forbids it (closed cart …)
    │   ├── RuleViolation           rule.violation         a business rule refused it
    │   └── CardLocked              giftcard.locked        card held by another register
    ├── NotAuthenticated            auth.required          no / bad credentials or token
    │   └── LockedOut               auth.locked_out        too many failed sign-ins: wait
    ├── NotAllowed                  auth.forbidden         role or ownership forbids it
    ├── OfflineUnavailable          operation.online_only  operation needs the real-time service
    ├── Unavailable                 unavailable            a peer is down (network, server)
    ├── PackageError                package.invalid        data package refused (checksum, gap …)
    └── DataFileError               data_file.invalid      a source data file is missing / malformed

Subclasses may refine ``code`` per instance (e.g. ``package.checksum_mismatch``); the class
decides the HTTP status, the code identifies the exact cause.
"""

from __future__ import annotations

from typing import Any


class KassaError(Exception):
    """Root of every deliberate Kassa error.

    Attributes:
        code: stable machine-readable identifier (e.g. ``"giftcard.locked"``).
        message: text fit to show to a person.
        details: optional JSON-serialisable context (ids, limits).
    """

    default_code = "kassa.error"

    def __init__(
        self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details: dict[str, Any] = dict(details or {})

    def to_dict(self) -> dict[str, Any]:
        """The error as ``{"code": str, "message": str, "details": dict}``."""
        return {"code": self.code, "message": self.message, "details": self.details}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class InvalidInput(KassaError):
    """A value supplied by a person, a request or a data file is not acceptable."""

    default_code = "invalid_input"


class MoneyError(InvalidInput):
    """An amount is not a valid money value (float, NaN, infinite, too precise for cents)."""

    default_code = "money.invalid"


class QuantityError(InvalidInput):
    """A quantity is zero, negative where not allowed, or absurdly large."""

    default_code = "quantity.invalid"


class NotFound(KassaError):
    """The referenced thing (product, card, register, package …) does not exist."""

    default_code = "not_found"


class Conflict(KassaError):
    """The current state forbids the action (cart closed, card locked, already done …)."""

    default_code = "conflict"


class RuleViolation(Conflict):
    """A business rule refuses the action (over-tender, unpaid balance, …)."""

    default_code = "rule.violation"


class CardLocked(Conflict):
    """A gift card or credit memo is locked by another register (DESIGN §6)."""

    default_code = "giftcard.locked"


class NotAuthenticated(KassaError):
    """Missing or wrong credentials: password, device token, admin token."""

    default_code = "auth.required"


class LockedOut(NotAuthenticated):
    """Too many failed sign-ins for one operator id: sign-in is refused until the lock ends
    (``details``: ``operator_id``, ``retry_after_s``; issue 8 §3, :mod:`kassa.auth.lockout`)."""

    default_code = "auth.locked_out"


class NotAllowed(KassaError):
    """Authenticated, but the role or ownership does not allow the action."""

    default_code = "auth.forbidden"


class OfflineUnavailable(KassaError):
    """The operation needs the real-time service and the register is offline (DESIGN §7)."""

    default_code = "operation.online_only"


class Unavailable(KassaError):
    """A peer (store server, HQ) could not be reached or answered 5xx / too late."""

    default_code = "unavailable"


class PackageError(KassaError):
    """A data package was refused: bad checksum, truncated body, gap in numbers (DESIGN §4)."""

    default_code = "package.invalid"


class DataFileError(KassaError):
    """A source data file (e.g. The Complete Journey parquet) is missing or malformed."""

    default_code = "data_file.invalid"
