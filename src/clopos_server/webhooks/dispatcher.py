"""The dispatcher: a background task in every instance that delivers what the database says is due.

Each poll (``CLOPOS_WEBHOOK_POLL_SECONDS``, or at once when woken) asks which enabled endpoints have
events past their cursor or due deliveries and no other live sender (one statement). For each it runs an
:class:`EndpointRunner`: the endpoint's sender on this instance, with 4 tasks sending (on the process's
sending thread: ``sending``) and a pump on the app's loop that records their attempts, makes new events
due and claims more, one transaction per round for however many attempts finished (``queue``). A
slow endpoint only ever occupies its own 4 requests: other endpoints, the API and the board never wait
for it. Nothing is kept only in memory: a new delivery not yet stored is still in the event log past
the endpoint's cursor, and a stored one is leased; after a crash, the next sender reads the log from
the cursor and claims the expired leases.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row

from clopos_server.auth.tokens import TokenSigner
from clopos_server.db.engine import Database
from clopos_server.kit.tasks import stop, wait_set
from clopos_server.settings import Settings
from clopos_server.timeutil import utcnow
from clopos_server.webhooks import queue
from clopos_server.webhooks import repository as repo
from clopos_server.webhooks.client import ATTEMPT_TIMEOUT, Outcome, Sender
from clopos_server.webhooks.render import render_attempt
from clopos_server.webhooks.repository import Owner
from clopos_server.webhooks.schedule import parse_schedule
from clopos_server.webhooks.schemas import UrlRules
from clopos_server.webhooks.secrets import SEALING_PURPOSE, Sealer, SecretUnreadable, signed_headers
from clopos_server.webhooks.sending import Lane, SendingThread, to_loop
from clopos_server.webhooks.service import Config, ping_body, ping_identifier, signing_secrets

log = logging.getLogger(__name__)

ERROR_BACKOFF = 1.0  # seconds between polls while the database fails
PUMP_IDLE_SECONDS = 0.2  # a runner's round at least this often (renewing its leases)
PUMP_GATHER_SECONDS = 0.05  # after an attempt finished, wait this long for others to record them together
# A runner refills its queue once per round, and a round (a transaction of a few statements) takes 100 ms
# or more on a worker busy with requests: the queue must hold what 4 senders carry meanwhile. At 64, the
# pump carried about 450 deliveries a second under load, fewer than the creates (docs/webhooks.md).
CLAIM_BATCH = 256  # deliveries a runner holds claimed at most (queued and in flight): ~1 MB of bodies
QUEUE_LOW = 128  # make due and claim more when fewer than this are queued
ATTEMPT_MARGIN = ATTEMPT_TIMEOUT + 1  # a queued delivery is sent only while its lease outlasts an attempt
PRUNE_SECONDS = 3600.0
# The first pruning a minute after start, not during start-up's requests (as the event log's: events/log.py);
# an app start that pruned at once wrote a transaction before serving anything (every test's app, too).
FIRST_PRUNE_AFTER = 60.0
RETENTION_DAYS = 30


class _Throttled:
    """A failure that repeats every second while the database is down is logged with its traceback once a
    minute, and at debug level in between: an outage does not flood the logs."""

    def __init__(self, every: float = 60.0) -> None:
        self.every = every
        self.last = -every

    def warning(self, message: str) -> None:
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            log.warning(message, exc_info=True)
        else:
            log.debug(message, exc_info=True)


_failures = _Throttled()


@dataclass(frozen=True)
class Runtime:
    """What an instance holds for webhooks: the endpoint rules and sealer, the delivery policy, the HTTP
    sender."""

    config: Config
    policy: queue.Policy
    sender: Sender

    @classmethod
    def from_settings(cls, settings: Settings, sealing_key: bytes) -> Runtime:
        rules = UrlRules(settings.webhook_allow_http, settings.webhook_allow_private)
        return cls(
            Config(rules, Sealer(sealing_key)),
            queue.Policy(
                parse_schedule(settings.webhook_retry_schedule), settings.webhook_disable_after_seconds
            ),
            Sender(allow_private=settings.webhook_allow_private),
        )


async def attempt(
    runtime: Runtime, endpoint: Row[Any], claimed: queue.Claimed, sender: Sender | None = None
) -> Outcome:
    """One signed request for a claimed delivery (never raises: every failure is an outcome)."""
    body = claimed.body.encode()
    try:
        secrets = signing_secrets(runtime.config.sealer, endpoint)
    except SecretUnreadable as exc:
        return Outcome(None, None, str(exc), 0)
    headers = signed_headers(secrets, claimed.message_id, body, int(time.time()))
    return await (sender or runtime.sender).send(endpoint.url, body, headers)


class Dispatcher:
    """Started and stopped with the app (its lifespan); one per process. Finds endpoints with work and
    runs an :class:`EndpointRunner` for each while there is some."""

    def __init__(self, db: Database, runtime: Runtime, poll_seconds: float) -> None:
        self.db = db
        self.runtime = runtime
        self.poll_seconds = poll_seconds
        self.owner = uuid.uuid4().hex  # this process's sender leases and delivery leases
        self.sending = SendingThread()  # where the runners' requests go out (started on first use)
        self._wake = asyncio.Event()
        self.runners: dict[int, EndpointRunner] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._main: asyncio.Task[None] | None = None
        self._next_prune = time.monotonic() + FIRST_PRUNE_AFTER

    def start(self) -> None:
        self._main = asyncio.create_task(self._run(), name="webhook-dispatcher")

    def wake(self) -> None:
        self._wake.set()

    async def aclose(self) -> None:
        """Stop polling and sending: leases left behind expire, and another instance (or this one,
        restarted) sends what was not recorded."""
        await stop([self._main, *self._tasks])
        await self.sending.aclose()

    async def _run(self) -> None:
        while True:
            try:
                await self.poll()
                await self._maybe_prune()
                delay = self.poll_seconds
            except Exception:
                _failures.warning("webhook dispatch failed; retrying every second")
                delay = ERROR_BACKOFF
            self._wake.clear()
            await wait_set(self._wake, delay)

    async def poll(self) -> None:
        """Start a runner for each endpoint with work that no other instance is sending to."""
        async with self.db.read() as conn:
            endpoint_ids = await queue.endpoints_with_work(conn, queue.now_ms(), self.owner)
        for endpoint_id in endpoint_ids:
            running = self.runners.get(endpoint_id)
            if running is not None:
                running.wake()
                continue
            runner = self.runners[endpoint_id] = EndpointRunner(self, endpoint_id)
            task = asyncio.create_task(runner.run(), name=f"webhook-endpoint-{endpoint_id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _maybe_prune(self) -> None:
        if time.monotonic() < self._next_prune:
            return
        self._next_prune = time.monotonic() + PRUNE_SECONDS
        async with self.db.write() as conn:
            pruned = await queue.prune(conn, RETENTION_DAYS)
        if pruned:
            log.info("pruned finished webhook deliveries", extra={"count": pruned})


class EndpointRunner:
    """This instance sending to one endpoint, as its sender: ``MAX_IN_FLIGHT`` sender tasks on the
    sending thread take claimed deliveries from the endpoint's lane and hand each attempt back to the
    app's loop, where a pump records what they finished, renews the leases, makes new events due and
    claims more, one transaction per round however many attempts it holds. When nothing is left (or the
    endpoint is disabled, deleted, or taken by another instance) it releases the endpoint and ends; the
    next poll starts a new one when work appears. Only the senders run on the sending thread: every
    other piece of state here is the app thread's (``busy`` in the lane aside)."""

    def __init__(self, dispatcher: Dispatcher, endpoint_id: int) -> None:
        self.dispatcher = dispatcher
        self.endpoint_id = endpoint_id
        self.endpoint: Row[Any] | None = None
        self.queue: Lane[queue.Claimed] = Lane()  # claimed, not taken by a sender yet
        self.results: list[queue.Result] = []
        self.stopping = False
        self.leases_valid_until = 0.0  # monotonic: past it, a queued delivery may have been taken over
        self.held: set[int] = set()  # deliveries queued or in flight here: the leases a renewal extends
        # New deliveries (read from the log, not stored yet): how far the log was read; the cursors of
        # those handed out and not stored, below which the endpoint's cursor stays; and those given up
        # unsent, stored pending by the next round.
        self.read_to = 0
        self.unstored: set[int] = set()
        self.given_up: list[queue.Claimed] = []
        self._finished = asyncio.Event()
        self._senders: dict[str, Sender] = {}  # by URL: connections kept alive to this endpoint only

    def wake(self) -> None:
        self._finished.set()

    async def run(self) -> None:
        sending = self.dispatcher.sending
        senders = await sending.run(self._start_senders(asyncio.get_running_loop()))
        try:
            while await self._pump():
                self._finished.clear()
                await wait_set(self._finished, PUMP_IDLE_SECONDS)
                await asyncio.sleep(PUMP_GATHER_SECONDS)  # let a few more attempts finish first
        finally:
            self.dispatcher.runners.pop(self.endpoint_id, None)
            await sending.run(self._stop_senders(senders))

    async def _start_senders(self, app: asyncio.AbstractEventLoop) -> list[asyncio.Task[None]]:
        """On the sending thread: the endpoint's ``MAX_IN_FLIGHT`` sender tasks."""
        self.queue.attach()
        return [asyncio.create_task(self._send_loop(app)) for _ in range(queue.MAX_IN_FLIGHT)]

    async def _stop_senders(self, senders: list[asyncio.Task[None]]) -> None:
        """On the sending thread: the sender tasks cancelled (an attempt in flight is not recorded: its
        lease expires), the connections kept to the endpoint closed."""
        await stop(senders)
        for sender in self._senders.values():
            await sender.aclose()

    def _sender(self, url: str) -> Sender:
        """This endpoint's own client for its URL (a PATCHed URL gets a new one)."""
        if url not in self._senders:
            allow_private = self.dispatcher.runtime.sender.allow_private
            self._senders[url] = Sender(allow_private=allow_private, keep_alive=queue.MAX_IN_FLIGHT)
        return self._senders[url]

    async def _pump(self) -> bool:
        """One round: record, renew, make due, claim. Whether to go on."""
        results, self.results = self.results, []
        given_up, self.given_up = self.given_up, []
        try:
            claimed, keep_going = await self._round(results, given_up)
        except Exception:
            _failures.warning("recording webhook attempts failed; retrying every second")
            self.results = results + self.results
            self.given_up = given_up + self.given_up
            await asyncio.sleep(ERROR_BACKOFF)
            return True
        self.queue.put_all(claimed)
        return keep_going

    async def _round(
        self, results: list[queue.Result], given_up: list[queue.Claimed]
    ) -> tuple[list[queue.Claimed], bool]:
        """Record what finished; unless stopping: renew the leases when due, and when the local queue runs
        low claim retries and read new events. Store what was given up unsent and move the endpoint's
        cursor past what is stored. Few statements when the queue is stocked."""
        db, owner, runtime = self.dispatcher.db, self.dispatcher.owner, self.dispatcher.runtime
        claimed: list[queue.Claimed] = []
        async with db.write() as conn:
            endpoint = await queue.lock_endpoint(conn, self.endpoint_id)
            if endpoint is None:  # locked by another transaction this instant, or deleted
                self.results = results + self.results
                self.given_up = given_up + self.given_up
                return [], await self._still_there()
            reason = await queue.record(conn, endpoint, results, runtime.policy, owner)
            _log_outcomes(endpoint, results, reason)
            now = queue.now_ms()
            read_to = max(self.read_to, endpoint.cursor)
            sender = queue.may_send(endpoint, owner, now)
            if reason or not endpoint.enabled or not sender:
                given_up = given_up + self._stop()
            else:
                if queue.renewal_due(endpoint, owner, now):
                    await queue.renew(conn, endpoint.id, owner, now, self.held)
                    self.leases_valid_until = time.monotonic() + queue.LEASE_MS / 1000 - ATTEMPT_MARGIN
                waiting = self.queue.qsize()
                if waiting < QUEUE_LOW:  # retries and expired leases first, then new events
                    room = CLAIM_BATCH - waiting - self.queue.busy
                    claimed = await queue.claim(conn, endpoint.id, owner, now, room)
                    new, read_to = await queue.make_due(conn, endpoint, read_to, room - len(claimed))
                    claimed += new
            recorded = [delivery for delivery, _outcome in results]
            unstored = (self.unstored - _seqs(recorded) - _seqs(given_up)) | _seqs(claimed)
            # the cursor moves when deliveries were stored, or when none is left unstored (a round that
            # only reads new events leaves it); not at all when another instance is the sender now: it
            # sends from the cursor, reading these events again
            if sender and (results or given_up or not unstored):
                await queue.store_pending(conn, endpoint, given_up, now)
                await queue.advance_cursor(conn, endpoint, min(unstored) - 1 if unstored else read_to)
            settled = self.queue.idle and not self.results  # nothing queued, in flight or unrecorded
            done = settled and (not claimed or self.stopping)
            if done:
                await queue.release_sender(conn, endpoint.id, owner)
        self.endpoint, self.read_to, self.unstored = endpoint, read_to, unstored
        self.held.difference_update(_ids(recorded))
        self.held.update(_ids(claimed))
        return claimed, not done

    def _stop(self) -> list[queue.Claimed]:
        """Send nothing more; record what is in flight. What is queued is dropped: a stored delivery keeps
        its lease until released, a new one is returned, to be stored pending."""
        self.stopping = True
        dropped = self.queue.drain()
        self.held.difference_update(_ids(dropped))
        return [delivery for delivery in dropped if delivery.id is None]

    async def _still_there(self) -> bool:
        async with self.dispatcher.db.read() as conn:
            return await repo.endpoint_exists(conn, self.endpoint_id)

    async def _send_loop(self, app: asyncio.AbstractEventLoop) -> None:
        """A sender, on the sending thread: each delivery it takes goes back to the app's loop, attempted
        or not."""
        while True:
            claimed = await self.queue.take()
            endpoint = self.endpoint
            if self.stopping or endpoint is None or time.monotonic() > self.leases_valid_until:
                to_loop(app, self._unsent, claimed)
                continue
            outcome = await attempt(self.dispatcher.runtime, endpoint, claimed, self._sender(endpoint.url))
            to_loop(app, self._attempted, claimed, outcome)

    def _attempted(self, claimed: queue.Claimed, outcome: Outcome) -> None:
        self.queue.handed_back()
        self.results.append((claimed, outcome))
        self._finished.set()

    def _unsent(self, claimed: queue.Claimed) -> None:
        """Not sent: a stored delivery's lease expires and it is claimed again; a new one is stored
        pending by the next round."""
        self.queue.handed_back()
        if claimed.id is None:
            self.given_up.append(claimed)
        else:
            self.held.discard(claimed.id)


