"""The dispatcher's work, kept in the database so that any instance can do it and a crash loses nothing.

Deliveries are made due from the event log, not by the writers: each endpoint keeps a cursor in the log,
and the endpoint's sender reads the brand's events after it (keyset on ``ix_events_brand_seq``), under the
endpoint's row lock (``FOR UPDATE SKIP LOCKED`` on PostgreSQL: another instance skips that endpoint
meanwhile), only as many as it has room to send. A new delivery is written when its first attempt is
recorded: when that attempt succeeded (most of them) as the attempt's row alone, which is all that is
left to show of it; else as a delivery, ``pending`` with its next attempt's time (or ``failed``), and
its attempt. The endpoint's cursor moves only past events whose first attempts are recorded, so a
sender that dies with new deliveries in flight leaves them in the log for the next sender: sent again,
never lost. The create path thus sends not one statement more than the event it already writes, and an
event committed is an event delivered, whatever happens to the process in between.

One instance at a time is an endpoint's *sender* (``sender``, ``sender_until`` on its row, taken under
the row lock): only it sends to that endpoint, at most ``MAX_IN_FLIGHT`` requests at once, so the limit
holds across instances. It claims due retries (and deliveries whose lease expired) in batches by setting
their lease (``lease_until``, ``lease_owner``), renews its leases every 10 s or so, and records finished
attempts in batches: a few statements however many there are. A delivery that succeeds at once is thus
one row (its attempt), with a constant number of statements per round whatever the batch. A
sender that dies (a SIGKILL mid-attempt) stops renewing; its leases expire and another instance takes
over and sends what was not recorded: at least once, never lost.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Row,
    Table,
    Text,
    bindparam,
    cast,
    delete,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.db.engine import dialect_of
from clopos_server.db.events_models import SEQ_LOW_BITS, Event
from clopos_server.db.models import Base
from clopos_server.events.log import event_id
from clopos_server.timeutil import ts_iso, utcnow
from clopos_server.webhooks.client import ATTEMPT_TIMEOUT, Outcome
from clopos_server.webhooks.repository import ATTEMPTS, DELIVERIES, ENDPOINTS
from clopos_server.webhooks.schedule import retry_delay
from clopos_server.webhooks.schemas import ALL_EVENTS

MAX_IN_FLIGHT = 4  # requests to one endpoint at once, across every instance (only its sender sends)
LEASE_MS = int((ATTEMPT_TIMEOUT + 15) * 1000)  # renewed by the sender while it lives
RENEW_BELOW_MS = 20_000  # the sender renews once this little of its lease is left (every 10 s or so)
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
# A finished delivery keeps no body: only a retry sends it again, and a redelivery is a new delivery
# rendered from the event. Most deliveries are stored finished (their first attempt succeeded), and a
# body (an order's event is 2-3 KB) was most of what each row cost the database to write.
FINISHED_BODY = ""

_EVENTS = Base.metadata.tables[Event.__tablename__]
# PostgreSQL: the oldest transaction still running, shifted like ``seq`` (events.log's horizon): every
# event below it has committed, and no event committed later can sort below it.
_PG_HORIZON: ColumnElement[int] = literal_column(
    f"(pg_snapshot_xmin(pg_current_snapshot())::text::bigint << {SEQ_LOW_BITS})"
)


class ManyRows:
    """An INSERT of a round's rows (deliveries, attempts) in one statement whatever their number.

    PostgreSQL: one array per column, unnested (``INSERT ... SELECT * FROM unnest($1::int[], ...)``): one
    statement text and one round trip for 1 or 256 rows. SQLAlchemy's batched INSERT sent pages of
    ``VALUES`` rows instead, a statement (and a prepared statement kept per connection) per page size and
    a round trip per page, and processed every row's parameters in Python. SQLite, in process, takes the
    rows as an ``executemany`` (SQLAlchemy's batched INSERT, in pages of 32: one statement text per page
    size, kept few).
    """

    def __init__(self, table: Table, columns: Sequence[str], returning: Sequence[str] = ()) -> None:
        self.columns = tuple(columns)
        arrays = [bindparam(f"many_{name}", type_=ARRAY(table.c[name].type)) for name in self.columns]
        rows = func.unnest(*arrays).table_valued(*self.columns).render_derived()
        unnested = insert(table).from_select(self.columns, select(*(rows.c[name] for name in self.columns)))
        batched = insert(table).execution_options(insertmanyvalues_page_size=32)
        if returning:
            unnested = unnested.returning(*(table.c[name] for name in returning))
            batched = batched.returning(*(table.c[name] for name in returning))
        self.on_postgresql = unnested
        self.on_sqlite = batched

    async def execute(self, conn: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> CursorResult[Any]:
        """Insert ``rows`` (each with every one of ``columns``); the RETURNING rows in any order."""
        if dialect_of(conn) == "postgresql":
            arrays = {f"many_{name}": [row[name] for row in rows] for name in self.columns}
            return await conn.execute(self.on_postgresql, arrays)
        return await conn.execute(self.on_sqlite, list(rows))


_NEW_DELIVERIES = ManyRows(
    DELIVERIES,
    [
        "brand_id", "endpoint_id", "event_id", "event_type", "message_id", "body", "created_at",
        "status", "attempts", "next_at", "finished_at",
    ],
    returning=("id", "event_id"),
)  # fmt: skip
_NEW_ATTEMPTS = ManyRows(
    ATTEMPTS,
    [
        "brand_id", "endpoint_id", "delivery_id", "event_id", "message_id", "number", "at", "duration_ms",
        "response_status", "response_body", "error",
    ],
)  # fmt: skip


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Claimed:
    """A delivery this instance is about to attempt, with what the attempt needs: a stored one whose lease
    it holds (``id``), or a new one read from the event log (``id`` None; ``seq`` is its event's cursor),
    stored when its attempt is recorded (:func:`record`) or when it is given up unsent
    (:func:`store_pending`)."""

    id: int | None
    endpoint_id: int
    event_id: str
    message_id: str
    body: str
    number: int  # the attempt about to be made, from 1
    event_type: str = ""  # a new delivery's, for its row
    seq: int = 0  # a new delivery's event cursor


def delivery_body(type_: str, created_at: datetime, identifier: str, data_text: str) -> str:
    """``{"type", "timestamp", "data"}`` with the event's id first inside ``data``: the stored data is
    spliced in as text, so its exact decimals are sent as stored."""
    head = orjson.dumps({"type": type_, "timestamp": ts_iso(created_at)}).decode()
    inner = data_text.strip()
    rest = inner[1:].lstrip()
    id_field = orjson.dumps({"event_id": identifier}).decode()[:-1]
    data = id_field + ("}" if rest == "}" else "," + rest)
    return f'{head[:-1]},"data":{data}}}'


def _visible(conn: AsyncConnection) -> list[ColumnElement[bool]]:
    return [_EVENTS.c.seq < _PG_HORIZON] if dialect_of(conn) == "postgresql" else []


def _claimable(now: int) -> list[ColumnElement[bool]]:
    return [
        DELIVERIES.c.status == PENDING,
        DELIVERIES.c.next_at <= now,
        or_(DELIVERIES.c.lease_until.is_(None), DELIVERIES.c.lease_until <= now),
    ]


async def endpoints_with_work(conn: AsyncConnection, now: int, owner: str) -> list[int]:
    """Enabled endpoints with events after their cursor or a claimable delivery, that no other instance
    is sending to: one statement, what an idle instance sends per poll."""
    newer = exists().where(
        _EVENTS.c.brand_id == ENDPOINTS.c.brand_id, _EVENTS.c.seq > ENDPOINTS.c.cursor, *_visible(conn)
    )
    due = exists().where(DELIVERIES.c.endpoint_id == ENDPOINTS.c.id, *_claimable(now))
    free = or_(ENDPOINTS.c.sender.is_(None), ENDPOINTS.c.sender == owner, ENDPOINTS.c.sender_until <= now)
    query = select(ENDPOINTS.c.id).where(ENDPOINTS.c.enabled.is_(True), free, or_(newer, due))
    return [int(row.id) for row in (await conn.execute(query.order_by(ENDPOINTS.c.id))).all()]


async def lock_endpoint(conn: AsyncConnection, endpoint_id: int) -> Row[Any] | None:
    """The endpoint's row, locked for this transaction; None when another transaction holds the lock
    this instant (PostgreSQL) or the endpoint is gone."""
    query = select(ENDPOINTS).where(ENDPOINTS.c.id == endpoint_id)
    if dialect_of(conn) == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return (await conn.execute(query)).first()


async def latest_cursor(conn: AsyncConnection, brand_id: int) -> int:
    """The brand's newest visible event's cursor (0 for none): where a new endpoint starts."""
    query = select(func.max(_EVENTS.c.seq)).where(_EVENTS.c.brand_id == brand_id, *_visible(conn))
    return int((await conn.execute(query)).scalar_one_or_none() or 0)


def _matching(endpoint: Row[Any]) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [_EVENTS.c.brand_id == endpoint.brand_id]
    if ALL_EVENTS not in endpoint.events:
        conditions.append(_EVENTS.c.type.in_(list(endpoint.events)))
    if endpoint.venue_ids:
        conditions.append(or_(_EVENTS.c.venue_id.is_(None), _EVENTS.c.venue_id.in_(list(endpoint.venue_ids))))
    return conditions


def _event_columns() -> list[Any]:
    return [_EVENTS.c.seq, _EVENTS.c.type, _EVENTS.c.created_at, cast(_EVENTS.c.data, Text).label("data")]


def _new_delivery(endpoint: Row[Any], event: Row[Any]) -> Claimed:
    identifier = event_id(event.seq)
    body = delivery_body(event.type, event.created_at, identifier, event.data)
    return Claimed(None, endpoint.id, identifier, identifier, body, 1, event.type, event.seq)


def _stored_row(brand_id: int, claimed: Claimed, at: datetime) -> dict[str, Any]:
    """A new delivery's row, before any attempt (the caller sets its state)."""
    return {
        "brand_id": brand_id,
        "endpoint_id": claimed.endpoint_id,
        "event_id": claimed.event_id,
        "event_type": claimed.event_type,
        "message_id": claimed.message_id,
        "body": claimed.body,
        "created_at": at,
    }


async def insert_delivery(conn: AsyncConnection, row: dict[str, Any]) -> int:
    result = await conn.execute(insert(DELIVERIES).values(**row).returning(DELIVERIES.c.id))
    return int(result.scalar_one())


async def make_due(
    conn: AsyncConnection, endpoint: Row[Any], after: int, limit: int
) -> tuple[list[Claimed], int]:
    """New deliveries (not stored yet) for the endpoint's matching events after ``after`` (the sender's
    reading position, at or past the endpoint's cursor), at most ``limit``; and the position read up to:
    the last of them, or the brand's newest visible event when fewer matched. The caller holds the
    endpoint's row lock and moves the cursor once the deliveries are stored (:func:`advance_cursor`)."""
    if limit <= 0:
        return [], after
    head = await latest_cursor(conn, endpoint.brand_id)
    if head <= after:
        return [], after
    query = (
        select(*_event_columns())
        .where(*_matching(endpoint), _EVENTS.c.seq > after, _EVENTS.c.seq <= head)
        .order_by(_EVENTS.c.seq)
        .limit(limit)
    )
    events = list((await conn.execute(query)).all())
    read_to = events[-1].seq if len(events) == limit else head
    return [_new_delivery(endpoint, event) for event in events], read_to


async def advance_cursor(conn: AsyncConnection, endpoint: Row[Any], cursor: int) -> None:
    """Move the endpoint's cursor forward to ``cursor``: every matching event up to it has its delivery
    stored (or was read past by the sender without a match)."""
    if cursor > endpoint.cursor:
        await conn.execute(update(ENDPOINTS).where(ENDPOINTS.c.id == endpoint.id).values(cursor=cursor))


async def store_pending(
    conn: AsyncConnection, endpoint: Row[Any], deliveries: Sequence[Claimed], now: int
) -> None:
    """New deliveries stored ``pending``, due now and unleased, claimed like any retry: those taken out of
    the sender's queue unsent (it stopped, or its lease ran short), and redeliveries."""
    at = utcnow()
    rows = [
        {
            **_stored_row(endpoint.brand_id, claimed, at),
            "status": PENDING,
            "attempts": 0,
            "next_at": now,
            "finished_at": None,
        }
        for claimed in deliveries
    ]
    if rows:
        await _NEW_DELIVERIES.execute(conn, rows)


async def events_for_redelivery(
    conn: AsyncConnection,
    endpoint: Row[Any],
    *,
    seq: int | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> list[Row[Any]]:
    """One event of the brand by cursor (whatever its type), or the endpoint's matching events in a time
    window, oldest first, at most ``limit``."""
    if seq is not None:
        where = [_EVENTS.c.brand_id == endpoint.brand_id, _EVENTS.c.seq == seq]
    else:
        where = [*_matching(endpoint), _EVENTS.c.created_at >= since, _EVENTS.c.created_at < until]
    query = select(*_event_columns()).where(*where, *_visible(conn)).order_by(_EVENTS.c.seq).limit(limit)
    return list((await conn.execute(query)).all())


async def redeliver(conn: AsyncConnection, endpoint: Row[Any], events: Sequence[Row[Any]]) -> None:
    """A new delivery of each event, due now (the same ``webhook-id`` as the first delivery)."""
    await store_pending(conn, endpoint, [_new_delivery(endpoint, event) for event in events], now_ms())


def may_send(endpoint: Row[Any], owner: str, now: int) -> bool:
    """Whether ``owner`` may be the endpoint's sender: no other instance's lease is live."""
    return endpoint.sender is None or endpoint.sender == owner or (endpoint.sender_until or 0) <= now


def renewal_due(endpoint: Row[Any], owner: str, now: int) -> bool:
    """Taking the endpoint, or its sender lease has less than ``RENEW_BELOW_MS`` left."""
    return endpoint.sender != owner or (endpoint.sender_until or 0) - now < RENEW_BELOW_MS


async def release_sender(conn: AsyncConnection, endpoint_id: int, owner: str) -> None:
    """Stop being the endpoint's sender; the leases of what was claimed but not sent go with it."""
    await conn.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.endpoint_id == endpoint_id, DELIVERIES.c.status == PENDING)
        .where(DELIVERIES.c.lease_owner == owner)
        .values(lease_until=None, lease_owner=None)
    )
    await conn.execute(
        update(ENDPOINTS)
        .where(ENDPOINTS.c.id == endpoint_id, ENDPOINTS.c.sender == owner)
        .values(sender=None, sender_until=None)
    )


