"""Pure order pricing: dataclasses in, dataclasses out, ``Decimal`` only.

Kept free of I/O and of imports from the rest of the package so that the money rules can be tested
exhaustively (property tests) and reused by every caller (API, receipts, board) without drift.

Rounding is ROUND_HALF_UP to the currency's minor unit and happens only at these steps: each line
subtotal, the order discount, the service charge and each tax's order total. Every order-level amount
is rounded once and then split over the lines by largest remainder, so the lines always add up to the
order to the cent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import (
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from fractions import Fraction

__all__ = [
    "DISCOUNT_FIXED",
    "DISCOUNT_NONE",
    "DISCOUNT_PERCENT",
    "LineInput",
    "LinePricing",
    "LineTax",
    "ModifierInput",
    "OrderInput",
    "OrderPricing",
    "TaxRule",
    "TaxTotal",
    "allocate_largest_remainder",
    "price_order",
]

DISCOUNT_NONE = 0
DISCOUNT_PERCENT = 1
DISCOUNT_FIXED = 2

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)

# Our own context so the caller's precision/rounding/traps can never change a price.
_CONTEXT = Context(prec=50, rounding=ROUND_HALF_UP, traps=[InvalidOperation, DivisionByZero, Overflow])


@dataclass(frozen=True, slots=True)
class TaxRule:
    """A tax attached to a product; ``rate`` is a percent, ``inclusive`` means it is inside the price."""

    tax_id: int
    rate: Decimal
    inclusive: bool


@dataclass(frozen=True, slots=True)
class ModifierInput:
    """A chosen modifier; ``count`` is per one unit of the line it belongs to."""

    modifier_id: int
    price: Decimal
    count: Decimal
    adjust_to_portion: bool = False


@dataclass(frozen=True, slots=True)
class LineInput:
    """One order line with its unit price already resolved by the caller."""

    product_id: int
    unit_price: Decimal
    count: Decimal
    portion_size: Decimal = Decimal(1)
    modifiers: tuple[ModifierInput, ...] = ()
    discountable: bool = True
    ignore_service_charge: bool = False
    taxes: tuple[TaxRule, ...] = ()
    is_timer: bool = False


@dataclass(frozen=True, slots=True)
class OrderInput:
    """Everything needed to price an order; the caller has validated ranges."""

    lines: tuple[LineInput, ...]
    discount_type: int = DISCOUNT_NONE
    discount_value: Decimal = Decimal(0)
    apply_service_charge: bool = False
    service_charge_rate: Decimal = Decimal(0)
    delivery_fee: Decimal = Decimal(0)
    minor_unit: int = 2


@dataclass(frozen=True, slots=True)
class LineTax:
    """This line's allocated share of one order-level tax."""

    tax_id: int
    rate: Decimal
    inclusive: bool
    amount: Decimal


@dataclass(frozen=True, slots=True)
class LinePricing:
    """Priced line; ``modifiers_amount`` is the exact per-unit modifier amount (not rounded)."""

    product_id: int
    unit_price: Decimal
    modifiers_amount: Decimal
    subtotal: Decimal
    discount: Decimal
    service_charge: Decimal
    i_tax: Decimal
    e_tax: Decimal
    tax: Decimal
    total: Decimal
    taxes: tuple[LineTax, ...]


@dataclass(frozen=True, slots=True)
class TaxTotal:
    """One tax's order total, computed exactly over all lines and rounded once."""

    tax_id: int
    rate: Decimal
    inclusive: bool
    amount: Decimal


@dataclass(frozen=True, slots=True)
class OrderPricing:
    """Priced order; ``taxes`` is sorted by ``tax_id`` and ``lines`` follows the input order."""

    subtotal: Decimal
    discountable_subtotal: Decimal
    discount: Decimal
    service_charge_rate: Decimal
    service_charge: Decimal
    delivery_fee: Decimal
    i_tax: Decimal
    e_tax: Decimal
    taxes: tuple[TaxTotal, ...]
    total: Decimal
    lines: tuple[LinePricing, ...]


def _round(value: Decimal, quantum: Decimal) -> Decimal:
    """Round half-up to the minor unit; the single place where money is rounded."""
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


def _dsum(values: Sequence[Decimal]) -> Decimal:
    """Sum with a Decimal start so the result type is always Decimal (never int 0)."""
    return sum(values, _ZERO)


