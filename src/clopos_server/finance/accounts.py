"""Creating money accounts (bound to payment methods) and finance categories, and moving money between
accounts: what the CLI and the demo seed do. Reads live in ``reads``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.db.finance_models import FinanceCategory, MoneyAccount, MoneyAccountMethod
from clopos_server.db.models import PaymentMethod, Venue
from clopos_server.errors import Problem, conflict, not_found, validation_failed
from clopos_server.finance import ledger
from clopos_server.finance import repository as repo

ACCOUNT_TYPES = ("cash", "bank", "card")
CATEGORY_TYPES = ("income", "expense")
NAME_LENGTH = 255


@dataclass(frozen=True)
class NewAccount:
    name: str
    type: str
    opening_amount: Decimal
    payment_method_ids: Sequence[int] = ()
    venue_id: int | None = None
    currency: str = "AZN"
    id: int | None = None  # the demo's fixed ids; else the next one


def _name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > NAME_LENGTH:
        raise validation_failed([Problem(f"name must be 1 to {NAME_LENGTH} characters", "name")])
    return name


async def create_account(conn: AsyncConnection, brand_id: int, new: NewAccount, now: datetime) -> int:
    """An account holding its opening amount, bound to the given payment methods of the brand."""
    if new.type not in ACCOUNT_TYPES:
        raise validation_failed([Problem(f"type must be one of {', '.join(ACCOUNT_TYPES)}", "type")])
    if new.venue_id is not None and not await _exists(conn, Venue.id, Venue.brand_id, brand_id, new.venue_id):
        raise not_found(f"Venue {new.venue_id} not found")
    for method_id in new.payment_method_ids:
        if not await _exists(conn, PaymentMethod.id, PaymentMethod.brand_id, brand_id, method_id):
            raise not_found(f"Payment method {method_id} not found")
    values: dict[str, Any] = {
        "brand_id": brand_id,
        "name": _name(new.name),
        "type": new.type,
        "venue_id": new.venue_id,
        "currency": new.currency,
        "opening_amount": new.opening_amount,
        "amount": new.opening_amount,
        "created_at": now,
        "updated_at": now,
    }
    if new.id is not None:
        values["id"] = new.id
    account_id = await repo.insert_returning_id(conn, MoneyAccount, values)
    for method_id in new.payment_method_ids:
        await repo.insert_returning_none(
            conn,
            MoneyAccountMethod,
            {"account_id": account_id, "payment_method_id": method_id, "brand_id": brand_id},
        )
    return account_id


async def _exists(conn: AsyncConnection, column: Any, brand_column: Any, brand_id: int, ident: int) -> bool:
    statement = select(column).where(brand_column == brand_id, column == ident)
    return (await conn.execute(statement)).first() is not None


@dataclass(frozen=True)
class NewCategory:
    name: str
    type: str
    parent_id: int | None = None
    system_type: str | None = None
    position: int = 0
    id: int | None = None


async def create_category(conn: AsyncConnection, brand_id: int, new: NewCategory, now: datetime) -> int:
    """A category; a child has its parent's type (an income category under an expense one is refused)."""
    if new.type not in CATEGORY_TYPES:
        raise validation_failed([Problem(f"type must be one of {', '.join(CATEGORY_TYPES)}", "type")])
    if new.parent_id is not None:
        parent = await repo.one(conn, repo.categories(brand_id, FinanceCategory.id == new.parent_id))
        if parent is None:
            raise not_found(f"Finance category {new.parent_id} not found")
        if parent.type != new.type:
            raise conflict(f"Category {parent.id} is an {parent.type} category: its children are too")
    values: dict[str, Any] = {
        "brand_id": brand_id,
        "parent_id": new.parent_id,
        "name": _name(new.name),
        "type": new.type,
        "system_type": new.system_type,
        "position": new.position,
        "created_at": now,
        "updated_at": now,
    }
    if new.id is not None:
        values["id"] = new.id
    return await repo.insert_returning_id(conn, FinanceCategory, values)


async def transfer(
    conn: AsyncConnection,
    brand_id: int,
    source: int,
    target: int,
    amount: Decimal,
    now: datetime,
) -> tuple[int, int]:
    """Move a positive ``amount`` between two different accounts of the brand."""
    if amount <= 0:
        raise validation_failed([Problem("amount must be greater than 0", "amount")])
    if source == target:
        raise validation_failed([Problem("a transfer needs two different accounts", "to")])
    for ident in (source, target):
        if await repo.account(conn, brand_id, ident) is None:
            raise not_found(f"Money account {ident} not found")
    return await ledger.transfer(
        conn, brand_id, source, target, amount, now, f"Transfer {source} -> {target}"
    )
