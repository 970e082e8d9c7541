"""Operator actions on credentials (CLI)."""

from __future__ import annotations

import secrets

from sqlalchemy import insert, select

from clopos_server.auth.passwords import hash_secret, new_secret
from clopos_server.db.engine import Database
from clopos_server.db.models import ApiClient, Brand, StaffUser
from clopos_server.timeutil import utcnow


class AdminError(Exception):
    """An operator mistake, said in plain words."""


async def create_client(db: Database, brand_slug: str, user_id: int) -> tuple[str, str]:
    """A new credential pair bound to a staff user; returns (client_id, secret) - the secret only now."""
    client_id = secrets.token_urlsafe(24)[:32]
    secret = new_secret(64)
    async with db.write() as conn:
        brand_id = (await conn.execute(select(Brand.id).where(Brand.slug == brand_slug))).scalar_one_or_none()
        if brand_id is None:
            raise AdminError(f"no brand {brand_slug!r}")
        user = (
            await conn.execute(
                select(StaffUser.id).where(StaffUser.brand_id == brand_id, StaffUser.id == user_id)
            )
        ).first()
        if user is None:
            raise AdminError(f"brand {brand_slug!r} has no staff user {user_id}")
        now = utcnow()
        await conn.execute(
            insert(ApiClient).values(
                brand_id=brand_id,
                client_id=client_id,
                secret_hash=hash_secret(secret),
                user_id=user_id,
                enabled=True,
                created_at=now,
                updated_at=now,
            )
        )
    return client_id, secret
