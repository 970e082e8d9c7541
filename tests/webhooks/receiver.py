"""A real HTTP receiver for webhook tests: a threaded server on a free port of 127.0.0.1 that records
every request and answers as its path says.

``/ok`` 200; ``/fail/N`` 500 for the first N requests of each webhook-id, then 200; ``/gone`` 410;
``/status/N`` N; ``/hang`` sleeps past the attempt limit; ``/reset`` closes the connection without an
answer; ``/redirect`` 301 to /ok; ``/stream`` a 200 whose body would be 100 MiB; ``/slow`` 200 after 1 s.
"""

from __future__ import annotations

import io
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
from standardwebhooks.webhooks import Webhook

HANG_SECONDS = 20
# How long a test waits for a delivery. On PostgreSQL an event becomes visible to readers once every older
# transaction of the whole cluster has ended (docs/events.md): on a cluster shared with other test runs, a
# CREATE or DROP DATABASE holds that back for seconds.
WAIT = 60.0
STREAM_BYTES = 100 * 1024 * 1024


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    def verify(self, secret: str) -> Any:
        """Standard Webhooks' own check (raises when the signature does not match)."""
        return Webhook(secret).verify(self.body, self.headers)


@dataclass
class Receiver:
    port: int
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: int = 0
    max_in_flight: int = 0
    seen: Counter[str] = field(default_factory=Counter)
    active: Counter[str] = field(default_factory=Counter)  # webhook-ids being received right now
    overlaps: int = 0  # requests that arrived while one with the same webhook-id was still in flight

    def url(self, path: str = "/ok") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def of_type(self, type_: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.json["type"] == type_]

    def wait_for(self, predicate: Any, timeout: float = WAIT) -> list[Received]:
        """Poll (this is called from a thread or with ``asyncio.to_thread``) until ``predicate(requests)``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                snapshot = list(self.requests)
            if predicate(snapshot):
                return snapshot
            time.sleep(0.02)
        with self.lock:
            shown = [(r.path, r.json.get("type")) for r in self.requests]
        raise AssertionError(f"receiver did not get what was expected in {timeout} s: {shown}")


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            record = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time())
            with receiver.lock:
                receiver.requests.append(record)
                receiver.in_flight += 1
                receiver.max_in_flight = max(receiver.max_in_flight, receiver.in_flight)
                key = f"{self.path} {record.headers.get('webhook-id')}"
                receiver.seen[key] += 1
                count = receiver.seen[key]
                receiver.overlaps += 1 if receiver.active[key] else 0
                receiver.active[key] += 1
            try:
                self._answer(count)
            finally:
                with receiver.lock:
                    receiver.in_flight -= 1
                    receiver.active[key] -= 1

        def _send(self, status: int, body: bytes = b"ok", headers: dict[str, str] | None = None) -> None:
            try:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # the sender went away (a killed server, a timed-out attempt)
                self.close_connection = True

        def _answer(self, count: int) -> None:
            path = self.path
            if path.startswith("/fail/"):
                self._send(500 if count <= int(path.rsplit("/", 1)[1]) else 200, b"failing on purpose")
            elif path == "/gone":
                self._send(410, b"gone")
            elif path.startswith("/status/"):
                self._send(int(path.rsplit("/", 1)[1]), b"x" * 5000)
            elif path == "/hang":
                time.sleep(HANG_SECONDS)
            elif path == "/reset":
                self._reset()
            elif path == "/redirect":
                self._send(301, b"", {"location": "/ok"})
            elif path == "/stream":
                self._stream()
            elif path == "/slow":
                time.sleep(1)
                self._send(200)
            else:
                self._send(200)

        def _reset(self) -> None:
            """Close with a TCP reset: linger 0, and every reference to the socket closed."""
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.wfile.close()
            self.rfile.close()
            self.connection.close()
            self.wfile, self.rfile = io.BytesIO(), io.BytesIO()  # what the server flushes next

        def _stream(self) -> None:
            self.send_response(200)
            self.send_header("content-length", str(STREAM_BYTES))
            self.end_headers()
            chunk = b"z" * 65536
            try:
                for _ in range(STREAM_BYTES // len(chunk)):
                    self.wfile.write(chunk)
            except OSError:
                pass  # the server dropped the connection after 1 KiB, as it must

    return Handler


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(Receiver(0)))  # handler bound below
    receiver = Receiver(server.server_address[1])
    server.RequestHandlerClass = _handler(receiver)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
