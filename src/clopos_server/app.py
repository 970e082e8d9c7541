"""The app factory: routers, middleware, error handlers, and the lifespan that owns the database."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import APIRouter, FastAPI
from starlette.routing import Route

from clopos_server import __version__, lifecycle
from clopos_server.api.docs import install_docs
from clopos_server.api.faults import LostAnswerMiddleware
from clopos_server.api.handlers import install_error_handlers
from clopos_server.api.methods import MethodGuardMiddleware
from clopos_server.api.middleware import RequestContextMiddleware
from clopos_server.api.openapi import install_openapi
from clopos_server.api.proxies import TrustedProxyMiddleware
from clopos_server.api.route_index import PathIndex
from clopos_server.api.routes import (
    auth,
    categories,
    customers,
    events,
    finance,
    health,
    inventory,
    landing,
    orders,
    payment_methods,
    price_lists,
    products,
    receipts,
    sale_types,
    stations,
    testhelpers,
    users,
    venues,
    waiter_call,
)
from clopos_server.api.routes import metrics as metrics_route
from clopos_server.api.routes import webhooks as webhook_routes
from clopos_server.auth.directory import Directory
from clopos_server.auth.keys import load_signing_key
from clopos_server.auth.passwords import hashing_profile
from clopos_server.auth.tokens import TokenSigner
from clopos_server.board.live import SHUTDOWN_EVENT
from clopos_server.board.routes import icon_router as board_icon_router
from clopos_server.board.routes import router as board_router
from clopos_server.catalog.snapshot import SnapshotCache
from clopos_server.db.engine import Database
from clopos_server.events.bus import EventBus
from clopos_server.events.log import prune_forever
from clopos_server.events.transports import start_transport
from clopos_server.idempotency.service import purge_expired
from clopos_server.kit.tasks import stop
from clopos_server.ratelimit.limiter import RateLimiter
from clopos_server.ratelimit.middleware import RateLimitMiddleware
from clopos_server.services import Services
from clopos_server.settings import Settings, get_settings
from clopos_server.webhooks.dispatcher import Webhooks

log = logging.getLogger(__name__)

V1_PREFIX = "/open-api"
V2_PREFIX = "/open-api/v2"

# Every resource router, served under each API prefix from the same handlers.
API_ROUTERS: list[tuple[APIRouter, str]] = [
    (orders.router, "orders"),
    (venues.router, "venues"),
    (users.router, "users"),
    (customers.router, "customers"),
    (categories.router, "categories"),
    (stations.router, "stations"),
    (products.router, "products"),
    (sale_types.router, "sale types"),
    (payment_methods.router, "payment methods"),
    (price_lists.router, "price lists"),
    (receipts.router, "receipts"),
    (testhelpers.router, "test helpers"),
    (webhook_routes.testhelper_router, "test helpers"),
]
# Operations that one API generation has and the other does not: included under that prefix alone.
GENERATION_ROUTERS: dict[str, list[tuple[APIRouter, str]]] = {
    V1_PREFIX: [(receipts.v1_router, "receipts")],
    V2_PREFIX: [
        (receipts.v2_router, "receipts"),
        (events.router, "events"),
        (finance.router, "finance"),
        (inventory.router, "inventory"),  # issue 17
        (waiter_call.router, "waiter calls"),  # issue 17
        (webhook_routes.router, "webhooks"),
    ],
}


async def _purge_keys_forever(db: Database, interval: float = 600.0) -> None:
    """Expired idempotency keys are answered as new requests anyway; this only keeps the table small."""
    while True:
        await asyncio.sleep(interval)
        try:
            purged = await purge_expired(db)
            if purged:
                log.info("purged expired idempotency keys", extra={"count": purged})
        except Exception:
            log.warning("purging idempotency keys failed", exc_info=True)


def _stopping_notice(services: Services) -> Callable[[], None]:
    """What the server's stop signal does here (clopos_server.lifecycle): from the signal handler, it only
    schedules ``_stop_streams`` on this app's loop."""
    loop = asyncio.get_running_loop()

    def notice() -> None:
        loop.call_soon_threadsafe(_stop_streams, services)

    return notice


def _stop_streams(services: Services) -> None:
    """/readyz answers 503 from now on, and every board stream ends with ``reconnect``."""
    if not services.stopping:
        services.stopping = True
        log.info("stopping: ending board streams, finishing requests in flight")
        services.events.broadcast({"type": SHUTDOWN_EVENT})


