"""The dispatcher: a background task in every instance that delivers what the database says is due.

Each poll (``CLOPOS_WEBHOOK_POLL_SECONDS``, or at once when woken) asks which enabled endpoints have
events past their cursor or due deliveries (one statement). For each, one transaction makes the new
events' deliveries and leases what may be sent now (``queue``). Each leased delivery is sent by its own
task; when it ends, the attempt is recorded and the endpoint's next due delivery claimed in one
transaction, so at most 4 requests per endpoint are in flight and a slow endpoint only ever occupies its
own 4 slots: other endpoints, the API and the board never wait for it. Nothing is kept in memory that the
database does not also hold: after a crash, expired leases are simply claimed again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row

from clopos_server.auth.tokens import TokenSigner
from clopos_server.db.engine import Database
from clopos_server.settings import Settings
from clopos_server.timeutil import utcnow
from clopos_server.webhooks import queue
from clopos_server.webhooks import repository as repo
from clopos_server.webhooks.client import Outcome, Sender
from clopos_server.webhooks.render import render_attempt
from clopos_server.webhooks.repository import Owner
from clopos_server.webhooks.schedule import parse_schedule
from clopos_server.webhooks.schemas import UrlRules
from clopos_server.webhooks.secrets import SEALING_PURPOSE, Sealer, SecretUnreadable, signed_headers
from clopos_server.webhooks.service import Config, ping_body, ping_identifier, signing_secrets

log = logging.getLogger(__name__)

ERROR_BACKOFF = 1.0  # seconds between polls while the database fails
PRUNE_SECONDS = 3600.0
RETENTION_DAYS = 30


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


async def attempt(runtime: Runtime, endpoint: Row[Any], claimed: queue.Claimed) -> Outcome:
    """One signed request for a claimed delivery (never raises: every failure is an outcome)."""
    body = claimed.body.encode()
    try:
        secrets = signing_secrets(runtime.config.sealer, endpoint)
    except SecretUnreadable as exc:
        return Outcome(None, None, str(exc), 0)
    headers = signed_headers(secrets, claimed.message_id, body, int(time.time()))
    return await runtime.sender.send(endpoint.url, body, headers)


class Dispatcher:
    """Started and stopped with the app (its lifespan); one per process."""

    def __init__(self, db: Database, runtime: Runtime, poll_seconds: float) -> None:
        self.db = db
        self.runtime = runtime
        self.poll_seconds = poll_seconds
        self.owner = uuid.uuid4().hex  # this process's leases
        self._wake = asyncio.Event()
        self._workers: set[asyncio.Task[None]] = set()
        self._main: asyncio.Task[None] | None = None
        self._last_prune = 0.0

    def start(self) -> None:
        self._main = asyncio.create_task(self._run(), name="webhook-dispatcher")

    def wake(self) -> None:
        self._wake.set()

    async def aclose(self) -> None:
        """Stop polling and cancel attempts in flight: their leases expire and another instance (or this
        one, restarted) sends them again."""
        tasks = [t for t in (self._main, *self._workers) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _run(self) -> None:
        while True:
            try:
                await self.poll()
                await self._maybe_prune()
                delay = self.poll_seconds
            except Exception:
                log.warning("webhook dispatch failed; retrying", exc_info=True)
                delay = ERROR_BACKOFF
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def poll(self) -> None:
        """Make due and claim for every endpoint with work; start a worker per claimed delivery."""
        async with self.db.read() as conn:
            endpoint_ids = await queue.endpoints_with_work(conn, queue.now_ms())
        for endpoint_id in endpoint_ids:
            async with self.db.write() as conn:
                endpoint = await queue.lock_endpoint(conn, endpoint_id)
                if endpoint is None:
                    continue
                now = queue.now_ms()
                made = await queue.make_due(conn, endpoint, now)
                claimed = await queue.claim(conn, endpoint_id, self.owner, now, queue.MAX_IN_FLIGHT)
            if made == queue.BATCH:
                self.wake()  # more of the backlog is waiting
            for delivery in claimed:
                self._spawn(endpoint, delivery)

    def _spawn(self, endpoint: Row[Any], claimed: queue.Claimed) -> None:
        task = asyncio.create_task(self._work(endpoint, claimed))
        self._workers.add(task)
        task.add_done_callback(self._workers.discard)

    async def _work(self, endpoint: Row[Any], claimed: queue.Claimed | None) -> None:
        """Send, record, and go on with the endpoint's next due delivery while there is one."""
        while claimed is not None:
            outcome = await attempt(self.runtime, endpoint, claimed)
            try:
                endpoint, claimed = await self._finish(endpoint, claimed, outcome)
            except Exception:  # the lease expires and the delivery is sent again
                log.warning("recording a webhook attempt failed", exc_info=True)
                return

    async def _finish(
        self, endpoint: Row[Any], claimed: queue.Claimed, outcome: Outcome
    ) -> tuple[Row[Any], queue.Claimed | None]:
        async with self.db.write() as conn:
            reason = await queue.finish(conn, endpoint, claimed, outcome, self.runtime.policy, self.owner)
            fresh = await queue.lock_endpoint(conn, endpoint.id)
            following = None
            if fresh is not None:
                claimed_now = await queue.claim(conn, endpoint.id, self.owner, queue.now_ms(), 1)
                following = claimed_now[0] if claimed_now else None
        _log_outcome(endpoint, claimed, outcome, reason)
        return (fresh if fresh is not None else endpoint), following

    async def _maybe_prune(self) -> None:
        if time.monotonic() - self._last_prune < PRUNE_SECONDS:
            return
        self._last_prune = time.monotonic()
        async with self.db.write() as conn:
            pruned = await queue.prune(conn, RETENTION_DAYS)
        if pruned:
            log.info("pruned finished webhook deliveries", extra={"count": pruned})


def _log_outcome(endpoint: Row[Any], claimed: queue.Claimed, outcome: Outcome, reason: str | None) -> None:
    details = {
        "endpoint_id": endpoint.id,
        "event_id": claimed.event_id,
        "attempt": claimed.number,
        "status": outcome.status,
        "error": outcome.error,
        "duration_ms": outcome.duration_ms,
    }
    if reason is not None:
        log.warning("webhook endpoint disabled", extra={**details, "reason": reason})
    elif not outcome.ok:
        log.info("webhook attempt failed", extra=details)


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
        await queue.finish(conn, endpoint, claimed, outcome, once, identifier)
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
