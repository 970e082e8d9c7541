"""Shared fixtures: every behaviour test runs once on SQLite and once on PostgreSQL (docs/testing.md).

Per worker process (``make test`` runs several with pytest-xdist) and database kind, the demo brands are
migrated and seeded once into a template, and copied once into the worker's working database. Each test
that takes ``db_url`` gets that working database put back to the template's rows first (a file copy on
SQLite, a one-round-trip restore script on PostgreSQL: tests/support/databases.py), so a test still sees
a fresh demo database and nothing an earlier test wrote. The ``app`` is built once per settings and
started (its lifespan: a new pool, directory, caches) for each test (tests/support/apps.py), and the
integrator fixtures hold tokens signed like ``/auth`` signs them (tests/support/tokens.py).

PostgreSQL comes from ``CLOPOS_TEST_DATABASE_URL`` (default: the local server); where it is unreachable
its tests skip with the reason, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import asyncio
import gc
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

from clopos_server.db.engine import Database
from clopos_server.settings import Settings
from tests.support import warmup, watchdog
from tests.support.api import GENERATIONS, OTHER_BRAND_LOGIN, ApiClient, V1Client
from tests.support.apps import AppCache
from tests.support.cputime import CpuLog
from tests.support.databases import (
    BACKENDS,
    PgWorkingDatabase,
    SqliteWorkingDatabase,
    WorkingDatabase,
    copy_pg_database,
    create_pg_database,
    drop_pg_database,
    pg_admin_url,
    pg_reachable,
    prepare_template,
)
from tests.support.schedule import long_first
from tests.support.tokens import TokenMint

# argon2 with the cheapest parameters in this process and the servers it starts (auth/passwords.py): the
# suite's logins, sign-ins and fuzzed /auth calls cost minutes of CPU with the standard ones.
# tests/auth/test_password_hashing.py checks that the standard profile is the default elsewhere.
os.environ.setdefault("CLOPOS_PASSWORD_HASHING", "cheapest")
# A young-generation collection every 50,000 allocations instead of CPython's 700: most of the suite's heap
# lives to the end (hypothesis, schemathesis, SQLAlchemy's caches, an app per settings), and each collection
# of the older generations walks it. With the defaults, tests/orders, receipts and customers ran about
# 6,000 collections, 3.3-3.7 s of their 29 s of CPU; two fuzz shards 3.5 s of 17. Cycles are still
# collected, later (docs/testing.md).
gc.set_threshold(50_000, 20, 20)
IN_CI = os.environ.get("CI", "").lower() == "true"
PG_BASE_URL = os.environ.get(
    "CLOPOS_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/clopos_test"
)
SECRET_KEY = "test-secret-key-0123456789-abcdefgh"
# No TLS to a PostgreSQL on this machine, in this process and every server and command it starts: asyncpg's
# default (sslmode=prefer) builds a TLS context for each connection and asks the server first, about 0.5 ms
# of CPU a connection, and a run makes about 5,000. PGSSLMODE set in the environment wins.
if make_url(PG_BASE_URL).host in {None, "", "127.0.0.1", "localhost", "::1"}:
    os.environ.setdefault("PGSSLMODE", "disable")
_templates: dict[str, str] = {}
_working: dict[str, WorkingDatabase] = {}
_settings: dict[str, Settings] = {}
_run_counts: dict[str, int] = {"sqlite": 0, "postgres": 0}
_apps = AppCache()
_tokens = TokenMint()


def pytest_configure(config: pytest.Config) -> None:
    """Every test bounded (tests/support/watchdog.py); ``CLOPOS_TEST_CPU_LOG=<file>``: each test's CPU
    seconds appended to it (tests/support/cputime.py); the controller builds what each worker of a fresh
    clone would (tests/support/warmup.py)."""
    watchdog.install(config)
    warmup.start(config)
    if cpu_log := os.environ.get("CLOPOS_TEST_CPU_LOG"):
        config.pluginmanager.register(CpuLog(Path(cpu_log)), "clopos-cpu-log")


def pytest_report_header() -> list[str]:
    return [f"clopos: postgres url {make_url(PG_BASE_URL).render_as_string(hide_password=True)}"]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist, the long tests first (tests/support/schedule.py); alone, collection order."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items[:] = long_first(items)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.write_line(
        f"clopos: database-backed tests run on sqlite: {_run_counts['sqlite']}, "
        f"on postgres: {_run_counts['postgres']}"
    )


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """pytest-xdist: a worker's counts, added to the controller's for the summary line."""
    counts = getattr(node, "workeroutput", {}).get("clopos_run_counts", {})
    for backend, count in counts.items():
        _run_counts[backend] += count


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker: the controller prints the counts
        workeroutput["clopos_run_counts"] = dict(_run_counts)
    if "postgres" in _templates:
        asyncio.run(drop_pg_database(_templates["postgres"]))


@pytest.fixture(scope="session")
def tmp_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clopos")


def _pg_url(suffix: str) -> str:
    """A database of this worker process beside ``CLOPOS_TEST_DATABASE_URL``'s (parallel sessions and
    xdist workers never touch each other's)."""
    base = make_url(PG_BASE_URL)
    return base.set(database=f"{base.database}_{suffix}_{os.getpid()}").render_as_string(hide_password=False)


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
            url = _pg_url("tpl")
            await create_pg_database(url, replace=True)
        await prepare_template(url)
        _templates[backend] = url
    return _templates[backend]


