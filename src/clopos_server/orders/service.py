"""Order business rules: create (validated and priced by ``intake``), read, and the integrator's ignore."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.auth.context import AuthContext
from clopos_server.db.types import stored_money
from clopos_server.errors import ApiError, Problem, not_found
from clopos_server.events.outbox import Outbox
from clopos_server.kit.query import ListQuery
from clopos_server.orders import repository as repo
from clopos_server.orders.intake import ValidatedOrder, render_pricing, validate_order
from clopos_server.orders.lifecycle import accept, move
from clopos_server.orders.render import render_order
from clopos_server.services import Services
from clopos_server.timeutil import business_days_range, utcnow


async def validate(
    services: Services, conn: AsyncConnection, context: AuthContext, body: dict[str, Any]
) -> ValidatedOrder:
    brand = context.brand
    snapshot = await services.snapshots.get(conn, brand.id, brand.catalog_version)
    lookups = repo.DbLookups(conn, brand.id, likely_products=repo.product_ids_in(body))
    return await validate_order(body, snapshot=snapshot, brand=brand, lookups=lookups)


def draft_order(order: ValidatedOrder) -> dict[str, Any]:
    """``POST /orders/calculate``: the order as it would be stored, with status ``DRAFT``; nothing written."""
    now = utcnow().isoformat()
    return {
        "id": None,
        "venue_id": order.venue_id,
        "type": "CALL_CENTER_ORDER",
        "integration": "call_center_new",
        "integration_status": "DRAFT",
        "status": "DRAFT",
        "customer_id": order.customer_id,
        "receipt_id": None,
        "total": order.pricing.total,
        "pricing": render_pricing(order.pricing, order.pricing_input),
        "warnings": order.warnings,
        "payload": order.payload,
        "created_at": now,
        "updated_at": now,
    }


async def create(
    services: Services, conn: AsyncConnection, context: AuthContext, body: dict[str, Any], outbox: Outbox
) -> dict[str, Any]:
    order = await validate(services, conn, context, body)
    now = utcnow()
    row = await repo.insert_order(
        conn,
        {
            "brand_id": context.brand.id,
            "venue_id": order.venue_id,
            "customer_id": order.customer_id,
            "sale_type_id": order.sale_type.id,
            "api_client_id": context.api_client_id,
            "status": "PENDING",
            "payload": order.payload,
            "total": stored_money(order.pricing.total),
            "pricing": render_pricing(order.pricing, order.pricing_input),
            "warnings": order.warnings,
            "created_at": now,
            "updated_at": now,
        },
        by=context.credential_ref,
    )
    order_id = row.id
    rendered = render_order(row)
    outbox.add(context.brand.id, order.venue_id, "order.created", rendered)
    if order.auto_accept:  # accepted in the same transaction: RECEIVED, with its open receipt
        return await accept(
            conn, context.brand, order_id, outbox=outbox, by=context.credential_ref, creating=True
        )
    return rendered


async def read_one(
    conn: AsyncConnection, context: AuthContext, order_id: int, includes: dict[str, tuple[str, ...] | None]
) -> dict[str, Any]:
    brand_id = context.brand.id
    row = await repo.get_order(conn, brand_id, order_id)
    if row is None:
        raise not_found("Order not found")
    receipts = await repo.receipts_by_id(conn, brand_id, [row.receipt_id] if row.receipt_id else [])
    customers = await repo.customers_by_id(conn, brand_id, [row.customer_id] if row.customer_id else [])
    history = await repo.history_of(conn, brand_id, [row.id]) if "history" in includes else {}
    return render_order(
        row,
        includes=includes,
        receipt=receipts.get(row.receipt_id or 0),
        customer=customers.get(row.customer_id or 0),
        history=history.get(row.id, []),
    )


async def read_many(
    conn: AsyncConnection, context: AuthContext, query: ListQuery
) -> tuple[list[dict[str, Any]], int]:
    brand = context.brand
    venue_ids = [int(v) for v in query.filters.get("venue_id", ())] or [context.venue_id]
    statuses = [str(s) for s in query.filters.get("status", ())]
    if "status" in query.params:
        statuses = [str(query.params["status"])]
    start, end = business_days_range(query.date_from, query.date_to, brand.timezone, brand.day_cutoff_hour)
    rows, total = await repo.list_orders(
        conn,
        brand_id=brand.id,
        venue_ids=venue_ids,
        statuses=statuses,
        customer_ids=[int(v) for v in query.filters.get("customer_id", ())],
        sale_type_ids=[int(v) for v in query.filters.get("sale_type_id", ())],
        created_from=start,
        created_before=end,
        sort=query.sort,
        descending=query.descending,
        limit=query.limit,
        offset=query.offset,
    )
    includes = dict(query.includes)
    receipts = (
        await repo.receipts_by_id(conn, brand.id, [r.receipt_id for r in rows if r.receipt_id])
        if "receipt" in includes
        else {}
    )
    customers = (
        await repo.customers_by_id(conn, brand.id, [r.customer_id for r in rows if r.customer_id])
        if "customer" in includes
        else {}
    )
    history = (
        await repo.history_of(conn, brand.id, [r.id for r in rows]) if "history" in includes and rows else {}
    )
    data = [
        render_order(
            row,
            includes=includes,
            receipt=receipts.get(row.receipt_id or 0),
            customer=customers.get(row.customer_id or 0),
            history=history.get(row.id, []),
        )
        for row in rows
    ]
    return data, total


async def ignore_by_integrator(
    conn: AsyncConnection, context: AuthContext, order_id: int, body: dict[str, Any], outbox: Outbox
) -> dict[str, Any]:
    """``PUT /orders/{id}`` with ``{"status": "IGNORE"}``: the only change an integrator may make."""
    if body.get("status") != "IGNORE":
        raise ApiError(
            "validation_failed", "Status is not allowed", [Problem("Status is not allowed", "status")]
        )
    changed = await move(
        conn, context.brand.id, order_id, to_status="IGNORE", outbox=outbox, by=context.credential_ref
    )
    assert changed is not None  # strict: a refused transition raised
    return changed
