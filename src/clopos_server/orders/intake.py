"""Turning a raw create-order body into a validated, normalised and priced order (orders.md).

Both body shapes go through one path: the flat (v2) body is first rewritten into the nested (v1) form,
remembering where each value came from, and then validated once, so that the two shapes can never drift
apart and every problem still names the field as the client sent it. All problems are collected and
raised together as one ``validation_failed``. Nothing here writes to the database: the fresh reads that
validation needs (customers, the stop list) come through :class:`IntakeLookups`.
"""

from __future__ import annotations

import base64
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, Protocol

from clopos_server.auth.directory import BrandInfo, VenueInfo
from clopos_server.catalog.snapshot import CatalogSnapshot, ModifierInfo, ProductInfo, SaleTypeInfo
from clopos_server.db.types import MONEY_MAX
from clopos_server.kit.body import MISSING, BodyReader, body_problem
from clopos_server.kit.values import to_decimal
from clopos_server.orders.pricing import (
    DISCOUNT_FIXED,
    DISCOUNT_NONE,
    DISCOUNT_PERCENT,
    LineInput,
    ModifierInput,
    OrderInput,
    OrderPricing,
    TaxRule,
    price_order,
)

__all__ = [
    "MAX_LINES",
    "CustomerInfo",
    "IntakeLookups",
    "ValidatedOrder",
    "product_hash",
    "render_pricing",
    "validate_order",
]

MAX_LINES = 500
MAX_COUNT = Decimal(10_000)
MAX_MONEY = Decimal(1_000_000_000)
HUNDRED = Decimal(100)
COUNT_PLACES = 3  # weights to the gram
MONEY_PLACES = 20  # generous: clients that compute prices in floats send 0.30000000000000004
NAME_LENGTH = 255
TEXT_LENGTH = 1000
ADDRESS_LENGTH = 500  # the receipt's address column
ORDER_NUMBER_LENGTH = 20
META_BYTES = 16 * 1024
META_DEPTH = 32
SELLABLE_TYPES = frozenset({"DISH", "GOODS", "MODIFICATION", "TIMER"})
DEFAULT_LINE_STATUS = "new"
FLAT_PASSTHROUGH = (
    "delivery_fee",
    "order_number",
    "auto_order_accept",
    "auto_order_sent_to_station",
    "auto_accept_terminal",
)


def _get(container: Mapping[str, Any] | None, key: str) -> Any:
    if container is None:
        return MISSING
    return container.get(key, MISSING)


def _absent(value: Any) -> bool:
    return value is MISSING or value is None


def _as_sent(raw: Any, parsed: Decimal) -> int | Decimal:
    """The client's number as it sent it (an int stays an int), else the parsed value."""
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else parsed


def _plain(value: Decimal) -> int | Decimal:
    return int(value) if value == value.to_integral_value() else value


# ------------------------------------------------------------------------------ the flat shape


def _carry(
    reader: BodyReader, src: Mapping[str, Any], key: str, dst: dict[str, Any], nested: str, sent: str
) -> None:
    """Copy ``src[key]`` (when present) to ``dst`` under the last segment of the nested path ``nested``,
    remembering that problems there belong to ``sent``."""
    reader.origin[nested] = sent
    if key in src:
        dst[nested.rsplit(".", 1)[1]] = src[key]


def _nest_modifier(reader: BodyReader, raw: Any, here: str, sent: str) -> Any:
    reader.origin[here] = sent
    if not isinstance(raw, dict):
        return raw
    modifier: dict[str, Any] = {}
    _carry(reader, raw, "modifier_id", modifier, f"{here}.modificator_id", f"{sent}.modifier_id")
    _carry(reader, raw, "count", modifier, f"{here}.count", f"{sent}.count")
    return modifier


def _nest_line(reader: BodyReader, raw: Any, here: str, sent: str) -> Any:
    reader.origin[here] = sent
    if not isinstance(raw, dict):
        return raw
    line: dict[str, Any] = {}
    for key in ("product_id", "count", "portion_size", "note"):
        _carry(reader, raw, key, line, f"{here}.{key}", f"{sent}.{key}")
    order_product: dict[str, Any] = {}
    meta: dict[str, Any] = {"order_product": order_product}
    _carry(reader, raw, "price", meta, f"{here}.meta.price", f"{sent}.price")
    for key in ("status", "product_hash"):
        _carry(reader, raw, key, order_product, f"{here}.meta.order_product.{key}", f"{sent}.{key}")
    line["meta"] = meta
    reader.origin[f"{here}.product_modificators"] = f"{sent}.modifiers"
    modifiers = raw.get("modifiers", MISSING)
    if isinstance(modifiers, list):
        line["product_modificators"] = [
            _nest_modifier(reader, item, f"{here}.product_modificators[{j}]", f"{sent}.modifiers[{j}]")
            for j, item in enumerate(modifiers)
        ]
    elif modifiers is not MISSING:
        line["product_modificators"] = modifiers
    return line


