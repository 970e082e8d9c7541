"""The bench's webhook scenario (issue 13): create-order with one active webhook endpoint at a local
receiver, against create-order without one; and the delivery lag, from each create being sent to its
``order.created`` reaching the receiver.

Two phases. Throughput: wrk drives create-order at full speed with the endpoint active (the same script
and body as the ``create`` scenario), then the receiver's backlog is timed until every order of the run has
arrived (``drain``: how long deliveries trailed the load). Lag: a paced client sends creates at a fixed
rate (a share of the measured throughput) for the configured duration, on a schedule that does not wait
for answers (a slow server makes requests queue, as real clients would, instead of slowing the rate), and
notes each create's send time by order id; the receiver notes each delivery's arrival. Both times are
``time.monotonic()`` of this one process, so the lag (p50, p99, max, how many over 5 s) is never
negative and includes the create's own latency.

The receiver and the paced client speak HTTP/1.1 on event loops' streams with keep-alive, and the
receiver runs in a process of its own: the bench must not be what limits the rate it measures (an httpx
client plus a threaded ``http.server`` spent several ms of CPU per order here, and the paced phase overran
its duration; a receiver thread beside the paced client would share its GIL, see :func:`receiver`).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import urlsplit

import orjson

LAG_LIMIT = 5.0  # seconds: every event delivered within this of its order (issue 13's acceptance)
MAX_CONNECTIONS = 64  # the paced client's connections at most: beyond, sends wait for a free one
_NO_CONTENT = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"


@dataclass
class Arrivals:
    """order id -> first arrival (time.monotonic()), and the number of deliveries (duplicates included),
    as the receiver process reports them."""

    first: dict[int, float] = field(default_factory=dict)
    count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, arrived: list[tuple[int, float]]) -> None:
        with self.lock:
            self.count += len(arrived)
            for order_id, at in arrived:
                self.first.setdefault(order_id, at)

    def size(self) -> int:
        with self.lock:
            return len(self.first)


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


class _Receiving(asyncio.Protocol):
    """One connection of the receiver: every complete request is noted when its last byte arrives and
    answered 204 (keep-alive, requests in a row on one connection)."""

    def __init__(self, arrived: list[tuple[int, float]]) -> None:
        self.arrived = arrived
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            size = end + 4 + _content_length(bytes(self.buffer[:end]))
            if len(self.buffer) < size:
                return
            at = time.monotonic()
            event = orjson.loads(bytes(self.buffer[end + 4 : size]))
            del self.buffer[:size]
            if event.get("type") == "order.created":
                self.arrived.append((int(event["data"]["object"]["id"]), at))
            assert self.transport is not None
            self.transport.write(_NO_CONTENT)


def _receive(ready: Connection, reports: Connection) -> None:
    """The receiver process: serves on a free port (sent through ``ready``) and reports what arrived
    through ``reports`` every 20 ms, until the parent closes its end of ``ready``."""

    async def serve() -> None:
        arrived: list[tuple[int, float]] = []
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _Receiving(arrived), "127.0.0.1", 0)
        ready.send(server.sockets[0].getsockname()[1])
        while not ready.poll():  # the parent closes its end (or sends) when the scenario ends
            await asyncio.sleep(0.02)
            if arrived:
                reports.send(arrived[:])
                arrived.clear()
        server.close()
        if arrived:
            reports.send(arrived)

    asyncio.run(serve())
    reports.close()


def _collect(reports: Connection, arrivals: Arrivals) -> None:
    with contextlib.suppress(EOFError, OSError):
        while True:
            arrivals.note(reports.recv())


@contextmanager
def receiver() -> Iterator[tuple[str, Arrivals]]:
    """A receiver on a free port of 127.0.0.1, in a process of its own: its URL and what it got.

    Not a thread of this process: the paced client's event loop and the receiver would share one GIL,
    and a delivery's answer could wait for it (up to the 5 ms switch interval); with 4 requests in flight
    per endpoint, what the bench itself costs would then limit the deliveries it measures. The arrival
    times are ``time.monotonic()`` in the receiver process, the same clock as this process's on Linux
    (CLOCK_MONOTONIC is system-wide)."""
    context = multiprocessing.get_context("spawn")
    ready_here, ready_there = context.Pipe()
    reports_here, reports_there = context.Pipe(duplex=False)
    process = context.Process(target=_receive, args=(ready_there, reports_there), daemon=True)
    process.start()
    reports_there.close()
    arrivals = Arrivals()
    collector = threading.Thread(target=_collect, args=(reports_here, arrivals), daemon=True)
    collector.start()
    try:
        if not ready_here.poll(30):
            raise RuntimeError("the webhook receiver process did not start")
        yield f"http://127.0.0.1:{ready_here.recv()}/bench", arrivals
    finally:
        ready_here.send("stop")
        process.join(5)
        if process.is_alive():
            process.kill()
        collector.join(5)


def drain(arrivals: Arrivals, expected: int, timeout: float = 120.0) -> float | None:
    """Seconds until ``expected`` distinct orders have arrived; None when they did not in ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if arrivals.size() >= expected:
            return time.monotonic() - started
        time.sleep(0.05)
    return None