def allocate_largest_remainder(amount: Decimal, bases: Sequence[Decimal], quantum: Decimal) -> list[Decimal]:
    """Split ``amount`` over ``bases`` proportionally, in whole quanta, so the shares sum exactly to it.

    Each exact share ``amount * base / sum(bases)`` is floored to the quantum; the quanta left over go one
    each to the largest fractional remainders, ties to the earlier index. The arithmetic is exact
    (integers at a common scale), so ties are real ties and never an artefact of decimal precision. When
    ``amount <= sum(bases)`` and every base is a multiple of ``quantum``, each share lies in ``[0, base]``.
    If the bases sum to zero every share is zero.
    """
    if quantum <= 0:
        raise ValueError("quantum must be positive")
    if amount < 0:
        raise ValueError("amount must not be negative")
    if any(base < 0 for base in bases):
        raise ValueError("bases must not be negative")
    with localcontext(_CONTEXT):
        zero = _ZERO * quantum
        # Exact in integers: scaled to a common power of ten, every exact share is units * base / total
        # with one denominator, so its fractional part is compared by the remainder alone.
        scale = -min(0, *(_exponent(value) for value in (amount, quantum, *bases)))
        scaled_bases = [int(base.scaleb(scale)) for base in bases]
        total = sum(scaled_bases)
        if total == 0 or amount == 0:
            return [zero for _ in bases]
        n_units, rest = divmod(int(amount.scaleb(scale)), int(quantum.scaleb(scale)))
        if rest:
            raise ValueError("amount must be a whole multiple of quantum")
        splits = [divmod(n_units * base, total) for base in scaled_bases]
        shares = [share for share, _ in splits]
        leftover = n_units - sum(shares)
        by_remainder = sorted(range(len(splits)), key=lambda i: (-splits[i][1], i))
        for i in by_remainder[:leftover]:
            shares[i] += 1
        return [Decimal(share) * quantum for share in shares]


def _exponent(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int):
        raise ValueError("amounts must be finite")
    return exponent


def _to_decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def _exact_after_discount(
    in_scope: Sequence[bool],
    subtotals: Sequence[Decimal],
    discount_bases: Sequence[Decimal],
    discount: Decimal,
) -> Fraction:
    """The in-scope lines' amount after their EXACT (unrounded) share of the discount.

    Order-level service charge and taxes are computed on this, not on the cent-rounded shares, so that
    the order's amounts do not depend on the order of its lines (the largest-remainder tie rule would
    otherwise move a cent between lines with different taxes or flags). Line shares are still allocated
    over the rounded per-line amounts.
    """
    # sum(subtotal - discount * base / total) over the lines in scope, with one division
    in_scope_subtotal = _dsum([s for flag, s in zip(in_scope, subtotals, strict=True) if flag])
    in_scope_base = _dsum([b for flag, b in zip(in_scope, discount_bases, strict=True) if flag])
    total = _dsum(discount_bases)
    if not total:
        return Fraction(in_scope_subtotal)
    return Fraction(in_scope_subtotal) - Fraction(discount) * Fraction(in_scope_base) / Fraction(total)


def _modifiers_per_unit(line: LineInput, portion: Decimal) -> Decimal:
    """Step 2: per-unit modifier amount, scaled by portion only for groups that adjust to portion."""
    return _dsum(
        [m.price * m.count * (portion if m.adjust_to_portion else Decimal(1)) for m in line.modifiers]
    )


def _collect_taxes(lines: Sequence[LineInput]) -> dict[int, TaxRule]:
    """One rule per tax id, because each tax is totalled and rounded once per order."""
    rules: dict[int, TaxRule] = {}
    for line in lines:
        seen: set[int] = set()
        for rule in line.taxes:
            if rule.rate < 0:
                raise ValueError(f"tax {rule.tax_id} has a negative rate")
            if rule.tax_id in seen:
                raise ValueError(f"tax {rule.tax_id} appears twice on product {line.product_id}")
            seen.add(rule.tax_id)
            known = rules.setdefault(rule.tax_id, rule)
            if (known.rate, known.inclusive) != (rule.rate, rule.inclusive):
                raise ValueError(f"tax {rule.tax_id} has conflicting rate/inclusive flags across lines")
    return rules