def _nest_flat(body: Mapping[str, Any], reader: BodyReader) -> dict[str, Any]:
    """Rewrite the flat (v2) body into the nested form (orders.md, "Two body shapes")."""
    origin = reader.origin
    service: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    payload: dict[str, Any] = {"service": service, "meta": meta}
    nested: dict[str, Any] = {"payload": payload}
    origin["payload.meta"] = "meta"
    for key in ("sale_type_id", "venue_id"):
        _carry(reader, body, key, service, f"payload.service.{key}", key)

    origin["payload.customer"] = "customer"
    origin["customer_id"] = "customer.id"
    customer = body.get("customer", MISSING)
    nested["customer_id"] = 0  # no customer id: a guest
    if isinstance(customer, dict):
        payload["customer"] = customer
        if customer.get("id") is not None:
            nested["customer_id"] = customer["id"]
        _carry(
            reader,
            customer,
            "customer_discount_type",
            meta,
            "payload.meta.customer_discount_type",
            "customer.customer_discount_type",
        )
    elif customer is not MISSING:
        payload["customer"] = customer

    for key in ("comment", "discount"):
        _carry(reader, body, key, meta, f"payload.meta.{key}", key)
    charge = body.get("service_charge", MISSING)
    if isinstance(charge, dict):
        _carry(reader, charge, "enabled", meta, "payload.meta.apply_service_charge", "service_charge.enabled")
        _carry(reader, charge, "value", meta, "payload.meta.service_charge_value", "service_charge.value")
    elif not _absent(charge):
        reader.bad("service_charge", "must be an object")

    for key in FLAT_PASSTHROUGH:
        _carry(reader, body, key, payload, f"payload.{key}", key)

    origin["payload.products"] = "products"
    products = body.get("products", MISSING)
    if isinstance(products, list) and len(products) <= MAX_LINES:
        payload["products"] = [
            _nest_line(reader, line, f"payload.products[{i}]", f"products[{i}]")
            for i, line in enumerate(products)
        ]
    elif products is not MISSING:
        payload["products"] = products
    return nested


# ------------------------------------------------------------------------------ results


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
class _Chosen:
    modifier: ModifierInfo
    count: int
    path: str  # of the first mention, for problems with the merged count


@dataclass(frozen=True)
class _Line:
    path: str
    product: ProductInfo
    count: int
    portion: int | Decimal
    modifiers: tuple[_Chosen, ...]
    price_sent: int | Decimal | None
    status: str | None
    product_hash: str | None
    note: str | None


@dataclass(frozen=True)
class _Charges:
    """What ``payload.meta`` and the payload's extras ask of the pricing."""

    discount_type: int
    discount_value: Decimal
    apply_service_charge: bool
    service_charge_value: Decimal | None
    delivery_fee: Decimal


def product_hash(product_id: int, modifiers: Collection[tuple[int, int]]) -> str:
    """The line's hash when the client sent none: base64 of ``"1,187x1,201x1"`` (product, then each
    modifier ``id x count`` sorted by id).

    Clopos' own hashes glue the numbers together (the docs' ``MTExODcsMTEyMDE=`` is ``"11187,11201"``),
    which is ambiguous (product 1 with modifier 187 reads like product 11 with modifier 87); ours is not.
    """
    parts = [str(product_id), *(f"{mid}x{count}" for mid, count in sorted(modifiers))]
    return base64.b64encode(",".join(parts).encode()).decode()


# ------------------------------------------------------------------------------ validation


