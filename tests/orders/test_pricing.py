"""Tests for the pure order pricing module: spec worked examples plus Hypothesis invariants."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, localcontext
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clopos_server.orders.pricing import (
    LineInput,
    ModifierInput,
    OrderInput,
    OrderPricing,
    TaxRule,
    allocate_largest_remainder,
    price_order,
)

D = Decimal
CENT = D("0.01")


def _line(product_id: int = 1, unit: str = "1.00", count: str = "1", **kwargs: Any) -> LineInput:
    return LineInput(product_id=product_id, unit_price=D(unit), count=D(count), **kwargs)


def test_service_charge_of_100_percent_never_exceeds_the_rounded_bases() -> None:
    """Exact base 0.495 would round to 0.50, but the line's own base after its discount cent is 0.49."""
    first = _line(1, "0.50")
    second = _line(2, "0.50", ignore_service_charge=True)
    result = price_order(
        OrderInput(
            lines=(first, second),
            discount_type=2,
            discount_value=CENT,
            apply_service_charge=True,
            service_charge_rate=D(100),
        )
    )
    assert result.service_charge == D("0.49")
    assert result.lines[0].service_charge == result.lines[0].subtotal - result.lines[0].discount


# --------------------------------------------------------------------------- worked examples


def test_a_modifiers_only_line_with_percent_discount_and_zero_service_charge() -> None:
    line = _line(
        1,
        "0.00",
        "1",
        modifiers=(ModifierInput(1, D(3), D(1)), ModifierInput(2, D(15), D(1))),
    )
    result = price_order(
        OrderInput(
            lines=(line,),
            discount_type=1,
            discount_value=D(10),
            apply_service_charge=True,
            service_charge_rate=D(0),
        )
    )
    assert result.subtotal == D("18.00")
    assert result.discount == D("1.80")
    assert result.service_charge == D("0.00")
    assert result.total == D("16.20")
    assert str(result.total) == "16.20"
    assert result.lines[0].total == D("16.20")
    assert result.lines[0].modifiers_amount == D(18)


def test_b_discount_service_charge_and_delivery_fee() -> None:
    line = _line(101, "8.50", "2", modifiers=(ModifierInput(7, D("0.50"), D(1)),))
    result = price_order(
        OrderInput(
            lines=(line,),
            discount_type=1,
            discount_value=D(10),
            apply_service_charge=True,
            service_charge_rate=D(5),
            delivery_fee=D("2.50"),
        )
    )
    assert result.subtotal == D("18.00")
    assert result.discount == D("1.80")
    assert result.service_charge == D("0.81")
    assert result.delivery_fee == D("2.50")
    assert result.total == D("19.51")
    assert result.lines[0].total + result.delivery_fee == result.total


def test_c_inclusive_tax_is_extracted_not_added() -> None:
    line = _line(5, "2.00", "1", discountable=False, taxes=(TaxRule(1, D(18), True),))
    result = price_order(OrderInput(lines=(line,), discount_type=1, discount_value=D(50)))
    assert result.discount == D("0.00")
    assert result.i_tax == D("0.31")
    assert result.e_tax == D("0.00")
    assert result.total == D("2.00")
    assert result.taxes[0].amount == D("0.31")
    assert result.lines[0].i_tax == D("0.31")
    assert result.lines[0].tax == D("0.31")
    assert result.lines[0].taxes[0].amount == D("0.31")


def test_d_exclusive_tax_is_added_after_discount_and_excludes_service_charge() -> None:
    line = _line(5, "10.00", "1", taxes=(TaxRule(2, D(18), False),))
    result = price_order(
        OrderInput(
            lines=(line,),
            discount_type=1,
            discount_value=D(10),
            apply_service_charge=True,
            service_charge_rate=D(10),
        )
    )
    assert result.discount == D("1.00")
    assert result.service_charge == D("0.90")
    assert result.e_tax == D("1.62")  # 18% of 9.00, service charge not in the base
    assert result.i_tax == D("0.00")
    assert result.total == D("11.52")
    assert result.lines[0].total == D("11.52")


