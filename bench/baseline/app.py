"""The limit we measure against: the least a create-order endpoint can do on this stack.

A Starlette app with one route, ``POST /open-api/orders``: parse the JSON body (orjson), insert it as one
JSON row in one transaction, answer 201 with the new id and the body. No authentication, validation,
pricing or idempotency. It runs under the same server process model as clopos-server (uvicorn, the same
worker count, uvloop and httptools) against the same database, so ``ours / baseline`` for create-order
requests/s says how much our own work costs on top of the unavoidable HTTP and database work.

PostgreSQL goes through asyncpg (a pool per worker, as large as clopos-server's); SQLite through aiosqlite
(WAL, ``BEGIN IMMEDIATE``, like clopos-server's SQLite setup). The table is created by the bench runner
(:data:`POSTGRES_TABLE` / :data:`SQLITE_TABLE`) before the server starts.

Run: ``BASELINE_DATABASE_URL=postgresql://... uvicorn --app-dir bench/baseline app:create_app --factory``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

TABLE = "bench_baseline_orders"
POSTGRES_TABLE = f"CREATE TABLE IF NOT EXISTS {TABLE} (id BIGSERIAL PRIMARY KEY, body JSONB NOT NULL)"
SQLITE_TABLE = f"CREATE TABLE IF NOT EXISTS {TABLE} (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"
POOL_SIZE = 10  # clopos-server's engine: pool_size 10, max_overflow 10
MAX_POOL_SIZE = 20


class PostgresStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.pool: Any = None

    async def open(self) -> None:
        import asyncpg

        self.pool = await asyncpg.create_pool(self.url, min_size=POOL_SIZE, max_size=MAX_POOL_SIZE)

    async def insert(self, body: bytes) -> int:
        async with self.pool.acquire() as conn, conn.transaction():
            row_id: int = await conn.fetchval(
                "INSERT INTO bench_baseline_orders (body) VALUES ($1::jsonb) RETURNING id", body.decode()
            )
        return row_id

    async def close(self) -> None:
        await self.pool.close()


class SqliteStore:
    def __init__(self, path: str) -> None:
        self.path = path
        self.idle: asyncio.Queue[Any] = asyncio.Queue()
        self.connections: list[Any] = []

    async def open(self) -> None:
        import aiosqlite

        for _ in range(5):
            conn = await aiosqlite.connect(self.path, timeout=15, isolation_level=None)
            for pragma in ("journal_mode=WAL", "busy_timeout=15000", "synchronous=NORMAL"):
                await conn.execute(f"PRAGMA {pragma}")
            self.connections.append(conn)
            self.idle.put_nowait(conn)

    async def insert(self, body: bytes) -> int:
        conn = await self.idle.get()
        try:
            await conn.execute("BEGIN IMMEDIATE")
            try:
                cursor = await conn.execute(
                    "INSERT INTO bench_baseline_orders (body) VALUES (?)", (body.decode(),)
                )
                row_id = cursor.lastrowid
                await conn.execute("COMMIT")
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
        finally:
            self.idle.put_nowait(conn)
        return int(row_id or 0)

    async def close(self) -> None:
        for conn in self.connections:
            await conn.close()


def _store(url: str) -> PostgresStore | SqliteStore:
    if url.startswith("sqlite"):
        return SqliteStore(url.split(":///", 1)[1])
    return PostgresStore(url.replace("postgresql+asyncpg://", "postgresql://", 1))


def create_app() -> Starlette:
    store = _store(os.environ["BASELINE_DATABASE_URL"])

    async def create_order(request: Request) -> Response:
        raw = await request.body()
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return Response(b'{"success":false}', status_code=400, media_type="application/json")
        if not isinstance(body, dict):
            return Response(b'{"success":false}', status_code=400, media_type="application/json")
        row_id = await store.insert(raw)
        answer = b'{"success":true,"data":{"id":%d,"order":%s}}' % (row_id, raw)
        return Response(answer, status_code=201, media_type="application/json")

    async def healthz(_request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await store.open()
        try:
            yield
        finally:
            await store.close()

    return Starlette(
        routes=[Route("/open-api/orders", create_order, methods=["POST"]), Route("/healthz", healthz)],
        lifespan=lifespan,
    )
