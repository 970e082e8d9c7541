"""Customer queries. Every query takes the brand, so another brand's customer is simply not found."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Text, cast, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server import jsonio
from clopos_server.catalog.repository import any_of
from clopos_server.customers.schemas import DEFAULT_GROUP_SYSTEM_TYPE
from clopos_server.db.models import Customer, CustomerGroup


def customer_conditions(filters: Mapping[str, tuple[Any, ...]]) -> list[ColumnElement[bool]]:
    """``name`` is a case-insensitive substring (``%`` and ``_`` are plain text); ``phones`` matches any of
    the customer's numbers exactly; ``group_id`` any of."""
    conditions: list[ColumnElement[bool]] = []
    if "name" in filters:
        conditions.append(or_(*[Customer.name.icontains(name, autoescape=True) for name in filters["name"]]))
    phones = {
        spelling
        for phone in (*filters.get("phones", ()), *filters.get("phone", ()))
        for spelling in _spellings(phone.strip())
    }
    if phones:
        conditions.append(or_(*[_has_phone(phone) for phone in sorted(phones)]))
    if "group_id" in filters:
        conditions.append(any_of(Customer.group_id, filters["group_id"]))
    return conditions


def _spellings(phone: str) -> tuple[str, ...]:
    """A number of digits alone also means it with a leading ``+``: an unencoded ``+`` in a query string
    arrives as a space, and integrators often drop it."""
    return (phone, f"+{phone}") if phone.isdigit() else (phone,)


def _has_phone(phone: str) -> ColumnElement[bool]:
    """The main number, or one element of the ``phones`` JSON list (found as its quoted JSON text)."""
    element = jsonio.dumps_str(phone)
    return or_(Customer.phone == phone, cast(Customer.phones, Text).contains(element, autoescape=True))


async def default_group_id(conn: AsyncConnection, brand_id: int) -> int | None:
    """The brand's ``my_customers`` group (the lowest id, should an import have made two)."""
    statement = (
        select(CustomerGroup.id)
        .where(CustomerGroup.brand_id == brand_id, CustomerGroup.system_type == DEFAULT_GROUP_SYSTEM_TYPE)
        .order_by(CustomerGroup.id)
        .limit(1)
    )
    return (await conn.execute(statement)).scalar_one_or_none()


async def taken_fields(
    conn: AsyncConnection, brand_id: int, *, phone: str | None, code: str | None, cid: str
) -> set[str]:
    """Which of ``phone``, ``code`` and ``cid`` another customer of the brand already has."""
    checks: list[ColumnElement[bool]] = [Customer.cid == cid]
    if phone is not None:
        checks.append(Customer.phone == phone)
    if code is not None:
        checks.append(Customer.code == code)
    rows = await conn.execute(
        select(Customer.phone, Customer.code, Customer.cid).where(Customer.brand_id == brand_id, or_(*checks))
    )
    taken: set[str] = set()
    for row in rows:
        if phone is not None and row.phone == phone:
            taken.add("phone")
        if code is not None and row.code == code:
            taken.add("code")
        if row.cid == cid:
            taken.add("cid")
    return taken


async def insert_returning_id(conn: AsyncConnection, model: Any, values: Mapping[str, Any]) -> int:
    """Insert one row of ``model`` (``Balance``, ``Customer``) and return its new id."""
    new_id: int = (await conn.execute(insert(model).values(**values).returning(model.id))).scalar_one()
    return new_id