class _Intake:
    """One validation run over a body in the nested form."""

    def __init__(
        self,
        reader: BodyReader,
        *,
        shape: Literal["nested", "flat"],
        snapshot: CatalogSnapshot,
        brand: BrandInfo,
        lookups: IntakeLookups,
    ) -> None:
        self.r = reader
        self.shape = shape
        self.snapshot = snapshot
        self.brand = brand
        self.lookups = lookups
        self.reject_prices = brand.price_check == "reject"
        self.warnings: list[dict[str, Any]] = []

    def warn(self, path: str, message: str, expected: Any, got: Any) -> None:
        self.warnings.append(
            {"field": self.r.sent(path), "message": message, "expected": expected, "got": got}
        )

    def price_difference(self, path: str, message: str, expected: Any, got: Any) -> None:
        """A client amount that differs from the server's: a warning, or a problem under ``reject``."""
        if self.reject_prices:
            self.r.fail(path, message)
        else:
            self.warn(path, message, expected, got)

    async def run(self, body: Mapping[str, Any]) -> ValidatedOrder:
        r = self.r
        customer_id = r.integer(_get(body, "customer_id"), "customer_id", low=0, required=True)
        payload = r.mapping(_get(body, "payload"), "payload", required=True)
        meta = self.merged_meta(body, payload)
        venue, sale_type, service = self.service(payload)
        venue_id = venue.id if venue is not None else None
        customer, stored_customer = await self.customer(customer_id, payload)
        lines = self.lines(payload, venue_id, sale_type)
        demand = await self.stop_list(lines)
        extras, delivery_fee = self.extras(payload)
        charges, stored_meta = self.charges(meta, delivery_fee)
        if r.problems or venue_id is None or sale_type is None or customer_id is None or charges is None:
            raise r.error()

        order_input = OrderInput(
            lines=tuple(self.line_input(line, venue_id, sale_type) for line in lines),
            discount_type=charges.discount_type,
            discount_value=charges.discount_value,
            apply_service_charge=charges.apply_service_charge,
            service_charge_rate=self.service_charge_rate(charges, sale_type),
            delivery_fee=charges.delivery_fee,
            minor_unit=self.brand.minor_unit,
        )
        pricing = price_order(order_input)
        self.check_totals(charges, pricing, meta)
        if r.problems:
            raise r.error()

        stored_meta["orderTotal"] = f"{pricing.total:.4f}"
        stored = {
            "service": service,
            "customer": stored_customer,
            "products": [
                self.stored_line(line, priced.unit_price)
                for line, priced in zip(lines, pricing.lines, strict=True)
            ],
            "meta": stored_meta,
            **extras,
            "customer_id": customer_id,
            "sale_type_id": sale_type.id,
        }
        comment = stored_meta.get("comment")
        return ValidatedOrder(
            shape=self.shape,
            venue_id=venue_id,
            sale_type=sale_type,
            customer_id=customer_id or None,
            customer=customer,
            pricing=pricing,
            pricing_input=order_input,
            payload=stored,
            warnings=self.warnings,
            auto_accept=bool(extras.get("auto_order_accept", False)),
            stop_list_demand=demand,
            order_number=extras.get("order_number"),
            comment=comment if isinstance(comment, str) else None,
        )

    # -------------------------------------------------------------------------- sections of the body

    def merged_meta(self, body: Mapping[str, Any], payload: Mapping[str, Any] | None) -> dict[str, Any]:
        """``payload.meta`` with a top-level ``meta`` merged over it key by key (the top level wins)."""
        inner = self.r.mapping(_get(payload, "meta"), "payload.meta") or {}
        outer = self.r.mapping(_get(body, "meta"), "meta") or {}
        for key in outer:
            self.r.origin[f"payload.meta.{key}"] = f"meta.{key}"
        return {**inner, **outer}

    def service(
        self, payload: Mapping[str, Any] | None
    ) -> tuple[VenueInfo | None, SaleTypeInfo | None, dict[str, Any]]:
        r = self.r
        service = r.mapping(_get(payload, "service"), "payload.service", required=payload is not None)
        names_required = self.shape == "nested"  # the flat shape sends ids only; names come from here
        sale_type_id = r.integer(
            _get(service, "sale_type_id"), "payload.service.sale_type_id", required=service is not None
        )
        venue_id = r.integer(
            _get(service, "venue_id"), "payload.service.venue_id", required=service is not None
        )
        sale_type_name = r.string(
            _get(service, "sale_type_name"),
            "payload.service.sale_type_name",
            limit=NAME_LENGTH,
            numbers=True,
            required=names_required and service is not None,
        )
        venue_name = r.string(
            _get(service, "venue_name"),
            "payload.service.venue_name",
            limit=NAME_LENGTH,
            numbers=True,
            required=names_required and service is not None,
        )

        venue = self.brand.venues.get(venue_id) if venue_id is not None else None
        if venue_id is not None:
            if venue is None:
                r.fail("payload.service.venue_id", f"Venue {venue_id} is not a venue of this brand")
            elif venue.status != 1:
                r.fail("payload.service.venue_id", f"Venue {venue_id} ({venue.name}) is not active")
                venue = None
            elif venue_name is not None and venue_name != venue.name:
                self.warn(
                    "payload.service.venue_name",
                    f"Venue {venue_id} is named {venue.name!r} in the catalogue, not {venue_name!r}",
                    venue.name,
                    venue_name,
                )

        sale_type = self.snapshot.sale_types.get(sale_type_id) if sale_type_id is not None else None
        if sale_type_id is not None:
            if sale_type is None:
                r.fail("payload.service.sale_type_id", f"Sale type {sale_type_id} is not in the catalogue")
            else:
                if sale_type_name is not None and sale_type_name != sale_type.name:
                    self.warn(
                        "payload.service.sale_type_name",
                        f"Sale type {sale_type_id} is named {sale_type.name!r} in the catalogue, "
                        f"not {sale_type_name!r}",
                        sale_type.name,
                        sale_type_name,
                    )
                if venue is not None and not sale_type.enabled_at(venue.id):
                    r.fail(
                        "payload.service.sale_type_id",
                        f"Sale type {sale_type_id} is not enabled at venue {venue.id}",
                    )
                    sale_type = None
        stored: dict[str, Any] = {}
        if venue is not None and sale_type is not None:
            stored = {
                "sale_type_id": sale_type.id,
                "sale_type_name": sale_type.name,
                "venue_id": venue.id,
                "venue_name": venue.name,
            }
        return venue, sale_type, stored

    async def customer(
        self, customer_id: int | None, payload: Mapping[str, Any] | None
    ) -> tuple[CustomerInfo | None, dict[str, Any]]:
        r = self.r
        sent = r.mapping(_get(payload, "customer"), "payload.customer")
        sent_id = r.integer(_get(sent, "id"), "payload.customer.id", low=0)
        name = r.string(_get(sent, "name"), "payload.customer.name", limit=NAME_LENGTH, numbers=True)
        phone = r.string(_get(sent, "phone"), "payload.customer.phone", limit=NAME_LENGTH, numbers=True)
        address = r.string(
            _get(sent, "address"), "payload.customer.address", limit=ADDRESS_LENGTH, numbers=True
        )
        discount_type = r.choice(
            _get(sent, "customer_discount_type"), "payload.customer.customer_discount_type", (0, 1, 2)
        )
        info: CustomerInfo | None = None
        if customer_id is not None:
            if sent_id is not None and sent_id != customer_id:
                r.fail(
                    "payload.customer.id",
                    f"{r.sent('payload.customer.id')} {sent_id} does not match customer_id {customer_id}",
                )
            if customer_id == 0:
                if not (name or "").strip() and not (phone or "").strip():
                    r.fail("payload.customer", "A guest order needs a customer name or phone")
            else:
                info = await self.lookups.customer(customer_id)
                if info is None:
                    r.fail("customer_id", f"Customer {customer_id} is not a customer of this brand")
        stored = {
            "id": customer_id,
            "name": name if name is not None else (info.name if info is not None else ""),
            "customer_discount_type": discount_type,
            "phone": phone if phone is not None else (info.phone if info is not None else None),
            "address": address if address is not None else (info.address if info is not None else None),
        }
        return info, stored

    def lines(
        self, payload: Mapping[str, Any] | None, venue_id: int | None, sale_type: SaleTypeInfo | None
    ) -> list[_Line]:
        raw = self.r.array(_get(payload, "products"), "payload.products", required=payload is not None)
        if raw is None:
            return []
        if not raw:
            self.r.bad("payload.products", "must hold at least one line")
            return []
        if len(raw) > MAX_LINES:
            self.r.bad("payload.products", f"must hold at most {MAX_LINES} lines, got {len(raw)}")
            return []
        lines = [self.line(item, f"payload.products[{i}]", venue_id, sale_type) for i, item in enumerate(raw)]
        return [line for line in lines if line is not None]

    def product(self, value: Any, path: str, venue_id: int | None) -> ProductInfo | None:
        pid = self.r.integer(value, path, required=True)
        if pid is None:
            return None
        product = self.snapshot.products.get(pid)
        if product is None:
            self.r.fail(path, f"Product {pid} is not in the catalogue")
            return None
        label = f"Product {pid} ({product.name})"
        if product.status != 1:
            self.r.fail(path, f"{label} is not active")
        elif product.type not in SELLABLE_TYPES:
            self.r.fail(path, f"{label} is of type {product.type}, which is never sold in an order")
        elif product.has_variants:
            self.r.fail(path, f"{label} has variants: order one of its variants instead")
        elif venue_id is not None and not product.available_at(venue_id):
            self.r.fail(path, f"{label} is not sold at venue {venue_id}")
        else:
            return product
        return None

    def line(self, raw: Any, path: str, venue_id: int | None, sale_type: SaleTypeInfo | None) -> _Line | None:
        r = self.r
        item = r.mapping(raw, path, required=True)
        if item is None:
            return None
        product = self.product(_get(item, "product_id"), f"{path}.product_id", venue_id)
        raw_count = _get(item, "count")
        count = r.decimal(
            raw_count, f"{path}.count", high=MAX_COUNT, places=COUNT_PLACES, positive=True, required=True
        )
        raw_portion = _get(item, "portion_size")
        portion = r.decimal(
            raw_portion, f"{path}.portion_size", high=MAX_COUNT, places=COUNT_PLACES, positive=True
        )
        note = r.string(_get(item, "note"), f"{path}.note", limit=TEXT_LENGTH, numbers=True)
        meta = r.mapping(_get(item, "meta"), f"{path}.meta")
        raw_price = _get(meta, "price")
        price = r.decimal(raw_price, f"{path}.meta.price", high=MAX_MONEY, places=MONEY_PLACES)
        order_product = r.mapping(_get(meta, "order_product"), f"{path}.meta.order_product")
        sent_product = r.mapping(_get(order_product, "product"), f"{path}.meta.order_product.product")
        sent_product_id = r.integer(_get(sent_product, "id"), f"{path}.meta.order_product.product.id")
        status = r.string(
            _get(order_product, "status"),
            f"{path}.meta.order_product.status",
            limit=NAME_LENGTH,
            numbers=True,
        )
        sent_hash = r.string(
            _get(order_product, "product_hash"),
            f"{path}.meta.order_product.product_hash",
            limit=NAME_LENGTH,
            numbers=True,
        )
        # The line's own list is the one priced; a body that only carries the copy inside order_product
        # (some clients) is read from there.
        copied = _get(order_product, "product_modificators")
        if "product_modificators" in item or _absent(copied):
            modifiers_path, raw_modifiers = f"{path}.product_modificators", item.get("product_modificators")
        else:
            modifiers_path, raw_modifiers = f"{path}.meta.order_product.product_modificators", copied
        modifiers = self.modifiers(raw_modifiers, modifiers_path, product)
        if product is not None:
            self.groups(product, modifiers, modifiers_path)
            if sent_product_id is not None and sent_product_id != product.id:
                r.fail(
                    f"{path}.meta.order_product.product.id",
                    f"{r.sent(f'{path}.meta.order_product.product.id')} {sent_product_id} does not match "
                    f"product_id {product.id}",
                )
        if product is None or count is None:
            return None

        stored_portion: int | Decimal = 1 if portion is None else _as_sent(raw_portion, portion)
        whole = _plain(count)
        if not isinstance(whole, int):
            if not product.sold_by_weight:
                r.fail(
                    f"{path}.count",
                    f"{r.sent(f'{path}.count')} must be a whole number: product {product.id} "
                    f"({product.name}) is not sold by weight",
                )
                return None
            # A weighed line is stored as one unit of that weight, so that every count is an integer.
            stored_portion, whole = count * (portion or 1), 1
        if price is not None and sale_type is not None and venue_id is not None:
            unit = self.snapshot.unit_price(product, venue_id, sale_type.id)
            if price != unit:
                self.price_difference(
                    f"{path}.meta.price",
                    f"{r.sent(f'{path}.meta.price')} is {price}, but the server's unit price of product "
                    f"{product.id} is {unit}",
                    unit,
                    _as_sent(raw_price, price),
                )
        return _Line(
            path=path,
            product=product,
            count=whole,
            portion=stored_portion,
            modifiers=modifiers,
            price_sent=None if price is None else _as_sent(raw_price, price),
            status=status,
            product_hash=sent_hash,
            note=note,
        )

    def modifiers(self, raw: Any, path: str, product: ProductInfo | None) -> tuple[_Chosen, ...]:
        """The line's modifiers, checked against the product; the same modifier twice counts once."""
        r = self.r
        items = r.array(raw, path)
        chosen: dict[int, _Chosen] = {}
        for j, raw_item in enumerate(items or ()):
            here = f"{path}[{j}]"
            item = r.mapping(raw_item, here, required=True)
            if item is None:
                continue
            if "modificator_id" not in item and "modificator" in item:  # the rich form {modificator: {id}}
                rich = r.mapping(item["modificator"], f"{here}.modificator", required=True)
                mid = r.integer(_get(rich, "id"), f"{here}.modificator.id", required=rich is not None)
                id_path = f"{here}.modificator.id"
            else:
                mid = r.integer(_get(item, "modificator_id"), f"{here}.modificator_id", required=True)
                id_path = f"{here}.modificator_id"
            raw_count = _get(item, "count")
            count = 1 if _absent(raw_count) else r.integer(raw_count, f"{here}.count", high=int(MAX_COUNT))
            if mid is None or count is None or product is None:
                continue
            modifier = self.snapshot.modifiers.get(mid)
            group = self.snapshot.groups.get(modifier.group_id) if modifier is not None else None
            if modifier is None:
                r.fail(id_path, f"Modifier {mid} is not in the catalogue")
            elif not modifier.status:
                r.fail(id_path, f"Modifier {mid} ({modifier.name}) is not active")
            elif modifier.group_id not in product.group_ids or group is None:
                r.fail(id_path, f"Modifier {mid} does not belong to a modifier group of product {product.id}")
            elif not group.status:
                r.fail(id_path, f"Modifier group {group.id} ({group.name}) of modifier {mid} is not active")
            elif mid in chosen:
                first = chosen[mid]
                chosen[mid] = _Chosen(modifier, first.count + count, first.path)
            else:
                chosen[mid] = _Chosen(modifier, count, here)
        for pick in chosen.values():
            modifier = pick.modifier
            label = f"Modifier {modifier.id} ({modifier.name})"
            if pick.count < modifier.min_count:
                r.fail(f"{pick.path}.count", f"{label} needs a count of at least {modifier.min_count}")
            elif modifier.max_count and pick.count > modifier.max_count:
                r.fail(f"{pick.path}.count", f"{label} takes a count of at most {modifier.max_count}")
        return tuple(chosen.values())

    def groups(self, product: ProductInfo, chosen: tuple[_Chosen, ...], path: str) -> None:
        """Per attached group: ``min_select..max_select`` choices; a single-choice group takes one."""
        for gid in product.group_ids:
            group = self.snapshot.groups.get(gid)
            if group is None or not group.status:
                continue
            label = f"Modifier group {gid} ({group.name})"
            picked = sum(1 for pick in chosen if pick.modifier.group_id == gid)
            upper = group.max_select
            if group.type == 1:
                upper = 1 if upper == 0 else min(upper, 1)
            if picked < group.min_select:
                if picked == 0:
                    self.r.fail(path, f"{label} of product {product.id} needs a choice")
                else:
                    self.r.fail(path, f"{label} needs at least {group.min_select} choices, got {picked}")
            elif upper and picked > upper:
                kind = "is single choice and takes" if group.type == 1 else "takes"
                self.r.fail(path, f"{label} {kind} at most {upper}, got {picked}")

    async def stop_list(self, lines: list[_Line]) -> dict[int, int]:
        """Total count per product across the order, checked against the stop list's limits."""
        demand: dict[int, int] = {}
        first_path: dict[int, str] = {}
        for line in lines:
            demand[line.product.id] = demand.get(line.product.id, 0) + line.count
            first_path.setdefault(line.product.id, f"{line.path}.product_id")
        limits = await self.lookups.stop_list(list(demand)) if demand else {}
        for pid, wanted in demand.items():
            if pid not in limits:
                continue
            limit, name = limits[pid]
            if limit <= 0:
                self.r.fail(first_path[pid], f"{name} is sold out")
            elif wanted > limit:
                self.r.fail(first_path[pid], f"{name}: {wanted} ordered, but only {limit} left")
        return demand

    def charges(self, meta: dict[str, Any], delivery_fee: Decimal) -> tuple[_Charges | None, dict[str, Any]]:
        """Read the priced keys of ``payload.meta``; return them and the meta to store.

        ``payload.meta`` is free-form: keys the spec names are normalised, every other key is kept.
        """
        r = self.r
        stored = dict(meta)

        def keep(key: str, value: Any) -> None:
            """Store the normalised value; an invalid one (a problem already) stays out of the size check."""
            if value is not None:
                stored[key] = value
            elif not _absent(_get(meta, key)):
                del stored[key]

        keep(
            "comment",
            r.string(_get(meta, "comment"), "payload.meta.comment", limit=TEXT_LENGTH, numbers=True),
        )
        discount_type, discount_value = self.discount(meta, stored)
        if discount_type is None:
            stored.pop("discount", None)
        apply = r.boolean(_get(meta, "apply_service_charge"), "payload.meta.apply_service_charge")
        keep("apply_service_charge", apply)
        raw_charge = _get(meta, "service_charge_value")
        charge = r.decimal(raw_charge, "payload.meta.service_charge_value", high=HUNDRED, places=MONEY_PLACES)
        keep("service_charge_value", None if charge is None else _as_sent(raw_charge, charge))
        keep(
            "customer_discount_type",
            r.choice(_get(meta, "customer_discount_type"), "payload.meta.customer_discount_type", (0, 1, 2)),
        )
        r.free_form(stored, "payload.meta", max_depth=META_DEPTH, max_bytes=META_BYTES)
        if discount_type is None:
            return None, stored
        return (
            _Charges(
                discount_type=discount_type,
                discount_value=discount_value or Decimal(0),
                apply_service_charge=bool(apply),
                service_charge_value=charge,
                delivery_fee=delivery_fee,
            ),
            stored,
        )

    def discount(self, meta: Mapping[str, Any], stored: dict[str, Any]) -> tuple[int | None, Decimal | None]:
        """``meta.discount``: type 0 none, 1 percent (0..100), 2 amount (checked once the order is priced)."""
        r = self.r
        if _absent(_get(meta, "discount")):
            return DISCOUNT_NONE, None
        discount = r.mapping(meta["discount"], "payload.meta.discount")
        if discount is None:
            return None, None
        raw_type = _get(discount, "discount_type")
        raw_value = _get(discount, "discount_value")
        kind = r.choice(raw_type, "payload.meta.discount.discount_type", (0, 1, 2))
        value = r.decimal(
            raw_value, "payload.meta.discount.discount_value", high=MAX_MONEY, places=MONEY_PLACES
        )
        if _absent(raw_type):
            if value:
                r.bad("payload.meta.discount.discount_type", "is required with a discount_value")
                return None, None
            kind = DISCOUNT_NONE
        if kind is None or (value is None and not _absent(raw_value)):
            return None, None
        if kind != DISCOUNT_NONE and value is None:
            r.bad("payload.meta.discount.discount_value", "is required")
            return None, None
        if kind == DISCOUNT_PERCENT and value is not None and value > HUNDRED:
            r.bad("payload.meta.discount.discount_value", "must be from 0 to 100 for a percentage discount")
            return None, None
        normalised = {**discount, "discount_type": kind}
        if value is not None:
            normalised["discount_value"] = _as_sent(raw_value, value)
        stored["discount"] = normalised
        return kind, value

    def extras(self, payload: Mapping[str, Any] | None) -> tuple[dict[str, Any], Decimal]:
        """The optional top-level keys of ``payload``, normalised (only those sent), and the delivery fee."""
        r = self.r
        out: dict[str, Any] = {}
        for key in ("auto_order_accept", "auto_order_sent_to_station"):
            flag = r.boolean(_get(payload, key), f"payload.{key}")
            if flag is not None:
                out[key] = flag
        terminal = r.integer(_get(payload, "auto_accept_terminal"), "payload.auto_accept_terminal", low=0)
        if terminal is not None:
            out["auto_accept_terminal"] = terminal
        raw_fee = _get(payload, "delivery_fee")
        fee = r.decimal(raw_fee, "payload.delivery_fee", high=MAX_MONEY, places=MONEY_PLACES)
        if fee is not None:
            out["delivery_fee"] = _as_sent(raw_fee, fee)
        number = r.string(
            _get(payload, "order_number"), "payload.order_number", limit=ORDER_NUMBER_LENGTH, numbers=True
        )
        if number is not None:
            out["order_number"] = number
        return out, fee or Decimal(0)

    # -------------------------------------------------------------------------- pricing

    def line_input(self, line: _Line, venue_id: int, sale_type: SaleTypeInfo) -> LineInput:
        product = line.product
        taxes = tuple(
            TaxRule(tax.id, tax.rate, tax.inclusive)
            for tax in (self.snapshot.taxes.get(tid) for tid in product.tax_ids)
            if tax is not None
        )
        modifiers = tuple(
            ModifierInput(
                pick.modifier.id,
                pick.modifier.price,
                Decimal(pick.count),
                self.snapshot.groups[pick.modifier.group_id].adjust_to_portion,
            )
            for pick in line.modifiers
        )
        return LineInput(
            product_id=product.id,
            unit_price=self.snapshot.unit_price(product, venue_id, sale_type.id),
            count=Decimal(line.count),
            portion_size=Decimal(line.portion),
            modifiers=modifiers,
            discountable=product.discountable,
            ignore_service_charge=product.ignore_service_charge,
            taxes=taxes,
            is_timer=product.type == "TIMER",
        )

    @staticmethod
    def service_charge_rate(charges: _Charges, sale_type: SaleTypeInfo) -> Decimal:
        """The rate sent (an explicit 0 means none), else the sale type's."""
        if not charges.apply_service_charge:
            return Decimal(0)
        if charges.service_charge_value is not None:
            return charges.service_charge_value
        return sale_type.service_charge_rate or Decimal(0)

    def check_totals(self, charges: _Charges, pricing: OrderPricing, meta: Mapping[str, Any]) -> None:
        """Checks on the priced order: amounts that fit a column, a fixed discount's ceiling, the total."""
        r = self.r
        if max(pricing.subtotal, pricing.total) > MONEY_MAX:
            r.fail(
                "payload.products", f"The order adds up to more than {MONEY_MAX}, the most an amount can be"
            )
        if charges.discount_type == DISCOUNT_FIXED and charges.discount_value > pricing.discountable_subtotal:
            r.fail(
                "payload.meta.discount.discount_value",
                f"The discount {charges.discount_value} is above the discountable subtotal "
                f"{pricing.discountable_subtotal}",
            )
        raw_total = _get(meta, "orderTotal")
        if _absent(raw_total) or raw_total == "":
            return
        sent_total = to_decimal(raw_total)
        expected = f"{pricing.total:.4f}"
        if sent_total is None:
            r.bad("payload.meta.orderTotal", "must be a number or a numeric string")
        elif sent_total != pricing.total:
            self.price_difference(
                "payload.meta.orderTotal",
                f"{r.sent('payload.meta.orderTotal')} is {raw_total}, but the server's total is {expected}",
                expected,
                raw_total,
            )

    def stored_line(self, line: _Line, unit_price: Decimal) -> dict[str, Any]:
        product = line.product
        modifiers = [{"modificator_id": pick.modifier.id, "count": pick.count} for pick in line.modifiers]
        stored: dict[str, Any] = {"product_id": product.id, "count": line.count, "portion_size": line.portion}
        if line.note is not None:
            stored["note"] = line.note
        stored["product_modificators"] = modifiers
        stored["meta"] = {
            "price": line.price_sent if line.price_sent is not None else unit_price,
            "order_product": {
                "product": {
                    "id": product.id,
                    "name": product.name,
                    "price": unit_price,
                    "category_id": product.category_id,
                    "station_id": product.station_id,
                },
                "count": line.count,
                "status": line.status if line.status is not None else DEFAULT_LINE_STATUS,
                "product_modificators": [dict(m) for m in modifiers],
                "product_hash": line.product_hash
                if line.product_hash is not None
                else product_hash(product.id, [(p.modifier.id, p.count) for p in line.modifiers]),
            },
        }
        return stored


