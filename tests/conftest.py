"""Shared fixtures: every behaviour test runs once on SQLite and once on PostgreSQL.

Each test gets its own database, copied from a template that was migrated and seeded with the demo
brands once per session (a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL, made
ahead of the test by a background thread: ``PgCopies``).
PostgreSQL comes from ``CLOPOS_TEST_DATABASE_URL`` (default: the local server); where it is unreachable
its tests skip with the reason, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from clopos_server.app import create_app
from clopos_server.db.engine import Database
from clopos_server.settings import Settings
from tests.support.api import GENERATIONS, OTHER_BRAND_LOGIN, ApiClient, V1Client
from tests.support.databases import (
    BACKENDS,
    PgCopies,
    create_pg_database,
    drop_pg_database,
    pg_admin_url,
    pg_reachable,
    prepare_template,
)

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_BASE_URL = os.environ.get(
    "CLOPOS_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/clopos_test"
)
_templates: dict[str, str] = {}
_pg_copies: list[PgCopies] = []  # one, once the PostgreSQL template exists
_run_counts: dict[str, int] = {"sqlite": 0, "postgres": 0}


def pytest_report_header() -> list[str]:
    return [f"clopos: postgres url {make_url(PG_BASE_URL).render_as_string(hide_password=True)}"]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.write_line(
        f"clopos: database-backed tests run on sqlite: {_run_counts['sqlite']}, "
        f"on postgres: {_run_counts['postgres']}"
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    for copies in _pg_copies:
        copies.close()
    if "postgres" in _templates:
        asyncio.run(drop_pg_database(_templates["postgres"]))


@pytest.fixture(scope="session")
def tmp_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clopos")


async def _template_url(backend: str, tmp_root: Path) -> str:
    if backend not in _templates:
        if backend == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_root / 'template.sqlite3'}"
        else:
            if not await pg_reachable(PG_BASE_URL):
                message = f"PostgreSQL unreachable at {make_url(PG_BASE_URL).host}"
                if IN_CI:
                    pytest.fail(f"{message} (CI=true: PostgreSQL tests must run)")
                pytest.skip(f"{message}; set CLOPOS_TEST_DATABASE_URL or start PostgreSQL")
            # one template per test session, so that parallel sessions never drop each other's
            base = make_url(PG_BASE_URL)
            url = base.set(database=f"{base.database}_tpl_{os.getpid()}").render_as_string(
                hide_password=False
            )
            await create_pg_database(url, replace=True)
        await prepare_template(url)
        if backend == "postgres":
            _pg_copies.append(PgCopies(url))
        _templates[backend] = url
    return _templates[backend]


@asynccontextmanager
async def fresh_database(backend: str, tmp_root: Path) -> AsyncIterator[str]:
    """A fresh database with the demo brands, copied from the session's template; its URL."""
    template = await _template_url(backend, tmp_root)
    _run_counts[backend] += 1
    if backend == "sqlite":
        path = tmp_root / f"t-{uuid.uuid4().hex}.sqlite3"
        shutil.copyfile(make_url(template).database or "", path)
        yield f"sqlite+aiosqlite:///{path}"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        url = _pg_copies[0].take()
        yield url
        _pg_copies[0].give_back(url)


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_root: Path) -> AsyncIterator[str]:
    """A fresh database with the demo brands, for one test; its URL."""
    async with fresh_database(request.param, tmp_root) as url:
        yield url


@pytest.fixture
async def database(db_url: str) -> AsyncIterator[Database]:
    db = Database(db_url, pool_size=5)
    yield db
    await db.dispose()


__all__ = ["pg_admin_url"]


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, rate_limits="off", secret_key="test-secret-key-0123456789-abcdefgh")


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def v1(client: httpx.AsyncClient) -> V1Client:
    """A client authenticated as the demo integrator at venue 1 of ``openapitest``."""
    return await V1Client.login(client)


@pytest.fixture
async def other_v1(client: httpx.AsyncClient) -> V1Client:
    """The same app, authenticated as the ``demo-other`` brand."""
    return await V1Client.login(client, **OTHER_BRAND_LOGIN)


@pytest.fixture(params=GENERATIONS)
def generation(request: pytest.FixtureRequest) -> str:
    """``v1`` or ``v2``: a test that takes ``api`` runs once under each API prefix."""
    param: str = request.param
    return param


@pytest.fixture
async def api(client: httpx.AsyncClient, generation: str) -> ApiClient:
    """The demo brand's integrator at venue 1, logged in under ``/open-api`` (v1: x-token, x-brand,
    x-venue) or ``/open-api/v2`` (v2: x-token only, the demo test integrator)."""
    return await ApiClient.login(client, generation)


@pytest.fixture
async def other_api(client: httpx.AsyncClient, generation: str) -> ApiClient:
    """The ``demo-other`` brand under the same generation as ``api`` (v2: its production integrator)."""
    return await ApiClient.login(client, generation, **OTHER_BRAND_LOGIN)
