"""What one app instance holds for its lifetime: settings, database, caches, signer, event bus."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request

if TYPE_CHECKING:
    from clopos_server.auth.directory import Directory
    from clopos_server.auth.tokens import TokenSigner
    from clopos_server.catalog.snapshot import SnapshotCache
    from clopos_server.db.engine import Database
    from clopos_server.events.bus import EventBus
    from clopos_server.events.transports import Transport
    from clopos_server.ratelimit.limiter import RateLimiter
    from clopos_server.settings import Settings
    from clopos_server.webhooks.dispatcher import Webhooks


@dataclass
class Services:
    settings: Settings
    db: Database
    directory: Directory
    signer: TokenSigner
    snapshots: SnapshotCache
    events: EventBus
    events_transport: Transport | None = None  # cross-instance events (PostgreSQL or Redis), set at start
    board_state: object | None = None  # the board's own (board.web.BoardState), made on first use
    limiter: RateLimiter | None = None  # None when CLOPOS_RATE_LIMITS=off
    webhooks: Webhooks | None = None  # set by the lifespan: endpoint rules, sealer, the dispatcher
    stopping: bool = False  # the server was told to stop: /readyz answers 503 (app.py, lifecycle.py)


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services
