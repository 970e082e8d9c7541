"""Operator actions on credentials (CLI)."""

from __future__ import annotations

import secrets

from sqlalchemy import insert, select, update

from clopos_server.auth.passwords import hash_secret, new_secret
from clopos_server.db.engine import Database
from clopos_server.db.models import ApiClient, Brand, Integrator, StaffUser
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


async def set_client_enabled(db: Database, client_id: str, enabled: bool) -> None:
    """Enable or disable an API client by its public ``client_id``; every instance sees it within
    ``CLOPOS_REVOCATION_REFRESH_SECONDS``, and its live tokens stop (or work again) then."""
    async with db.write() as conn:
        result = await conn.execute(
            update(ApiClient)
            .where(ApiClient.client_id == client_id)
            .values(enabled=enabled, updated_at=utcnow())
            .returning(ApiClient.id)
        )
        if result.first() is None:
            raise AdminError(f"no API client {client_id!r}")


async def set_integrator_enabled(db: Database, integrator_id: str, enabled: bool) -> None:
    """Enable or disable a v2 integrator; its live tokens stop (or work again) within seconds."""
    async with db.write() as conn:
        result = await conn.execute(
            update(Integrator)
            .where(Integrator.id == integrator_id)
            .values(enabled=enabled, updated_at=utcnow())
            .returning(Integrator.id)
        )
        if result.first() is None:
            raise AdminError(f"no integrator {integrator_id!r}")
