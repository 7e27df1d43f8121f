"""Barcodes: UPC-A for dataset products and GTIN validation (GS1 check digit)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.domain.barcode import (
    MAX_PRODUCT_ID,
    gtin_check_digit,
    upc_a_from_id,
    validate_gtin,
)
from kassa.domain.errors import InvalidInput

ids = st.integers(min_value=0, max_value=MAX_PRODUCT_ID)


def _reference_check_digit(body: str) -> str:
    """GS1 textbook algorithm: odd positions from the right × 3."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def test_known_gtins_validate() -> None:
    # given published codes of every length: EAN-8, UPC-A, EAN-13, GTIN-14
    for code in ("96385074", "036000291452", "4006381333931", "10012345678902"):
        # when validated / then they come back unchanged
        assert validate_gtin(code) == code


def test_upc_for_a_dataset_product() -> None:
    # given the first product id of The Complete Journey
    # when its barcode is derived
    code = upc_a_from_id(25671)
    # then it is "4" + ten id digits + check digit, and a valid UPC-A
    assert code == "400000256719"
    assert validate_gtin(code) == code


@given(ids)
def test_upc_is_a_valid_12_digit_gtin(product_id: int) -> None:
    code = upc_a_from_id(product_id)
    assert len(code) == 12 and code.isdigit()
    assert code[0] == "4"
    assert int(code[1:11]) == product_id
    assert validate_gtin(code) == code


@given(ids, ids)
def test_distinct_ids_give_distinct_upcs(a: int, b: int) -> None:
    assert (upc_a_from_id(a) == upc_a_from_id(b)) == (a == b)


@given(st.text(alphabet="0123456789", min_size=1, max_size=17))
def test_check_digit_matches_the_gs1_reference(body: str) -> None:
    assert gtin_check_digit(body) == _reference_check_digit(body)


@given(ids, st.integers(min_value=0, max_value=11), st.integers(min_value=1, max_value=9))
def test_any_single_digit_error_is_caught(product_id: int, position: int, delta: int) -> None:
    # given a valid code with one digit changed
    code = upc_a_from_id(product_id)
    wrong = code[:position] + str((int(code[position]) + delta) % 10) + code[position + 1 :]
    # when validated / then it is refused
    with pytest.raises(InvalidInput) as info:
        validate_gtin(wrong)
    assert info.value.code == "barcode.invalid"


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("036000291453", "check digit"),
        ("03600029145", "11 digits"),
        ("0360002914521", "check digit"),
        ("12345", "5 digits"),
        ("03600029145X", "only digits"),
        ("", "only digits"),
        ("٠٣٦٠٠٠٢٩١٤٥٢", "only digits"),  # Arabic-Indic digits are not ASCII
    ],
)
def test_invalid_gtins_are_refused_with_a_reason(code: str, why: str) -> None:
    with pytest.raises(InvalidInput) as info:
        validate_gtin(code)
    assert info.value.code == "barcode.invalid"
    assert why in info.value.message


def test_surrounding_blanks_are_ignored() -> None:
    assert validate_gtin(" 036000291452\n") == "036000291452"


@pytest.mark.parametrize("bad", [-1, MAX_PRODUCT_ID + 1, True, "25671", 2.0])
def test_upc_refuses_ids_that_do_not_fit(bad: object) -> None:
    with pytest.raises(InvalidInput) as info:
        upc_a_from_id(bad)  # type: ignore[arg-type]
    assert info.value.code == "barcode.invalid"


def test_non_text_is_refused() -> None:
    with pytest.raises(InvalidInput):
        validate_gtin(36000291452)  # type: ignore[arg-type]
