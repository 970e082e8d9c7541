"""The rules of webhook endpoints, shared by the v2 API and the CLI: at most 20 per brand, URLs the
server will call, secrets shown once, a rotation's 24-hour overlap, redelivery and the test ping."""

from __future__ import annotations

import secrets as random
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.errors import Problem, not_found
from clopos_server.events.log import WEBHOOK_TEST
from clopos_server.kit.query import ListQuery
from clopos_server.timeutil import utcnow
from clopos_server.webhooks import queue
from clopos_server.webhooks import repository as repo
from clopos_server.webhooks.render import render_attempt, render_endpoint
from clopos_server.webhooks.repository import Owner
from clopos_server.webhooks.schemas import (
    MAX_ENDPOINTS,
    EndpointFields,
    UrlRules,
    read_endpoint,
    read_redelivery,
    unprocessable,
)
from clopos_server.webhooks.secrets import Sealer, new_secret

ROTATION_OVERLAP = timedelta(hours=24)
MAX_REDELIVER = 1000  # events one redelivery request may queue


@dataclass(frozen=True)
class Config:
    """What the API and the CLI need to write endpoints: the URL rules and the secrets' sealer."""

    rules: UrlRules
    sealer: Sealer


async def _owned(conn: AsyncConnection, owner: Owner, endpoint_id: int) -> Row[Any]:
    row = await repo.endpoint(conn, owner, endpoint_id)
    if row is None:
        raise not_found("Webhook endpoint not found")
    return row


async def create_endpoint(
    conn: AsyncConnection, config: Config, owner: Owner, venues: Collection[int], body: dict[str, Any]
) -> dict[str, Any]:
    """A new endpoint, answered with its secret (the only time but a rotation that it is shown). It
    receives the events recorded from now on."""
    fields = read_endpoint(body, config.rules, venues, creating=True)
    await repo.lock_brand(conn, owner.brand_id)
    if await repo.count_endpoints(conn, owner.brand_id) >= MAX_ENDPOINTS:
        message = f"A brand has at most {MAX_ENDPOINTS} webhook endpoints: delete one first"
        raise unprocessable([Problem(message, "body")])
    secret = new_secret()
    now = utcnow()
    endpoint_id = await repo.insert_endpoint(
        conn,
        {
            "brand_id": owner.brand_id,
            "api_client_id": owner.api_client_id,
            "url": fields.url,
            "description": fields.description or "",
            "events": fields.events,
            "venue_ids": fields.venue_ids,
            "enabled": True,
            "secret_box": config.sealer.seal(secret),
            "cursor": await queue.latest_cursor(conn, owner.brand_id),
            "created_at": now,
            "updated_at": now,
        },
    )
    return render_endpoint(await _owned(conn, owner, endpoint_id), secret=secret)


async def list_endpoints(
    conn: AsyncConnection, owner: Owner, query: ListQuery
) -> tuple[list[dict[str, Any]], int]:
    rows, total = await repo.endpoints(conn, owner, limit=query.limit, offset=query.offset)
    return [render_endpoint(row) for row in rows], total


async def get_endpoint(conn: AsyncConnection, owner: Owner, endpoint_id: int) -> dict[str, Any]:
    return render_endpoint(await _owned(conn, owner, endpoint_id))


async def _changes(conn: AsyncConnection, row: Row[Any], fields: EndpointFields) -> dict[str, Any]:
    changes: dict[str, Any] = {
        name: value
        for name, value in (
            ("url", fields.url),
            ("events", fields.events),
            ("description", fields.description),
        )
        if value is not None
    }
    if fields.venue_ids_sent:
        changes["venue_ids"] = fields.venue_ids
    if fields.enabled is False and row.enabled:
        changes.update(enabled=False, disabled_reason="disabled by request")
    elif fields.enabled and not row.enabled:  # events of the disabled time are not sent: see redeliver
        changes.update(
            enabled=True,
            disabled_reason=None,
            failing_since=None,
            cursor=await queue.latest_cursor(conn, row.brand_id),
        )
    return changes