def app_lifespan(
    settings: Settings, open_database: Callable[[Settings], Database] = Database.from_settings
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """An app's start and stop for ``settings``: the database (from ``open_database``), the directory, the
    signer, the background tasks; everything stopped again, within bounds, at the end.

    Apart from ``create_app`` for the suite (tests/support/apps.py): it starts the app it built once with a
    lifespan of its own per test, without building the routes again (about 1 ms each time), and hands
    every one the same ``Database`` through ``open_database``, so that SQLAlchemy's compiled statements,
    which live on the engine, are compiled once per worker rather than once per test. The lifespan's end
    disposes of the database: its connections close, the engine stays usable."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if hashing_profile() != "standard":  # a ValueError naming the setting when it is not a profile
            log.warning("CLOPOS_PASSWORD_HASHING=cheapest: unprotected secret hashes, for tests only")
        db = open_database(settings)
        directory = Directory()
        await directory.refresh(db)
        signer = TokenSigner(await load_signing_key(db, settings.secret_key))
        app.state.services = Services(
            settings=settings,
            db=db,
            directory=directory,
            signer=signer,
            snapshots=SnapshotCache(),
            events=EventBus(),
            limiter=RateLimiter(settings) if settings.rate_limits == "on" else None,
        )
        # the webhook dispatcher, in every instance
        app.state.services.webhooks = await Webhooks.start(settings, db, signer)
        background = [
            asyncio.create_task(directory.keep_fresh(db, settings.revocation_refresh_seconds)),
            asyncio.create_task(_purge_keys_forever(db)),
            asyncio.create_task(prune_forever(db, settings.events_retention_days)),
        ]
        transport = await start_transport(settings, db, app.state.services.events)  # cross-instance events
        app.state.services.events_transport = transport
        # Start-up's objects (modules, routes, SQLAlchemy's tables and caches) live as long as the app:
        # out of the collector's sight, a full collection no longer walks them. Under load a worker's
        # full collections took 90-210 ms each, stalling every request in flight (docs/performance.md).
        # No gc.collect() first: it costs a full collection per app start (the tests start 1,400 apps),
        # and what little garbage this freezes is collectable again after the unfreeze at shutdown.
        gc.freeze()
        forget_stop = lifecycle.on_stop(_stopping_notice(app.state.services))
        log.info("started", extra={"database": db.dialect, "version": __version__})
        try:
            yield
        finally:
            forget_stop()
            _stop_streams(app.state.services)
            gc.unfreeze()  # collectable again once the app is gone (tests run many apps in one process)
            if transport is not None:
                await transport.aclose()
            await stop(background)
            await app.state.services.webhooks.aclose()
            if app.state.services.limiter is not None:
                await app.state.services.limiter.aclose()
            await db.dispose()

    return lifespan


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app for ``settings`` (the environment's when none): routes, middleware, and ``app_lifespan``."""
    settings = settings or get_settings()
    app = FastAPI(
        title="clopos-server",
        version=__version__,
        summary="A self-hostable server for the Clopos Open API.",
        lifespan=app_lifespan(settings),
        docs_url=None,  # served from the package below, not from a CDN
        redoc_url=None,
        redirect_slashes=False,  # a 307 with an empty body is no answer for an API client: a JSON 404 is
    )
    install_openapi(app)
    install_docs(app)
    install_error_handlers(app)
    # innermost: its 405, OPTIONS and 415 answers carry the request id and rate-limit headers as well
    app.add_middleware(MethodGuardMiddleware, error_format=settings.error_format)
    if settings.rate_limits == "on":  # inside RequestContextMiddleware: its request id is on every 429
        app.add_middleware(RateLimitMiddleware, error_format=settings.error_format)
    # just inside the request context: a rehearsed lost answer (test brands) still carries the request id
    app.add_middleware(LostAnswerMiddleware, error_format=settings.error_format)
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        error_format=settings.error_format,
        request_timeout=settings.request_timeout,
    )
    if settings.proxy_networks:  # outermost: every layer inside sees the client's own address and scheme
        app.add_middleware(TrustedProxyMiddleware, networks=settings.proxy_networks)
    app.include_router(health.router)
    if settings.metrics == "on":
        app.include_router(metrics_route.router)
    app.include_router(landing.router)
    app.include_router(board_router)
    app.include_router(board_icon_router)
    app.include_router(auth.router, prefix=V1_PREFIX, tags=["v1 auth"])
    app.include_router(auth.v2_router, prefix=V2_PREFIX, tags=["v2 auth"])
    for prefix in (V2_PREFIX, V1_PREFIX):  # v2 first: its paths must never fall into a v1 pattern
        for router, tag in API_ROUTERS + GENERATION_ROUTERS[prefix]:
            app.include_router(router, prefix=prefix, tags=[tag if prefix == V1_PREFIX else f"v2 {tag}"])
    # POST /orders is the path we steer by (docs/performance.md), and GET /orders/{id} the read integrators
    # repeat: plain Starlette routes serve them, without FastAPI's solving of the route's dependencies and
    # its walk over every router (a seventh of a create's CPU, a third of a read's). The FastAPI routes stay
    # registered for the OpenAPI document (and answer the other methods); both call the same handlers.
    for prefix in (V1_PREFIX, V2_PREFIX):
        app.router.routes.insert(0, Route(f"{prefix}/orders", orders.create_order_direct, methods=["POST"]))
        read = Route(f"{prefix}/orders/{{order_id}}", orders.get_order_direct, methods=["GET"])
        read.methods = {"GET"}  # as the FastAPI route: Starlette would add HEAD, which the API does not take
        app.router.routes.insert(0, read)
    # first of all: a path without parameters finds its route in one look-up (api/route_index.py)
    app.router.routes.insert(0, PathIndex(app.router.routes))
    return app
