"""Order business rules: create (validated and priced by ``intake``), read, and the integrator's ignore."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response

from clopos_server.auth.context import AuthContext
from clopos_server.auth.directory import BrandInfo
from clopos_server.catalog.snapshot import CatalogSnapshot
from clopos_server.db.types import stored_money
from clopos_server.errors import ApiError, Problem
from clopos_server.events.outbox import Outbox
from clopos_server.idempotency import service as idempotency
from clopos_server.orders import repository as repo
from clopos_server.orders.intake import ValidatedOrder, render_pricing, validate_order
from clopos_server.orders.lifecycle import accept, move
from clopos_server.orders.render import render_order
from clopos_server.services import Services
from clopos_server.timeutil import utcnow


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


def _order_values(context: AuthContext, order: ValidatedOrder) -> dict[str, Any]:
    """The new order's columns, as intake validated and priced it."""
    now = utcnow()
    return {
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
    }


async def create(
    services: Services, conn: AsyncConnection, context: AuthContext, body: dict[str, Any], outbox: Outbox
) -> dict[str, Any]:
    """Create on SQLAlchemy's connection, in ``run_idempotent``'s transaction: the creates that
    ``create_on_driver`` and ``create_on_sqlite`` hand back (auto-accept needs the lifecycle's statements;
    an expired key is deleted there)."""
    order = await validate(services, conn, context, body)
    row = await repo.insert_order(conn, _order_values(context, order), by=context.credential_ref)
    order_id = row.id
    rendered = render_order(row)
    outbox.add(context.brand.id, order.venue_id, "order.created", rendered)
    if order.auto_accept:  # accepted in the same transaction: RECEIVED, with its open receipt
        return await accept(
            conn, context.brand, order_id, outbox=outbox, by=context.credential_ref, creating=True
        )
    return rendered


Answer = Callable[[dict[str, Any]], Response]
# The answer is rendered before the order's id is known, with this in the id's two places ("id" and
# "payload.id"); the id is then set in by text, in Python and, for the key's stored answer, in the
# statement that writes the order. orders.id is an INTEGER: no order has this id. A body that holds the
# same digits elsewhere is told by the count and takes the SQLAlchemy path.
_ID_PLACEHOLDER = -7340032517306551
_PLACEHOLDER = str(_ID_PLACEHOLDER).encode()
_PLACES = 2


async def create_on_driver(
    services: Services,
    request: Request,
    context: AuthContext,
    body: dict[str, Any],
    outbox: Outbox,
    answer: Answer,
) -> Response | None:
    """Create on the driver's pool (PostgreSQL): two round trips, with or without an Idempotency-Key, no
    BEGIN or COMMIT (docs/decisions/0006). The first reads the customer, the stop list of the products
    the body names and the key (a replay ends here); the second writes the order, its history row, its
    order.created event and the key with its answer, so that they commit together or not at all.

    The rules are those of ``idempotency.run_idempotent``: a key already used owes its answer; a twin
    that took the key while this request validated wins (its answer is then this request's), since the
    key is claimed in the statement that writes the order; a stored rejection is stored.

    None: this create takes the SQLAlchemy path instead (``create`` in ``run_idempotent``): an
    auto-accept (the lifecycle's statements), an expired key (deleted there), an id placeholder clash.
    """
    assert services.db.driver is not None
    claim = idempotency.key_claim(request, context, body)
    brand = context.brand
    snapshot = await _snapshot(services, brand)
    async with services.db.driver.connection() as conn:
        key_row, order, rejection = await _read_and_validate(
            conn, repo.ON_ASYNCPG, context, body, claim, snapshot
        )
        if key_row is not None and claim is not None:  # a key used before: its answer is owed (or None)
            return idempotency.answer_owed(key_row, claim.fingerprint, datetime.now(UTC))
        if order is not None:
            if order.auto_accept:
                return None
            row = repo.order_row(_order_values(context, order))
            rendered = render_order(SimpleNamespace(**row, id=_ID_PLACEHOLDER))
            response = answer(rendered)
            parts = bytes(response.body).split(_PLACEHOLDER)
            if len(parts) != _PLACES + 1:
                return None
            by = context.credential_ref
            if claim is None:
                order_id = await repo.insert_order_on_driver(conn, row, by=by, event_object=rendered)
            else:
                now = datetime.now(UTC)
                order_id, claimed = await repo.insert_keyed_order_on_driver(
                    conn,
                    row,
                    by=by,
                    event_object=rendered,
                    claim=claim.claim(now),
                    answer_status=response.status_code,
                    answer_parts=[part.decode() for part in parts],
                    answer_headers=idempotency.stored_headers(response),
                )
                if not claimed:  # a twin took the key meanwhile: its answer is ours
                    key_row = await repo.key_row_of(conn, claim)
                    return (
                        None if key_row is None else idempotency.answer_owed(key_row, claim.fingerprint, now)
                    )
    if rejection is not None:
        assert claim is not None
        return await idempotency.store_rejection(request, claim, rejection)
    assert order is not None  # neither a key used before nor a rejection: validated
    content = str(order_id).encode().join(parts)
    response.body = content
    response.headers["content-length"] = str(len(content))
    rendered["id"] = rendered["payload"]["id"] = order_id
    outbox.add(brand.id, order.venue_id, "order.created", rendered)
    await outbox.flush(services)
    return response