async def update_endpoint(
    conn: AsyncConnection,
    config: Config,
    owner: Owner,
    endpoint_id: int,
    venues: Collection[int],
    body: dict[str, Any],
) -> dict[str, Any]:
    """PATCH: url, events, description, venue_ids, enabled (re-enabling starts from the newest event)."""
    fields = read_endpoint(body, config.rules, venues, creating=False)
    row = await _owned(conn, owner, endpoint_id)
    changes = await _changes(conn, row, fields)
    if changes:
        await repo.update_endpoint(conn, endpoint_id, {**changes, "updated_at": utcnow()})
    return render_endpoint(await _owned(conn, owner, endpoint_id))


async def set_enabled(conn: AsyncConnection, owner: Owner, endpoint_id: int, enabled: bool) -> dict[str, Any]:
    """The CLI's enable and disable."""
    row = await _owned(conn, owner, endpoint_id)
    changes = await _changes(conn, row, EndpointFields(enabled=enabled))
    if changes:
        await repo.update_endpoint(conn, endpoint_id, {**changes, "updated_at": utcnow()})
    return render_endpoint(await _owned(conn, owner, endpoint_id))


async def delete_endpoint(conn: AsyncConnection, owner: Owner, endpoint_id: int) -> dict[str, Any]:
    row = await _owned(conn, owner, endpoint_id)
    await repo.delete_endpoint(conn, endpoint_id)
    return render_endpoint(row)


async def rotate_secret(
    conn: AsyncConnection, config: Config, owner: Owner, endpoint_id: int
) -> dict[str, Any]:
    """A new secret, answered once; the current one keeps signing beside it for 24 hours (a rotation
    within that window drops the oldest)."""
    row = await _owned(conn, owner, endpoint_id)
    secret = new_secret()
    now = utcnow()
    await repo.update_endpoint(
        conn,
        endpoint_id,
        {
            "secret_box": config.sealer.seal(secret),
            "old_secret_box": row.secret_box,
            "old_secret_until": now + ROTATION_OVERLAP,
            "updated_at": now,
        },
    )
    return render_endpoint(await _owned(conn, owner, endpoint_id), secret=secret)


def signing_secrets(sealer: Sealer, endpoint: Row[Any]) -> list[str]:
    """The secrets that sign now: the current one, and the previous one during its overlap."""
    secrets = [sealer.open(endpoint.secret_box)]
    if endpoint.old_secret_box and endpoint.old_secret_until and endpoint.old_secret_until > utcnow():
        secrets.append(sealer.open(endpoint.old_secret_box))
    return secrets


async def list_attempts(
    conn: AsyncConnection, owner: Owner, endpoint_id: int, query: ListQuery
) -> tuple[list[dict[str, Any]], int]:
    await _owned(conn, owner, endpoint_id)
    rows, total = await repo.attempts(conn, endpoint_id, limit=query.limit, offset=query.offset)
    return [render_attempt(row) for row in rows], total


async def redeliver(
    conn: AsyncConnection, owner: Owner, endpoint_id: int, body: dict[str, Any]
) -> dict[str, Any]:
    """``{event_id}``: that event again (any type of the brand); ``{since, until}``: the endpoint's
    matching events of that window, at most ``MAX_REDELIVER``. Due at once, with their original
    ``webhook-id``."""
    wanted = read_redelivery(body)
    row = await _owned(conn, owner, endpoint_id)
    events = await queue.events_for_redelivery(
        conn, row, seq=wanted.seq, since=wanted.since, until=wanted.until, limit=MAX_REDELIVER + 1
    )
    if wanted.seq is not None and not events:
        raise not_found("Event not found")
    if len(events) > MAX_REDELIVER:
        message = f"The window holds more than {MAX_REDELIVER} events: narrow it"
        raise unprocessable([Problem(message, "until")])
    await queue.redeliver(conn, row, events)
    return {"endpoint_id": endpoint_id, "queued": len(events)}


def ping_body(endpoint: Row[Any], identifier: str) -> str:
    data = orjson.dumps({"object": {"endpoint_id": endpoint.id, "url": endpoint.url}}).decode()
    return queue.delivery_body(WEBHOOK_TEST, utcnow(), identifier, data)


def ping_identifier() -> str:
    return "evt_test_" + random.token_hex(8)
