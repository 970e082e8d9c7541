"""Creating, templating and dropping test databases."""

from __future__ import annotations

import asyncpg
from sqlalchemy.engine import make_url

from clopos_server.db.engine import Database
from clopos_server.db.migrate import upgrade

BACKENDS = ["sqlite", "postgres"]


def pg_admin_url(url: str) -> str:
    """A plain libpq URL to the server's ``postgres`` database (asyncpg, no SQLAlchemy driver part)."""
    parsed = make_url(url).set(drivername="postgresql", database="postgres")
    return parsed.render_as_string(hide_password=False)


def _dbname(url: str) -> str:
    name = make_url(url).database
    assert name and name.replace("_", "").isalnum(), f"unexpected test database name {name!r}"
    return name


async def pg_reachable(url: str) -> bool:
    try:
        conn = await asyncpg.connect(pg_admin_url(url), timeout=3)
    except (OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


async def create_pg_database(url: str, *, template: str | None = None, replace: bool = False) -> None:
    name = _dbname(url)
    conn = await asyncpg.connect(pg_admin_url(url))
    try:
        if replace:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        suffix = f' TEMPLATE "{template}"' if template else ""
        await conn.execute(f'CREATE DATABASE "{name}"{suffix}')
    finally:
        await conn.close()


async def drop_pg_database(url: str) -> None:
    conn = await asyncpg.connect(pg_admin_url(url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{_dbname(url)}" WITH (FORCE)')
    finally:
        await conn.close()


async def prepare_template(url: str) -> None:
    """Migrate and seed the demo brands (through the operators' import path)."""
    from clopos_server.demo import load_demo

    db = Database(url, pool_size=1)
    try:
        await upgrade(db.engine)
        await load_demo(db)
    finally:
        await db.dispose()