async def validate_order(
    body: dict[str, Any], *, snapshot: CatalogSnapshot, brand: BrandInfo, lookups: IntakeLookups
) -> ValidatedOrder:
    """Validate, normalise and price a create-order body of either shape, or raise one 400 listing
    every problem. The shapes are told apart by the presence of ``payload``."""
    if not isinstance(body, dict):
        raise body_problem("The request body must be a JSON object")
    reader = BodyReader()
    shape: Literal["nested", "flat"] = "nested" if "payload" in body else "flat"
    nested = body if shape == "nested" else _nest_flat(body, reader)
    intake = _Intake(reader, shape=shape, snapshot=snapshot, brand=brand, lookups=lookups)
    return await intake.run(nested)


def render_pricing(p: OrderPricing, order: OrderInput | None = None) -> dict[str, Any]:
    """The answer's ``pricing`` object; Decimals, which the JSON writer prints as exact numbers.

    With ``order`` (what is stored on an order) it also carries what the order's receipt is built from
    when the order is accepted, so that the receipt repeats the order's figures instead of pricing it
    again: ``service_charge_rate`` and ``taxes``, and per line ``i_tax``, ``e_tax``, ``taxes``,
    ``count``, ``portion_size`` and ``modifiers`` with the prices charged. Additive keys only.
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
            rendered["taxes"] = [_tax_share(t.tax_id, t.rate, t.inclusive, t.amount) for t in line.taxes]
            rendered["count"] = source.count
            rendered["portion_size"] = source.portion_size
            rendered["modifiers"] = [
                {"modificator_id": m.modifier_id, "price": m.price, "count": m.count}
                for m in source.modifiers
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
        rendered_pricing["taxes"] = [_tax_share(t.tax_id, t.rate, t.inclusive, t.amount) for t in p.taxes]
    return rendered_pricing


def _tax_share(tax_id: int, rate: Decimal, inclusive: bool, amount: Decimal) -> dict[str, Any]:
    return {"tax_id": tax_id, "rate": rate, "inclusive": inclusive, "amount": amount}
