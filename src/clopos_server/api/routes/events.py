"""The events feed (v2 only, docs/events.md): ``GET /events`` keyset-paged by cursor, ``GET /events/{id}``.

Thin: read the query, call the log, wrap. The token's brand only: another brand's event is not found.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from clopos_server.api.envelope import envelope_stamp, json_response, success
from clopos_server.api.openapi import operation, path_schema
from clopos_server.api.query import parse_query_string
from clopos_server.auth.context import AuthContext, require_auth
from clopos_server.db.driver_reads import reading
from clopos_server.errors import ApiError, Problem, invalid_parameter, not_found
from clopos_server.events import log, shapes
from clopos_server.kit.values import MAX_ID, int_text
from clopos_server.services import services_of

router = APIRouter()
CURSOR_DIGITS = 19
path_schema("event_id", shapes.EVENT_ID)


def _one_value(tree: dict[str, Any], name: str) -> str | None:
    value = tree.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid_parameter(name, f"{name} must be given once, as a plain value")
    return value


def _int_param(tree: dict[str, Any], name: str, low: int, high: int, default: int | None) -> int | None:
    text = _one_value(tree, name)
    if text is None:
        return default
    number = int_text(text, low=low, high=high)
    if number is None:
        raise invalid_parameter(name, f"{name} must be an integer from {low} to {high}")
    return number


def _types(tree: dict[str, Any]) -> list[str]:
    value = tree.get("types", [])
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise invalid_parameter("types", "types[] must be a list of event types")
    unknown = log.unknown_types(names)
    if unknown:
        raise invalid_parameter(
            "types", f"unknown event type {unknown[0]!r}: one of {', '.join(log.LOGGED_TYPES)}"
        )
    return list(dict.fromkeys(names))


def _feed_operation() -> dict[str, Any]:
    """The feed's answer is its own envelope (``next``, ``has_more``), and its query its own parameters."""
    described = operation(answer=shapes.EVENT_PAGE, unwrapped=True)
    described["openapi_extra"].setdefault("parameters", []).extend(shapes.FEED_PARAMETERS)
    return described


def _after(tree: dict[str, Any]) -> int | None:
    """A cursor: up to 19 digits; one beyond the largest cursor is simply after every event."""
    text = _one_value(tree, "after")
    if text is None:
        return None
    if not (1 <= len(text) <= CURSOR_DIGITS and text.isascii() and text.isdigit()):
        raise invalid_parameter("after", f"after must be a cursor: 1 to {CURSOR_DIGITS} decimal digits")
    return min(int(text), log.MAX_CURSOR)


@router.get(
    "/events",
    summary="The brand's events after a cursor, oldest first (without `after`: the newest `limit`)",
    **_feed_operation(),
)
async def list_events(request: Request, context: AuthContext = Depends(require_auth)) -> Response:
    tree = parse_query_string(request.url.query)
    after = _after(tree)
    limit = _int_param(tree, "limit", 1, log.MAX_FEED_LIMIT, log.DEFAULT_FEED_LIMIT)
    venue_id = _int_param(tree, "venue_id", 1, MAX_ID, None)
    types = _types(tree)
    assert limit is not None
    async with reading(services_of(request).db) as reader:
        page = await log.read_after(
            reader, context.brand.id, after=after, limit=limit, types=types, venue_id=venue_id
        )
    body = {"success": True, "data": page.events, "next": str(page.next), "has_more": page.has_more}
    return json_response({**body, **envelope_stamp(request)})


@router.get(
    "/events/{event_id}",
    summary="One event, by id",
    **operation(answer=shapes.EVENT, errors=[404]),
)
async def get_event(
    event_id: str, request: Request, context: AuthContext = Depends(require_auth)
) -> Response:
    seq = log.seq_of(event_id)
    if seq is None:
        message = "event_id must be evt_ followed by 16 lowercase hex digits"
        raise ApiError("invalid_parameter", message, [Problem(message, "path.event_id")])
    async with reading(services_of(request).db) as reader:
        event = await log.read_one(reader, context.brand.id, seq)
    if event is None:
        raise not_found("Event not found")
    return success(request, event)
