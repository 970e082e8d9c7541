"""What an endpoint body and a redelivery body may hold: read with the one body reader, refused with a
422 ``validation_failed`` naming every field at fault (nothing is stored then).

A 422 rather than the API's usual 400: the body is well-formed JSON of the right shape, and what is
refused is its meaning (a URL the server will not call, an event type it does not know, a 21st
endpoint), as Stripe and Svix answer it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clopos_server.errors import ApiError, Problem
from clopos_server.events.log import EVENT_TYPES, seq_of
from clopos_server.kit.body import MISSING, BodyReader
from clopos_server.kit.query import ResourceQuerySpec
from clopos_server.webhooks.targets import MAX_URL, url_problem

ALL_EVENTS = "*"
MAX_ENDPOINTS = 20  # per brand
DESCRIPTION_LIMIT = 500
EVENT_ID_LIMIT = 64
MAX_VENUES = 100

ENDPOINT_QUERY = ResourceQuerySpec(
    default_limit=MAX_ENDPOINTS, max_limit=MAX_ENDPOINTS, sorts=("id",), default_sort=("id", False)
)
ATTEMPT_QUERY = ResourceQuerySpec(default_limit=50, max_limit=100, sorts=("id",), default_sort=("id", True))


@dataclass(frozen=True)
class UrlRules:
    allow_http: bool
    allow_private: bool


@dataclass
class EndpointFields:
    """The fields a body set (None: not sent)."""

    url: str | None = None
    events: list[str] | None = None
    description: str | None = None
    venue_ids: list[int] | None = None
    venue_ids_sent: bool = False
    enabled: bool | None = None


@dataclass(frozen=True)
class Redelivery:
    """``{event_id}`` (its cursor) or ``{since, until}``."""

    seq: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def unprocessable(problems: list[Problem]) -> ApiError:
    message = problems[0].message if len(problems) == 1 else f"{len(problems)} problems in the endpoint"
    return ApiError("validation_failed", message, problems, status=422)


def _raise_if_failed(reader: BodyReader) -> None:
    if reader.problems:
        raise unprocessable(reader.problems)


def _url(reader: BodyReader, value: Any, rules: UrlRules, *, required: bool) -> str | None:
    url = reader.string(value, "url", limit=MAX_URL, required=required)
    if url is None:
        return None
    problem = url_problem(url, allow_http=rules.allow_http, allow_private=rules.allow_private)
    if problem is not None:
        reader.bad("url", problem)
        return None
    return url


def _events(reader: BodyReader, value: Any, *, required: bool) -> list[str] | None:
    items = reader.array(value, "events", required=required, max_items=len(EVENT_TYPES) + 1)
    if items is None:
        return None
    if not items:
        reader.bad("events", f'must list at least one event type, or "{ALL_EVENTS}" for all')
        return None
    chosen: list[str] = []
    for index, item in enumerate(items):
        if item not in (ALL_EVENTS, *EVENT_TYPES):
            reader.bad(f"events[{index}]", f"is not an event type (one of {', '.join(EVENT_TYPES)}, or *)")
        elif item in chosen:
            reader.bad(f"events[{index}]", "is listed twice")
        else:
            chosen.append(item)
    if ALL_EVENTS in chosen and len(chosen) > 1:
        reader.bad("events", f'"{ALL_EVENTS}" stands alone: it means every event type')
    return chosen


def _venues(reader: BodyReader, value: Any, venues: Collection[int]) -> list[int] | None:
    items = reader.array(value, "venue_ids", max_items=MAX_VENUES)
    if items is None:
        return None
    chosen: list[int] = []
    for index, item in enumerate(items):
        venue = reader.integer(item, f"venue_ids[{index}]", required=True)
        if venue is not None and venue not in venues:
            reader.bad(f"venue_ids[{index}]", "is not a venue of the brand")
        elif venue is not None and venue not in chosen:
            chosen.append(venue)
    return chosen or None


def read_endpoint(
    body: dict[str, Any], rules: UrlRules, venues: Collection[int], *, creating: bool
) -> EndpointFields:
    """The fields of a create (``url`` and ``events`` required) or a PATCH (any of them)."""
    reader = BodyReader(subject="endpoint")
    fields = EndpointFields(
        url=_url(reader, body.get("url", MISSING), rules, required=creating),
        events=_events(reader, body.get("events", MISSING), required=creating),
        description=reader.string(body.get("description", MISSING), "description", limit=DESCRIPTION_LIMIT),
        venue_ids=_venues(reader, body.get("venue_ids", MISSING), venues),
        venue_ids_sent="venue_ids" in body,
        enabled=None if creating else reader.boolean(body.get("enabled", MISSING), "enabled"),
    )
    _raise_if_failed(reader)
    return fields


def read_redelivery(body: dict[str, Any]) -> Redelivery:
    reader = BodyReader(subject="redelivery")
    if body.get("event_id") is not None:
        text = reader.string(body["event_id"], "event_id", limit=EVENT_ID_LIMIT)
        seq = seq_of(text) if text is not None else None
        if text is not None and seq is None:
            reader.bad("event_id", "is not an event id (evt_ and 16 hex digits)")
        _raise_if_failed(reader)
        return Redelivery(seq=seq)
    since = reader.moment(body.get("since", MISSING), "since", required=True)
    until = reader.moment(body.get("until", MISSING), "until", required=True)
    if since is not None and until is not None and since >= until:
        reader.bad("until", "must be later than since")
    _raise_if_failed(reader)
    return Redelivery(since=since, until=until)