async def renew(conn: AsyncConnection, endpoint_id: int, owner: str, now: int, held: Collection[int]) -> None:
    """Take the endpoint as its sender, or stay it: the sender lease and the leases of the deliveries it
    still holds (queued or in flight) ``LEASE_MS`` ahead; one it gave up keeps its old lease, which
    expires (the caller holds the row lock and checked :func:`may_send`)."""
    until = now + LEASE_MS
    if held:
        await conn.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.id.in_(list(held)), DELIVERIES.c.lease_owner == owner)
            .values(lease_until=until)
        )
    await conn.execute(
        update(ENDPOINTS).where(ENDPOINTS.c.id == endpoint_id).values(sender=owner, sender_until=until)
    )


async def claim(conn: AsyncConnection, endpoint_id: int, owner: str, now: int, limit: int) -> list[Claimed]:
    """Lease up to ``limit`` of the endpoint's due deliveries, oldest due first (the caller is the
    endpoint's sender, under its row lock)."""
    if limit <= 0:
        return []
    query = (
        select(
            DELIVERIES.c.id,
            DELIVERIES.c.event_id,
            DELIVERIES.c.message_id,
            DELIVERIES.c.body,
            DELIVERIES.c.attempts,
        )
        .where(DELIVERIES.c.endpoint_id == endpoint_id, *_claimable(now))
        .order_by(DELIVERIES.c.next_at, DELIVERIES.c.id)
        .limit(limit)
    )
    if dialect_of(conn) == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list((await conn.execute(query)).all())
    if rows:
        await conn.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.id.in_([row.id for row in rows]))
            .values(lease_until=now + LEASE_MS, lease_owner=owner)
        )
    return [
        Claimed(row.id, endpoint_id, row.event_id, row.message_id, row.body, row.attempts + 1) for row in rows
    ]


