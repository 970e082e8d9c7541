"""Wake-ups across app instances: PostgreSQL LISTEN/NOTIFY, or Redis pub/sub when configured.

The event log (``events.log``) is the truth; what travels here only says "something new for this venue":
every instance wakes its own subscribers at once (``EventBus.deliver``) and relays a small JSON note,
``{brand, venue, order_id, type, origin}``, to the others, which deliver it to their subscribers as
``{type, order_id, remote: true}``. A board stream then reads the log after its cursor (the note's order
id is informational), and reads it every second anyway, so a note that never arrives costs a second at
most (a NOTIFY payload is limited to 8000 bytes besides).
Notes an instance sent itself come back to it and are skipped by ``origin``.

Each instance holds one dedicated connection that listens on one channel, from its first subscriber (a
board stream) on: an instance that only answers the API has no one to wake, and holds no such connection.
A stream reads the log after it subscribes, so notes sent while the listener was connecting are not missed.
When it is lost the instance logs a warning, reconnects with backoff, and then broadcasts ``resync``: every
open board stream re-reads what changed since its last event, so nothing published while it was away is
lost.
Relaying never delays or fails the request that published (the order is committed by then): notes go
to a queue, and a sender task relays them in batches, one round trip per batch, in order.

With SQLite and no Redis there is one process, and the in-process bus is all there is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any, Protocol

import asyncpg  # type: ignore[import-untyped]
import orjson
from sqlalchemy.engine import make_url

from clopos_server.db.engine import Database, dialect_of
from clopos_server.events.bus import EventBus, channel_name
from clopos_server.kit.tasks import stop, wait_set
from clopos_server.settings import Settings

log = logging.getLogger(__name__)

PG_CHANNEL = "clopos_events"
REDIS_CHANNEL = "clopos:events"
SEND_TIMEOUT = 2.0
OUTGOING_LIMIT = 10_000  # notes waiting to be relayed (the database or Redis is slow or down)
BATCH_LIMIT = 200  # notes relayed in one round trip
PING_SECONDS = 5.0  # how often an idle listening connection is checked
MAX_BACKOFF = 10.0


class Transport(Protocol):
    origin: str
    connected: asyncio.Event

    async def start(self) -> None: ...

    async def send(self, channel: str, event: dict[str, Any]) -> None: ...

    async def aclose(self) -> None: ...


def note_of(origin: str, channel: str, event: dict[str, Any]) -> bytes | None:
    """The relayed form of an event; ``None`` for what is not a venue's order event."""
    parts = channel.split(":")
    if len(parts) != 3 or parts[0] != "venue" or not (parts[1].isdigit() and parts[2].isdigit()):
        return None
    order = event.get("order")
    order_id = event.get("order_id", order.get("id") if isinstance(order, dict) else None)
    if not isinstance(order_id, int):
        return None
    return orjson.dumps(
        {
            "brand": int(parts[1]),
            "venue": int(parts[2]),
            "order_id": order_id,
            "type": str(event.get("type", "order.updated")),
            "origin": origin,
        }
    )


def deliver_note(bus: EventBus, origin: str, raw: bytes | str) -> None:
    """A note from the wire to this instance's subscribers (own notes and garbage are dropped)."""
    try:
        note = orjson.loads(raw)
        if note.get("origin") == origin:
            return
        brand, venue, order_id = int(note["brand"]), int(note["venue"]), int(note["order_id"])
        kind = str(note.get("type", "order.updated"))
    except (ValueError, KeyError, TypeError, AttributeError):
        log.warning("ignoring a malformed live-event note", extra={"note": str(raw)[:200]})
        return
    bus.deliver(channel_name(brand, venue), {"type": kind, "order_id": order_id, "remote": True})


