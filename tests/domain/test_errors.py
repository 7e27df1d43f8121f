"""The error tree: stable codes, messages fit for people, class decides the HTTP status."""

from __future__ import annotations

import pytest

from kassa.domain import errors as e


@pytest.mark.parametrize(
    ("cls", "parent", "code"),
    [
        (e.KassaError, Exception, "kassa.error"),
        (e.InvalidInput, e.KassaError, "invalid_input"),
        (e.MoneyError, e.InvalidInput, "money.invalid"),
        (e.QuantityError, e.InvalidInput, "quantity.invalid"),
        (e.NotFound, e.KassaError, "not_found"),
        (e.Conflict, e.KassaError, "conflict"),
        (e.RuleViolation, e.Conflict, "rule.violation"),
        (e.CardLocked, e.Conflict, "giftcard.locked"),
        (e.NotAuthenticated, e.KassaError, "auth.required"),
        (e.LockedOut, e.NotAuthenticated, "auth.locked_out"),
        (e.NotAllowed, e.KassaError, "auth.forbidden"),
        (e.OfflineUnavailable, e.KassaError, "operation.online_only"),
        (e.Unavailable, e.KassaError, "unavailable"),
        (e.PackageError, e.KassaError, "package.invalid"),
        (e.DataFileError, e.KassaError, "data_file.invalid"),
    ],
)
def test_tree_and_default_codes(
    cls: type[e.KassaError], parent: type[Exception], code: str
) -> None:
    err = cls("something happened")
    assert err.code == code
    assert err.message == "something happened"
    assert str(err) == "something happened"
    assert cls.__mro__[1] is parent


def test_code_and_details_can_be_refined_per_instance() -> None:
    # given
    err = e.PackageError("checksum differs", code="package.checksum_mismatch",
                         details={"package": 7})
    # then
    assert err.code == "package.checksum_mismatch"
    assert err.to_dict() == {
        "code": "package.checksum_mismatch",
        "message": "checksum differs",
        "details": {"package": 7},
    }
    assert "PackageError" in repr(err) and "package.checksum_mismatch" in repr(err)


def test_details_are_copied_and_default_to_empty() -> None:
    source = {"a": 1}
    err = e.NotFound("gone", details=source)
    source["a"] = 2
    assert err.details == {"a": 1}
    assert e.NotFound("gone").details == {}


def test_every_error_is_catchable_as_kassa_error() -> None:
    with pytest.raises(e.KassaError):
        raise e.RuleViolation("no", code="tender.exceeds_due")