@dataclass(frozen=True)
class Policy:
    """How failures are handled: the retry schedule, and how long all-failed lasts before disabling."""

    schedule: tuple[float, ...]
    disable_after: float


Result = tuple[Claimed, Outcome]


def _attempt_row(
    brand_id: int, claimed: Claimed, delivery_id: int | None, outcome: Outcome, at: datetime
) -> dict[str, Any]:
    return {
        "brand_id": brand_id,
        "endpoint_id": claimed.endpoint_id,
        "delivery_id": delivery_id,
        "event_id": claimed.event_id,
        "message_id": claimed.message_id,
        "number": claimed.number,
        "at": at,
        "duration_ms": outcome.duration_ms,
        "response_status": outcome.status,
        "response_body": outcome.body,
        "error": outcome.error,
    }


def _next_state(claimed: Claimed, outcome: Outcome, policy: Policy, now: int, at: datetime) -> dict[str, Any]:
    """The delivery's state after this attempt: ``attempts``, ``status``, ``next_at``, ``finished_at``,
    and ``body`` (kept while pending, ``FINISHED_BODY`` once finished)."""
    delay = None if outcome.ok or outcome.status == 410 else retry_delay(policy.schedule, claimed.number)
    final = DELIVERED if outcome.ok else FAILED
    return {
        "attempts": claimed.number,
        "status": final if delay is None else PENDING,
        "next_at": now if delay is None else now + int(delay * 1000),
        "finished_at": at if delay is None else None,
        "body": FINISHED_BODY if delay is None else claimed.body,
    }