def price_order(order: OrderInput) -> OrderPricing:
    """Price an order by the spec's steps, rounding only where the spec says and allocating by remainder.

    Discount, service charge and each tax are rounded once at order level and then shared over the lines
    they apply to, so ``sum(line totals) + delivery_fee == total`` always holds to the cent.
    """
    if order.minor_unit < 0:
        raise ValueError("minor_unit must not be negative")
    if order.discount_type not in (DISCOUNT_NONE, DISCOUNT_PERCENT, DISCOUNT_FIXED):
        raise ValueError(f"unknown discount_type {order.discount_type}")
    lines = order.lines
    with localcontext(_CONTEXT):
        q = Decimal(1).scaleb(-order.minor_unit)
        zero = _round(_ZERO, q)

        # Steps 1-4: line subtotals (timer lines ignore portion size entirely).
        modifier_amounts: list[Decimal] = []
        subtotals: list[Decimal] = []
        for line in lines:
            portion = Decimal(1) if line.is_timer else line.portion_size
            per_unit = _modifiers_per_unit(line, portion)
            modifier_amounts.append(per_unit)
            subtotals.append(_round(line.unit_price * line.count * portion + per_unit * line.count, q))
        subtotal = _round(_dsum(subtotals), q)

        # Step 5: order discount on discountable lines, rounded once.
        discount_bases = [s if line.discountable else zero for line, s in zip(lines, subtotals, strict=True)]
        discountable_subtotal = _round(_dsum(discount_bases), q)
        if order.discount_type == DISCOUNT_PERCENT:
            percent = min(max(order.discount_value, _ZERO), _HUNDRED)
            discount = _round(discountable_subtotal * percent / _HUNDRED, q)
        elif order.discount_type == DISCOUNT_FIXED:
            discount = _round(min(max(order.discount_value, _ZERO), discountable_subtotal), q)
        else:
            discount = zero
        discount_shares = allocate_largest_remainder(discount, discount_bases, q)
        after_discount = [s - d for s, d in zip(subtotals, discount_shares, strict=True)]

        # Step 6: service charge on the discounted amount of lines that do not ignore it.
        if order.apply_service_charge:
            sc_rate = order.service_charge_rate
            sc_bases = [
                a if not line.ignore_service_charge else zero
                for line, a in zip(lines, after_discount, strict=True)
            ]
            exact_base = _exact_after_discount(
                [not line.ignore_service_charge for line in lines], subtotals, discount_bases, discount
            )
            # never more than the lines' rounded bases (reachable only at a 100 % rate): no share above base
            service_charge = min(
                _round(_to_decimal(exact_base * Fraction(sc_rate) / 100), q), _dsum(sc_bases)
            )
        else:
            sc_rate = _ZERO
            sc_bases = [zero for _ in lines]
            service_charge = zero
        sc_shares = allocate_largest_remainder(service_charge, sc_bases, q)

        # Step 7: each tax totalled exactly over its lines (discounted amount, no service charge), rounded
        # once, then shared back over those lines.
        rules = _collect_taxes(lines)
        tax_totals: list[TaxTotal] = []
        line_tax_shares: list[dict[int, Decimal]] = [{} for _ in lines]
        for tax_id in sorted(rules):
            rule = rules[tax_id]
            has_tax = [any(r.tax_id == tax_id for r in line.taxes) for line in lines]
            bases = [a if flag else zero for a, flag in zip(after_discount, has_tax, strict=True)]
            base_sum = _exact_after_discount(has_tax, subtotals, discount_bases, discount)
            rate = Fraction(rule.rate)
            exact = base_sum * rate / (100 + rate) if rule.inclusive else base_sum * rate / 100
            amount = min(_round(_to_decimal(exact), q), _dsum(bases))
            tax_totals.append(
                TaxTotal(tax_id=tax_id, rate=rule.rate, inclusive=rule.inclusive, amount=amount)
            )
            for i, share in enumerate(allocate_largest_remainder(amount, bases, q)):
                if has_tax[i]:
                    line_tax_shares[i][tax_id] = share

        priced_lines: list[LinePricing] = []
        for i, line in enumerate(lines):
            line_taxes = tuple(
                LineTax(
                    tax_id=r.tax_id, rate=r.rate, inclusive=r.inclusive, amount=line_tax_shares[i][r.tax_id]
                )
                for r in line.taxes
            )
            i_tax = _round(_dsum([t.amount for t in line_taxes if t.inclusive]), q)
            e_tax = _round(_dsum([t.amount for t in line_taxes if not t.inclusive]), q)
            priced_lines.append(
                LinePricing(
                    product_id=line.product_id,
                    unit_price=line.unit_price,
                    modifiers_amount=modifier_amounts[i],
                    subtotal=subtotals[i],
                    discount=discount_shares[i],
                    service_charge=sc_shares[i],
                    i_tax=i_tax,
                    e_tax=e_tax,
                    tax=i_tax + e_tax,
                    total=subtotals[i] - discount_shares[i] + sc_shares[i] + e_tax,
                    taxes=line_taxes,
                )
            )

        # Step 8.
        i_tax_total = _round(_dsum([t.amount for t in tax_totals if t.inclusive]), q)
        e_tax_total = _round(_dsum([t.amount for t in tax_totals if not t.inclusive]), q)
        delivery_fee = _round(order.delivery_fee, q)
        total = subtotal - discount + service_charge + e_tax_total + delivery_fee
        return OrderPricing(
            subtotal=subtotal,
            discountable_subtotal=discountable_subtotal,
            discount=discount,
            service_charge_rate=sc_rate,
            service_charge=service_charge,
            delivery_fee=delivery_fee,
            i_tax=i_tax_total,
            e_tax=e_tax_total,
            taxes=tuple(tax_totals),
            total=total,
            lines=tuple(priced_lines),
        )