def _ids(deliveries: list[queue.Claimed]) -> set[int]:
    return {delivery.id for delivery in deliveries if delivery.id is not None}


def _seqs(deliveries: list[queue.Claimed]) -> set[int]:
    """The event cursors of new deliveries (not stored yet)."""
    return {delivery.seq for delivery in deliveries if delivery.id is None}


def _log_outcomes(endpoint: Row[Any], results: list[queue.Result], reason: str | None) -> None:
    for claimed, outcome in results:
        if outcome.ok:
            continue
        details = {
            "endpoint_id": endpoint.id,
            "event_id": claimed.event_id,
            "attempt": claimed.number,
            "status": outcome.status,
            "error": outcome.error,
            "duration_ms": outcome.duration_ms,
        }
        log.info("webhook attempt failed", extra=details)
    if reason is not None:
        log.warning("webhook endpoint disabled", extra={"endpoint_id": endpoint.id, "reason": reason})


async def ping(db: Database, runtime: Runtime, owner: Owner, endpoint_id: int) -> dict[str, Any] | None:
    """The test helper's ping: a ``webhook.test`` delivery sent now, recorded like any attempt and never
    retried; the attempt, or None when the endpoint is not the owner's."""
    identifier = ping_identifier()
    async with db.write() as conn:
        endpoint = await repo.endpoint(conn, owner, endpoint_id)
        if endpoint is None:
            return None
        now = queue.now_ms()
        row = {
            "brand_id": endpoint.brand_id,
            "endpoint_id": endpoint.id,
            "event_id": identifier,
            "event_type": "webhook.test",
            "message_id": identifier,
            "body": ping_body(endpoint, identifier),
            "status": queue.PENDING,
            "attempts": 0,
            "next_at": now,
            "lease_until": now + queue.LEASE_MS,
            "lease_owner": identifier,
            "created_at": utcnow(),
        }
        delivery_id = await queue.insert_delivery(conn, row)
    claimed = queue.Claimed(delivery_id, endpoint.id, identifier, identifier, row["body"], 1)
    outcome = await attempt(runtime, endpoint, claimed)
    once = queue.Policy((), runtime.policy.disable_after)
    async with db.write() as conn:
        await queue.record(conn, endpoint, [(claimed, outcome)], once, identifier)
        recorded = await repo.last_attempt(conn, delivery_id)
    return render_attempt(recorded)


class Webhooks:
    """What the app holds for webhooks (``Services.webhooks``): the runtime and, unless
    ``CLOPOS_WEBHOOK_DISPATCHER=off``, this instance's running dispatcher."""

    def __init__(self, runtime: Runtime, dispatcher: Dispatcher | None) -> None:
        self.runtime = runtime
        self.dispatcher = dispatcher

    @classmethod
    async def start(cls, settings: Settings, db: Database, signer: TokenSigner) -> Webhooks:
        runtime = Runtime.from_settings(settings, signer.derive_key(SEALING_PURPOSE))
        dispatcher = None
        if settings.webhook_dispatcher == "on":
            dispatcher = Dispatcher(db, runtime, settings.webhook_poll_seconds)
            dispatcher.start()
        return cls(runtime, dispatcher)

    def wake(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.wake()

    async def aclose(self) -> None:
        if self.dispatcher is not None:
            await self.dispatcher.aclose()
        await self.runtime.sender.aclose()
