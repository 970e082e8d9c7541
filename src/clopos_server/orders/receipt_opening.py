"""An accepted order becomes an open receipt, in the accept's transaction (spec/orders.md, the lifecycle).

Every figure is copied from the order's stored ``pricing`` (never priced again), read through its typed
record (``orders.stored_pricing``), so the receipt equals the order to the cent: lines with their discount
share (``receipt_discount``), service charge share and taxes, and the order's discount, service charge,
taxes, delivery fee and total. It lives in ``orders`` (the accept step) and writes through
``receipts.repository``: orders sit above receipts.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.auth.directory import BrandInfo
from clopos_server.orders.stored_pricing import ChargedModifier, StoredPricing, TaxShare, dec, mapping
from clopos_server.receipts import repository as repo
from clopos_server.timeutil import business_day

ADDRESS_LENGTH = 500
HUNDRED = Decimal(100)


def _discount_fields(meta: dict[str, Any], subtotal: Decimal, total_discount: Decimal) -> dict[str, Any]:
    """``discount_type``/``discount_value`` as the order's ``meta.discount`` says; ``discount_rate`` the
    percentage: the value of a percent discount, else the discount's share of the subtotal."""
    discount = mapping(meta.get("discount"))
    kind = discount.get("discount_type")
    discount_type = int(kind) if isinstance(kind, int) and not isinstance(kind, bool) else None
    value = dec(discount.get("discount_value"))
    if discount_type == 1:
        rate = value
    elif total_discount and subtotal:
        rate = (total_discount * HUNDRED / subtotal).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    else:
        rate = Decimal(0)
    return {"discount_type": discount_type, "discount_value": value, "discount_rate": rate}


def _service_charge_rate(pricing: StoredPricing, meta: dict[str, Any]) -> Decimal:
    if pricing.service_charge_rate is not None:
        return pricing.service_charge_rate
    if meta.get("apply_service_charge") and pricing.service_charge:  # orders priced before
        return dec(meta.get("service_charge_value"))
    return Decimal(0)


