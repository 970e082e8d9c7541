"""Operator views and actions on brands, staff users and API clients (``clopos-server users|clients|brands``).

A staff user is named by its username or its id (``--user owner`` or ``--user 1``): a username that is
all digits is tried as a username first. Mistakes raise ``AdminError`` in plain words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.auth.admin import AdminError
from clopos_server.db.engine import Database
from clopos_server.db.models import ApiClient, Brand, StaffUser
from clopos_server.timeutil import utcnow


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    enabled: bool
    has_password: bool
    venue_id: int | None
    role: str | None


async def brand_id_of(conn: AsyncConnection, slug: str) -> int:
    brand_id = (await conn.execute(select(Brand.id).where(Brand.slug == slug))).scalar_one_or_none()
    if brand_id is None:
        names = (await conn.execute(select(Brand.slug).order_by(Brand.slug))).scalars().all()
        raise AdminError(f"no brand {slug!r}; the brands are: {', '.join(names) or '(none: import one)'}")
    return int(brand_id)


async def user_id_of(conn: AsyncConnection, brand_id: int, ref: str, brand: str) -> int:
    """The id of the staff user ``ref`` (a username, else an id) of the brand."""
    wanted = StaffUser.username == ref
    if ref.isdigit():
        wanted = or_(wanted, StaffUser.id == int(ref))
    rows = (
        await conn.execute(
            select(StaffUser.id, StaffUser.username).where(StaffUser.brand_id == brand_id, wanted)
        )
    ).all()
    by_name = [row.id for row in rows if row.username == ref]
    if by_name or rows:
        return int((by_name or [rows[0].id])[0])
    raise AdminError(
        f"brand {brand!r} has no staff user {ref!r} (see: clopos-server users list --brand {brand})"
    )


async def list_brands(db: Database) -> list[dict[str, Any]]:
    async with db.read() as conn:
        rows = (
            await conn.execute(select(Brand.id, Brand.slug, Brand.name, Brand.is_test).order_by(Brand.slug))
        ).all()
    return [dict(row._mapping) for row in rows]


async def list_users(db: Database, brand: str) -> list[UserRow]:
    async with db.read() as conn:
        brand_id = await brand_id_of(conn, brand)
        columns = (StaffUser.id, StaffUser.username, StaffUser.status, StaffUser.password_hash)
        query = select(*columns, StaffUser.venue_id, StaffUser.role).where(StaffUser.brand_id == brand_id)
        rows = (await conn.execute(query.order_by(StaffUser.id))).all()
    return [
        UserRow(u.id, u.username, bool(u.status), u.password_hash is not None, u.venue_id, u.role)
        for u in rows
    ]


async def create_user(db: Database, brand: str, username: str, venue_id: int | None = None) -> int:
    """A new staff user, enabled, without a board password yet (``users set-password``); its id."""
    if not username.strip():
        raise AdminError("the username is empty")
    async with db.write() as conn:
        brand_id = await brand_id_of(conn, brand)
        taken = await conn.execute(
            select(func.count()).where(StaffUser.brand_id == brand_id, StaffUser.username == username)
        )
        if taken.scalar_one():
            raise AdminError(f"brand {brand!r} already has a staff user {username!r}")
        now = utcnow()
        values = {
            "brand_id": brand_id,
            "username": username,
            "venue_id": venue_id,
            "status": True,
            "created_at": now,
            "updated_at": now,
        }
        new_id = (await conn.execute(insert(StaffUser).values(**values).returning(StaffUser.id))).scalar_one()
    return int(new_id)


async def set_user_enabled(db: Database, brand: str, ref: str, enabled: bool) -> int:
    """Enable or disable a staff user: a disabled one cannot sign in to the board, and their board
    sessions end at their next request."""
    async with db.write() as conn:
        brand_id = await brand_id_of(conn, brand)
        user_id = await user_id_of(conn, brand_id, ref, brand)
        await conn.execute(
            update(StaffUser)
            .where(StaffUser.brand_id == brand_id, StaffUser.id == user_id)
            .values(status=enabled, updated_at=utcnow())
        )
    return user_id


async def list_clients(db: Database, brand: str) -> list[dict[str, Any]]:
    async with db.read() as conn:
        brand_id = await brand_id_of(conn, brand)
        rows = (
            await conn.execute(
                select(ApiClient.client_id, ApiClient.enabled, StaffUser.username, ApiClient.created_at)
                .join(StaffUser, StaffUser.id == ApiClient.user_id)
                .where(ApiClient.brand_id == brand_id)
                .order_by(ApiClient.id)
            )
        ).all()
    return [dict(row._mapping) for row in rows]


async def resolve_user(db: Database, brand: str, ref: str) -> int:
    """The id of the staff user named ``ref`` (username or id) in the brand."""
    async with db.read() as conn:
        return await user_id_of(conn, await brand_id_of(conn, brand), ref, brand)
