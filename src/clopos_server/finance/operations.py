"""What operators do outside HTTP (the CLI; the board uses ``shifts`` in its own transaction): open and
close cash shifts, add accounts and categories, move money between accounts, mark a supply paid. Each
runs in one database transaction of a brand named by its slug, and answers the object as the API shows
it. Refusals are the API's own errors (``ApiError``: a 409 closing a closed shift, ...), which the CLI
prints."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.db.engine import Database
from clopos_server.db.finance_models import CashShift, FinanceTransaction
from clopos_server.db.models import Brand, StaffUser, Venue
from clopos_server.errors import conflict, not_found
from clopos_server.finance import accounts, reads, shifts, supplies
from clopos_server.finance import repository as repo
from clopos_server.finance.render import render_shift, render_transaction
from clopos_server.timeutil import utcnow

T = TypeVar("T")


async def in_brand(db: Database, slug: str, work: Callable[[AsyncConnection, int], Awaitable[T]]) -> T:
    """Run ``work(conn, brand_id)`` in one write transaction; an unknown brand is a 404."""
    async with db.write() as conn:
        brand_id = (await conn.execute(select(Brand.id).where(Brand.slug == slug))).scalar_one_or_none()
        if brand_id is None:
            raise not_found(f"No brand {slug!r}")
        return await work(conn, brand_id)


async def user_id_of(conn: AsyncConnection, brand_id: int, username: str | None) -> int | None:
    if username is None:
        return None
    statement = select(StaffUser.id).where(StaffUser.brand_id == brand_id, StaffUser.username == username)
    ident = (await conn.execute(statement)).scalar_one_or_none()
    if ident is None:
        raise not_found(f"No staff user {username!r}")
    return int(ident)


async def open_shift(
    db: Database, slug: str, venue_id: int, terminal_id: int, opening: Decimal, username: str | None
) -> dict[str, Any]:
    async def work(conn: AsyncConnection, brand_id: int) -> dict[str, Any]:
        venue = select(Venue.id).where(Venue.brand_id == brand_id, Venue.id == venue_id)
        if (await conn.execute(venue)).first() is None:
            raise not_found(f"Venue {venue_id} not found")
        by = await user_id_of(conn, brand_id, username)
        request = shifts.OpenShift(venue_id, terminal_id, opening, by)
        return render_shift(await shifts.open_shift(conn, brand_id, request, utcnow()))

    return await in_brand(db, slug, work)


async def close_shift(
    db: Database,
    slug: str,
    shift_uuid: str | None,
    where: tuple[int, int] | None,
    counted: Decimal,
    username: str | None,
) -> dict[str, Any]:
    """Close the shift named by its UUID, or the one open on ``where`` = (venue, terminal); the report."""

    async def work(conn: AsyncConnection, brand_id: int) -> dict[str, Any]:
        target = shift_uuid or await _open_on(conn, brand_id, where)
        by = await user_id_of(conn, brand_id, username)
        row = await shifts.close_shift(conn, brand_id, target, counted, by, utcnow())
        return {**render_shift(row), **await shifts.report_of(conn, brand_id, row, utcnow())}

    return await in_brand(db, slug, work)


async def _open_on(conn: AsyncConnection, brand_id: int, where: tuple[int, int] | None) -> str:
    if where is None:
        raise conflict("Name the shift: its UUID, or the venue and terminal it is open on")
    venue_id, terminal_id = where
    row = await repo.one(
        conn,
        repo.shifts(
            brand_id,
            CashShift.venue_id == venue_id,
            CashShift.terminal_id == terminal_id,
            CashShift.closed_at.is_(None),
        ),
    )
    if row is None:
        raise conflict(f"No cash shift is open on terminal {terminal_id} at venue {venue_id}")
    return str(row.uuid)


async def shift_report(db: Database, slug: str, shift_uuid: str) -> dict[str, Any]:
    async def work(conn: AsyncConnection, brand_id: int) -> dict[str, Any]:
        row = await reads.shift_row(conn, brand_id, shift_uuid)
        return {**render_shift(row), **await shifts.report_of(conn, brand_id, row, utcnow())}

    return await in_brand(db, slug, work)


async def add_account(
    db: Database,
    slug: str,
    new: accounts.NewAccount,
) -> dict[str, Any]:
    async def work(conn: AsyncConnection, brand_id: int) -> dict[str, Any]:
        now = utcnow()
        account_id = await accounts.create_account(conn, brand_id, new, now)
        row = await reads.account_row(conn, brand_id, account_id)
        methods = await repo.methods_of_accounts(conn, brand_id, [account_id])
        return {
            "id": row.id,
            "name": row.name,
            "type": row.type,
            "amount": row.amount,
            "methods": methods[row.id],
        }

    return await in_brand(db, slug, work)


async def add_category(db: Database, slug: str, new: accounts.NewCategory) -> int:
    return await in_brand(
        db, slug, lambda conn, brand_id: accounts.create_category(conn, brand_id, new, utcnow())
    )


async def transfer(
    db: Database, slug: str, source: int, target: int, amount: Decimal
) -> list[dict[str, Any]]:
    async def work(conn: AsyncConnection, brand_id: int) -> list[dict[str, Any]]:
        ids = await accounts.transfer(conn, brand_id, source, target, amount, utcnow())
        return await _transactions(conn, brand_id, ids)

    return await in_brand(db, slug, work)


async def pay_supply(db: Database, slug: str, operation_id: int, account_id: int) -> list[dict[str, Any]]:
    async def work(conn: AsyncConnection, brand_id: int) -> list[dict[str, Any]]:
        ident = await supplies.mark_paid(conn, brand_id, operation_id, account_id, utcnow())
        return await _transactions(conn, brand_id, [ident])

    return await in_brand(db, slug, work)


async def _transactions(conn: AsyncConnection, brand_id: int, ids: Sequence[int]) -> list[dict[str, Any]]:
    rows = (await conn.execute(repo.transactions(brand_id, FinanceTransaction.id.in_(list(ids))))).all()
    return [render_transaction(row) for row in rows]
