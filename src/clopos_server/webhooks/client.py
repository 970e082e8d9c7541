"""One delivery attempt over HTTP/1.1, under the spec's limits.

Connect within 5 s, the whole attempt (name resolution included) within 15 s, redirects not followed (a
3xx is a failed attempt), and at most 1 KiB of the answer read before the connection is dropped (a
receiver streaming 100 MiB costs 1 KiB). The name is resolved on every attempt and the request goes to
the address that was checked (:func:`targets.resolve_public`), with the name in ``Host`` and, for https,
in SNI and the certificate check.

The request is framed here (its parts are ours: a checked URL, generated headers) and written in one
call; the answer is parsed by ``httptools`` (llhttp, the parser uvicorn uses) over the event loop's own
streams. httpx's client (with httpcore and anyio under it) cost about 7 times the CPU of an ``h11``
sender, and that one about 3.4 times this one's (129 against 38 us per attempt: decision 0008): a
delivery's CPU is taken from the worker's requests.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass

import certifi
import httptools

from clopos_server import __version__
from clopos_server.webhooks.targets import RefusedAddress, Target, resolve_public, target_of

CONNECT_TIMEOUT = 5.0
ATTEMPT_TIMEOUT = 15.0
BODY_LIMIT = 1024
HEAD_LIMIT = 65536  # an answer's status line and headers: a longer one is refused, not read for 15 s
ERROR_LIMIT = 500
READ_CHUNK = 16384
KEEP_ALIVE_SECONDS = 5.0  # an idle connection older than this is closed, not reused (receivers drop them)
USER_AGENT = f"clopos-server-webhooks/{__version__}"


@dataclass(frozen=True)
class Outcome:
    """What came of one attempt: a status and the start of the answer, or an error."""

    status: int | None
    body: str | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class ConnectTimeout(TimeoutError):
    """The TCP connection (or its TLS handshake) took longer than ``CONNECT_TIMEOUT``."""


class CannotConnect(OSError):
    """No connection could be made (refused, unreachable, a failed TLS handshake)."""


class NotHttp(Exception):
    """The receiver's answer could not be parsed as an HTTP/1.1 response (or switched protocols)."""


