"""The limit we measure against: the least each measured endpoint can do on this stack.

A Starlette app whose routes do only the unavoidable HTTP and database work of ours, with no
authentication, validation, pricing, idempotency or rendering:

- ``POST /open-api/orders``: parse the JSON body (orjson), insert it as one JSON row in one transaction,
  answer 201 with the new id and the body (the create baseline; unchanged, so that rounds compare).
- ``GET /open-api/orders?limit=50``: the venue's newest rows' stored JSON text, read by an index on
  ``(venue_id, created_at DESC, id DESC)``, joined into one JSON array.
- ``GET /open-api/orders/{id}``: one row's stored JSON text by primary key.
- ``GET /open-api/products``: a catalogue page answered from bytes held in memory (the file
  ``BASELINE_PRODUCTS_FILE``, our own answer to the same request, read at start).
- ``GET /open-api/v2/events``: a feed page (docs/events.md): the events after ``after`` by the index on
  ``(brand_id, seq)``, oldest first, ``limit + 1`` rows to tell ``has_more``; without ``after`` the
  newest ``limit``. The brand is ``BASELINE_BRAND_ID``.

The read tables hold copies of our own orders and events (the bench runner fills them: see
:data:`POSTGRES_TABLES`), so that the bytes moved are those of our answers. It runs under the same server
process model as clopos-server (uvicorn, the same worker count, uvloop and httptools) against the same
database, so ``ours / baseline`` says how much our own work costs on top of the unavoidable work.

PostgreSQL goes through asyncpg (a pool per worker, as large as clopos-server's); SQLite through aiosqlite
(WAL, ``BEGIN IMMEDIATE``, like clopos-server's SQLite setup). The tables are created by the bench runner
before the server starts.

Run: ``BASELINE_DATABASE_URL=postgresql://... uvicorn --app-dir bench/baseline app:create_app --factory``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

TABLE = "bench_baseline_orders"
# the create baseline's, unchanged so that rounds compare: its body is parsed as jsonb, which our orders
# and events no longer are (migration 0014; about 11 us of the database's CPU per KB of the ~1 KB body)
POSTGRES_TABLE = f"CREATE TABLE IF NOT EXISTS {TABLE} (id BIGSERIAL PRIMARY KEY, body JSONB NOT NULL)"
SQLITE_TABLE = f"CREATE TABLE IF NOT EXISTS {TABLE} (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"
READS = "bench_baseline_reads"
EVENTS = "bench_baseline_events"
# The read baselines' tables: copies of our orders (each as our API renders it: the object of its
# order.created event) and of our events (as the feed renders them), with the indexes our reads use, and
# stored as ours are: JSON text (``json``, migration 0014; with ``jsonb`` the baseline paid for printing
# each document again, which our reads no longer do, and flattered them).
POSTGRES_TABLES = (
    POSTGRES_TABLE,
    f"CREATE TABLE IF NOT EXISTS {READS} (id BIGINT PRIMARY KEY, venue_id INTEGER NOT NULL,"
    " created_at TIMESTAMPTZ NOT NULL, body JSON NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS ix_{READS}_newest ON {READS} (venue_id, created_at DESC, id DESC)",
    f"CREATE TABLE IF NOT EXISTS {EVENTS} (seq BIGINT PRIMARY KEY, brand_id INTEGER NOT NULL,"
    " body JSON NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS ix_{EVENTS}_brand_seq ON {EVENTS} (brand_id, seq)",
)
SQLITE_TABLES = (
    SQLITE_TABLE,
    f"CREATE TABLE IF NOT EXISTS {READS} (id INTEGER PRIMARY KEY, venue_id INTEGER NOT NULL,"
    " created_at TEXT NOT NULL, body TEXT NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS ix_{READS}_newest ON {READS} (venue_id, created_at DESC, id DESC)",
    f"CREATE TABLE IF NOT EXISTS {EVENTS} (seq INTEGER PRIMARY KEY, brand_id INTEGER NOT NULL,"
    " body TEXT NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS ix_{EVENTS}_brand_seq ON {EVENTS} (brand_id, seq)",
)
# The reads, one statement each (the same text on both databases but for the casts and placeholders).
PG_NEWEST = (
    "SELECT body::text FROM bench_baseline_reads WHERE venue_id = $1"
    " ORDER BY created_at DESC, id DESC LIMIT $2"
)
PG_ONE = "SELECT body::text FROM bench_baseline_reads WHERE id = $1"
PG_NEWEST_EVENTS = (
    "SELECT seq, body::text FROM bench_baseline_events WHERE brand_id = $1 ORDER BY seq DESC LIMIT $2"
)
PG_EVENTS_AFTER = (
    "SELECT seq, body::text FROM bench_baseline_events WHERE brand_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
)
SQLITE_NEWEST = (
    "SELECT body FROM bench_baseline_reads WHERE venue_id = ? ORDER BY created_at DESC, id DESC LIMIT ?"
)
SQLITE_ONE = "SELECT body FROM bench_baseline_reads WHERE id = ?"
SQLITE_NEWEST_EVENTS = (
    "SELECT seq, body FROM bench_baseline_events WHERE brand_id = ? ORDER BY seq DESC LIMIT ?"
)
SQLITE_EVENTS_AFTER = (
    "SELECT seq, body FROM bench_baseline_events WHERE brand_id = ? AND seq > ? ORDER BY seq LIMIT ?"
)
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

    async def newest(self, venue_id: int, limit: int) -> list[str]:
        rows = await self.pool.fetch(PG_NEWEST, venue_id, limit)
        return [row[0] for row in rows]

    async def one(self, row_id: int) -> str | None:
        text: str | None = await self.pool.fetchval(PG_ONE, row_id)
        return text

    async def events(self, brand_id: int, after: int | None, limit: int) -> list[tuple[int, str]]:
        if after is None:
            rows = await self.pool.fetch(PG_NEWEST_EVENTS, brand_id, limit)
        else:
            rows = await self.pool.fetch(PG_EVENTS_AFTER, brand_id, after, limit)
        return [(row[0], row[1]) for row in rows]

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

    async def _read(self, sql: str, *args: Any) -> list[Any]:
        conn = await self.idle.get()
        try:
            return list(await conn.execute_fetchall(sql, args))
        finally:
            self.idle.put_nowait(conn)

    async def newest(self, venue_id: int, limit: int) -> list[str]:
        return [row[0] for row in await self._read(SQLITE_NEWEST, venue_id, limit)]

    async def one(self, row_id: int) -> str | None:
        rows = await self._read(SQLITE_ONE, row_id)
        return str(rows[0][0]) if rows else None

    async def events(self, brand_id: int, after: int | None, limit: int) -> list[tuple[int, str]]:
        if after is None:
            rows = await self._read(SQLITE_NEWEST_EVENTS, brand_id, limit)
        else:
            rows = await self._read(SQLITE_EVENTS_AFTER, brand_id, after, limit)
        return [(int(row[0]), str(row[1])) for row in rows]

    async def close(self) -> None:
        for conn in self.connections:
            await conn.close()


def _store(url: str) -> PostgresStore | SqliteStore:
    if url.startswith("sqlite"):
        return SqliteStore(url.split(":///", 1)[1])
    return PostgresStore(url.replace("postgresql+asyncpg://", "postgresql://", 1))


JSON = "application/json"
NOT_FOUND = Response(b'{"success":false}', status_code=404, media_type=JSON)


def _int(text: str | None, default: int | None, low: int = 1, high: int = 2**63 - 1) -> int | None:
    if text is None:
        return default
    try:
        return min(max(int(text), low), high)
    except ValueError:
        return default


def _page(rows: list[str]) -> bytes:
    """Stored JSON texts joined into one array, without a decode."""
    return b'{"success":true,"data":[' + ",".join(rows).encode() + b"]}"


def create_app() -> Starlette:
    store = _store(os.environ["BASELINE_DATABASE_URL"])
    brand_id = int(os.environ.get("BASELINE_BRAND_ID", "1"))
    products_file = os.environ.get("BASELINE_PRODUCTS_FILE")
    products_page = Path(products_file).read_bytes() if products_file else None

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

    async def list_orders(request: Request) -> Response:
        venue_id = _int(request.headers.get("x-venue"), 1)
        limit = _int(request.query_params.get("limit"), 50, high=100)
        assert venue_id is not None and limit is not None
        return Response(_page(await store.newest(venue_id, limit)), media_type=JSON)

    async def get_order(request: Request) -> Response:
        row_id = _int(request.path_params["order_id"], None)
        text = None if row_id is None else await store.one(row_id)
        if text is None:
            return NOT_FOUND
        return Response(b'{"success":true,"data":%s}' % text.encode(), media_type=JSON)

    async def list_products(_request: Request) -> Response:
        if products_page is None:
            return NOT_FOUND
        return Response(products_page, media_type=JSON)

    async def list_events(request: Request) -> Response:
        after = _int(request.query_params.get("after"), None, low=0)
        limit = _int(request.query_params.get("limit"), 50, high=100)
        assert limit is not None
        if after is None:
            rows = list(reversed(await store.events(brand_id, None, limit)))
            more = False
            last = rows[-1][0] if rows else 0
        else:
            rows = await store.events(brand_id, after, limit + 1)
            more = len(rows) > limit
            rows = rows[:limit]
            last = rows[-1][0] if rows else after
        data = _page([text for _, text in rows])[:-1]
        tail = b',"next":"%d","has_more":%s}' % (last, b"true" if more else b"false")
        return Response(data + tail, media_type=JSON)

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
        routes=[
            Route("/open-api/orders", create_order, methods=["POST"]),
            Route("/open-api/orders", list_orders, methods=["GET"]),
            Route("/open-api/orders/{order_id}", get_order, methods=["GET"]),
            Route("/open-api/products", list_products, methods=["GET"]),
            Route("/open-api/v2/events", list_events, methods=["GET"]),
            Route("/healthz", healthz),
        ],
        lifespan=lifespan,
    )
