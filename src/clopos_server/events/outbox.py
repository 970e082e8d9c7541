"""Events held until the transaction that produced them has committed, then published on the bus.

A write path (create, a lifecycle move, a close) adds to the outbox inside its transaction; the caller
flushes it after the commit, so a rolled-back change never reaches a board. It lives here, below every
domain package that produces events, so that orders, receipts and idempotency share it without importing
one another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from clopos_server.events.bus import EventBus, channel_name


class HasBus(Protocol):
    """What ``flush`` needs of the app's services: the event bus."""

    @property
    def events(self) -> EventBus: ...


@dataclass
class Outbox:
    """Events to publish once the transaction that produced them has committed."""

    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def add(self, brand_id: int, venue_id: int, kind: str, order: dict[str, Any]) -> None:
        self.events.append((channel_name(brand_id, venue_id), {"type": kind, "order": order}))

    async def flush(self, services: HasBus) -> None:
        for channel, event in self.events:
            await services.events.publish(channel, event)
        self.events.clear()