async def open_from_order(
    conn: AsyncConnection, brand: BrandInfo, order: Row[Any], now: datetime, *, user_id: int | None
) -> int:
    """Insert the open receipt of ``order`` and its lines; returns the receipt's id.

    ``user_id`` (the receipt's, and each line's ``seller_id``) is the staff user bound to the API client
    that sent the order; ``user_id`` given here is the fallback when the order has no client.
    """
    payload = mapping(order.payload)
    pricing = StoredPricing.read(order.pricing, total=dec(order.total))
    meta = mapping(payload.get("meta"))
    products = [p for p in payload.get("products") or [] if isinstance(p, dict)]

    seller = await repo.client_user(conn, brand.id, order.api_client_id) or user_id
    catalogue = await repo.products_by_id(conn, brand.id, [int(p["product_id"]) for p in products])
    modifier_ids = [
        int(m["modificator_id"])
        for p in products
        for m in p.get("product_modificators") or []
        if isinstance(m, dict) and "modificator_id" in m
    ]
    modifiers = await repo.modifiers_by_id(conn, brand.id, modifier_ids)
    tax_ids = [t.tax_id for line in pricing.lines for t in line.taxes]
    taxes = await repo.taxes_by_id(conn, brand.id, tax_ids)

    subtotal, total_discount, total = pricing.subtotal, pricing.discount, pricing.total
    i_tax, e_tax = pricing.i_tax, pricing.e_tax
    customer = mapping(payload.get("customer"))
    address = customer.get("address") if isinstance(customer.get("address"), str) else None
    if not address and order.customer_id:
        address = await repo.customer_address(conn, brand.id, order.customer_id)
    comment = meta.get("comment")
    order_number = payload.get("order_number")
    receipt_id = await repo.insert_receipt(
        conn,
        {
            "brand_id": brand.id,
            "venue_id": order.venue_id,
            "cid": str(uuid.uuid4()),
            "customer_id": order.customer_id,
            "sale_type_id": order.sale_type_id,
            "service_notification_id": order.id,
            "source": "web",
            "guests": 1,
            "status": 1,
            "order_status": "NEW",
            "order_number": order_number if isinstance(order_number, str) else None,
            "fiscal_id": None,
            "lock": False,
            "subtotal": subtotal,
            **_discount_fields(meta, subtotal, total_discount),
            "total_discount": total_discount,
            "service_charge": _service_charge_rate(pricing, meta),
            "service_charge_value": pricing.service_charge,
            "delivery_fee": pricing.delivery_fee,
            "i_tax": i_tax,
            "e_tax": e_tax,
            "total_tax": i_tax + e_tax,
            "total": total,
            "remaining": total,
            "payment_methods": [],
            "description": comment if isinstance(comment, str) and comment else None,
            "address": address[:ADDRESS_LENGTH] if address else None,
            "user_id": seller,
            "created_at": now,
            "updated_at": now,
            "closed_at": None,
            "shift_date": business_day(now, brand.timezone, brand.day_cutoff_hour),
        },
    )
    lines: list[dict[str, Any]] = []
    for position, (product, priced) in enumerate(zip(products, pricing.lines, strict=False)):
        product_id = int(product["product_id"])
        row = catalogue.get(product_id)
        order_product = mapping(mapping(product.get("meta")).get("order_product"))
        snapshot = mapping(order_product.get("product"))
        unit_price = priced.unit_price
        chosen = priced.modifiers
        if chosen is None:  # orders priced before the pricing kept modifier prices
            chosen = tuple(
                ChargedModifier.read(
                    {
                        "modificator_id": m.get("modificator_id"),
                        "price": modifiers[m["modificator_id"]].price
                        if m.get("modificator_id") in modifiers
                        else 0,
                        "count": m.get("count", 1),
                    }
                )
                for m in product.get("product_modificators") or []
                if isinstance(m, dict)
            )
        line_meta: dict[str, Any] = {
            "product": {
                "name": snapshot.get("name") or (row.name if row is not None else ""),
                "type": row.type if row is not None else None,
                "price": unit_price,
            }
        }
        if isinstance(product.get("note"), str):
            line_meta["note"] = product["note"]
        lines.append(
            {
                "brand_id": brand.id,
                "receipt_id": receipt_id,
                "cid": str(uuid.uuid4()),
                "product_id": product_id,
                "product_hash": order_product.get("product_hash")
                if isinstance(order_product.get("product_hash"), str)
                else None,
                "count": int(dec(product.get("count", 1))),
                "portion_size": dec(product.get("portion_size", 1)),
                "price": unit_price,
                "subtotal": priced.subtotal,
                "discount_type": None,
                "discount_value": Decimal(0),
                "discount_rate": Decimal(0),
                "total_discount": Decimal(0),
                "receipt_discount": priced.discount,
                "service_charge": priced.service_charge,
                "i_tax": priced.i_tax,
                "e_tax": priced.e_tax,
                "total": priced.total,
                "is_gift": False,
                "cost": Decimal(0),
                "meta": line_meta,
                "seller_id": seller or 0,
                "loyalty_type": None,
                "loyalty_value": None,
                "modificators": [_modifier(m, modifiers) for m in chosen],
                "taxes": [_tax(t, taxes) for t in priced.taxes],
                "position": position,
            }
        )
    await repo.insert_lines(conn, lines)
    return receipt_id


def _modifier(chosen: ChargedModifier, modifiers: dict[int, Row[Any]]) -> dict[str, Any]:
    row = modifiers.get(chosen.modificator_id)
    count = chosen.count
    return {
        "modificator_id": chosen.modificator_id,
        "name": row.name if row is not None else "",
        "price": chosen.price,
        "count": int(count) if count == count.to_integral_value() else count,
    }


def _tax(share: TaxShare, taxes: dict[int, Row[Any]]) -> dict[str, Any]:
    row = taxes.get(share.tax_id)
    return {
        "id": share.tax_id,
        "name": row.name if row is not None else "",
        "rate": share.rate,
        "type": "INCLUSIVE" if share.inclusive else "EXCLUSIVE",
        "amount": share.amount,
    }
