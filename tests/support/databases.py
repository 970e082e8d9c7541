"""Creating, templating and dropping test databases."""

from __future__ import annotations

import asyncio
import queue
import threading
import uuid

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


class PgCopies:
    """Copies of the PostgreSQL template, made ahead of the tests by a thread of their own.

    ``CREATE DATABASE ... TEMPLATE`` takes 0.2-0.4 s here and the suite makes one per PostgreSQL test;
    made while the previous test runs, it rarely keeps a test waiting. Drops are deferred to the same
    thread. Only this thread copies the template, since PostgreSQL refuses two copies of one template at
    once.
    """

    def __init__(self, template_url: str, *, ahead: int = 2) -> None:
        self.template_url = template_url
        self.template = _dbname(template_url)
        self.ready: queue.Queue[str] = queue.Queue(maxsize=ahead)
        self.unwanted: queue.Queue[str] = queue.Queue()
        self.failure: BaseException | None = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def take(self) -> str:
        """The URL of a fresh copy, for one test."""
        for _ in range(120):
            if self.failure is not None:
                raise RuntimeError("copying the PostgreSQL test template failed") from self.failure
            try:
                name = self.ready.get(timeout=1)
            except queue.Empty:
                continue
            return make_url(self.template_url).set(database=name).render_as_string(hide_password=False)
        raise TimeoutError("no copy of the PostgreSQL test template within 120 s")

    def give_back(self, url: str) -> None:
        self.unwanted.put(_dbname(url))

    def close(self) -> None:
        """Stop copying and drop every copy, used or not."""
        self.stopping.set()
        self.thread.join(timeout=60)

    def _run(self) -> None:
        try:
            asyncio.run(self._work())
        except BaseException as error:  # the next take() reports it
            self.failure = error

    async def _work(self) -> None:
        conn = await asyncpg.connect(pg_admin_url(self.template_url))
        made: str | None = None
        try:
            while not self.stopping.is_set():
                await self._drop_unwanted(conn)
                if made is None:
                    made = f"clopos_t_{uuid.uuid4().hex[:12]}"
                    await conn.execute(f'CREATE DATABASE "{made}" TEMPLATE "{self.template}"')
                try:
                    self.ready.put(made, timeout=0.05)
                    made = None
                except queue.Full:
                    await asyncio.sleep(0.02)
            if made is not None:
                self.unwanted.put(made)
            while not self.ready.empty():
                self.unwanted.put(self.ready.get_nowait())
            await self._drop_unwanted(conn)
        finally:
            await conn.close()

    async def _drop_unwanted(self, conn: asyncpg.Connection) -> None:
        while True:
            try:
                name = self.unwanted.get_nowait()
            except queue.Empty:
                return
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
