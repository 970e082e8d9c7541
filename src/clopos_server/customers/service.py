"""Customer rules: reading with relations, and creating one with the brand's uniqueness rules.

``phone``, ``code`` and ``cid`` are unique per brand: a repeat is a 409 ``conflict`` raised before anything
is written, and the create runs in the caller's transaction, so a refused customer leaves no row at all
(not even its balance).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.auth.context import AuthContext
from clopos_server.catalog import repository as catalog_repo
from clopos_server.customers import render
from clopos_server.customers import repository as repo
from clopos_server.customers.schemas import NewCustomer, parse_new_customer
from clopos_server.db.models import Balance, Customer, CustomerGroup
from clopos_server.errors import ApiError, Problem, conflict, not_found
from clopos_server.events import log as events
from clopos_server.kit.query import ListQuery
from clopos_server.timeutil import utcnow

Page = tuple[list[dict[str, Any]], int]

CONFLICT_MESSAGES = {
    "phone": "Customer with this phone number already exists",
    "code": "Customer with this code already exists",
    "cid": "Customer with this cid already exists",
}


def _default_venue(context: AuthContext) -> int:
    main = context.brand.main_venue_id
    return main if main is not None else context.venue_id


async def _render_many(
    conn: AsyncConnection,
    context: AuthContext,
    rows: Sequence[Row[Any]],
    includes: Mapping[str, tuple[str, ...] | None],
) -> list[dict[str, Any]]:
    """Customers with their ``with[]`` relations, one batch query per relation."""
    brand_id = context.brand.id
    groups: dict[int, Row[Any]] = {}
    balances: dict[int, Row[Any]] = {}
    if "group" in includes:
        groups = await catalog_repo.fetch_by_ids(
            conn, CustomerGroup, brand_id, sorted({r.group_id for r in rows})
        )
    if "balance" in includes:
        balances = await catalog_repo.fetch_by_ids(
            conn, Balance, brand_id, sorted({r.balance_id for r in rows})
        )
    venue = _default_venue(context)
    return [
        render.render_customer(
            row,
            default_venue_id=venue,
            includes=includes,
            group=groups.get(row.group_id),
            balance=balances.get(row.balance_id),
        )
        for row in rows
    ]


async def list_customers(conn: AsyncConnection, context: AuthContext, query: ListQuery) -> Page:
    conditions = repo.customer_conditions(query.filters)
    rows, total = await catalog_repo.brand_page(conn, Customer, context.brand.id, query, *conditions)
    return await _render_many(conn, context, rows, query.includes), total


async def get_customer(
    conn: AsyncConnection, context: AuthContext, ident: int, includes: Mapping[str, tuple[str, ...] | None]
) -> dict[str, Any]:
    row = await catalog_repo.fetch_one(conn, Customer, context.brand.id, ident)
    if row is None:
        raise not_found("Customer not found")
    return (await _render_many(conn, context, [row], includes))[0]


async def list_groups(conn: AsyncConnection, brand_id: int, query: ListQuery) -> Page:
    rows, total = await catalog_repo.brand_page(conn, CustomerGroup, brand_id, query)
    return [render.render_group(row) for row in rows], total


async def _group_for(conn: AsyncConnection, brand_id: int, new: NewCustomer) -> int:
    """The group asked for (it must be the brand's), else the brand's default ``my_customers`` group."""
    if new.group_id is not None:
        if await catalog_repo.fetch_one(conn, CustomerGroup, brand_id, new.group_id) is None:
            message = f"Customer group {new.group_id} not found"
            raise ApiError("validation_failed", message, [Problem(message, "group_id")])
        return new.group_id
    group_id = await repo.default_group_id(conn, brand_id)
    if group_id is None:
        message = "group_id is required: this brand has no default (my_customers) group"
        raise ApiError("validation_failed", message, [Problem(message, "group_id")])
    return group_id


async def create_customer(
    conn: AsyncConnection, context: AuthContext, body: dict[str, Any]
) -> dict[str, Any]:
    """Validate, check uniqueness, then write the balance and the customer (in the caller's transaction)."""
    new = parse_new_customer(body)
    brand_id = context.brand.id
    group_id = await _group_for(conn, brand_id, new)
    taken = await repo.taken_fields(conn, brand_id, phone=new.phone, code=new.code, cid=new.cid)
    for name in ("phone", "code", "cid"):
        if name in taken:
            raise conflict(CONFLICT_MESSAGES[name])
    now = utcnow()
    zero = Decimal(0)
    stamps = {"created_at": now, "updated_at": now}
    try:
        balance_id = await repo.insert_returning_id(
            conn,
            Balance,
            {
                "brand_id": brand_id,
                "name": new.name,
                "type": "CUSTOMER",
                "system_type": None,
                "amount": zero,
                "position": 0,
                "venue_id": None,
                **stamps,
            },
        )
        customer_id = await repo.insert_returning_id(
            conn,
            Customer,
            {
                "brand_id": brand_id,
                "venue_id": context.venue_id,
                "cid": new.cid,
                "group_id": group_id,
                "balance_id": balance_id,
                "name": new.name,
                "email": new.email,
                "phone": new.phone,
                "phones": [new.phone] if new.phone else [],
                "address": None,
                "address_data": [],
                "description": new.description,
                "discount": 0,
                "spent": zero,
                "total_discount": zero,
                "total_bonus": zero,
                "receipt_count": 0,
                "gender": new.gender,
                "date_of_birth": new.date_of_birth,
                "code": new.code,
                "status": True,
                "can_use_loyalty_system": True,
                "is_verified": False,
                **stamps,
            },
        )
    except IntegrityError:  # a concurrent create took the phone, code or cid first
        raise conflict("Customer with this phone number, code or cid already exists") from None
    row = await catalog_repo.fetch_one(conn, Customer, brand_id, customer_id)
    assert row is not None  # just inserted in this transaction
    customer = render.render_customer(row, default_venue_id=_default_venue(context))
    await events.record(conn, events.CUSTOMER_CREATED, brand_id, row.venue_id, customer, at=now)
    return customer
