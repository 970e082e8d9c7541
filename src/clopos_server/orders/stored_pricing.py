"""The ``pricing`` an order stores, as a typed record: written once at create, read back at accept.

``render_pricing`` writes the object the answer shows and the ``orders.pricing`` column keeps;
``StoredPricing.read`` turns a stored object back into a record, so that the receipt opened at accept
(``orders.receipt_opening``) reads fields, not dictionary keys. Orders stored before the receipt's details
were kept lack some of them: the record's docstrings say what stands in for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from clopos_server.orders.pricing import OrderInput, OrderPricing


def dec(value: Any) -> Decimal:
    """A stored JSON number (int, float or Decimal) as an exact Decimal; floats through their repr."""
    if value is None or isinstance(value, bool):
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(str(value))


def mapping(value: Any) -> dict[str, Any]:
    """A stored JSON object, or an empty one for anything else."""
    return value if isinstance(value, dict) else {}


def _optional(value: Mapping[str, Any], key: str) -> Decimal | None:
    return dec(value[key]) if key in value else None


@dataclass(frozen=True)
class TaxShare:
    """One tax on a line or on the order: its rate, whether the price includes it, the amount."""

    tax_id: int
    rate: Decimal
    inclusive: bool
    amount: Decimal

    def to_json(self) -> dict[str, Any]:
        return {"tax_id": self.tax_id, "rate": self.rate, "inclusive": self.inclusive, "amount": self.amount}

    @classmethod
    def read(cls, value: Mapping[str, Any]) -> TaxShare:
        return cls(
            tax_id=int(value.get("tax_id") or 0),
            rate=dec(value.get("rate")),
            inclusive=bool(value.get("inclusive")),
            amount=dec(value.get("amount")),
        )


@dataclass(frozen=True)
class ChargedModifier:
    """A modifier of a line at the price it was charged; ``count`` per unit of the line."""

    modificator_id: int
    price: Decimal
    count: Decimal

    def to_json(self) -> dict[str, Any]:
        return {"modificator_id": self.modificator_id, "price": self.price, "count": self.count}

    @classmethod
    def read(cls, value: Mapping[str, Any]) -> ChargedModifier:
        return cls(
            modificator_id=int(value.get("modificator_id") or 0),
            price=dec(value.get("price")),
            count=dec(value.get("count", 1)),
        )


@dataclass(frozen=True)
class StoredLine:
    """A priced line as read back. Older orders lack ``i_tax`` (their ``tax`` stands in), ``e_tax`` (0),
    ``taxes`` (none) and ``modifiers`` (None: the order's payload and the catalogue's prices stand in)."""

    unit_price: Decimal
    subtotal: Decimal
    discount: Decimal
    service_charge: Decimal
    i_tax: Decimal
    e_tax: Decimal
    total: Decimal
    taxes: tuple[TaxShare, ...]
    modifiers: tuple[ChargedModifier, ...] | None

    @classmethod
    def read(cls, value: Mapping[str, Any]) -> StoredLine:
        chosen = value.get("modifiers")
        return cls(
            unit_price=dec(value.get("unit_price")),
            subtotal=dec(value.get("subtotal")),
            discount=dec(value.get("discount")),
            service_charge=dec(value.get("service_charge")),
            i_tax=dec(value.get("i_tax", value.get("tax"))),
            e_tax=dec(value.get("e_tax")),
            total=dec(value.get("total")),
            taxes=tuple(TaxShare.read(t) for t in value.get("taxes") or [] if isinstance(t, dict)),
            modifiers=tuple(ChargedModifier.read(m) for m in chosen if isinstance(m, dict))
            if isinstance(chosen, list)
            else None,
        )


@dataclass(frozen=True)
class StoredPricing:
    """An order's ``pricing`` as read back; ``service_charge_rate`` is None on orders priced before it
    was kept (``orders.receipt_opening`` then takes the rate the order's ``meta`` asked for)."""

    subtotal: Decimal
    discount: Decimal
    service_charge: Decimal
    delivery_fee: Decimal
    i_tax: Decimal
    e_tax: Decimal
    total: Decimal
    lines: tuple[StoredLine, ...]
    service_charge_rate: Decimal | None

    @classmethod
    def read(cls, value: Any, *, total: Decimal) -> StoredPricing:
        """The stored object (anything not an object reads as empty); ``total`` when it has none."""
        pricing = mapping(value)
        return cls(
            subtotal=dec(pricing.get("subtotal")),
            discount=dec(pricing.get("discount")),
            service_charge=dec(pricing.get("service_charge")),
            delivery_fee=dec(pricing.get("delivery_fee")),
            i_tax=dec(pricing.get("i_tax")),
            e_tax=dec(pricing.get("e_tax")),
            total=dec(pricing["total"]) if "total" in pricing else total,
            lines=tuple(
                StoredLine.read(line) for line in pricing.get("lines") or [] if isinstance(line, dict)
            ),
            service_charge_rate=_optional(pricing, "service_charge_rate"),
        )


def render_pricing(p: OrderPricing, order: OrderInput | None = None) -> dict[str, Any]:
    """The answer's ``pricing`` object; Decimals, which the JSON writer prints as exact numbers.

    With ``order`` (what is stored on an order) it also carries what the order's receipt is built from
    when the order is accepted, so that the receipt repeats the order's figures instead of pricing it
    again: ``service_charge_rate`` and ``taxes``, and per line ``i_tax``, ``e_tax``, ``taxes``,
    ``count``, ``portion_size`` and ``modifiers`` with the prices charged. Additive keys only; what
    ``StoredPricing.read`` reads back.
    """
    lines: list[dict[str, Any]] = []
    for i, line in enumerate(p.lines):
        rendered: dict[str, Any] = {
            "product_id": line.product_id,
            "unit_price": line.unit_price,
            "modifiers_amount": line.modifiers_amount,
            "subtotal": line.subtotal,
            "discount": line.discount,
            "service_charge": line.service_charge,
            "tax": line.tax,
            "total": line.total,
        }
        if order is not None and i < len(order.lines):
            source = order.lines[i]
            rendered["i_tax"] = line.i_tax
            rendered["e_tax"] = line.e_tax
            rendered["taxes"] = [
                TaxShare(t.tax_id, t.rate, t.inclusive, t.amount).to_json() for t in line.taxes
            ]
            rendered["count"] = source.count
            rendered["portion_size"] = source.portion_size
            rendered["modifiers"] = [
                ChargedModifier(m.modifier_id, m.price, m.count).to_json() for m in source.modifiers
            ]
        lines.append(rendered)
    rendered_pricing: dict[str, Any] = {
        "subtotal": p.subtotal,
        "discount": p.discount,
        "service_charge": p.service_charge,
        "delivery_fee": p.delivery_fee,
        "i_tax": p.i_tax,
        "e_tax": p.e_tax,
        "total": p.total,
        "lines": lines,
    }
    if order is not None:
        rendered_pricing["service_charge_rate"] = p.service_charge_rate
        rendered_pricing["taxes"] = [
            TaxShare(t.tax_id, t.rate, t.inclusive, t.amount).to_json() for t in p.taxes
        ]
    return rendered_pricing
