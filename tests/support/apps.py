"""The app of a test: built once per settings in a worker, started afresh (its lifespan) for each test.

Building the app is cheap, but its first request is not: FastAPI fills in each route's dependencies on
first use and the method guard builds its table of paths, 40-50 ms of CPU per new app, which the suite
paid once per test. ``AppCache`` keeps one app per distinct ``Settings`` (compared by value: the suite's
settings are the same for every test on a worker's database) and runs a new lifespan for each test, so
each test still gets its own ``Services`` (directory, caches, event bus), and the ``Settings``
object it was given: the lifespan comes from a fresh ``create_app(settings)``, the routes and middleware
from the cached app.

The ``Database`` is kept per settings too: SQLAlchemy caches compiled statements on the engine, and a new
engine per test compiled every statement again in every test (13% of the CPU of tests/customers and
tests/receipts). Each lifespan still disposes of it at the end, which closes every connection (a SQLite
file or a PostgreSQL database restored before the next test is seen afresh); the engine and its cache
stay.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from clopos_server.app import create_app
from clopos_server.db.engine import Database
from clopos_server.settings import Settings


class AppCache:
    def __init__(self) -> None:
        self._apps: dict[str, FastAPI] = {}
        self._databases: dict[str, Database] = {}
        self.built = 0
        self.reused = 0

    def app_for(self, settings: Settings) -> FastAPI:
        """The worker's app for these settings (by value), its lifespan made for this very object; the
        worker's database for them is made once and disposed of after each test."""
        key = settings.model_dump_json()
        database = self._databases.get(key)
        if database is None:
            self._databases[key] = database = Database.from_settings(settings)
        app = self._apps.get(key)
        fresh = create_app(settings, open_database=lambda _settings: database)
        if app is None:
            self._apps[key] = app = fresh
            self.built += 1
        else:
            app.router.lifespan_context = fresh.router.lifespan_context
            self.reused += 1
        return app

    @asynccontextmanager
    async def running(self, settings: Settings) -> AsyncIterator[FastAPI]:
        """The app for ``settings``, started for one test and stopped after it."""
        app = self.app_for(settings)
        async with app.router.lifespan_context(app):
            yield app
