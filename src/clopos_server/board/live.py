"""Cards from the database, and the board's Server-Sent Events stream, read from the event log.

The stream reads the venue's order and receipt events from the log (``events.log``) after its cursor and
sends the cards of the orders they are about, as they are now. The ``id:`` of each card is the log cursor
of that order's newest event, so a browser that reconnects sends it back as ``Last-Event-ID`` (or
``since=`` on a new EventSource) and gets every order changed after it, from any instance.

What arrives on the event bus (this instance's commits, other instances' notes through LISTEN/NOTIFY or
Redis, a transport's ``resync``) is only a wake-up: "read the log now". A stream that misses one (Redis
hung, a dropped connection, a full queue) still reads the log every ``POLL_SECONDS``; after a wake-up that
found nothing yet (PostgreSQL shows an event once every older transaction has ended) it reads again every
``EAGER_SECONDS`` for a while.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server import jsonio, metrics
from clopos_server.auth.directory import BrandInfo
from clopos_server.board import queries
from clopos_server.board.i18n import ENGLISH, Texts
from clopos_server.board.render import RenderContext, card
from clopos_server.events import log as events_log
from clopos_server.events.bus import channel_name
from clopos_server.orders.repository import receipts_by_id
from clopos_server.services import Services

log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15.0
POLL_SECONDS = 1.0  # a stream that missed its wake-up reads the log this often anyway
EAGER_SECONDS = 0.05  # after a wake-up that found nothing visible yet, read this often ...
EAGER_WINDOW = 2.0  # ... for this long
CATCH_UP_LIMIT = 300  # more events than this after a cursor: the browser reloads the whole board
BOARD_TYPES = tuple(
    t for t in events_log.LOGGED_TYPES if t.startswith(("order.", "receipt.", "waiter_call."))
)  # waiter calls: board/waiter_calls.py
CURSOR_DIGITS = 19
RETRY_MS = 1500  # the browser's reconnect delay after a dropped stream
# Put on every stream's queue when the server begins to stop (app.py): the stream sends ``reconnect`` and
# ends, and the browser reconnects (after RETRY_MS) to an instance that is not stopping.
SHUTDOWN_EVENT = "shutdown"


async def render_context(
    services: Services, conn: AsyncConnection, brand: BrandInfo, venue_id: int, csrf: str, t: Texts = ENGLISH
) -> RenderContext:
    snapshot = await services.snapshots.get(conn, brand.id, brand.catalog_version)
    payments = await queries.payment_choices(conn, brand.id, venue_id)
    staff = await queries.staff_names(conn, brand.id)
    return RenderContext(brand, venue_id, csrf, snapshot, payments, staff, t)


async def cards_for(
    conn: AsyncConnection, ctx: RenderContext, orders: Sequence[Row[Any]]
) -> list[dict[str, Any]]:
    brand_id = ctx.brand.id
    versions = await queries.versions(conn, brand_id, [o.id for o in orders])
    receipts = await receipts_by_id(conn, brand_id, [o.receipt_id for o in orders if o.receipt_id])
    steps = await queries.histories(conn, brand_id, [o.id for o in orders])
    return [
        card(ctx, o, versions.get(o.id, 0), receipts.get(o.receipt_id or 0), steps.get(o.id, ()))
        for o in orders
    ]


async def cards_by_id(
    services: Services,
    brand: BrandInfo,
    venue_id: int,
    csrf: str,
    order_ids: Sequence[int],
    t: Texts = ENGLISH,
) -> list[dict[str, Any]]:
    """The cards of those orders that belong to this brand and venue, as they are now."""
    async with services.db.read() as conn:
        orders = await queries.orders_by_id(conn, brand.id, venue_id, order_ids)
        if not orders:
            return []
        ctx = await render_context(services, conn, brand, venue_id, csrf, t)
        return await cards_for(conn, ctx, orders)


def sse(event: str, data: Any, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {jsonio.dumps_str(data)}\n\n"


def cursor_field(value: str | None) -> int | None:
    """A log cursor from ``Last-Event-ID`` or ``since=``: ASCII digits (cursors outgrow INTEGER ids)."""
    text = (value or "").strip()
    if not (1 <= len(text) <= CURSOR_DIGITS and text.isascii() and text.isdigit()):
        return None
    return min(int(text), events_log.MAX_CURSOR)


class BoardStream:
    """One browser's stream of one venue."""

    def __init__(
        self,
        services: Services,
        brand_id: int,
        venue_id: int,
        csrf: str,
        *,
        still_allowed: Callable[[], Awaitable[bool]] | None = None,
        keepalive: float = KEEPALIVE_SECONDS,
        texts: Texts = ENGLISH,
        poll: float = POLL_SECONDS,
    ) -> None:
        self.services = services
        self.brand_id = brand_id
        self.venue_id = venue_id
        self.csrf = csrf
        self.still_allowed = still_allowed
        self.keepalive = keepalive
        self.poll = poll
        self.cursor = 0
        self.texts = texts
        self.calls: list[tuple[int, int]] = []  # (waiter call id, cursor) read from the log, not yet sent

    @property
    def brand(self) -> BrandInfo:
        return self.services.directory.brands_by_id[self.brand_id]  # fresh: the catalogue version moves

    async def _changed_orders(self) -> dict[int, int] | None:
        """Order id -> cursor of its newest event, for the log's events after the cursor (which moves past
        them); None when there are too many to send card by card."""
        async with self.services.db.read() as conn:
            refs = await events_log.refs_after(
                conn,
                self.brand_id,
                self.venue_id,
                after=self.cursor,
                limit=CATCH_UP_LIMIT + 1,
                types=BOARD_TYPES,
            )
            if len(refs) > CATCH_UP_LIMIT:
                self.cursor = await events_log.latest_cursor(conn, self.brand_id, self.venue_id)
                return None
            receipt_ids = [r.object_id for r in refs if r.type.startswith("receipt.") and r.object_id]
            of_receipt = await queries.orders_of_receipts(conn, self.brand_id, self.venue_id, receipt_ids)
        newest: dict[int, int] = {}
        for ref in refs:
            if ref.type.startswith("waiter_call.") and ref.object_id is not None:
                self.calls.append((ref.object_id, ref.seq))
                continue
            order_id = ref.object_id if ref.type.startswith("order.") else of_receipt.get(ref.object_id or 0)
            if order_id is not None:
                newest.pop(order_id, None)  # re-inserted last: the dict stays in cursor order
                newest[order_id] = ref.seq
        if refs:
            self.cursor = refs[-1].seq
        return newest

    async def _news(self) -> str:
        """The cards of the orders changed after the cursor, each with its newest event's cursor as id;
        before them, the waiter calls among those events."""
        changed = await self._changed_orders()
        if changed is None:
            self.calls.clear()
            return sse("reset", {"reason": "too much changed: reload the board"})
        calls = await self._call_news()
        if not changed:
            return calls
        cards = await cards_by_id(
            self.services, self.brand, self.venue_id, self.csrf, list(changed), self.texts
        )
        cards.sort(key=lambda item: changed[int(item["id"])])
        return calls + "".join(sse("order", item, changed[int(item["id"])]) for item in cards)

    async def _call_news(self) -> str:
        from clopos_server.board import waiter_calls  # it builds on this module

        refs, self.calls = self.calls, []
        found = await waiter_calls.news(self.services, self.brand_id, refs, self.texts, self.csrf)
        return "".join(sse("waiter_call", data, seq) for data, seq in found)

    async def _start(self, since: int | None) -> str:
        """The first chunk: from now (a new page), or what changed after ``since`` (a reconnect)."""
        async with self.services.db.read() as conn:
            latest = await events_log.latest_cursor(conn, self.brand_id, self.venue_id)
        self.cursor = latest if since is None else since
        if since is None:
            return ": connected\n\n"
        if since > latest:  # not a cursor of this log (another database, or forged)
            self.cursor = latest
            return ": connected, catching up\n\n" + sse(
                "reset", {"reason": "an unknown cursor: reload the board"}
            )
        return ": connected, catching up\n\n" + await self._news()

    async def events(self, since: int | None) -> AsyncIterator[str]:
        bus = self.services.events
        channel = channel_name(self.brand_id, self.venue_id)
        queue = bus.subscribe(channel)  # before reading the log: no wake-up falls between the two
        metrics.LIVE_STREAMS.inc()
        try:
            yield f"retry: {RETRY_MS}\n\n"
            yield await self._start(since)
            loop = asyncio.get_running_loop()
            quiet_since, eager_until = loop.time(), 0.0
            while True:
                now = loop.time()
                interval = EAGER_SECONDS if now < eager_until else self.poll
                woken = await _wake_ups(queue, max(0.0, min(interval, quiet_since + self.keepalive - now)))
                if any(event.get("type") == SHUTDOWN_EVENT for event in woken):
                    yield sse("reconnect", {"reason": "the server is restarting: reconnect"})
                    return
                news = await self._news()
                if news:
                    quiet_since, eager_until = loop.time(), 0.0
                    yield news
                elif woken:
                    eager_until = loop.time() + EAGER_WINDOW
                if loop.time() - quiet_since >= self.keepalive:
                    if self.still_allowed is not None and not await self.still_allowed():
                        yield sse("signout", {"reason": "the session ended"})
                        return
                    quiet_since = loop.time()
                    yield ": keep-alive\n\n"
        finally:
            metrics.LIVE_STREAMS.dec()
            bus.unsubscribe(channel, queue)


async def _wake_ups(queue: asyncio.Queue[dict[str, Any]], within: float) -> list[dict[str, Any]]:
    """What arrived on the stream's queue within ``within`` seconds (all of it); [] when nothing did."""
    try:
        async with asyncio.timeout(within):
            first = await queue.get()
    except TimeoutError:
        return []
    woken = [first]
    while not queue.empty():
        woken.append(queue.get_nowait())
    return woken