@dataclass
class Paced:
    """What the paced client did: order id -> when its create was sent, and how the schedule went."""

    sent: dict[int, float] = field(default_factory=dict)
    scheduled: int = 0
    failed: int = 0
    failures: Counter[str] = field(default_factory=Counter)  # "status 503", "connection: ...": how many
    sending_s: float = 0.0  # first send to last send
    create_latencies: list[float] = field(default_factory=list)


Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def _exchange(connection: Stream, request: bytes) -> tuple[bytes, bytes]:
    reader, writer = connection
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    return head, await reader.readexactly(_content_length(head))


def _said(payload: bytes) -> str:
    """What an error answer says (its JSON ``message``, shortened), so a failure's kind shows its cause."""
    try:
        message = orjson.loads(payload).get("message")
    except (orjson.JSONDecodeError, AttributeError):
        return ""
    return f"({str(message)[:80]})" if message else ""


async def _create(pool: list[Stream], address: tuple[str, int], request: bytes, paced: Paced) -> None:
    """One create, on a kept connection when there is one. A kept connection the server closed while it
    was idle (uvicorn drops keep-alive connections after 5 s) fails before any answer: the request goes
    again on a new connection, as any HTTP client does; its Idempotency-Key makes that safe."""
    sent = time.monotonic()
    connection = pool.pop() if pool else None
    try:
        if connection is None:
            raise ConnectionError("no kept connection")
        head, payload = await _exchange(connection, request)
    except (OSError, asyncio.IncompleteReadError):
        if connection is not None:
            connection[1].close()
        connection = await asyncio.open_connection(*address)
        head, payload = await _exchange(connection, request)
    paced.create_latencies.append(time.monotonic() - sent)
    pool.append(connection)
    if head[9:12] == b"201":
        paced.sent[int(orjson.loads(payload)["data"]["id"])] = sent
    else:
        paced.failed += 1
        paced.failures[f"status {head[9:12].decode()} {_said(payload)}".rstrip()] += 1


async def _paced(base_url: str, headers: dict[str, str], body: bytes, rate: float, seconds: float) -> Paced:
    """Creates at ``rate`` per second for ``seconds``, each sent at its slot whatever the earlier ones'
    answers (at most ``MAX_CONNECTIONS`` outstanding)."""
    url = urlsplit(base_url)
    address = (url.hostname or "127.0.0.1", url.port or 80)
    fixed = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    head = f"POST /open-api/orders HTTP/1.1\r\nhost: {url.netloc}\r\ncontent-length: {len(body)}\r\n{fixed}"
    pool: list[Stream] = []
    slots = asyncio.Semaphore(MAX_CONNECTIONS)
    paced = Paced(scheduled=int(rate * seconds))
    run = time.time_ns()

    async def one(index: int) -> None:
        request = f"{head}idempotency-key: bench-lag-{run}-{index}\r\n\r\n".encode() + body
        try:
            await _create(pool, address, request, paced)
        except (OSError, asyncio.IncompleteReadError) as exc:
            paced.failed += 1
            paced.failures[f"connection: {type(exc).__name__}"] += 1
        finally:
            slots.release()

    tasks = []
    start = time.monotonic()
    for index in range(paced.scheduled):
        delay = start + index / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await slots.acquire()
        tasks.append(asyncio.create_task(one(index)))
    paced.sending_s = time.monotonic() - start
    await asyncio.wait_for(asyncio.gather(*tasks), 120)
    for _reader, writer in pool:
        writer.close()
    return paced


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def lag(
    base_url: str, headers: dict[str, str], body: bytes, arrivals: Arrivals, rate: float, seconds: float
) -> dict[str, Any]:
    """The paced phase: lags in seconds (p50, p99, max), over 5 s, never arrived within 30 s after the
    last answer."""
    paced = asyncio.run(_paced(base_url, headers, body, rate, seconds))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(o in arrivals.first for o in paced.sent):
        time.sleep(0.05)
    with arrivals.lock:
        lags = [arrivals.first[o] - t for o, t in paced.sent.items() if o in arrivals.first]
    latencies = paced.create_latencies

    def rounded(values: list[float], share: float) -> float | None:
        return round(_percentile(values, share), 3) if values else None

    return {
        "rate_per_s": round(rate, 1),
        "seconds": seconds,
        "sending_s": round(paced.sending_s, 2),
        "achieved_rate_per_s": round(paced.scheduled / paced.sending_s, 1) if paced.sending_s else None,
        "orders": len(paced.sent),
        "failed_creates": paced.failed,
        "failures": dict(paced.failures),
        "delivered": len(lags),
        "p50_s": rounded(lags, 0.50),
        "p99_s": rounded(lags, 0.99),
        "max_s": round(max(lags), 3) if lags else None,
        "mean_s": round(statistics.fmean(lags), 3) if lags else None,
        "over_5s": sum(1 for value in lags if value > LAG_LIMIT),
        "never": len(paced.sent) - len(lags),
        "create_p50_s": rounded(latencies, 0.50),
        "create_p99_s": rounded(latencies, 0.99),
    }