def test_d_exclusive_tax_is_rounded_once_per_order_then_allocated() -> None:
    lines = tuple(_line(i, "0.10", "1", taxes=(TaxRule(3, D(5), False),)) for i in range(3))
    result = price_order(OrderInput(lines=lines))
    # 3 x 0.005 = 0.015 -> 0.02 once (rounding per line would give 0.03).
    assert result.e_tax == D("0.02")
    assert [pl.e_tax for pl in result.lines] == [D("0.01"), D("0.01"), D("0.00")]
    assert result.total == D("0.32")


def test_e_weighed_line_uses_portion_size() -> None:
    result = price_order(OrderInput(lines=(_line(1, "20.00", "1", portion_size=D("0.35")),)))
    assert result.subtotal == D("7.00")
    assert result.total == D("7.00")


def test_f_timer_line_ignores_portion_size() -> None:
    line = _line(1, "3.00", "2", portion_size=D("0.5"), is_timer=True)
    result = price_order(OrderInput(lines=(line,)))
    assert result.subtotal == D("6.00")
    assert result.total == D("6.00")


def test_f_timer_line_still_adds_modifiers() -> None:
    line = _line(1, "3.00", "2", is_timer=True, modifiers=(ModifierInput(1, D("1.25"), D(1)),))
    assert price_order(OrderInput(lines=(line,))).subtotal == D("8.50")


def test_g_ignore_service_charge_line_is_excluded_from_base() -> None:
    lines = (_line(1, "10.00"), _line(2, "5.00", ignore_service_charge=True))
    result = price_order(OrderInput(lines=lines, apply_service_charge=True, service_charge_rate=D(10)))
    assert result.service_charge == D("1.00")
    assert result.service_charge_rate == D(10)
    assert [pl.service_charge for pl in result.lines] == [D("1.00"), D("0.00")]
    assert result.total == D("16.00")


def test_h_fixed_discount_is_allocated_by_largest_remainder() -> None:
    lines = tuple(_line(i, "1.00") for i in range(3))
    result = price_order(OrderInput(lines=lines, discount_type=2, discount_value=D("1.00")))
    assert result.discount == D("1.00")
    assert [pl.discount for pl in result.lines] == [D("0.34"), D("0.33"), D("0.33")]
    assert [pl.total for pl in result.lines] == [D("0.66"), D("0.67"), D("0.67")]
    assert result.total == D("2.00")


def test_h_fixed_discount_is_clamped_to_discountable_subtotal() -> None:
    lines = (_line(1, "3.00"), _line(2, "4.00", discountable=False))
    result = price_order(OrderInput(lines=lines, discount_type=2, discount_value=D("50")))
    assert result.discountable_subtotal == D("3.00")
    assert result.discount == D("3.00")
    assert [pl.discount for pl in result.lines] == [D("3.00"), D("0.00")]
    assert result.total == D("4.00")


def test_i_adjust_to_portion_scales_only_its_modifiers() -> None:
    line = _line(
        1,
        "20.00",
        "2",
        portion_size=D("0.5"),
        modifiers=(
            ModifierInput(1, D("4.00"), D(1), adjust_to_portion=True),  # 4 x 0.5 = 2 per unit
            ModifierInput(2, D("1.00"), D(2)),  # 2 per unit, not scaled
        ),
    )
    result = price_order(OrderInput(lines=(line,)))
    assert result.lines[0].modifiers_amount == D("4.00")
    assert result.subtotal == D("28.00")  # 20 x 2 x 0.5 + 4 x 2


def test_line_subtotal_rounds_half_up() -> None:
    assert price_order(OrderInput(lines=(_line(1, "1.005"),))).subtotal == D("1.01")
    assert price_order(OrderInput(lines=(_line(1, "0.125"),))).subtotal == D("0.13")


def test_caller_decimal_context_does_not_matter() -> None:
    order = OrderInput(
        lines=(_line(1, "1234.56", "3", taxes=(TaxRule(1, D("7.5"), False),)),),
        discount_type=1,
        discount_value=D("12.5"),
    )
    expected = price_order(order)
    with localcontext() as ctx:
        ctx.prec = 3
        ctx.rounding = ROUND_DOWN
        assert price_order(order) == expected


def test_minor_unit_zero() -> None:
    result = price_order(OrderInput(lines=(_line(1, "2.50"),), delivery_fee=D("1.49"), minor_unit=0))
    assert str(result.subtotal) == "3"
    assert str(result.delivery_fee) == "1"
    assert result.total == D(4)


