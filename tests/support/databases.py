"""Creating, templating and dropping test databases."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

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


@asynccontextmanager
async def admin_connection(db_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A plain asyncpg connection to the test's database, beside the app's: to end its backends, lock a
    table, count rows."""
    conn = await asyncpg.connect(db_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        yield conn
    finally:
        await conn.close()


async def end_other_backends(
    conn: asyncpg.Connection, *, only_waiting: bool = False, pids: Sequence[int] = ()
) -> int:
    """End the other backends on ``conn``'s database, as a server restart or an operator would: those
    waiting for a lock with ``only_waiting``, only ``pids`` when given. How many were ended."""
    ended: int = await conn.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND (NOT $1 OR wait_event_type = 'Lock') AND (cardinality($2::int[]) = 0 OR pid = ANY($2::int[]))",
        only_waiting,
        list(pids),
    )
    return ended


async def create_pg_database(url: str, *, replace: bool = False) -> None:
    """An empty database (the template's); copies of the template are ``PgCopies``'s."""
    name = _dbname(url)
    conn = await asyncpg.connect(pg_admin_url(url))
    try:
        if replace:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
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


async def copy_pg_database(template_url: str, name: str) -> str:
    """A copy of the template under ``name`` (``CREATE DATABASE ... TEMPLATE``: 0.2-0.4 s); its URL."""
    url = make_url(template_url).set(database=name).render_as_string(hide_password=False)
    conn = await asyncpg.connect(pg_admin_url(template_url))
    try:
        await conn.execute(f'CREATE DATABASE "{_dbname(url)}" TEMPLATE "{_dbname(template_url)}"')
    finally:
        await conn.close()
    return url


# ------------------------------------------------------------------------- the per-test working database

# Everything that makes up the schema of a database, as one text to compare: if a test changed it (a
# migration run down, a column added), restoring the rows is not enough and the database is made again.
SCHEMA_FINGERPRINT = """
SELECT md5(coalesce(string_agg(item, ',' ORDER BY item), '')) FROM (
    SELECT n.nspname || '.' || c.relname || ':' || c.relkind::text AS item
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
    UNION ALL
    SELECT c.relname || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod) || ':' || a.attnotnull
        || ':' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE n.nspname = 'public' AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT 'constraint ' || conname || ':' || pg_get_constraintdef(o.oid)
    FROM pg_constraint o JOIN pg_namespace n ON n.oid = o.connamespace WHERE n.nspname = 'public'
    UNION ALL
    SELECT 'trigger ' || tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND NOT t.tgisinternal
    UNION ALL
    SELECT 'function ' || p.oid::regprocedure::text FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
    UNION ALL
    SELECT 'type ' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'c') AND t.typrelid = 0
) AS schema_items
"""

# A cheap stand-in for the fingerprint, read before each restore: how many rows of user objects (oid past
# the system's) each catalog the fingerprint reads holds, and the newest transaction that wrote one. A DDL
# statement adds, changes or drops such rows, so the stamp moves; rows deleted by the restore do not move
# it. 0.7 ms of PostgreSQL's CPU against the fingerprint's 4.8 ms, once per PostgreSQL test. When it moved
# (a migration ran, or only a temporary table came and went), the fingerprint decides.
_USER_ROWS = {
    "pg_namespace": "oid",
    "pg_class": "oid",
    "pg_attribute": "attrelid",
    "pg_attrdef": "oid",
    "pg_constraint": "oid",
    "pg_trigger": "oid",
    "pg_proc": "oid",
    "pg_type": "oid",
}
CATALOG_STAMP = "SELECT concat_ws(',', {})".format(
    ", ".join(
        f"(SELECT count(*) || '/' || coalesce(max(xmin::text::bigint), 0) FROM {catalog}"
        f" WHERE {key} >= 16384)"
        for catalog, key in _USER_ROWS.items()
    )
)

# The statements that put one table's seed rows back: PostgreSQL writes them itself (format's %I and
# %L quote), from the rows as JSON (json_populate_recordset reads them back into the table's own types).
# Generated columns are left out (they cannot be written), identity columns take the stored values.
RESTORE_TABLE = """
SELECT format(
    'INSERT INTO public.%I (%s) OVERRIDING SYSTEM VALUE '
    'SELECT %s FROM json_populate_recordset(NULL::public.%I, %L)',
    $1::text, cols, cols, $1::text, $2::text
)
FROM (
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) AS cols
    FROM pg_attribute a
    WHERE a.attrelid = format('public.%I', $1::text)::regclass AND a.attnum > 0 AND NOT a.attisdropped
        AND a.attgenerated = ''
) AS columns
"""
TABLE_ROWS = "SELECT json_agg(t) FROM public.{table} AS t"
RESTORE_SEQUENCE = "SELECT format('SELECT setval(%L, %s, %L)', $1::text, $2::bigint, $3::boolean)"


# What the kept connection may raise after a test ended its backend or left a lock held: the driver's
# errors (InternalClientError is not an InterfaceError), the server's, and timeouts.
CONNECTION_TROUBLE = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError)


class SchemaChanged(Exception):
    """The working database's schema is no longer the template's."""