def _update_params(
    claimed: Claimed, outcome: Outcome, policy: Policy, now: int, at: datetime, owner: str
) -> dict[str, Any]:
    """A stored delivery's new state, bound by name in :data:`_RECORD_DELIVERY` (an executemany UPDATE,
    whose parameters may not share the columns' names)."""
    state = _next_state(claimed, outcome, policy, now, at)
    return {"d_id": claimed.id, "d_owner": owner, **{f"d_{name}": value for name, value in state.items()}}


_RECORD_DELIVERY = (
    update(DELIVERIES)
    .where(DELIVERIES.c.id == bindparam("d_id"), DELIVERIES.c.lease_owner == bindparam("d_owner"))
    .values(
        attempts=bindparam("d_attempts"),
        status=bindparam("d_status"),
        next_at=bindparam("d_next_at"),
        finished_at=bindparam("d_finished_at"),
        body=bindparam("d_body"),
        lease_until=None,
        lease_owner=None,
    )
)


def disabled_reason(endpoint: Row[Any], outcomes: Sequence[Outcome], policy: Policy) -> str | None:
    """Why these attempts disable the endpoint: a 410, or every delivery failing for too long."""
    if any(outcome.status == 410 for outcome in outcomes):
        return f"410 Gone answered at {ts_iso(utcnow())}"
    since = endpoint.failing_since
    failing = not any(outcome.ok for outcome in outcomes)
    if failing and since is not None and utcnow() - since >= timedelta(seconds=policy.disable_after):
        return f"every delivery failed since {ts_iso(since)}"
    return None


