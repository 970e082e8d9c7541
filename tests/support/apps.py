"""The app of a test: built once per settings in a worker, started afresh (its lifespan) for each test.

Building the app is cheap, but its first request is not: FastAPI fills in each route's dependencies on
first use and the method guard builds its table of paths, 40-50 ms of CPU per new app, which the suite
paid once per test. ``AppCache`` keeps one app per distinct ``Settings`` (compared by value: the suite's
settings are the same for every test on a worker's database) and runs a new lifespan for each test, so
each test still gets its own ``Services`` (directory, caches, event bus), and the ``Settings``
object it was given: the lifespan is a fresh ``app_lifespan(settings)``, the routes and middleware are the
cached app's.

The ``Database`` is kept per settings too: SQLAlchemy caches compiled statements on the engine, and a new
engine per test compiled every statement again in every test (13% of the CPU of tests/customers and
tests/receipts). On SQLite each lifespan still disposes of it at the end, which closes every connection
(the file is replaced before the next test). On PostgreSQL its connections stay open from test to test
(``KeptDatabase``): a new backend costs PostgreSQL a few ms of CPU before its first statements, and each
test's app opened two pools afresh. They are closed before a test when they could not serve it as new
ones would (``KeptDatabase.fit``), when the database was copied again, and when another settings' database
is used, so that one worker holds one database's connections at a time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from clopos_server.app import app_lifespan, create_app
from clopos_server.db.engine import Database
from clopos_server.settings import Settings


class KeptDatabase(Database):
    """A PostgreSQL ``Database`` whose connections outlive an app: the lifespan's ``dispose`` keeps them
    open for the next test; ``close`` closes them (the engine and the driver's pool stay usable, and open
    new connections on demand)."""

    async def dispose(self) -> None:
        """An app's shutdown: the connections stay open for the next test (``close`` closes them)."""

    async def close(self) -> None:
        await super().dispose()

    def fit(self) -> bool:
        """Whether the kept connections can serve the next test as new ones would: none left in use (a
        test that leaked one would shrink the next test's pool). A connection a test ended is replaced at
        checkout by either pool (``db/engine.py``, ``db/driver_pool.py``)."""
        pool = self.engine.sync_engine.pool
        return not pool.checkedout() and not (self.driver is not None and self.driver.in_use)


class AppCache:
    def __init__(self) -> None:
        self._apps: dict[str, FastAPI] = {}
        self._databases: dict[str, Database] = {}
        self._kept_open: KeptDatabase | None = None  # the one kept database with connections open
        self.built = 0
        self.reused = 0

    def app_for(self, settings: Settings) -> FastAPI:
        """The worker's app for these settings (by value), its lifespan made for this very object; the
        worker's database for them is made once."""
        key = settings.model_dump_json()
        database = self._databases.get(key)
        if database is None:
            kind = KeptDatabase if settings.database_url.startswith("postgresql") else Database
            self._databases[key] = database = kind.from_settings(settings)
        app = self._apps.get(key)
        if app is None:
            self._apps[key] = app = create_app(settings)
            self.built += 1
        else:
            self.reused += 1
        # Its own lifespan, for this settings object and the kept database. Set on the router directly:
        # FastAPI's own wraps it once per included router (about 100 nested no-op contexts per start).
        app.router.lifespan_context = app_lifespan(settings, open_database=lambda _settings: database)
        return app

    async def _ready(self, settings: Settings) -> None:
        """Close what the kept connections cannot serve: another settings' database's, and this one's
        when they are unfit (``KeptDatabase.fit``)."""
        database = self._databases[settings.model_dump_json()]
        if not isinstance(database, KeptDatabase):
            return
        if self._kept_open is not None and (self._kept_open is not database or not database.fit()):
            await self._kept_open.close()
        self._kept_open = database

    async def forget(self, url: str) -> None:
        """The database at ``url`` was copied again (its connections were ended): close what was kept."""
        if self._kept_open is not None and self._kept_open.url == url:
            await self._kept_open.close()
            self._kept_open = None

    async def close(self) -> None:
        """The end of the session: every kept connection closed."""
        if self._kept_open is not None:
            await self._kept_open.close()
            self._kept_open = None

    @asynccontextmanager
    async def running(self, settings: Settings) -> AsyncIterator[FastAPI]:
        """The app for ``settings``, started for one test and stopped after it."""
        app = self.app_for(settings)
        await self._ready(settings)
        async with app.router.lifespan_context(app):
            yield app
