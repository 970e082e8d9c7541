"""Validating a create-order body in the nested form: one run reads every section, collects every
problem, prices the order with ``orders.pricing`` and raises one ``validation_failed`` listing them all.

The class is long because it is one pass over one document: each method reads one section of the body and
records problems on the shared reader; splitting it further would only pass the reader around more."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal

from clopos_server.auth.directory import BrandInfo, VenueInfo
from clopos_server.catalog.snapshot import CatalogSnapshot, ProductInfo, SaleTypeInfo
from clopos_server.db.types import MONEY_MAX
from clopos_server.kit.body import BodyReader
from clopos_server.kit.values import to_decimal
from clopos_server.orders.intake.bounds import (
    ADDRESS_LENGTH,
    COUNT_PLACES,
    HUNDRED,
    MAX_COUNT,
    MAX_LINES,
    MAX_MONEY,
    META_BYTES,
    META_DEPTH,
    MONEY_PLACES,
    NAME_LENGTH,
    ORDER_NUMBER_LENGTH,
    SELLABLE_TYPES,
    TEXT_LENGTH,
    absent,
    as_sent,
    field,
    plain,
)
from clopos_server.orders.intake.records import (
    Charges,
    Chosen,
    CustomerInfo,
    IntakeLookups,
    Line,
    ValidatedOrder,
)
from clopos_server.orders.intake.stored import stored_line
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


class Validation:
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
        customer_id = r.integer(field(body, "customer_id"), "customer_id", low=0, required=True)
        payload = r.mapping(field(body, "payload"), "payload", required=True)
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
                stored_line(line, priced.unit_price)
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
        inner = self.r.mapping(field(payload, "meta"), "payload.meta") or {}
        outer = self.r.mapping(field(body, "meta"), "meta") or {}
        for key in outer:
            self.r.origin[f"payload.meta.{key}"] = f"meta.{key}"
        return {**inner, **outer}

    def service(
        self, payload: Mapping[str, Any] | None
    ) -> tuple[VenueInfo | None, SaleTypeInfo | None, dict[str, Any]]:
        r = self.r
        service = r.mapping(field(payload, "service"), "payload.service", required=payload is not None)
        names_required = self.shape == "nested"  # the flat shape sends ids only; names come from here
        sale_type_id = r.integer(
            field(service, "sale_type_id"), "payload.service.sale_type_id", required=service is not None
        )
        venue_id = r.integer(
            field(service, "venue_id"), "payload.service.venue_id", required=service is not None
        )
        sale_type_name = r.string(
            field(service, "sale_type_name"),
            "payload.service.sale_type_name",
            limit=NAME_LENGTH,
            numbers=True,
            required=names_required and service is not None,
        )
        venue_name = r.string(
            field(service, "venue_name"),
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
        sent = r.mapping(field(payload, "customer"), "payload.customer")
        sent_id = r.integer(field(sent, "id"), "payload.customer.id", low=0)
        name = r.string(field(sent, "name"), "payload.customer.name", limit=NAME_LENGTH, numbers=True)
        phone = r.string(field(sent, "phone"), "payload.customer.phone", limit=NAME_LENGTH, numbers=True)
        address = r.string(
            field(sent, "address"), "payload.customer.address", limit=ADDRESS_LENGTH, numbers=True
        )
        discount_type = r.choice(
            field(sent, "customer_discount_type"), "payload.customer.customer_discount_type", (0, 1, 2)
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
    ) -> list[Line]:
        raw = self.r.array(field(payload, "products"), "payload.products", required=payload is not None)
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

    def line(self, raw: Any, path: str, venue_id: int | None, sale_type: SaleTypeInfo | None) -> Line | None:
        r = self.r
        item = r.mapping(raw, path, required=True)
        if item is None:
            return None
        product = self.product(field(item, "product_id"), f"{path}.product_id", venue_id)
        raw_count = field(item, "count")
        count = r.decimal(
            raw_count, f"{path}.count", high=MAX_COUNT, places=COUNT_PLACES, positive=True, required=True
        )
        raw_portion = field(item, "portion_size")
        portion = r.decimal(
            raw_portion, f"{path}.portion_size", high=MAX_COUNT, places=COUNT_PLACES, positive=True
        )
        note = r.string(field(item, "note"), f"{path}.note", limit=TEXT_LENGTH, numbers=True)
        meta = r.mapping(field(item, "meta"), f"{path}.meta")
        raw_price = field(meta, "price")
        price = r.decimal(raw_price, f"{path}.meta.price", high=MAX_MONEY, places=MONEY_PLACES)
        order_product = r.mapping(field(meta, "order_product"), f"{path}.meta.order_product")
        sent_product = r.mapping(field(order_product, "product"), f"{path}.meta.order_product.product")
        sent_product_id = r.integer(field(sent_product, "id"), f"{path}.meta.order_product.product.id")
        status = r.string(
            field(order_product, "status"),
            f"{path}.meta.order_product.status",
            limit=NAME_LENGTH,
            numbers=True,
        )
        sent_hash = r.string(
            field(order_product, "product_hash"),
            f"{path}.meta.order_product.product_hash",
            limit=NAME_LENGTH,
            numbers=True,
        )
        # The line's own list is the one priced; a body that only carries the copy inside order_product
        # (some clients) is read from there.
        copied = field(order_product, "product_modificators")
        if "product_modificators" in item or absent(copied):
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

        stored_portion: int | Decimal = 1 if portion is None else as_sent(raw_portion, portion)
        whole = plain(count)
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
                    as_sent(raw_price, price),
                )
        return Line(
            path=path,
            product=product,
            count=whole,
            portion=stored_portion,
            modifiers=modifiers,
            price_sent=None if price is None else as_sent(raw_price, price),
            status=status,
            product_hash=sent_hash,
            note=note,
        )

    def modifiers(self, raw: Any, path: str, product: ProductInfo | None) -> tuple[Chosen, ...]:
        """The line's modifiers, checked against the product; the same modifier twice counts once."""
        r = self.r
        items = r.array(raw, path)
        chosen: dict[int, Chosen] = {}
        for j, raw_item in enumerate(items or ()):
            here = f"{path}[{j}]"
            item = r.mapping(raw_item, here, required=True)
            if item is None:
                continue
            if "modificator_id" not in item and "modificator" in item:  # the rich form {modificator: {id}}
                rich = r.mapping(item["modificator"], f"{here}.modificator", required=True)
                mid = r.integer(field(rich, "id"), f"{here}.modificator.id", required=rich is not None)
                id_path = f"{here}.modificator.id"
            else:
                mid = r.integer(field(item, "modificator_id"), f"{here}.modificator_id", required=True)
                id_path = f"{here}.modificator_id"
            raw_count = field(item, "count")
            count = 1 if absent(raw_count) else r.integer(raw_count, f"{here}.count", high=int(MAX_COUNT))
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
                chosen[mid] = Chosen(modifier, first.count + count, first.path)
            else:
                chosen[mid] = Chosen(modifier, count, here)
        for pick in chosen.values():
            modifier = pick.modifier
            label = f"Modifier {modifier.id} ({modifier.name})"
            if pick.count < modifier.min_count:
                r.fail(f"{pick.path}.count", f"{label} needs a count of at least {modifier.min_count}")
            elif modifier.max_count and pick.count > modifier.max_count:
                r.fail(f"{pick.path}.count", f"{label} takes a count of at most {modifier.max_count}")
        return tuple(chosen.values())

    def groups(self, product: ProductInfo, chosen: tuple[Chosen, ...], path: str) -> None:
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

    async def stop_list(self, lines: list[Line]) -> dict[int, int]:
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

    def charges(self, meta: dict[str, Any], delivery_fee: Decimal) -> tuple[Charges | None, dict[str, Any]]:
        """Read the priced keys of ``payload.meta``; return them and the meta to store.

        ``payload.meta`` is free-form: keys the spec names are normalised, every other key is kept.
        """
        r = self.r
        stored = dict(meta)

        def keep(key: str, value: Any) -> None:
            """Store the normalised value; an invalid one (a problem already) stays out of the size check."""
            if value is not None:
                stored[key] = value
            elif not absent(field(meta, key)):
                del stored[key]

        keep(
            "comment",
            r.string(field(meta, "comment"), "payload.meta.comment", limit=TEXT_LENGTH, numbers=True),
        )
        discount_type, discount_value = self.discount(meta, stored)
        if discount_type is None:
            stored.pop("discount", None)
        apply = r.boolean(field(meta, "apply_service_charge"), "payload.meta.apply_service_charge")
        keep("apply_service_charge", apply)
        raw_charge = field(meta, "service_charge_value")
        charge = r.decimal(raw_charge, "payload.meta.service_charge_value", high=HUNDRED, places=MONEY_PLACES)
        keep("service_charge_value", None if charge is None else as_sent(raw_charge, charge))
        keep(
            "customer_discount_type",
            r.choice(field(meta, "customer_discount_type"), "payload.meta.customer_discount_type", (0, 1, 2)),
        )
        r.free_form(stored, "payload.meta", max_depth=META_DEPTH, max_bytes=META_BYTES)
        if discount_type is None:
            return None, stored
        return (
            Charges(
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
        if absent(field(meta, "discount")):
            return DISCOUNT_NONE, None
        discount = r.mapping(meta["discount"], "payload.meta.discount")
        if discount is None:
            return None, None
        raw_type = field(discount, "discount_type")
        raw_value = field(discount, "discount_value")
        kind = r.choice(raw_type, "payload.meta.discount.discount_type", (0, 1, 2))
        value = r.decimal(
            raw_value, "payload.meta.discount.discount_value", high=MAX_MONEY, places=MONEY_PLACES
        )
        if absent(raw_type):
            if value:
                r.bad("payload.meta.discount.discount_type", "is required with a discount_value")
                return None, None
            kind = DISCOUNT_NONE
        if kind is None or (value is None and not absent(raw_value)):
            return None, None
        if kind != DISCOUNT_NONE and value is None:
            r.bad("payload.meta.discount.discount_value", "is required")
            return None, None
        if kind == DISCOUNT_PERCENT and value is not None and value > HUNDRED:
            r.bad("payload.meta.discount.discount_value", "must be from 0 to 100 for a percentage discount")
            return None, None
        normalised = {**discount, "discount_type": kind}
        if value is not None:
            normalised["discount_value"] = as_sent(raw_value, value)
        stored["discount"] = normalised
        return kind, value

    def extras(self, payload: Mapping[str, Any] | None) -> tuple[dict[str, Any], Decimal]:
        """The optional top-level keys of ``payload``, normalised (only those sent), and the delivery fee."""
        r = self.r
        out: dict[str, Any] = {}
        for key in ("auto_order_accept", "auto_order_sent_to_station"):
            flag = r.boolean(field(payload, key), f"payload.{key}")
            if flag is not None:
                out[key] = flag
        terminal = r.integer(field(payload, "auto_accept_terminal"), "payload.auto_accept_terminal", low=0)
        if terminal is not None:
            out["auto_accept_terminal"] = terminal
        raw_fee = field(payload, "delivery_fee")
        fee = r.decimal(raw_fee, "payload.delivery_fee", high=MAX_MONEY, places=MONEY_PLACES)
        if fee is not None:
            out["delivery_fee"] = as_sent(raw_fee, fee)
        number = r.string(
            field(payload, "order_number"), "payload.order_number", limit=ORDER_NUMBER_LENGTH, numbers=True
        )
        if number is not None:
            out["order_number"] = number
        return out, fee or Decimal(0)

    # -------------------------------------------------------------------------- pricing

    def line_input(self, line: Line, venue_id: int, sale_type: SaleTypeInfo) -> LineInput:
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
    def service_charge_rate(charges: Charges, sale_type: SaleTypeInfo) -> Decimal:
        """The rate sent (an explicit 0 means none), else the sale type's."""
        if not charges.apply_service_charge:
            return Decimal(0)
        if charges.service_charge_value is not None:
            return charges.service_charge_value
        return sale_type.service_charge_rate or Decimal(0)

    def check_totals(self, charges: Charges, pricing: OrderPricing, meta: Mapping[str, Any]) -> None:
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
        raw_total = field(meta, "orderTotal")
        if absent(raw_total) or raw_total == "":
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
