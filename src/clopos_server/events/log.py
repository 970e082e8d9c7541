"""The event log (docs/events.md): every change, recorded in the transaction that makes it, read in commit
order by the events feed, the board's live stream, the cross-instance relay and the webhook dispatcher.

An event is ``{id, cursor, type, brand_id, venue_id, created_at, data}`` with ``data = {object,
previous_attributes?}``: the resource as ``GET /open-api/v2/<resource>/{id}`` renders it at that moment,
and for an update the changed top-level fields' old values, so that a reader never needs to read back.

The cursor is the row's ``seq`` (db/events_models.py). On PostgreSQL a reader sees only the events of
transactions older than the oldest one still running (the *horizon*), so an event that commits later never
gets a smaller cursor than one a reader has already seen; on SQLite writers commit one at a time and the
row id is already commit-ordered. Cursors are written as decimal strings: on PostgreSQL they outgrow the
integers JavaScript holds exactly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Select,
    Text,
    bindparam,
    cast,
    delete,
    insert,
    literal_column,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server import jsonio
from clopos_server.db.driver_reads import Reader, any_of, for_dialects, reader_of
from clopos_server.db.engine import Database, dialect_of
from clopos_server.db.events_models import SEQ_LOW_BITS, Event
from clopos_server.db.models import Base
from clopos_server.timeutil import ts_iso, utcnow

log = logging.getLogger(__name__)

ORDER_CREATED = "order.created"
ORDER_ACCEPTED = "order.accepted"
ORDER_IGNORED = "order.ignored"
ORDER_DELIVERED = "order.delivered"
RECEIPT_CREATED = "receipt.created"
RECEIPT_UPDATED = "receipt.updated"
RECEIPT_CLOSED = "receipt.closed"
RECEIPT_DELETED = "receipt.deleted"
CUSTOMER_CREATED = "customer.created"
STOP_LIST_UPDATED = "stop_list.updated"
CATALOG_UPDATED = "catalog.updated"
WAITER_CALL_CREATED = "waiter_call.created"  # issue 17: a guest's call from an e-menu
WAITER_CALL_ACKNOWLEDGED = "waiter_call.acknowledged"  # staff saw it on the board
WEBHOOK_TEST = "webhook.test"  # a ping to one webhook endpoint: never in the log, never in the feed

# What the log holds and the feed serves, in the order docs/events.md lists them.
LOGGED_TYPES: tuple[str, ...] = (
    ORDER_CREATED,
    ORDER_ACCEPTED,
    ORDER_IGNORED,
    ORDER_DELIVERED,
    RECEIPT_CREATED,
    RECEIPT_UPDATED,
    RECEIPT_CLOSED,
    RECEIPT_DELETED,
    CUSTOMER_CREATED,
    STOP_LIST_UPDATED,
    CATALOG_UPDATED,
    WAITER_CALL_CREATED,
    WAITER_CALL_ACKNOWLEDGED,
)
EVENT_TYPES: tuple[str, ...] = (*LOGGED_TYPES, WEBHOOK_TEST)  # what a webhook endpoint may subscribe to
ORDER_TYPES = frozenset(t for t in LOGGED_TYPES if t.startswith("order."))
# The order's new status -> what happened to it (orders.lifecycle's transitions).
ORDER_EVENT_OF_STATUS = {"RECEIVED": ORDER_ACCEPTED, "IGNORE": ORDER_IGNORED, "DELIVERED": ORDER_DELIVERED}

ID_PREFIX = "evt_"
_ID_DIGITS = 16  # hex digits of a cursor below 2**64: ids sort as their cursors do
MAX_CURSOR = 2**63 - 1
PRUNE_EVERY_SECONDS = 3600.0
PRUNE_FIRST_AFTER_SECONDS = 60.0
DEFAULT_FEED_LIMIT = 50
MAX_FEED_LIMIT = 100

_EVENTS = Base.metadata.tables[Event.__tablename__]
_INSERT = insert(_EVENTS)
# The horizon, shifted like ``seq``: the oldest transaction still running in the reader's snapshot (every
# event below it has committed or is gone), or the snapshot's xmax when none is. Transactions that are
# known to run in another database of the server are left out (they cannot write this log, and a CREATE
# or DROP DATABASE elsewhere holds its transaction for seconds); an xid pg_stat_activity does not place
# elsewhere counts, so a race with its ending only makes the horizon lower, never wrong. (PostgreSQL
# compares xids of running transactions in 32 bits; two running ones never share the low 32 bits.)
_PG_HORIZON_SQL = """(
SELECT coalesce(
    (SELECT min(x::text::bigint) FROM pg_snapshot_xip(snap.s) AS x
     WHERE (x::text::bigint & 4294967295) NOT IN (
        SELECT backend_xid::text::bigint FROM pg_stat_activity
        WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database())),
    pg_snapshot_xmax(snap.s)::text::bigint) << 24
FROM (SELECT pg_current_snapshot() AS s) AS snap)"""
_PG_HORIZON: ColumnElement[int] = literal_column(_PG_HORIZON_SQL)
assert SEQ_LOW_BITS == 24, "the horizon's shift is SEQ_LOW_BITS"


@dataclass(frozen=True)
class Page:
    """One page of the feed: its events (oldest first), the cursor to pass as ``after`` next, and whether
    more events already follow it."""

    events: list[dict[str, Any]]
    next: int
    has_more: bool


def event_id(seq: int) -> str:
    """``evt_`` and the cursor in fixed-width hex: unique, and sorted as the log is."""
    return f"{ID_PREFIX}{seq:0{_ID_DIGITS}x}"


NO_EVENT = 0  # the cursor of a well-formed id that no event can have: looked up, it is simply not found


def seq_of(identifier: str) -> int | None:
    """The cursor an event id spells, or None for anything that is not one. A well-formed id outside the
    log's range (0, or past ``MAX_CURSOR``, which no database column holds) spells ``NO_EVENT``: the
    document allows any 16 hex digits, so such an id is an event that does not exist (404), not bad
    input (found by the fuzz run: ``GET /events/evt_0000000000000000`` answered 400)."""
    digits = identifier.removeprefix(ID_PREFIX)
    if digits == identifier or len(digits) != _ID_DIGITS or not all(c in "0123456789abcdef" for c in digits):
        return None
    value = int(digits, 16)
    return value if 0 < value <= MAX_CURSOR else NO_EVENT


def unknown_types(types: Sequence[str]) -> list[str]:
    """The names among ``types`` that are not types of the log (``webhook.test`` is never in it)."""
    return [name for name in types if name not in LOGGED_TYPES]


def event_data(obj: Any, previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``data`` of an event: the object, and the changed fields' old values when there are any."""
    return {"object": obj, "previous_attributes": dict(previous)} if previous else {"object": obj}