def test_empty_order_is_zero() -> None:
    result = price_order(OrderInput(lines=()))
    assert result.total == D("0.00")
    assert result.lines == ()


def test_conflicting_tax_rates_for_one_id_are_rejected() -> None:
    lines = (_line(1, taxes=(TaxRule(1, D(5), False),)), _line(2, taxes=(TaxRule(1, D(8), False),)))
    with pytest.raises(ValueError, match="conflicting"):
        price_order(OrderInput(lines=lines))


def test_unknown_discount_type_is_rejected() -> None:
    with pytest.raises(ValueError, match="discount_type"):
        price_order(OrderInput(lines=(_line(),), discount_type=3))


def test_tied_lines_in_another_order_give_the_same_order_level_tax() -> None:
    """Discount ties go to the earlier line, but order-level taxes are computed on the exact discounted
    amount, so reordering tied lines with different taxes moves no cent at order level."""
    taxed = _line(1, "0.50", taxes=(TaxRule(1, D(1), False),))
    untaxed = _line(2, "0.50")
    first = price_order(OrderInput(lines=(taxed, untaxed), discount_type=2, discount_value=CENT))
    second = price_order(OrderInput(lines=(untaxed, taxed), discount_type=2, discount_value=CENT))
    assert first.e_tax == second.e_tax == D("0.00")  # 1% of 0.495 = 0.00495
    assert first.total == second.total == D("0.99")
    assert sum(pl.total for pl in first.lines) == first.total


# --------------------------------------------------------------------------- allocate_largest_remainder


def test_allocate_examples() -> None:
    three = [D(1), D(1), D(1)]
    assert allocate_largest_remainder(D("1.00"), three, CENT) == [D("0.34"), D("0.33"), D("0.33")]
    assert allocate_largest_remainder(D("0.02"), three, CENT) == [D("0.01"), D("0.01"), D("0.00")]
    assert allocate_largest_remainder(D("5.00"), [D(0), D(0)], CENT) == [D("0.00"), D("0.00")]
    assert allocate_largest_remainder(D("0.00"), [D(3), D(1)], CENT) == [D("0.00"), D("0.00")]
    assert allocate_largest_remainder(D("1.00"), [], CENT) == []
    # The larger remainder wins over position: exact shares 1/3 and 2/3 of one cent.
    assert allocate_largest_remainder(CENT, [D(1), D(2)], CENT) == [D("0.00"), D("0.01")]
    # Equal remainders (0.5, 0.5) tie to the earlier line: exact 0.005, 0.015, 0.030 of 0.05.
    assert allocate_largest_remainder(D("0.05"), [D(1), D(3), D(6)], CENT) == [
        D("0.01"),
        D("0.01"),
        D("0.03"),
    ]


def test_allocate_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        allocate_largest_remainder(D("0.005"), [D(1)], CENT)
    with pytest.raises(ValueError):
        allocate_largest_remainder(D("1.00"), [D(-1), D(2)], CENT)
    with pytest.raises(ValueError):
        allocate_largest_remainder(D("-1.00"), [D(1)], CENT)
    with pytest.raises(ValueError):
        allocate_largest_remainder(D("1.00"), [D(1)], D(0))


cents = st.integers(min_value=0, max_value=100_000)


@settings(max_examples=200, deadline=None)
@given(bases=st.lists(cents, min_size=1, max_size=30), data=st.data())
def test_allocate_sum_exact_and_shares_within_bases(bases: list[int], data: st.DataObject) -> None:
    total = sum(bases)
    amount_units = data.draw(st.integers(min_value=0, max_value=total))
    dec_bases = [D(b) * CENT for b in bases]
    shares = allocate_largest_remainder(D(amount_units) * CENT, dec_bases, CENT)
    assert len(shares) == len(bases)
    if total == 0:
        assert all(s == 0 for s in shares)
        return
    assert sum(shares) == D(amount_units) * CENT
    for share, base in zip(shares, dec_bases, strict=True):
        assert D(0) <= share <= base
        assert share.as_tuple().exponent == -2
        # Never more than one quantum away from the exact proportional share.
        exact = D(amount_units) * CENT * base / sum(dec_bases)
        assert abs(share - exact) < CENT