class PgWorkingDatabase:
    """One database for a worker's PostgreSQL tests, put back to the template's rows before each test.

    A copy of the template costs 0.2-0.4 s and writes the whole database (10 MB) to the WAL; putting the
    seed's rows back (a few hundred rows: every table emptied, the non-empty ones refilled, sequences
    reset) is one round trip of a script PostgreSQL wrote from the template at the start, a few
    milliseconds on a connection kept open for it (a new backend first reads the catalogue: 20-40 ms
    more). Where the schema changed or the script fails (a test ran a migration down, a lock is held past
    the timeout), the database is dropped and copied from the template again.
    """

    APPLICATION = "clopos-test-restore"  # how the kept connection shows in pg_stat_activity

    def __init__(self, template_url: str, url: str) -> None:
        self.template_url = template_url
        self.url = url
        self.script = ""
        self.fingerprint = ""
        self.stamp = ""  # CATALOG_STAMP when the schema was last seen to be the template's
        self.used = False
        self.restores = 0
        self.copies = 0
        self._conn: asyncpg.Connection | None = None

    async def create(self) -> None:
        """Copy the template and read the script that restores it."""
        await self._copy()
        conn = await self._connection()
        self.fingerprint = await conn.fetchval(SCHEMA_FINGERPRINT)
        self.script = await _restore_script(conn)

    async def restore(self) -> None:
        """The template's rows, sequences and schema, for the next test (nothing to do before the first)."""
        if not self.used:
            self.used = True
            return
        for _attempt in range(2):  # a test may have ended the kept connection (pg_terminate_backend)
            try:
                await self._restore_rows()
                self.restores += 1
                return
            except SchemaChanged:
                break
            except CONNECTION_TROUBLE:
                await self._disconnect()  # and once more on a new connection, then a copy
        await self._copy()

    async def drop(self) -> None:
        await self._disconnect()
        await drop_pg_database(self.url)

    async def _restore_rows(self) -> None:
        conn = await self._connection()
        stamp = await conn.fetchval(CATALOG_STAMP)
        if stamp != self.stamp:
            if await conn.fetchval(SCHEMA_FINGERPRINT) != self.fingerprint:
                raise SchemaChanged(self.url)
            self.stamp = stamp
        await conn.execute(self.script)

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            dsn = make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
            self._conn = await asyncpg.connect(
                dsn, timeout=10, command_timeout=30, server_settings={"application_name": self.APPLICATION}
            )
        return self._conn

    async def _disconnect(self) -> None:
        if self._conn is not None:
            self._conn.terminate()
            self._conn = None

    async def _copy(self) -> None:
        await self._disconnect()
        await drop_pg_database(self.url)
        await copy_pg_database(self.template_url, _dbname(self.url))
        self.copies += 1
        self.stamp = await (await self._connection()).fetchval(CATALOG_STAMP)


async def _restore_script(conn: asyncpg.Connection) -> str:
    """One transaction that empties every table, refills the non-empty ones and resets the sequences.

    ``session_replication_role = replica`` turns foreign-key and other triggers off for it, so that the
    order of the tables does not matter (the tests connect as a superuser, as ``CREATE DATABASE`` needs).
    """
    tables = [
        row[0] for row in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    ]
    statements = ["BEGIN", "SET LOCAL session_replication_role = replica", "SET LOCAL lock_timeout = '5s'"]
    statements += [await conn.fetchval("SELECT format('DELETE FROM public.%I', $1::text)", t) for t in tables]
    for table in tables:
        quoted = await conn.fetchval("SELECT quote_ident($1)", table)
        rows = await conn.fetchval(TABLE_ROWS.format(table=quoted))
        if rows is not None:
            statements.append(await conn.fetchval(RESTORE_TABLE, table, rows))
    sequences = await conn.fetch(
        "SELECT schemaname, sequencename FROM pg_sequences WHERE schemaname = 'public'"
    )
    for sequence in sequences:
        name = await conn.fetchval("SELECT format('public.%I', $1::text)", sequence["sequencename"])
        value, called = await conn.fetchrow(f"SELECT last_value, is_called FROM {name}")
        statements.append(await conn.fetchval(RESTORE_SEQUENCE, name, value, called))
    statements.append("COMMIT")
    return ";\n".join(statements)


class SqliteWorkingDatabase:
    """The SQLite twin of ``PgWorkingDatabase``: one file path per worker, the template's copy put in
    its place before each test (a 0.7 MB file copy, a few milliseconds). The copy is renamed into place,
    so a connection a test left open keeps the old file rather than seeing this one change under it;
    the old write-ahead log goes first, since SQLite would replay it into the new file."""

    def __init__(self, template_url: str, url: str) -> None:
        self.template = Path(make_url(template_url).database or "")
        self.path = Path(make_url(url).database or "")
        self.url = url
        self.restores = 0
        self.copies = 0

    async def create(self) -> None:
        await self.restore()

    async def restore(self) -> None:
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        staging = self.path.with_name(f"{self.path.name}.{uuid.uuid4().hex[:8]}")
        shutil.copyfile(self.template, staging)
        os.replace(staging, self.path)
        self.copies += 1

    async def drop(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)


WorkingDatabase = PgWorkingDatabase | SqliteWorkingDatabase