def previous_attributes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level fields of ``after`` whose value differs in ``before``, with their old values.

    Compared as JSON (a Decimal 16.2 equals 16.20; an embedded fragment equals the text it holds);
    ``updated_at`` changes with every update and is not listed."""
    return {
        key: before.get(key)
        for key, value in after.items()
        if key != "updated_at" and _as_json(before.get(key)) != _as_json(value)
    }


def _as_json(value: Any) -> Any:
    """The value as JSON reads it back, without the ``updated_at`` of nested objects (an order's payload
    and a receipt's lines repeat it): a change of time alone is no change."""
    return _without_times(orjson.loads(jsonio.dumps(value)))


def _without_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_times(item) for key, item in value.items() if key != "updated_at"}
    if isinstance(value, list):
        return [_without_times(item) for item in value]
    return value


async def record(
    conn: AsyncConnection,
    type_: str,
    brand_id: int,
    venue_id: int | None,
    obj: Any,
    previous: Mapping[str, Any] | None = None,
    *,
    at: datetime | None = None,
) -> None:
    """Write one event in ``conn``'s transaction (it commits or rolls back with the change it records)."""
    if type_ not in LOGGED_TYPES:
        raise ValueError(f"not an event type of the log: {type_!r}")
    await conn.execute(
        _INSERT,
        {
            "type": type_,
            "brand_id": brand_id,
            "venue_id": venue_id,
            "created_at": at or utcnow(),
            "data": event_data(obj, previous),
        },
    )