@settings(max_examples=200, deadline=None)
@given(
    bases=st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=30),
    amount_units=st.integers(min_value=0, max_value=10**6),
)
def test_allocate_sum_exact_for_arbitrary_bases(bases: list[int], amount_units: int) -> None:
    """Bases need not be multiples of the quantum (nor is the amount bounded by them): sum stays exact."""
    dec_bases = [D(b).scaleb(-4) for b in bases]
    amount = D(amount_units) * CENT
    shares = allocate_largest_remainder(amount, dec_bases, CENT)
    if sum(bases) == 0:
        assert all(s == 0 for s in shares)
    else:
        assert sum(shares) == amount
        assert all(s >= 0 for s in shares)


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=30),
    base=st.integers(min_value=1, max_value=10_000),
    data=st.data(),
)
def test_allocate_ties_go_to_earlier_lines(n: int, base: int, data: st.DataObject) -> None:
    amount_units = data.draw(st.integers(min_value=0, max_value=n * base))
    shares = allocate_largest_remainder(D(amount_units) * CENT, [D(base) * CENT] * n, CENT)
    floor_units, extra = divmod(amount_units, n)
    expected = [D(floor_units + (1 if i < extra else 0)) * CENT for i in range(n)]
    assert shares == expected


# --------------------------------------------------------------------------- price_order properties

TAX_POOL = (
    TaxRule(1, D(0), False),
    TaxRule(2, D(5), True),
    TaxRule(3, D(8), False),
    TaxRule(4, D(18), True),
    TaxRule(5, D(20), False),
    TaxRule(6, D("7.5"), False),
    TaxRule(7, D("12.25"), True),
    TaxRule(8, D(18), False),
)

money = st.integers(min_value=0, max_value=100_000).map(lambda c: D(c) * CENT)
small_money = st.integers(min_value=0, max_value=5_000).map(lambda c: D(c) * CENT)
portions = st.one_of(
    st.just(D(1)),
    st.sampled_from([D("0.5"), D("0.35"), D("0.25"), D("1.5"), D(2), D("0.333")]),
    st.integers(min_value=1, max_value=3_000).map(lambda m: D(m).scaleb(-3)),
)
rates = st.one_of(
    st.sampled_from([D(0), D(5), D(10), D("12.5"), D(15), D(100)]),
    st.integers(min_value=0, max_value=10_000).map(lambda r: D(r).scaleb(-2)),
)

modifiers = st.builds(
    ModifierInput,
    modifier_id=st.integers(min_value=1, max_value=99),
    price=small_money,
    count=st.integers(min_value=1, max_value=3).map(D),
    adjust_to_portion=st.booleans(),
)

lines_strategy = st.builds(
    LineInput,
    product_id=st.integers(min_value=1, max_value=999),
    unit_price=money,
    count=st.integers(min_value=1, max_value=20).map(D),
    portion_size=portions,
    modifiers=st.lists(modifiers, max_size=3).map(tuple),
    discountable=st.booleans(),
    ignore_service_charge=st.booleans(),
    taxes=st.lists(st.sampled_from(TAX_POOL), max_size=3, unique_by=lambda t: t.tax_id).map(tuple),
    is_timer=st.booleans(),
)


@st.composite
def orders(draw: st.DrawFn) -> OrderInput:
    lines = tuple(draw(st.lists(lines_strategy, min_size=1, max_size=30)))
    minor_unit = draw(st.sampled_from([2, 2, 2, 2, 0, 3]))
    discount_type = draw(st.sampled_from([0, 1, 2]))
    if discount_type == 1:
        discount_value = draw(st.integers(min_value=0, max_value=10_000).map(lambda v: D(v).scaleb(-2)))
    elif discount_type == 2:
        discountable = price_order(OrderInput(lines=lines, minor_unit=minor_unit)).discountable_subtotal
        units = int(discountable / D(1).scaleb(-minor_unit))
        # Mostly valid amounts; sometimes above the limit to exercise the defensive clamp.
        discount_value = D(
            draw(st.integers(min_value=0, max_value=units + draw(st.sampled_from([0, 0, 0, 500]))))
        )
        discount_value = discount_value.scaleb(-minor_unit)
    else:
        discount_value = D(0)
    return OrderInput(
        lines=lines,
        discount_type=discount_type,
        discount_value=discount_value,
        apply_service_charge=draw(st.booleans()),
        service_charge_rate=draw(rates),
        delivery_fee=draw(small_money),
        minor_unit=minor_unit,
    )


