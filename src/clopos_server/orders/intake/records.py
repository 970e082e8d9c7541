"""What the intake hands back (``ValidatedOrder``), the fresh reads it asks its caller for
(``IntakeLookups``), and the records one validation run passes between its steps."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, Protocol

from clopos_server.catalog.snapshot import ModifierInfo, ProductInfo, SaleTypeInfo
from clopos_server.orders.pricing import (
    OrderInput,
    OrderPricing,
)


@dataclass(frozen=True)
class CustomerInfo:
    id: int
    name: str
    phone: str | None
    address: str | None


class IntakeLookups(Protocol):
    """The reads that must be fresh (never from the catalogue snapshot), provided by the caller."""

    async def customer(self, customer_id: int) -> CustomerInfo | None:
        """The brand's customer, or None when the id is not a customer of the brand."""
        ...

    async def stop_list(self, product_ids: Collection[int]) -> Mapping[int, tuple[int, str]]:
        """``product_id -> (limit, name)`` for those of the products that are on the stop list."""
        ...


@dataclass(frozen=True)
class ValidatedOrder:
    shape: Literal["nested", "flat"]
    venue_id: int
    sale_type: SaleTypeInfo
    customer_id: int | None  # None for a guest
    customer: CustomerInfo | None
    pricing: OrderPricing
    pricing_input: OrderInput
    payload: dict[str, Any]  # the normalised nested payload to store (without id, venue_id, timestamps)
    warnings: list[dict[str, Any]]
    auto_accept: bool
    stop_list_demand: Mapping[int, int]  # product_id -> total count across the order
    order_number: str | None
    comment: str | None


@dataclass(frozen=True)
class Chosen:
    modifier: ModifierInfo
    count: int
    path: str  # of the first mention, for problems with the merged count


@dataclass(frozen=True)
class Line:
    path: str
    product: ProductInfo
    count: int
    portion: int | Decimal
    modifiers: tuple[Chosen, ...]
    price_sent: int | Decimal | None
    status: str | None
    product_hash: str | None
    note: str | None


@dataclass(frozen=True)
class Charges:
    """What ``payload.meta`` and the payload's extras ask of the pricing."""

    discount_type: int
    discount_value: Decimal
    apply_service_charge: bool
    service_charge_value: Decimal | None
    delivery_fee: Decimal
