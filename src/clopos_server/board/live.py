"""Cards from the database, and the board's Server-Sent Events stream.

Events carry only which order changed (a local event also has the order, a remote one only its id); the
stream reads the order from the database and sends its card as it is now. The ``id:`` of each event is the
newest ``order_history`` id the stream has sent (a database sequence, so it is the same on every
instance). A browser that reconnects sends it back as ``Last-Event-ID`` (or ``since=`` on a new
EventSource) and gets every order of the venue that changed after it before live events resume.
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
from clopos_server.events.bus import channel_name
from clopos_server.orders.repository import receipts_by_id
from clopos_server.services import Services

log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15.0
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


def _order_id(event: dict[str, Any]) -> int | None:
    value = event.get("order_id")
    if value is None and isinstance(event.get("order"), dict):
        value = event["order"].get("id")
    return value if isinstance(value, int) else None


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
    ) -> None:
        self.services = services
        self.brand_id = brand_id
        self.venue_id = venue_id
        self.csrf = csrf
        self.still_allowed = still_allowed
        self.keepalive = keepalive
        self.cursor = 0
        self.texts = texts

    @property
    def brand(self) -> BrandInfo:
        return self.services.directory.brands_by_id[self.brand_id]  # fresh: the catalogue version moves

    def _send_cards(self, cards: list[dict[str, Any]]) -> str:
        chunks = []
        for item in sorted(cards, key=lambda c: int(c["version"])):
            self.cursor = max(self.cursor, int(item["version"]))
            chunks.append(sse("order", item, self.cursor))
        return "".join(chunks)

    async def _catch_up(self) -> str:
        async with self.services.db.read() as conn:
            changed = await queries.changed_since(conn, self.brand_id, self.venue_id, self.cursor)
        if changed is None:
            return sse("reset", {"reason": "too much changed, or an unknown cursor: reload the board"})
        if not changed:
            return ""
        return self._send_cards(
            await cards_by_id(self.services, self.brand, self.venue_id, self.csrf, changed, self.texts)
        )

    async def events(self, since: int | None) -> AsyncIterator[str]:
        bus = self.services.events
        channel = channel_name(self.brand_id, self.venue_id)
        queue = bus.subscribe(channel)  # before reading the database: nothing falls between the two
        metrics.LIVE_STREAMS.inc()
        try:
            yield f"retry: {RETRY_MS}\n\n"
            if since is None:
                async with self.services.db.read() as conn:
                    self.cursor = await queries.cursor_now(conn, self.brand_id)
                yield ": connected\n\n"
            else:
                self.cursor = since
                yield ": connected, catching up\n\n" + await self._catch_up()
            while True:
                try:
                    first = await asyncio.wait_for(queue.get(), self.keepalive)
                except TimeoutError:
                    if self.still_allowed is not None and not await self.still_allowed():
                        yield sse("signout", {"reason": "the session ended"})
                        return
                    yield ": keep-alive\n\n"
                    continue
                batch = [first]
                while not queue.empty():
                    batch.append(queue.get_nowait())
                if any(event.get("type") == SHUTDOWN_EVENT for event in batch):
                    yield sse("reconnect", {"reason": "the server is restarting: reconnect"})
                    return
                if any(event.get("type") == "resync" for event in batch):
                    yield await self._catch_up()
                    continue
                ids = list(dict.fromkeys(i for i in map(_order_id, batch) if i is not None))
                if ids:
                    cards = await cards_by_id(
                        self.services, self.brand, self.venue_id, self.csrf, ids, self.texts
                    )
                    yield self._send_cards(cards)
        finally:
            metrics.LIVE_STREAMS.dec()
            bus.unsubscribe(channel, queue)
