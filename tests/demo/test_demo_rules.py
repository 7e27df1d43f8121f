"""The demo's rules that need no process: the line arithmetic, the dataset's baskets, the
gift card plan, the register split and the demo directory (issue 7)."""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.demo.dataset import (
    Basket,
    Dataset,
    DemoLine,
    line_net_cents,
    plan_line,
    split_by_register,
)
from kassa.demo.outcomes import GiftPlan, data_reason
from kassa.demo.provisioning import MARKER, fresh_data_dir
from kassa.domain.errors import InvalidInput


@given(quantity=st.integers(1, 90_000), sales=st.integers(1, 10**6),
       retail=st.integers(0, 10**5), match=st.integers(0, 10**4),
       catalogue=st.integers(1, 10**5))
def test_the_keyed_in_line_nets_exactly_the_sales_value(
        quantity: int, sales: int, retail: int, match: int, catalogue: int) -> None:
    # given any sellable line and any catalogue price
    line = DemoLine(1, quantity, sales, retail, match)
    # when the cashier keys in the plan
    plan = plan_line(line, catalogue)
    price = catalogue if plan.price_cents is None else plan.price_cents
    gross = quantity * price
    # then the register's net is the dataset's sales_value, the discount fits the line,
    # and a sub-cent remainder is flagged
    assert line_net_cents(quantity, catalogue, plan) == sales
    assert 0 <= plan.discount_cents <= gross
    assert plan.adjusted == (gross != sales + retail + match)
    if plan.adjusted:
        assert gross - (sales + retail + match) < quantity


def test_the_catalogue_price_needs_no_override_and_the_discounts_become_one() -> None:
    # given 2 × $1.50 sold for $2.50 with $0.40 loyalty and $0.10 coupon match
    plan = plan_line(DemoLine(7, 2, 250, 40, 10), 150)
    # then: no override, one line discount of $0.50
    assert (plan.price_cents, plan.discount_cents, plan.adjusted) == (None, 50, False)
    assert plan.changes == {"discount_cents": 50}


def test_a_price_with_a_sub_cent_part_puts_the_remainder_into_the_discount() -> None:
    # given 3 for $1.00 (33.3… cents each), no discount in the data
    plan = plan_line(DemoLine(7, 3, 100, 0, 0), 99)
    # then the override is 34 cents and the 2 cents too many are a discount
    assert (plan.price_cents, plan.discount_cents, plan.adjusted) == (34, 2, True)


def test_a_line_that_is_no_sale_is_refused_by_the_arithmetic_and_named() -> None:
    with pytest.raises(ValueError):
        plan_line(DemoLine(7, 0, 100, 0, 0), 100)
    assert data_reason(DemoLine(7, 1, 0, 0, 0)) == "zero value"
    assert data_reason(DemoLine(7, 1, -5, 0, 0)) == "negative value"
    assert data_reason(DemoLine(7, 1, 5, 0, 0, sub_cent=True)) == "value not in whole cents"
    assert data_reason(DemoLine(7, 1, 5, 0, 0)) is None


def test_store_367_has_its_4194_baskets_in_time_order() -> None:
    # given the published data of store 367
    baskets = Dataset(stores=[367]).baskets(367)
    # then every basket and line is there, in time order
    assert len(baskets) == 4194
    assert sum(len(b.lines) for b in baskets) == 41_334
    assert all(a.at <= b.at for a, b in itertools.pairwise(baskets))
    assert len({b.basket_id for b in baskets}) == 4194


def _basket(i: int, household: int) -> Basket:
    return Basket(i, 367, household, datetime(2017, 1, 1), (DemoLine(1, 1, 100, 0, 0),))


def test_households_stay_on_one_register_and_registers_share_the_work() -> None:
    baskets = [_basket(i, household=i % 37) for i in range(1000)]
    split = split_by_register(baskets, 4)
    tills = {b.household_id: n for n, bs in split.items() for b in bs}
    assert all(tills[b.household_id] == n for n, bs in split.items() for b in bs)
    assert max(len(v) for v in split.values()) - min(len(v) for v in split.values()) <= 28
    assert sum(len(v) for v in split.values()) == 1000


def test_the_gift_card_plan_has_baskets_in_the_second_half_of_a_small_replay() -> None:
    baskets = [_basket(i, household=i) for i in range(40)]
    plan = GiftPlan.choose(baskets, 2.0)
    late = [b for b in baskets[20:] if b.basket_id in plan.baskets]
    assert len(late) >= 4
    assert set(plan.households) == {b.household_id for b in baskets
                                    if b.basket_id in plan.baskets}
    assert GiftPlan.choose(baskets, 0.0).baskets == set()


def test_the_demo_directory_is_wiped_only_when_it_is_the_demos(tmp_path: Path) -> None:
    # given a directory with someone's file
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    # then the demo refuses it
    with pytest.raises(InvalidInput) as err:
        fresh_data_dir(other)
    assert err.value.code == "demo.data_dir_in_use"
    assert (other / "keep.txt").exists()
    # and a demo directory is wiped and marked again
    demo = fresh_data_dir(tmp_path / "demo")
    (demo / "hq.sqlite").write_text("old")
    again = fresh_data_dir(demo)
    assert sorted(p.name for p in again.iterdir()) == [MARKER]
