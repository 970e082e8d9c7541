"""Bring a database to the newest schema with Alembic, from async code.

Safe to run from several processes at once (N instances starting together on a new database, each
``serve`` migrating first): on PostgreSQL the migration runs under a session advisory lock, so one process
migrates while the others wait for it, then find the schema up to date. On SQLite the write lock already
serialises them (each migration step is a write transaction). Waiting is bounded: a process that cannot
take the lock within ``MIGRATE_LOCK_WAIT`` says so instead of hanging.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from clopos_server.db.engine import dialect_of

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# One number for "clopos-server migrates": pg_try_advisory_lock's key (any bigint; this is b"clopos:m").
MIGRATE_LOCK_KEY = 0x636C6F706F733A6D
MIGRATE_LOCK_WAIT = 120.0  # seconds: longer than any migration of this schema takes


class MigrationLockTimeout(TimeoutError):
    """Another process held the migration lock for longer than ``MIGRATE_LOCK_WAIT``."""


def alembic_config() -> Config:
    """Alembic is imported here, not with the module: every ``clopos-server`` command imports this module
    (its errors), and only migrate and serve migrate; the import cost each other command about 0.17 s of
    CPU (``python -X importtime``, 2026-12-07), a tenth of its start."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def upgrade(
    engine: AsyncEngine, revision: str = "head", *, lock_wait: float = MIGRATE_LOCK_WAIT
) -> None:
    def _upgrade(connection: Connection) -> None:
        from alembic import command

        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.connect() as conn:
        if dialect_of(conn) != "postgresql":
            await conn.run_sync(_upgrade)
            await conn.commit()
            return
        await _take_lock(conn, lock_wait)
        try:
            await conn.run_sync(_upgrade)
            await conn.commit()
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATE_LOCK_KEY})
            await conn.commit()


async def _take_lock(conn: AsyncConnection, wait: float) -> None:
    """The session advisory lock of migrations, polled (a blocking wait would be cut by lock_timeout)."""
    give_up = time.monotonic() + wait
    while True:
        taken = (
            await conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": MIGRATE_LOCK_KEY})
        ).scalar()
        await conn.commit()
        if taken:
            return
        if time.monotonic() > give_up:
            raise MigrationLockTimeout(
                f"another process has been migrating this database for over {wait:g} s "
                "(see pg_locks where locktype = 'advisory')"
            )
        await asyncio.sleep(0.2)