@asynccontextmanager
async def fresh_database(backend: str, tmp_root: Path) -> AsyncIterator[str]:
    """A database of its own with the demo brands, copied from the session's template; its URL. For
    fixtures that keep a database beside the tests' (module-scoped ones); a test takes ``db_url``."""
    template = await _template_url(backend, tmp_root)
    _run_counts[backend] += 1
    if backend == "sqlite":
        path = tmp_root / f"t-{uuid.uuid4().hex}.sqlite3"
        shutil.copyfile(make_url(template).database or "", path)
        yield f"sqlite+aiosqlite:///{path}"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        url = await copy_pg_database(template, f"clopos_t_{uuid.uuid4().hex[:12]}")
        try:
            yield url
        finally:
            await drop_pg_database(url)


async def _working_database(backend: str, tmp_root: Path) -> WorkingDatabase:
    """The worker's database for ``backend``'s tests, made from the template on first use."""
    if backend not in _working:
        template = await _template_url(backend, tmp_root)
        if backend == "sqlite":
            work: WorkingDatabase = SqliteWorkingDatabase(
                template, f"sqlite+aiosqlite:///{tmp_root / 'work.sqlite3'}"
            )
        else:
            work = PgWorkingDatabase(template, _pg_url("work"))
        await work.create()
        _working[backend] = work
    return _working[backend]


@pytest.fixture(scope="session")
async def working_databases() -> AsyncIterator[dict[str, WorkingDatabase]]:
    """The working databases, dropped at the end of the session (their kept connections closed first)."""
    yield _working
    await _apps.close()
    for work in _working.values():
        await work.drop()
    _working.clear()


@pytest.fixture(params=BACKENDS)
async def db_url(
    request: pytest.FixtureRequest, tmp_root: Path, working_databases: dict[str, WorkingDatabase]
) -> str:
    """A fresh database with the demo brands, for one test; its URL (the worker's working database, put
    back to the template's state before the test)."""
    work = await _working_database(request.param, tmp_root)
    copies = work.copies
    await work.restore()
    if work.copies != copies:  # copied again: the connections kept to it were ended
        await _apps.forget(work.url)
    _run_counts[request.param] += 1
    return work.url


@pytest.fixture
async def database(db_url: str) -> AsyncIterator[Database]:
    db = Database(db_url, pool_size=5)
    yield db
    await db.dispose()


__all__ = ["pg_admin_url"]


@pytest.fixture
def settings(db_url: str) -> Settings:
    """The test's own ``Settings``: a copy of the worker's for ``db_url`` (reading the environment, as
    ``Settings()`` does, cost 0.8 ms of CPU per test; a copy, about a microsecond)."""
    base = _settings.get(db_url)
    if base is None:
        _settings[db_url] = base = Settings(database_url=db_url, rate_limits="off", secret_key=SECRET_KEY)
    return base.model_copy()


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app for ``settings``, started for this test (tests/support/apps.py)."""
    async with _apps.running(settings) as application:
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def v1(app: FastAPI, client: httpx.AsyncClient) -> V1Client:
    """A client authenticated as the demo integrator at venue 1 of ``openapitest``."""
    return await _tokens.client(app, client, "v1")


@pytest.fixture
async def other_v1(app: FastAPI, client: httpx.AsyncClient) -> V1Client:
    """The same app, authenticated as the ``demo-other`` brand."""
    return await _tokens.client(app, client, "v1", **OTHER_BRAND_LOGIN)


@pytest.fixture
async def v2(app: FastAPI, client: httpx.AsyncClient) -> ApiClient:
    """The demo brand's test integrator under ``/open-api/v2`` alone (v2-only endpoints)."""
    return await _tokens.client(app, client, "v2")


@pytest.fixture
async def other_v2(app: FastAPI, client: httpx.AsyncClient) -> ApiClient:
    """The ``demo-other`` brand's production integrator under ``/open-api/v2``."""
    return await _tokens.client(app, client, "v2", **OTHER_BRAND_LOGIN)


@pytest.fixture(params=GENERATIONS)
def generation(request: pytest.FixtureRequest) -> str:
    """``v1`` or ``v2``: a test that takes ``api`` runs once under each API prefix."""
    param: str = request.param
    return param


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient, generation: str) -> ApiClient:
    """The demo brand's integrator at venue 1, logged in under ``/open-api`` (v1: x-token, x-brand,
    x-venue) or ``/open-api/v2`` (v2: x-token only, the demo test integrator)."""
    return await _tokens.client(app, client, generation)


@pytest.fixture
async def other_api(app: FastAPI, client: httpx.AsyncClient, generation: str) -> ApiClient:
    """The ``demo-other`` brand under the same generation as ``api`` (v2: its production integrator)."""
    return await _tokens.client(app, client, generation, **OTHER_BRAND_LOGIN)
