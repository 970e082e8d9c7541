"""``clopos-server webhooks list|add|disable|enable|rotate-secret|redeliver|attempts`` (registered in
``cli.py``): the operator's side of webhook endpoints (docs/webhooks.md), through the same service as the
v2 API. Each prints JSON; a refusal (a URL the server will not call, an unknown id) is printed in red with
exit status 1. Endpoints added here belong to the brand and to no API client: operators see them here,
integrators do not see them through the API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server import jsonio
from clopos_server.auth.keys import load_signing_key
from clopos_server.auth.tokens import TokenSigner
from clopos_server.db.engine import Database
from clopos_server.db.models import ApiClient, Brand, Venue
from clopos_server.errors import ApiError, not_found
from clopos_server.kit.query import ListQuery
from clopos_server.settings import get_settings
from clopos_server.webhooks import repository as repo
from clopos_server.webhooks import service
from clopos_server.webhooks.render import render_endpoint
from clopos_server.webhooks.repository import Owner
from clopos_server.webhooks.schemas import UrlRules
from clopos_server.webhooks.secrets import SEALING_PURPOSE, Sealer

T = TypeVar("T")

webhooks_app = typer.Typer(
    help="Webhook endpoints: list, add, enable, rotate, redeliver.", no_args_is_help=True
)
EndpointId = Annotated[int, typer.Argument(help="The endpoint's id (see: webhooks list)")]


def _call(job: Callable[[Database], Awaitable[T]]) -> T:
    from clopos_server.commands.running import fail as _fail
    from clopos_server.commands.running import run as _run

    try:
        return _run(job)
    except ApiError as exc:
        details = [problem.message for problem in exc.problems if problem.message != exc.message]
        _fail("; ".join([exc.message, *details]))
        raise  # unreachable: _fail exits


def _show(value: Any) -> None:
    typer.echo(jsonio.dumps_str(value))


async def _config(db: Database) -> service.Config:
    settings = get_settings()
    rules = UrlRules(settings.webhook_allow_http, settings.webhook_allow_private)
    signer = TokenSigner(await load_signing_key(db, settings.secret_key))
    return service.Config(rules, Sealer(signer.derive_key(SEALING_PURPOSE)))


async def _owner_of(conn: AsyncConnection, endpoint_id: int) -> Owner:
    row = (
        await conn.execute(select(repo.ENDPOINTS.c.brand_id).where(repo.ENDPOINTS.c.id == endpoint_id))
    ).first()
    if row is None:
        raise not_found(f"No webhook endpoint {endpoint_id}")
    return Owner(int(row.brand_id))


async def _brand(conn: AsyncConnection, slug: str) -> tuple[int, list[int]]:
    brand_id = (await conn.execute(select(Brand.id).where(Brand.slug == slug))).scalar_one_or_none()
    if brand_id is None:
        raise not_found(f"No brand {slug!r}")
    venues = (await conn.execute(select(Venue.id).where(Venue.brand_id == brand_id))).scalars().all()
    return int(brand_id), [int(v) for v in venues]


async def _client(conn: AsyncConnection, brand_id: int, client_id: str | None) -> int | None:
    if client_id is None:
        return None
    query = select(ApiClient.id).where(ApiClient.brand_id == brand_id, ApiClient.client_id == client_id)
    found = (await conn.execute(query)).scalar_one_or_none()
    if found is None:
        raise not_found(f"No API client {client_id!r} of the brand")
    return int(found)


@webhooks_app.command("list")
def list_(brand: Annotated[str | None, typer.Option(help="Only this brand's (its slug)")] = None) -> None:
    """Every webhook endpoint (never a secret), one JSON object per line."""

    async def job(db: Database) -> list[dict[str, Any]]:
        async with db.read() as conn:
            brand_ids = [(await _brand(conn, brand))[0]] if brand else None
            return [render_endpoint(row) for row in await repo.all_endpoints(conn, brand_ids)]

    for endpoint in _call(job):
        _show(endpoint)


@webhooks_app.command("add")
def add(
    brand: Annotated[str, typer.Option(help="The brand's slug")],
    url: Annotated[str, typer.Option(help="https:// URL of the receiver")],
    events: Annotated[str, typer.Option(help="Comma-separated event types, or * for all")] = "*",
    description: Annotated[str, typer.Option(help="A note for people")] = "",
    client: Annotated[str | None, typer.Option(help="The API client (client_id) it belongs to")] = None,
) -> None:
    """Create an endpoint; its secret is printed once (keep it: it is never shown again)."""

    async def job(db: Database) -> dict[str, Any]:
        config = await _config(db)
        async with db.write() as conn:
            brand_id, venues = await _brand(conn, brand)
            owner = Owner(brand_id, await _client(conn, brand_id, client))
            body = {"url": url, "events": [e.strip() for e in events.split(",")], "description": description}
            return await service.create_endpoint(conn, config, owner, venues, body)

    _show(_call(job))


def _switch(enabled: bool) -> Callable[[int], None]:
    def command(endpoint_id: EndpointId) -> None:
        async def job(db: Database) -> dict[str, Any]:
            async with db.write() as conn:
                owner = await _owner_of(conn, endpoint_id)
                return await service.set_enabled(conn, owner, endpoint_id, enabled)

        _show(_call(job))

    return command


webhooks_app.command("enable", help="Enable an endpoint (from the newest event on).")(_switch(True))
webhooks_app.command("disable", help="Disable an endpoint: nothing is sent until it is enabled.")(
    _switch(False)
)


@webhooks_app.command("rotate-secret")
def rotate_secret(endpoint_id: EndpointId) -> None:
    """A new secret, printed once; the old one keeps signing beside it for 24 hours."""

    async def job(db: Database) -> dict[str, Any]:
        config = await _config(db)
        async with db.write() as conn:
            owner = await _owner_of(conn, endpoint_id)
            return await service.rotate_secret(conn, config, owner, endpoint_id)

    _show(_call(job))


@webhooks_app.command("redeliver")
def redeliver(
    endpoint_id: EndpointId,
    event: Annotated[str | None, typer.Option(help="An event id (evt_...) to send again")] = None,
    since: Annotated[str | None, typer.Option(help="Or a window: from (ISO 8601)")] = None,
    until: Annotated[str | None, typer.Option(help="... to (ISO 8601)")] = None,
) -> None:
    """Send an event again, or the endpoint's events of a window; the dispatcher sends them at once."""
    body: dict[str, Any] = {"event_id": event} if event else {"since": since, "until": until}

    async def job(db: Database) -> dict[str, Any]:
        async with db.write() as conn:
            owner = await _owner_of(conn, endpoint_id)
            return await service.redeliver(conn, owner, endpoint_id, body)

    _show(_call(job))


@webhooks_app.command("attempts")
def attempts(
    endpoint_id: EndpointId,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first")] = 20,
) -> None:
    """The endpoint's attempts, newest first, one JSON object per line."""
    query = ListQuery(page=1, limit=limit, sort="id", descending=True)

    async def job(db: Database) -> list[dict[str, Any]]:
        async with db.read() as conn:
            owner = await _owner_of(conn, endpoint_id)
            rows, _total = await service.list_attempts(conn, owner, endpoint_id, query)
            return rows

    for attempt in _call(job):
        _show(attempt)
