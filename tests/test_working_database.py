"""The PostgreSQL working database's restore (tests/support/databases.py): the seed's rows put back; a
schema that a test changed copied away from the template again; a catalogue that only moved (a temporary
table) not copied for."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from tests.conftest import fresh_database
from tests.support.databases import SCHEMA_FINGERPRINT, PgWorkingDatabase


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def test_the_restore_copies_again_only_after_a_schema_change(tmp_root: Path) -> None:
    async with fresh_database("postgres", tmp_root) as template:
        url = make_url(template).set(database=f"clopos_w_{uuid.uuid4().hex[:12]}").render_as_string(False)
        work = PgWorkingDatabase(template, url)
        await work.create()
        conn = await asyncpg.connect(_plain(url))
        try:
            venues = await conn.fetchval("SELECT count(*) FROM venues")
            fingerprint = await conn.fetchval(SCHEMA_FINGERPRINT)
            await work.restore()  # the first test's: nothing to put back

            await conn.execute("DELETE FROM venues")  # rows only
            await conn.execute("CREATE TEMP TABLE scratch (x int)")  # the catalogue moves, not the schema
            await work.restore()
            assert (work.copies, work.restores) == (1, 1)
            assert await conn.fetchval("SELECT count(*) FROM venues") == venues

            await conn.execute("ALTER TABLE venues ALTER COLUMN name SET DEFAULT 'x'")  # the schema
            await conn.close()  # a copy needs the database free
            await work.restore()
            assert work.copies == 2
            conn = await asyncpg.connect(_plain(url))
            assert await conn.fetchval(SCHEMA_FINGERPRINT) == fingerprint

            await work.restore()  # and the stamp of the new copy is kept: no third copy
            assert (work.copies, work.restores) == (2, 2)
        finally:
            await conn.close()
            await work.drop()