def _visible(conn: AsyncConnection) -> list[ColumnElement[bool]]:
    """What keeps a reader to committed, commit-ordered events (PostgreSQL: below the horizon)."""
    return [_EVENTS.c.seq < _PG_HORIZON] if dialect_of(conn) == "postgresql" else []


def _feed_query(dialect: str, *, types: bool = False, venue: bool = False) -> Select[Any]:
    """The feed's columns (``data`` as its stored text) and its filters, with named parameters: ``brand``,
    and ``venue`` and ``types`` when asked for."""
    conditions: list[ColumnElement[bool]] = [_EVENTS.c.brand_id == bindparam("brand")]
    if venue:
        conditions.append(_EVENTS.c.venue_id == bindparam("venue"))
    if types:
        conditions.append(any_of(dialect, _EVENTS.c.type, "types"))  # one statement for any number
    columns = [c for c in _EVENTS.c if c.name != "data"]
    return select(*columns, cast(_EVENTS.c.data, Text).label("data")).where(*conditions)


def _page_statement(dialect: str, *, after: bool, types: bool, venue: bool) -> Select[Any]:
    """A keyset read on ``(brand_id[, venue_id], seq)``: newest first without ``after`` (``limit`` rows),
    oldest first after it (``limit`` is then one more than the page: the extra row says more follow)."""
    query = _feed_query(dialect, types=types, venue=venue)
    if dialect == "postgresql":
        query = query.where(_EVENTS.c.seq < _PG_HORIZON)
    limit = bindparam("limit", type_=Integer)
    if not after:
        return query.order_by(_EVENTS.c.seq.desc()).limit(limit)
    return query.where(_EVENTS.c.seq > bindparam("after")).order_by(_EVENTS.c.seq.asc()).limit(limit)


# Every shape of the feed's page, compiled once per dialect at import (issue 18, docs/decisions/0005): on
# PostgreSQL they run on the driver (db/driver_reads.py).
_PAGES = {
    (after, types, venue): for_dialects(partial(_page_statement, after=after, types=types, venue=venue))
    for after in (False, True)
    for types in (False, True)
    for venue in (False, True)
}
_ONE = for_dialects(lambda dialect: _feed_query(dialect).where(_EVENTS.c.seq == bindparam("seq")))


def _page_values(
    brand_id: int, after: int | None, limit: int, types: Sequence[str], venue_id: int | None
) -> dict[str, Any]:
    return {
        "brand": brand_id,
        "venue": venue_id,
        "types": list(types),
        "after": after,
        "limit": limit if after is None else limit + 1,
    }


def page_query(
    dialect: str,
    brand_id: int,
    *,
    after: int | None,
    limit: int,
    types: Sequence[str] = (),
    venue_id: int | None = None,
) -> Select[Any]:
    """The feed's statement with its values bound, for a test to EXPLAIN exactly what the feed sends (its
    cost does not grow with the log: tests/events/test_feed_cost.py)."""
    statement = _PAGES[(after is not None, bool(types), venue_id is not None)][dialect].core
    return statement.params(_page_values(brand_id, after, limit, types, venue_id))


async def read_after(
    source: Reader | AsyncConnection,
    brand_id: int,
    *,
    after: int | None,
    limit: int,
    types: Sequence[str] = (),
    venue_id: int | None = None,
) -> Page:
    """The brand's events after ``after``, oldest first, at most ``limit``; without ``after``, the newest
    ``limit`` (still oldest first). One statement; its cost does not grow with the log. ``source``: the
    feed's reader (on the driver), or a connection already open."""
    reader = reader_of(source)
    statements = _PAGES[(after is not None, bool(types), venue_id is not None)]
    rows = list(await reader.fetch(statements, _page_values(brand_id, after, limit, types, venue_id)))
    if after is None:
        rows.reverse()
        return Page([render_event(r) for r in rows], rows[-1].seq if rows else 0, False)
    page = rows[:limit]
    return Page([render_event(r) for r in page], page[-1].seq if page else after, len(rows) > limit)


