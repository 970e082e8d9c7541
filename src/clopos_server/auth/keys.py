"""The token signing secret: ``CLOPOS_SECRET_KEY``, else one generated once and kept in the database."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from clopos_server.db.engine import Database, dialect_of
from clopos_server.db.models import ServerSecret

SIGNING_KEY_NAME = "signing_key"


async def load_signing_key(db: Database, configured: str | None) -> bytes:
    if configured:
        return configured.encode()
    insert = sqlite_insert if dialect_of(db) == "sqlite" else pg_insert
    candidate = secrets.token_urlsafe(48)
    async with db.write() as conn:
        # insert-if-absent: every instance and worker that races here ends up reading the same winner
        await conn.execute(
            insert(ServerSecret)
            .values(name=SIGNING_KEY_NAME, value=candidate)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        value = (
            await conn.execute(select(ServerSecret.value).where(ServerSecret.name == SIGNING_KEY_NAME))
        ).scalar_one()
    return str(value).encode()