def _order_level(result: OrderPricing) -> tuple[object, ...]:
    return (
        result.subtotal,
        result.discountable_subtotal,
        result.discount,
        result.service_charge,
        result.i_tax,
        result.e_tax,
        result.taxes,
        result.total,
    )


@settings(max_examples=200, deadline=None)
@given(order=orders())
def test_allocations_add_up_and_stay_within_bases(order: OrderInput) -> None:
    result = price_order(order)
    lines = result.lines
    assert len(lines) == len(order.lines)

    assert sum(pl.subtotal for pl in lines) == result.subtotal
    assert sum(pl.discount for pl in lines) == result.discount
    assert sum(pl.service_charge for pl in lines) == result.service_charge
    assert sum(pl.total for pl in lines) + result.delivery_fee == result.total
    assert result.total == (
        result.subtotal - result.discount + result.service_charge + result.e_tax + result.delivery_fee
    )
    assert result.discount <= result.discountable_subtotal
    assert [t.tax_id for t in result.taxes] == sorted({t.tax_id for t in result.taxes})
    assert result.i_tax == sum((t.amount for t in result.taxes if t.inclusive), D(0))
    assert result.e_tax == sum((t.amount for t in result.taxes if not t.inclusive), D(0))
    for tax in result.taxes:
        shares = [lt.amount for pl in lines for lt in pl.taxes if lt.tax_id == tax.tax_id]
        assert sum(shares) == tax.amount

    for line_in, pl in zip(order.lines, lines, strict=True):
        after_discount = pl.subtotal - pl.discount
        assert 0 <= pl.discount <= pl.subtotal
        if not line_in.discountable:
            assert pl.discount == 0
        assert 0 <= pl.service_charge <= after_discount
        if line_in.ignore_service_charge or not order.apply_service_charge:
            assert pl.service_charge == 0
        assert [lt.tax_id for lt in pl.taxes] == [t.tax_id for t in line_in.taxes]
        for lt in pl.taxes:
            assert 0 <= lt.amount <= after_discount
        assert pl.i_tax == sum((lt.amount for lt in pl.taxes if lt.inclusive), D(0))
        assert pl.e_tax == sum((lt.amount for lt in pl.taxes if not lt.inclusive), D(0))
        assert pl.tax == pl.i_tax + pl.e_tax
        assert pl.total == pl.subtotal - pl.discount + pl.service_charge + pl.e_tax
        assert pl.unit_price == line_in.unit_price


@settings(max_examples=200, deadline=None)
@given(order=orders())
def test_every_output_amount_is_quantized_to_the_minor_unit(order: OrderInput) -> None:
    result = price_order(order)
    exponent = -order.minor_unit
    amounts = [
        result.subtotal,
        result.discountable_subtotal,
        result.discount,
        result.service_charge,
        result.delivery_fee,
        result.i_tax,
        result.e_tax,
        result.total,
        *(t.amount for t in result.taxes),
    ]
    for pl in result.lines:
        amounts += [pl.subtotal, pl.discount, pl.service_charge, pl.i_tax, pl.e_tax, pl.tax, pl.total]
        amounts += [lt.amount for lt in pl.taxes]
    for amount in amounts:
        assert isinstance(amount, Decimal)
        assert amount.as_tuple().exponent == exponent, amount


@settings(max_examples=200, deadline=None)
@given(order=orders(), data=st.data())
def test_permuting_lines_keeps_order_level_amounts(order: OrderInput, data: st.DataObject) -> None:
    permuted = OrderInput(
        lines=tuple(data.draw(st.permutations(order.lines))),
        discount_type=order.discount_type,
        discount_value=order.discount_value,
        apply_service_charge=order.apply_service_charge,
        service_charge_rate=order.service_charge_rate,
        delivery_fee=order.delivery_fee,
        minor_unit=order.minor_unit,
    )
    original, shuffled = price_order(order), price_order(permuted)
    assert _order_level(original) == _order_level(shuffled)
