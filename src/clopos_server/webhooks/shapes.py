"""The JSON shapes of the webhook endpoints and of the deliveries themselves, for the OpenAPI document
(its ``paths`` and its ``webhooks`` section), built from the readers' own bounds."""

from __future__ import annotations

from typing import Any

from clopos_server.events.log import EVENT_TYPES, LOGGED_TYPES, WEBHOOK_TEST
from clopos_server.kit.schema import (
    BOOL_OUT,
    INT_OUT,
    ISO_TIME,
    STR_OUT,
    Schema,
    array,
    boolean,
    identifier,
    maybe,
    moment,
    nullable,
    obj,
    out,
    text,
)
from clopos_server.webhooks.schemas import ALL_EVENTS, DESCRIPTION_LIMIT, MAX_VENUES
from clopos_server.webhooks.targets import MAX_URL

URL: Schema = {
    "type": "string",
    "maxLength": MAX_URL,
    "format": "uri",
    "pattern": "^https?://",
    "description": "https:// (http:// only where the server allows it), ASCII (an international name in "
    "punycode), no user name or password, not a loopback or private address",
    "examples": ["https://example.com/clopos/webhooks"],
}
EVENTS: Schema = {
    "type": "array",
    "minItems": 1,
    "maxItems": len(EVENT_TYPES) + 1,
    "uniqueItems": True,
    "items": {"enum": [*EVENT_TYPES, ALL_EVENTS]},
    "description": f'Event types to receive, or `["{ALL_EVENTS}"]` for all',
}
_FIELDS: dict[str, Schema] = {
    "url": URL,
    "events": EVENTS,
    "description": nullable(text(DESCRIPTION_LIMIT)),
    "venue_ids": nullable(
        {**array(identifier(), max_items=MAX_VENUES), "description": "Only these venues' events"}
    ),
}
NEW_ENDPOINT = obj(
    _FIELDS,
    required=["url", "events"],
    title="NewWebhookEndpoint",
    description="The endpoint to create; its secret is answered once.",
)
ENDPOINT_CHANGES = obj(
    {**_FIELDS, "url": nullable(URL), "events": nullable(EVENTS), "enabled": nullable(boolean())},
    title="WebhookEndpointChanges",
    description="The fields to change; `enabled: true` re-enables (from the newest event on).",
)
REDELIVER_EVENT = obj(
    {"event_id": {"type": "string", "pattern": "^evt_[0-9a-f]{16}$"}},
    required=["event_id"],
    title="RedeliverEvent",
    additional=False,
)
REDELIVER_WINDOW = obj(
    {"since": moment(), "until": moment()},
    required=["since", "until"],
    title="RedeliverWindow",
    description="The endpoint's matching events created from `since` (inclusive) to `until` (exclusive)",
    additional=False,
)
_ENDPOINT_OUT: dict[str, Schema] = {
    "id": INT_OUT,
    "url": STR_OUT,
    "description": STR_OUT,
    "events": {"type": "array", "items": STR_OUT},
    "venue_ids": maybe({"type": "array", "items": INT_OUT}),
    "enabled": BOOL_OUT,
    "disabled_reason": maybe(STR_OUT),
    "api_client_id": maybe(INT_OUT),
    "previous_secret_expires_at": maybe(ISO_TIME),
    "created_at": ISO_TIME,
    "updated_at": ISO_TIME,
}
ENDPOINT: Schema = out(_ENDPOINT_OUT, title="WebhookEndpoint", description="Never with its secret.")
ENDPOINT_WITH_SECRET: Schema = out(
    {**_ENDPOINT_OUT, "secret": {"type": "string", "pattern": "^whsec_"}},
    title="WebhookEndpointWithSecret",
    description="Answered on create and rotation only: keep `secret` now, it is never shown again.",
)
ATTEMPT: Schema = out(
    {
        "id": INT_OUT,
        "event_id": STR_OUT,
        "webhook_id": STR_OUT,
        "attempt": INT_OUT,
        "at": ISO_TIME,
        "duration_ms": INT_OUT,
        "response_status": maybe(INT_OUT),
        "response_body": maybe({"type": "string", "description": "the first 1 KiB"}),
        "error": maybe(STR_OUT),
    },
    title="WebhookAttempt",
)
REDELIVERED: Schema = out({"endpoint_id": INT_OUT, "queued": INT_OUT}, title="WebhookRedelivery")

# ------------------------------------------------------------------------------- the deliveries themselves

DELIVERY: Schema = {
    "type": "object",
    "title": "WebhookDelivery",
    "properties": {
        "type": {"enum": list(EVENT_TYPES)},
        "timestamp": {**ISO_TIME, "description": "when the event happened (UTC)"},
        "data": {
            "type": "object",
            "properties": {
                "event_id": {
                    "type": "string",
                    "description": "the event's id (`evt_...`, or `evt_test_...`)",
                },
                "object": {"type": "object", "description": "the resource as the v2 API renders it then"},
                "previous_attributes": {
                    "type": "object",
                    "description": "updates: changed fields' old values",
                },
            },
            "required": ["event_id", "object"],
        },
    },
    "required": ["type", "timestamp", "data"],
}
_HEADERS = [
    ("webhook-id", "The message id: the event's id, the same on every retry of the delivery"),
    ("webhook-timestamp", "Unix seconds of this attempt"),
    (
        "webhook-signature",
        "`v1,` + base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}` under the secret's "
        "base64-decoded bytes; during a rotation's 24 h overlap two signatures, space-separated",
    ),
]
_SUMMARIES = {WEBHOOK_TEST: "A test ping (the test helper's); never in the event log"}


def _delivery_operation(type_: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": _SUMMARIES.get(type_, f"`{type_}`: see docs/webhooks.md for the payload"),
            "description": "Signed as Standard Webhooks. A 2xx acknowledges it; `410 Gone` disables the "
            "endpoint; anything else (or no answer within 15 s) is retried after 5 s, 5 min, 30 min, 2 h, "
            "5 h, 10 h and 10 h (±10%).",
            "parameters": [
                {
                    "name": name,
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": why,
                }
                for name, why in _HEADERS
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "allOf": [
                                {"$ref": "#/components/schemas/WebhookDelivery"},
                                {"properties": {"type": {"const": type_}}},
                            ]
                        }
                    }
                },
            },
            "responses": {
                "200": {"description": "Received (any 2xx)"},
                "410": {"description": "Gone: the endpoint is disabled at once"},
            },
        }
    }


def openapi_webhooks() -> tuple[dict[str, Any], dict[str, Schema]]:
    """The document's ``webhooks`` section (one entry per event type) and the schemas it refers to."""
    section = {type_: _delivery_operation(type_) for type_ in (*LOGGED_TYPES, WEBHOOK_TEST)}
    return section, {"WebhookDelivery": DELIVERY}
