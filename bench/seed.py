"""The read scenarios' data: orders cloned up to a count, and the read baselines' copies of ours.

Cloning copies one real created order, with its history row and its ``order.created`` event, ``count``
times in a single ``INSERT ... SELECT`` per table (``generate_series`` on PostgreSQL, a recursive CTE on
SQLite), instead of the API's one request per order. Each clone is one second older than the one before,
so the newest page of the list stays the orders the run created. The JSON values are copied as they are:
the clones' events, and their copies in the baseline's table, carry the template's JSON, whose ``id`` is
the template's. Rewriting the id in each document (``jsonb_set``) cost ten times the copy on PostgreSQL
(5,000 events: 7 to 13 s against 0.6 to 1.6 s on a loaded machine); no scenario reads those events, and
the bytes moved are the same.

The baselines' tables (bench/baseline/app.py) hold each order as our API renders it (the object of its
``order.created`` event, which is ``render_order`` at creation) and each event as the feed renders it, so
that a baseline moves the same bytes as our answer.

Every statement here is fixed text with bound values; the orders' column names come from the database's
own catalogue and are quoted.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path
from typing import Any

Step = tuple[str, tuple[Any, ...]]


class SeedError(Exception):
    """The data could not be written as asked; the message says why."""


_PG_COLUMNS = (
    "SELECT column_name FROM information_schema.columns"
    " WHERE table_schema = current_schema() AND table_name = 'orders' ORDER BY ordinal_position"
)
_PG_TEMPLATE_HISTORY = 'SELECT "by" FROM order_history WHERE order_id = $1 ORDER BY id LIMIT 1'
_PG_TEMPLATE_EVENT = (
    "SELECT seq FROM events WHERE type = 'order.created' AND (data->'object'->>'id')::bigint = $1"
)
_PG_HISTORY = (
    'INSERT INTO order_history (brand_id, order_id, status, at, "by")'
    " SELECT brand_id, id, status, created_at, $2 FROM orders WHERE id > $1 ORDER BY id"
)
_PG_EVENTS = (
    "INSERT INTO events (type, brand_id, venue_id, created_at, data)"
    " SELECT 'order.created', o.brand_id, o.venue_id, o.created_at, e.data"
    " FROM orders o, (SELECT data FROM events WHERE seq = $2) AS e WHERE o.id > $1 ORDER BY o.id"
)
_PG_CLONE_READS = (
    "INSERT INTO bench_baseline_reads (id, venue_id, created_at, body)"
    " SELECT o.id, o.venue_id, o.created_at, r.body"
    " FROM orders o, (SELECT body FROM bench_baseline_reads WHERE id = $2) AS r WHERE o.id > $1"
)
_PG_FILL_READS = (
    "INSERT INTO bench_baseline_reads (id, venue_id, created_at, body)"
    " SELECT o.id, o.venue_id, o.created_at, e.data->'object'"
    " FROM events e JOIN orders o ON o.id = (e.data->'object'->>'id')::bigint"
    " WHERE e.type = 'order.created' AND o.id > (SELECT coalesce(max(id), 0) FROM bench_baseline_reads)"
)
_PG_FILL_EVENTS = (
    "INSERT INTO bench_baseline_events (seq, brand_id, body)"
    " SELECT seq, brand_id, jsonb_build_object("
    "'id', 'evt_' || lpad(to_hex(seq), 16, '0'), 'cursor', seq::text, 'type', type, 'brand_id', brand_id,"
    " 'venue_id', venue_id, 'created_at', to_char(created_at AT TIME ZONE 'UTC',"
    " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), 'data', data)"
    " FROM events WHERE seq > (SELECT coalesce(max(seq), 0) FROM bench_baseline_events)"
)
_PG_CURSOR = "SELECT seq FROM events WHERE brand_id = $1 ORDER BY seq DESC OFFSET $2 LIMIT 1"

_SQLITE_TEMPLATE_HISTORY = 'SELECT "by" FROM order_history WHERE order_id = ? ORDER BY id LIMIT 1'
_SQLITE_TEMPLATE_EVENT = (
    "SELECT seq FROM events WHERE type = 'order.created' AND json_extract(data, '$.object.id') = ?"
)
_SQLITE_HISTORY = (
    'INSERT INTO order_history (brand_id, order_id, status, at, "by")'
    " SELECT brand_id, id, status, created_at, ? FROM orders WHERE id > ? ORDER BY id"
)
_SQLITE_EVENTS = (
    "INSERT INTO events (type, brand_id, venue_id, created_at, data)"
    " SELECT 'order.created', o.brand_id, o.venue_id, o.created_at, e.data"
    " FROM orders o, (SELECT data FROM events WHERE seq = ?) AS e WHERE o.id > ? ORDER BY o.id"
)
_SQLITE_CLONE_READS = (
    "INSERT INTO bench_baseline_reads (id, venue_id, created_at, body)"
    " SELECT o.id, o.venue_id, o.created_at, r.body"
    " FROM orders o, (SELECT body FROM bench_baseline_reads WHERE id = ?) AS r WHERE o.id > ?"
)
_SQLITE_FILL_READS = (
    "INSERT INTO bench_baseline_reads (id, venue_id, created_at, body)"
    " SELECT o.id, o.venue_id, o.created_at, json_extract(e.data, '$.object')"
    " FROM events e JOIN orders o ON o.id = json_extract(e.data, '$.object.id')"
    " WHERE e.type = 'order.created' AND o.id > (SELECT coalesce(max(id), 0) FROM bench_baseline_reads)"
)
_SQLITE_FILL_EVENTS = (
    "INSERT INTO bench_baseline_events (seq, brand_id, body)"
    " SELECT seq, brand_id, json_object("
    "'id', 'evt_' || printf('%016x', seq), 'cursor', CAST(seq AS TEXT), 'type', type, 'brand_id', brand_id,"
    " 'venue_id', venue_id, 'created_at', strftime('%Y-%m-%dT%H:%M:%S.000000Z', created_at),"
    " 'data', json(data))"
    " FROM events WHERE seq > (SELECT coalesce(max(seq), 0) FROM bench_baseline_events)"
)
_SQLITE_CURSOR = "SELECT seq FROM events WHERE brand_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pg_clone_orders(columns: list[str]) -> str:
    """Every column of the template but ``id``; the times one second older per clone."""
    kept = [c for c in columns if c != "id"]
    values = [
        f"o.{_quoted(c)} - make_interval(secs => g.n)"
        if c in ("created_at", "updated_at")
        else f"o.{_quoted(c)}"
        for c in kept
    ]
    names = ", ".join(_quoted(c) for c in kept)
    insert = f"INSERT INTO orders ({names}) SELECT {', '.join(values)}"
    return insert + " FROM orders o CROSS JOIN generate_series(1, $2) AS g(n) WHERE o.id = $1"


def _sqlite_clone_orders(columns: list[str]) -> str:
    kept = [c for c in columns if c != "id"]
    older = "strftime('%Y-%m-%d %H:%M:%S', o.{0}, '-' || g.n || ' seconds') || '.000000'"
    values = [
        older.format(_quoted(c)) if c in ("created_at", "updated_at") else f"o.{_quoted(c)}" for c in kept
    ]
    names = ", ".join(_quoted(c) for c in kept)
    insert = f"INSERT INTO orders ({names}) SELECT {', '.join(values)}"
    series = "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?) "
    return series + insert + " FROM orders o, g WHERE o.id = ?"


class Seeder:
    """The bench database, written directly (the server idles meanwhile)."""

    def __init__(self, backend: str, url: str, path: Path | None) -> None:
        self.backend = backend
        self.url = url  # postgresql://... (asyncpg's form)
        self.path = path  # the SQLite file

    # ------------------------------------------------------------------ running statements

    def _sqlite(self, steps: list[Step], *, fetch: bool = False, transaction: bool = True) -> list[Any]:
        assert self.path is not None
        with contextlib.closing(sqlite3.connect(self.path, timeout=60, isolation_level=None)) as conn:
            found: list[Any] = []
            if transaction:
                conn.execute("BEGIN IMMEDIATE")
            for sql, args in steps:
                cursor = conn.execute(sql, args)
                # rowcount is -1 for a statement that starts with WITH, and total_changes counts the rows
                # that triggers write too (migration 0010's order counts); changes() is the statement's own
                found.append(cursor.fetchall() if fetch else conn.execute("SELECT changes()").fetchone()[0])
            if transaction:
                conn.execute("COMMIT")
            return found

    async def _pg(self, steps: list[Step], *, fetch: bool = False) -> list[Any]:
        import asyncpg

        conn = await asyncpg.connect(self.url)
        try:
            found: list[Any] = []
            async with conn.transaction():
                for sql, args in steps:
                    if fetch:
                        found.append([tuple(row) for row in await conn.fetch(sql, *args)])
                    else:
                        status = await conn.execute(sql, *args)
                        found.append(int(status.rsplit(" ", 1)[-1]) if status[-1:].isdigit() else 0)
            return found
        finally:
            await conn.close()

    def run(self, steps: list[Step], *, fetch: bool = False) -> list[Any]:
        """The steps in one transaction: row lists (``fetch``) or counts of rows written."""
        if self.backend == "sqlite":
            return self._sqlite(steps, fetch=fetch)
        return asyncio.run(self._pg(steps, fetch=fetch))

    def value(self, pg_sql: str, sqlite_sql: str, *args: Any) -> Any:
        (rows,) = self.run([(sqlite_sql if self.backend == "sqlite" else pg_sql, args)], fetch=True)
        return rows[0][0] if rows else None

    # ------------------------------------------------------------------ what the bench asks for

    def clone_orders(self, template_id: int, count: int, *, baseline: bool) -> int:
        """``count`` copies of order ``template_id`` with their history rows and order.created events, and
        (``baseline``) their copies in the list baseline's table, which must hold the template already."""
        if count <= 0:
            return 0
        by = self.value(_PG_TEMPLATE_HISTORY, _SQLITE_TEMPLATE_HISTORY, template_id)
        event = self.value(_PG_TEMPLATE_EVENT, _SQLITE_TEMPLATE_EVENT, template_id)
        if by is None or event is None:
            raise SeedError(f"order {template_id} has no history row or no order.created event to clone")
        last = int(self.value("SELECT max(id) FROM orders", "SELECT max(id) FROM orders"))
        if self.backend == "sqlite":
            assert self.path is not None
            with contextlib.closing(sqlite3.connect(self.path)) as conn:
                columns = [row[1] for row in conn.execute("PRAGMA table_info(orders)")]
            steps: list[Step] = [
                (_sqlite_clone_orders(columns), (count, template_id)),
                (_SQLITE_HISTORY, (by, last)),
                (_SQLITE_EVENTS, (event, last)),
            ]
            if baseline:
                steps.append((_SQLITE_CLONE_READS, (template_id, last)))
        else:
            (rows,) = self.run([(_PG_COLUMNS, ())], fetch=True)
            columns = [row[0] for row in rows]
            steps = [
                (_pg_clone_orders(columns), (template_id, count)),
                (_PG_HISTORY, (last, by)),
                (_PG_EVENTS, (last, event)),
            ]
            if baseline:
                steps.append((_PG_CLONE_READS, (last, template_id)))
        written = self.run(steps)
        if any(n != count for n in written):
            raise SeedError(
                f"cloning wrote {written} rows (orders, history, events, baseline), not {count} each"
            )
        return count

    def fill_reads(self) -> int:
        """Copy the orders not yet in the list baseline's table, each as its order.created event's object
        (our rendering); the rows copied."""
        (copied,) = self.run([(_SQLITE_FILL_READS if self.backend == "sqlite" else _PG_FILL_READS, ())])
        return int(copied)

    def fill_events(self) -> int:
        """Copy the events not yet in the feed baseline's table, as the feed renders them; the rows copied."""
        (copied,) = self.run([(_SQLITE_FILL_EVENTS if self.backend == "sqlite" else _PG_FILL_EVENTS, ())])
        return int(copied)

    def settle(self) -> None:
        """After a bulk write: fresh planner statistics and a clean visibility map (PostgreSQL), a
        checkpointed WAL (SQLite), so that no background work of the database runs into the next
        scenario."""
        if self.backend == "sqlite":
            self._sqlite([("PRAGMA wal_checkpoint(TRUNCATE)", ())], fetch=True, transaction=False)
            return
        asyncio.run(self._vacuum())

    async def _vacuum(self) -> None:
        import asyncpg

        conn = await asyncpg.connect(self.url)
        try:
            await conn.execute("VACUUM ANALYZE orders, order_history, events, bench_baseline_reads")
        finally:
            await conn.close()

    def brand_id(self, slug: str) -> int:
        found = self.value(
            "SELECT id FROM brands WHERE slug = $1", "SELECT id FROM brands WHERE slug = ?", slug
        )
        if found is None:
            raise SeedError(f"no brand {slug!r}")
        return int(found)

    def feed_cursor(self, brand_id: int, back: int) -> int:
        """The cursor ``back`` events before the brand's newest (0 when the log is shorter), so that a feed
        page after it is full."""
        found = self.value(_PG_CURSOR, _SQLITE_CURSOR, brand_id, back)
        return int(found or 0)

    def count(self, table: str) -> int:
        if table not in (
            "orders",
            "events",
            "order_history",
            "bench_baseline_reads",
            "bench_baseline_events",
        ):
            raise ValueError(table)
        sql = f"SELECT count(*) FROM {table}"  # noqa: S608  (a table name from the fixed list above)
        return int(self.value(sql, sql))