def _host_header(host: str, port: int, scheme: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    default = 443 if scheme == "https" else 80
    return shown if port == default else f"{shown}:{port}"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        kind = "connect" if isinstance(exc, ConnectTimeout) else "attempt"
        limit = CONNECT_TIMEOUT if kind == "connect" else ATTEMPT_TIMEOUT
        return f"timed out ({kind} limit {limit:g} s)"
    if isinstance(exc, CannotConnect):
        what = "cannot connect"
        exc = exc.__cause__ or exc
    elif isinstance(exc, ConnectionError | asyncio.IncompleteReadError):
        what = "the connection was closed or reset before an answer"
    elif isinstance(exc, NotHttp):
        what = "the answer is not HTTP/1.1"
    else:
        what = "request failed"
    detail = str(exc).strip()
    return f"{what} ({type(exc).__name__}{': ' + detail if detail else ''})"[:ERROR_LIMIT]


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The certificate check every sender uses (certifi's CA bundle, as httpx's default), made once per
    process: reading the bundle costs ~25 ms of CPU, paid per sender and so per app start (every test).
    Not through httpx: importing it costs a server process about 0.3 s here (its command-line module
    pulls in click, rich and pygments when they are installed, as typer's are)."""
    return ssl.create_default_context(cafile=certifi.where())


Key = tuple[str, str, int, str]  # scheme, address, port, host name: what a kept connection may serve again


class _Answer:
    """``httptools``' callbacks for one answer: its status, the start of its body, whether it ended.
    Interim answers (1xx) are skipped, as HTTP/1.1 asks of a client."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.status = 0  # the final answer's, once its head is read
        self.taken = bytearray()
        self.complete = False
        self.keep_alive = False  # asked while the answer ends: the parser forgets it once reset
        self.head_bytes = 0  # read before the final answer's head ended (interim answers included)

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if status >= 200:
            self.status = status

    def on_body(self, body: bytes) -> None:
        if len(self.taken) <= BODY_LIMIT:
            self.taken += body

    def on_message_complete(self) -> None:
        if self.status:  # a 1xx ends before its final answer begins
            self.complete = True
            self.keep_alive = self.parser.should_keep_alive()

    def feed(self, data: bytes) -> None:
        """Parse what was read. llhttp keeps no head in memory, so it sets no limit on one: ``HEAD_LIMIT``
        bytes read without the final head's end refuse the answer (a read's worth more may be parsed)."""
        if not self.status:
            if self.head_bytes >= HEAD_LIMIT:
                raise NotHttp(f"the answer's head is over {HEAD_LIMIT} bytes")
            self.head_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade) as exc:
            raise NotHttp(str(exc) or type(exc).__name__) from exc


@dataclass
class _Connection:
    """One TCP (or TLS) connection to a receiver, kept between exchanges when the answers allow it."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = 0.0

    def usable(self) -> bool:
        """Still open and not idle for long (a receiver may have dropped it)."""
        return (
            not self.writer.is_closing()
            and not self.reader.at_eof()
            and time.monotonic() - self.idle_since < KEEP_ALIVE_SECONDS
        )

    def close(self) -> None:
        self.writer.close()

    async def exchange(self, request: bytes) -> tuple[int, str, bool]:
        """Send one framed request; the status, the start of the answer, and whether the connection can
        carry another request (the answer was read to its end within ``BODY_LIMIT`` and the receiver
        keeps the connection alive). A receiver that closes the connection after its answer's head ends
        that answer there (an answer delimited by the close, or one cut short: its status stands)."""
        self.writer.write(request)
        await self.writer.drain()
        answer = _Answer()
        while not answer.complete:
            data = await self.reader.read(READ_CHUNK)
            if not data:
                if answer.status:
                    return answer.status, _text(answer.taken), False
                raise ConnectionResetError("the receiver closed the connection")
            answer.feed(data)
            if len(answer.taken) > BODY_LIMIT:  # the rest is never read: the connection goes
                return answer.status, _text(answer.taken), False
        reusable = answer.keep_alive
        if reusable:
            self.idle_since = time.monotonic()
        return answer.status, _text(answer.taken), reusable


def _text(taken: bytearray) -> str:
    return bytes(taken[:BODY_LIMIT]).decode("utf-8", errors="replace")


class Sender:
    """Sends attempts. The process's shared one keeps no connection alive (each attempt opens and closes
    its own); an endpoint's sender (``EndpointRunner``) keeps up to ``keep_alive`` idle connections, each
    reused only for the same scheme, address, port and host name."""

    def __init__(self, *, allow_private: bool, keep_alive: int = 0) -> None:
        self.allow_private = allow_private
        self.keep_alive = keep_alive
        self._idle: dict[Key, list[_Connection]] = {}

    async def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> Outcome:
        started = time.monotonic()
        status: int | None = None
        text: str | None = None
        error: str | None = None
        try:
            async with asyncio.timeout(ATTEMPT_TIMEOUT):
                status, text = await self._request(url, body, headers)
        except RefusedAddress as exc:
            error = str(exc)[:ERROR_LIMIT]
        except (NotHttp, OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
            error = _describe(exc)
        duration = int((time.monotonic() - started) * 1000)
        return Outcome(status, text, error, duration)

    async def _request(self, url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, str]:
        target = target_of(url)
        address = await resolve_public(target.host, target.port, allow_private=self.allow_private)
        key: Key = (target.scheme, str(address), target.port, target.host)
        connection = self._kept(key) or await _connect(target, address)
        request = _frame(target, body, headers)
        try:
            status, text, reusable = await connection.exchange(request)
        except BaseException:
            connection.close()
            raise
        if reusable and len(self._idle.setdefault(key, [])) < self.keep_alive:
            self._idle[key].append(connection)
        else:
            connection.close()
        return status, text

    def _kept(self, key: Key) -> _Connection | None:
        idle = self._idle.get(key)
        while idle:
            connection = idle.pop()
            if connection.usable():
                return connection
            connection.close()
        return None

    async def aclose(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()


async def _connect(target: Target, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> _Connection:
    tls = target.scheme == "https"
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT):
            reader, writer = await asyncio.open_connection(
                str(address),
                target.port,
                ssl=_tls_context() if tls else None,
                server_hostname=target.host if tls else None,
            )
    except TimeoutError as exc:
        raise ConnectTimeout() from exc
    except (OSError, ssl.SSLError) as exc:
        raise CannotConnect(str(exc)) from exc
    return _Connection(reader, writer)


def _frame(target: Target, body: bytes, headers: Mapping[str, str]) -> bytes:
    """The request's bytes: one write. Nothing in it comes unchecked from outside: the path and host are
    a URL that ``targets.url_problem`` accepted (no spaces or control characters), the headers ours."""
    fields = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    head = (
        f"POST {target.path} HTTP/1.1\r\n"
        f"host: {_host_header(target.host, target.port, target.scheme)}\r\n"
        f"{fields}content-type: application/json\r\ncontent-length: {len(body)}\r\n"
        f"user-agent: {USER_AGENT}\r\n\r\n"
    )
    return head.encode("ascii") + body
