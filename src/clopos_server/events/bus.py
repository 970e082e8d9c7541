"""The venue's live channel: every order created or changed is published here.

In-process fan-out to subscribers (the order board's SSE streams). Cross-instance transports
(PostgreSQL LISTEN/NOTIFY, Redis pub/sub) plug in behind ``publish``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

QUEUE_SIZE = 256


def channel_name(brand_id: int, venue_id: int) -> str:
    return f"venue:{brand_id}:{venue_id}"


class EventBus:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
        # set by events.transports when events must reach other instances (PostgreSQL or Redis)
        self.relay: Callable[[str, dict[str, Any]], Awaitable[None]] | None = None
        # set by events.transports too: told at each subscription, so that it listens once someone does
        self.on_subscribe: Callable[[], None] | None = None

    def subscribe(self, channel: str) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers[channel].add(queue)
        if self.on_subscribe is not None:
            self.on_subscribe()
        return queue

    @property
    def subscribed(self) -> bool:
        """Whether anyone listens here (a board stream)."""
        return bool(self._subscribers)

    def unsubscribe(self, channel: str, queue: asyncio.Queue[dict[str, Any]]) -> None:
        subscribers = self._subscribers.get(channel)
        if subscribers is not None:
            subscribers.discard(queue)
            if not subscribers:
                del self._subscribers[channel]

    async def publish(self, channel: str, event: dict[str, Any]) -> None:
        self.deliver(channel, event)
        if self.relay is not None:
            await self.relay(channel, event)

    def broadcast(self, event: dict[str, Any]) -> None:
        """To every subscriber of every channel (e.g. ``resync`` after a transport reconnected)."""
        for channel in list(self._subscribers):
            self.deliver(channel, event)

    def deliver(self, channel: str, event: dict[str, Any]) -> None:
        """To this instance's subscribers only."""
        for queue in list(self._subscribers.get(channel, ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:  # a stalled subscriber catches up from the database on reconnect
                log.warning("dropping event for a slow subscriber", extra={"channel": channel})