async def create_on_sqlite(
    services: Services,
    request: Request,
    context: AuthContext,
    body: dict[str, Any],
    outbox: Outbox,
    answer: Answer,
) -> Response | None:
    """Create on the sqlite3 connection in the process's writer turn (docs/decisions/0003): the statements
    of ``create_on_driver``'s reads and of ``repository.insert_order``, compiled for SQLite at import,
    without SQLAlchemy's per-statement work. One BEGIN IMMEDIATE transaction: the reads (the customer,
    the stop list of the products the body names, the key), then the order, its history row, its
    order.created event and, with a key, the key's row with its answer; all commit or none do.

    The rules are those of ``idempotency.run_idempotent``: SQLite's write lock is held from the key's read
    to the commit, so no twin can take the key in between; a key used before owes its answer; a stored
    rejection is stored (in a transaction of its own, after this one ended having written nothing).

    None: this create takes the SQLAlchemy path instead (``create`` in ``run_idempotent``): an
    auto-accept (the lifecycle's statements), an expired key (deleted there).
    """
    writer = services.db.sqlite_writer
    assert writer is not None
    claim = idempotency.key_claim(request, context, body)
    brand = context.brand
    snapshot = await _snapshot(services, brand)
    async with writer.driver_transaction() as conn:
        key_row, order, rejection = await _read_and_validate(
            conn, repo.ON_SQLITE, context, body, claim, snapshot
        )
        if key_row is not None and claim is not None:  # a key used before: its answer is owed (or None)
            return idempotency.answer_owed(key_row, claim.fingerprint, datetime.now(UTC))
        if order is not None:
            if order.auto_accept:
                return None
            row = repo.order_row(_order_values(context, order))
            rendered = await repo.insert_order_on_sqlite(conn, row, by=context.credential_ref)
            response = answer(rendered)
            if claim is not None:
                await repo.insert_key_on_sqlite(
                    conn,
                    claim.claim(datetime.now(UTC)),
                    status=response.status_code,
                    body=bytes(response.body),
                    headers=idempotency.stored_headers(response),
                )
    if rejection is not None:
        assert claim is not None
        return await idempotency.store_rejection(request, claim, rejection)
    assert order is not None  # neither a key used before nor a rejection: validated
    outbox.add(brand.id, order.venue_id, "order.created", rendered)
    await outbox.flush(services)
    return response


async def _read_and_validate(
    conn: Any,
    on: repo.CreateReads,
    context: AuthContext,
    body: dict[str, Any],
    claim: idempotency.KeyClaim | None,
    snapshot: CatalogSnapshot,
) -> tuple[repo.KeyRow | None, ValidatedOrder | None, ApiError | None]:
    """Both driver paths' first step, in their connection: the create's reads, then exactly one of the
    row of a key used before (its answer is owed: nothing is validated), the validated order, or the
    rejection the key stores (any other error raises)."""
    lookups, key_row = await repo.create_reads(conn, on, context.brand.id, body, claim)
    if claim is not None and key_row is not None:
        return key_row, None, None
    try:
        order = await validate_order(body, snapshot=snapshot, brand=context.brand, lookups=lookups)
    except ApiError as error:
        if claim is None or not idempotency.is_stored_rejection(error):
            raise
        return None, None, error
    return None, order, None


async def _snapshot(services: Services, brand: BrandInfo) -> CatalogSnapshot:
    """The brand's catalogue snapshot; on a miss loaded on a SQLAlchemy connection of its own, before the
    create takes its driver connection (so a burst of misses never holds connections while it waits)."""
    cached = services.snapshots.cached(brand.id, brand.catalog_version)
    if cached is not None:
        return cached
    async with services.db.read() as conn:
        return await services.snapshots.get(conn, brand.id, brand.catalog_version)


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
