"""What one app instance holds for its lifetime: settings, database, caches, signer, event bus."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

if TYPE_CHECKING:
    from clopos_server.auth.directory import Directory
    from clopos_server.auth.tokens import TokenSigner
    from clopos_server.catalog.snapshot import SnapshotCache
    from clopos_server.db.engine import Database
    from clopos_server.events.bus import EventBus
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
    extras: dict[str, Any] = field(default_factory=dict)
    limiter: RateLimiter | None = None  # None when CLOPOS_RATE_LIMITS=off
    webhooks: Webhooks | None = None  # set by the lifespan: endpoint rules, sealer, the dispatcher
    stopping: bool = False  # the server was told to stop: /readyz answers 503 (app.py, lifecycle.py)


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services