class _Supervised:
    """The reconnect loop both transports share: ``_session`` runs one connection until it is lost."""

    kind = "transport"

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.origin = uuid.uuid4().hex
        self.connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._sender: asyncio.Task[None] | None = None
        self._outgoing: asyncio.Queue[bytes] = asyncio.Queue(OUTGOING_LIMIT)
        self._overflowing = False

    async def start(self) -> None:
        self.bus.relay = self.send
        self.bus.on_subscribe = self.listen
        self._sender = asyncio.create_task(self._send_forever(), name=f"live-events-send-{self.kind}")
        if self.bus.subscribed:
            self.listen()

    def listen(self) -> None:
        """Start listening (once): the bus calls this at each subscription."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"live-events-{self.kind}")

    async def send(self, channel: str, event: dict[str, Any]) -> None:
        """Queue the note; the sender task relays it (batched), so no request waits for the relay."""
        note = note_of(self.origin, channel, event)
        if note is None:
            return
        try:
            self._outgoing.put_nowait(note)
            self._overflowing = False
        except asyncio.QueueFull:
            if not self._overflowing:
                self._overflowing = True
                log.warning("live events: %d notes wait to be relayed; dropping new ones", OUTGOING_LIMIT)

    async def flush(self) -> None:
        """Until every queued note has been relayed (or given up on)."""
        await self._outgoing.join()

    async def _send_forever(self) -> None:
        while True:
            batch = [await self._outgoing.get()]
            while len(batch) < BATCH_LIMIT and not self._outgoing.empty():
                batch.append(self._outgoing.get_nowait())
            try:
                for attempt in (1, 2):  # a broken sending connection is replaced once
                    try:
                        async with asyncio.timeout(SEND_TIMEOUT):
                            await self._publish(batch)
                        break
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:
                        await self._drop_sender()
                        if attempt == 2:
                            log.warning(
                                "live events: relaying %d note(s) failed (%s: %s); other instances' "
                                "boards catch up when they reconnect",
                                len(batch),
                                type(exc).__name__,
                                exc,
                            )
            finally:
                for _ in batch:
                    self._outgoing.task_done()

    async def _publish(self, notes: list[bytes]) -> None:
        raise NotImplementedError

    async def _drop_sender(self) -> None:
        """Forget the sending connection after a failure (the next batch opens a new one)."""

    async def _session(self, first: bool) -> None:
        raise NotImplementedError

    async def _run(self) -> None:
        delay = 0.25
        first = True
        while True:
            try:
                await self._session(first)
                reason = "closed"
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
            if self.connected.is_set():  # it had been up: the backoff starts over
                delay = 0.25
            self.connected.clear()
            first = False
            log.warning(
                "live events: no %s connection (%s); reconnecting in %.2f s", self.kind, reason, delay
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF)

    def _up(self, first: bool) -> None:
        self.connected.set()
        if first:
            log.info("live events: listening through %s", self.kind)
        else:
            log.warning("live events: %s connection restored; boards catch up", self.kind)
            self.bus.broadcast({"type": "resync"})

    async def aclose(self) -> None:
        if self.bus.relay == self.send:
            self.bus.relay = None
        if self.bus.on_subscribe == self.listen:
            self.bus.on_subscribe = None
        with contextlib.suppress(TimeoutError):  # what is queued goes out first, briefly
            async with asyncio.timeout(1.0):
                await self.flush()
        await stop([self._task, self._sender])
        await self._drop_sender()


class PostgresTransport(_Supervised):
    kind = "PostgreSQL LISTEN"

    def __init__(self, db: Database, bus: EventBus, *, ping_seconds: float = PING_SECONDS) -> None:
        super().__init__(bus)
        self.ping_seconds = ping_seconds
        url = make_url(db.url)
        self.dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._sending: asyncpg.Connection | None = None

    async def _publish(self, notes: list[bytes]) -> None:
        """One round trip for the whole batch, on a connection of its own (autocommit: delivered at once)."""
        if self._sending is None or self._sending.is_closed():
            self._sending = await asyncpg.connect(
                self.dsn,
                timeout=SEND_TIMEOUT,
                server_settings={"application_name": "clopos-live-events-send"},
            )
        await self._sending.execute(
            "SELECT pg_notify($1, note) FROM unnest($2::text[]) AS note",
            PG_CHANNEL,
            [note.decode() for note in notes],
        )

    async def _drop_sender(self) -> None:
        connection, self._sending = self._sending, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.terminate()

    async def _session(self, first: bool) -> None:
        conn: asyncpg.Connection = await asyncpg.connect(
            self.dsn, timeout=10, server_settings={"application_name": "clopos-live-events"}
        )
        lost = asyncio.Event()
        try:
            conn.add_termination_listener(lambda _conn: lost.set())
            await conn.add_listener(PG_CHANNEL, self._on_notify)
            self._up(first)
            while not conn.is_closed():
                if await wait_set(lost, self.ping_seconds):
                    return
                await conn.fetchval("SELECT 1", timeout=self.ping_seconds)  # a dead socket shows here
        finally:
            with contextlib.suppress(Exception):
                conn.terminate()

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        deliver_note(self.bus, self.origin, payload)


class RedisTransport(_Supervised):
    kind = "Redis pub/sub"

    def __init__(self, url: str, bus: EventBus) -> None:
        super().__init__(bus)
        from redis.asyncio import Redis

        self.url = url
        self.client = Redis.from_url(url, socket_connect_timeout=5, socket_timeout=SEND_TIMEOUT)

    async def _publish(self, notes: list[bytes]) -> None:
        async with self.client.pipeline(transaction=False) as pipe:
            for note in notes:
                pipe.publish(REDIS_CHANNEL, note)
            await pipe.execute()

    async def _session(self, first: bool) -> None:
        from redis.asyncio import Redis

        listener = Redis.from_url(self.url, socket_connect_timeout=5, health_check_interval=PING_SECONDS)
        pubsub = listener.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(REDIS_CHANNEL)
            self._up(first)
            while True:
                message = await pubsub.get_message(timeout=PING_SECONDS)
                if message is None:
                    await pubsub.ping()
                    continue
                if message.get("type") == "message":
                    deliver_note(self.bus, self.origin, message["data"])
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call,unused-ignore]  # untyped before redis 8
            with contextlib.suppress(Exception):
                await listener.aclose()

    async def aclose(self) -> None:
        await super().aclose()
        with contextlib.suppress(Exception):
            await self.client.aclose()


async def start_transport(settings: Settings, db: Database, bus: EventBus) -> Transport | None:
    """Redis when ``CLOPOS_REDIS_URL`` is set, else PostgreSQL when the database is; SQLite alone: none.

    Starting never waits for the connection: the first connect happens in the background, with retries.
    """
    transport: Transport
    if settings.redis_url:
        transport = RedisTransport(settings.redis_url, bus)
    elif dialect_of(db) == "postgresql":
        transport = PostgresTransport(db, bus)
    else:
        return None
    await transport.start()
    return transport