@dataclass(frozen=True)
class Ref:
    """What an event is about, without its data: the board needs only which order (or receipt) changed."""

    seq: int
    type: str
    object_id: int | None


async def refs_after(
    conn: AsyncConnection, brand_id: int, venue_id: int, *, after: int, limit: int, types: Sequence[str]
) -> list[Ref]:
    """The venue's events of ``types`` after ``after``, oldest first: their cursor, type and object id."""
    object_id = _EVENTS.c.data[("object", "id")].as_integer()
    query = (
        select(_EVENTS.c.seq, _EVENTS.c.type, object_id)
        .where(
            _EVENTS.c.brand_id == brand_id,
            _EVENTS.c.venue_id == venue_id,
            _EVENTS.c.seq > after,
            _EVENTS.c.type.in_(list(types)),
            *_visible(conn),
        )
        .order_by(_EVENTS.c.seq.asc())
        .limit(limit)
    )
    return [
        Ref(int(seq), str(kind), None if oid is None else int(oid))
        for seq, kind, oid in await conn.execute(query)
    ]


async def read_one(source: Reader | AsyncConnection, brand_id: int, seq: int) -> dict[str, Any] | None:
    """One event of the brand by its cursor (another brand's is simply not found)."""
    row = await reader_of(source).first(_ONE, {"brand": brand_id, "seq": seq})
    return None if row is None else render_event(row)


async def latest_cursor(conn: AsyncConnection, brand_id: int, venue_id: int | None = None) -> int:
    """The cursor of the brand's (or venue's) newest visible event; 0 when there is none."""
    query = select(_EVENTS.c.seq).where(_EVENTS.c.brand_id == brand_id, *_visible(conn))
    if venue_id is not None:
        query = query.where(_EVENTS.c.venue_id == venue_id)
    found = (await conn.execute(query.order_by(_EVENTS.c.seq.desc()).limit(1))).scalar_one_or_none()
    return int(found or 0)


def render_event(row: Row[Any]) -> dict[str, Any]:
    """The event as the feed answers it; ``data`` read as stored text is embedded without a decode."""
    data = orjson.Fragment(row.data.encode()) if isinstance(row.data, str) else row.data
    return {
        "id": event_id(row.seq),
        "cursor": str(row.seq),
        "type": row.type,
        "brand_id": row.brand_id,
        "venue_id": row.venue_id,
        "created_at": ts_iso(row.created_at),
        "data": data,
    }


async def prune(conn: AsyncConnection, retention_days: int, *, now: datetime | None = None) -> int:
    """Delete the events older than ``retention_days``; how many went."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    result = await conn.execute(
        delete(_EVENTS).where(_EVENTS.c.created_at < bindparam("cutoff")), {"cutoff": cutoff}
    )
    return int(result.rowcount or 0)


async def prune_forever(
    db: Database,
    retention_days: int,
    interval: float = PRUNE_EVERY_SECONDS,
    first_after: float = PRUNE_FIRST_AFTER_SECONDS,
) -> None:
    """The server's own pruning (a task of the app's lifespan): ``first_after`` seconds after start (not
    during start-up's requests: it would take a pool connection of its own), then every ``interval``.

    Every instance prunes; a DELETE of rows another instance already deleted deletes nothing."""
    await asyncio.sleep(first_after)
    while True:
        try:
            async with db.write() as conn:
                pruned = await prune(conn, retention_days)
            if pruned:
                log.info("pruned old events", extra={"count": pruned, "retention_days": retention_days})
        except Exception:
            log.warning("pruning the event log failed", exc_info=True)
        await asyncio.sleep(interval)
