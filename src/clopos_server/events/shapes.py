"""The JSON shapes of the events feed, for the OpenAPI document: an event, a page of the feed, and the
feed's query parameters (as ``api/routes/events.py`` reads them)."""

from __future__ import annotations

from typing import Any

from clopos_server.events.log import DEFAULT_FEED_LIMIT, ID_PREFIX, LOGGED_TYPES, MAX_FEED_LIMIT
from clopos_server.kit.schema import INT_OUT, ISO_TIME, STR_OUT, Schema, maybe, out
from clopos_server.kit.schema import query_parameter as _query
from clopos_server.kit.values import MAX_ID

CURSOR: Schema = {
    "type": "string",
    "pattern": r"^[0-9]{1,19}$",
    "description": "A position in the log (decimal digits; may exceed 2**53, so it is a string)",
}
EVENT_ID: Schema = {
    "type": "string",
    "pattern": rf"^{ID_PREFIX}[0-9a-f]{{16}}$",
    "description": "`evt_` and 16 lowercase hex digits",
}
EVENT_TYPE: Schema = {"type": "string", "enum": list(LOGGED_TYPES)}

EVENT: Schema = out(
    {
        "id": EVENT_ID,
        "cursor": CURSOR,
        "type": EVENT_TYPE,
        "brand_id": INT_OUT,
        "venue_id": maybe(INT_OUT),
        "created_at": ISO_TIME,
        "data": out(
            {
                "object": {"type": "object", "description": "the resource as its GET by id renders it"},
                "previous_attributes": {
                    "type": "object",
                    "description": "updates only: the changed top-level fields' old values",
                },
            },
            required=["object"],
        ),
    },
    title="Event",
)

EVENT_PAGE: Schema = out(
    {
        "success": {"const": True},
        "data": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
        "next": {**CURSOR, "description": "pass as `after` for the events that follow this page"},
        "has_more": {"type": "boolean", "description": "more events follow `next` already"},
        "time": INT_OUT,
        "timestamp": STR_OUT,
        "unix": INT_OUT,
    },
    title="EventPage",
)


FEED_PARAMETERS: list[dict[str, Any]] = [
    _query("after", CURSOR, "Events after this cursor (a page's `next`); without it, the newest `limit`"),
    _query(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_FEED_LIMIT, "default": DEFAULT_FEED_LIMIT},
        f"Events per page, 1 to {MAX_FEED_LIMIT}",
    ),
    _query(
        "types[]",
        {"type": "array", "items": EVENT_TYPE, "maxItems": len(LOGGED_TYPES)},
        "Only these types",
        style="form",
        explode=True,
    ),
    _query("venue_id", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "Only this venue's events"),
]