async def _store_attempted(
    conn: AsyncConnection, brand_id: int, results: Sequence[Result], policy: Policy, now: int, at: datetime
) -> dict[str, int]:
    """New deliveries whose first attempt failed, stored in their state after it (pending with their next
    attempt's time, or failed); their ids by event id."""
    rows = [{**_stored_row(brand_id, c, at), **_next_state(c, o, policy, now, at)} for c, o in results]
    if not rows:
        return {}
    # RETURNING in any order (asking for parameter order makes SQLite send one INSERT per row), matched
    # back by event id, unique among one endpoint's new deliveries
    inserted = await _NEW_DELIVERIES.execute(conn, rows)
    return {row.event_id: int(row.id) for row in inserted}


async def record(
    conn: AsyncConnection, endpoint: Row[Any], results: Sequence[Result], policy: Policy, owner: str
) -> str | None:
    """Record attempts and their deliveries' states in at most three statements whatever their number
    (new deliveries inserted, attempts inserted, stored deliveries updated); mark the endpoint failing,
    recovered or disabled. The reason when it was disabled now."""
    if not results:
        return None
    now, at = now_ms(), utcnow()
    # a new delivery is stored only when something is left to do or to show (a retry is due, or it
    # failed for good); one whose first attempt succeeded is its attempt alone, without a delivery
    unfinished = [(c, o) for c, o in results if c.id is None and not o.ok]
    ids = await _store_attempted(conn, endpoint.brand_id, unfinished, policy, now, at)
    attempts = [
        _attempt_row(endpoint.brand_id, c, c.id if c.id is not None else ids.get(c.event_id), o, at)
        for c, o in results
    ]
    await _NEW_ATTEMPTS.execute(conn, attempts)
    states = [_update_params(c, o, policy, now, at, owner) for c, o in results if c.id is not None]
    if states:
        await conn.execute(_RECORD_DELIVERY, states)
    outcomes = [outcome for _claimed, outcome in results]
    reason = disabled_reason(endpoint, outcomes, policy)
    changes: dict[str, Any] = {}
    if any(outcome.ok for outcome in outcomes):
        if endpoint.failing_since is not None:
            changes["failing_since"] = None
    elif endpoint.failing_since is None:
        changes["failing_since"] = at
    if reason is not None:
        changes.update(enabled=False, disabled_reason=reason, updated_at=at)
    if changes:
        await conn.execute(update(ENDPOINTS).where(ENDPOINTS.c.id == endpoint.id).values(**changes))
    return reason


async def prune(conn: AsyncConnection, retention_days: int) -> int:
    """Deliveries finished before the event log's horizon: those stored (with their attempts) and those
    that succeeded at once (their attempt alone). How many went."""
    cutoff = utcnow() - timedelta(days=retention_days)
    stored = await conn.execute(
        delete(DELIVERIES).where(DELIVERIES.c.status != PENDING, DELIVERIES.c.created_at < cutoff)
    )
    alone = await conn.execute(
        delete(ATTEMPTS).where(ATTEMPTS.c.delivery_id.is_(None), ATTEMPTS.c.at < cutoff)
    )
    return int(stored.rowcount or 0) + int(alone.rowcount or 0)
