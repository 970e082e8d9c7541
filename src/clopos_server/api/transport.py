"""uvicorn's HTTP protocols, answering requests that never reach the app in the JSON error envelope.

A request uvicorn cannot parse (a request line or header section over ``HEAD_LIMIT``, a method token the
parser does not know, bytes that are not HTTP) got a plain-text 400 from uvicorn itself. These subclasses
answer it in the envelope of spec/api.md, built by ``ApiError(...).body()``: 414 ``uri_too_long`` when the
request line alone is too long, 431 ``headers_too_large`` when the header section is, else 400
``validation_failed``. The connection is closed afterwards, as uvicorn does.

llhttp (httptools) puts no limit on the header section, so ``HttpToolsProtocol`` adds the one that h11
gets as its ``max_incomplete_event_size``: both variants refuse the same requests.
"""

from __future__ import annotations

import asyncio
import http
import logging
import sys
import uuid
from collections.abc import Callable
from typing import Any

import h11
import httptools
from uvicorn.protocols.http import h11_impl, httptools_impl

from clopos_server import jsonio
from clopos_server.errors import ApiError
from clopos_server.settings import get_settings

HEAD_LIMIT = 64 * 1024  # request line and headers together must stay under this many bytes
SHUTDOWN_LINGER = 1.0  # seconds an idle connection stays open once the server stops, for a request on its way
log = logging.getLogger(__name__)


# How long an idle connection is kept open for the client's next request. Longer than the clients' own idle
# limits (httpx 5 s, aiohttp 15 s), so that the client lets a connection go first: with uvicorn's 5 s, the
# same as httpx's, a client could send a request on a connection the server was closing that instant, and
# get no answer at all (a create in tests/webhooks/test_processes.py did, on a busy machine). nginx's own
# default; docs/deploy.md.
KEEP_ALIVE_SECONDS = 75


def uvicorn_options() -> dict[str, Any]:
    """What ``clopos-server serve`` passes to uvicorn besides host, port and workers."""
    return {
        "http": HttpToolsProtocol,
        "server_header": False,  # no header naming the software; ``date`` stays
        "date_header": True,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
    }


def _uri_too_long() -> ApiError:
    return ApiError(
        "uri_too_long", f"The request line is too long (the limit of the head is {HEAD_LIMIT} bytes)"
    )


def _headers_too_large() -> ApiError:
    return ApiError(
        "headers_too_large", f"The request's headers are too large (the limit is {HEAD_LIMIT} bytes)"
    )


def _stopping() -> ApiError:
    return ApiError(
        "unavailable",
        "The server is shutting down; retry (another instance answers)",
        headers={"Retry-After": "1"},
    )


def _malformed(reason: str) -> ApiError:
    return ApiError("validation_failed", f"The request is not valid HTTP/1.1: {reason}")


def refuse(transport: asyncio.Transport, default_headers: list[tuple[bytes, bytes]], error: ApiError) -> None:
    """Write the whole answer, with uvicorn's default headers (``date``), and close the connection."""
    log.info("refused before the app", extra={"status": error.http_status, "reason": error.message})
    body = jsonio.dumps(error.body(get_settings().error_format))
    status = error.http_status
    headers = [
        *default_headers,
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-request-id", uuid.uuid4().hex.encode()),
        (b"connection", b"close"),
    ]
    lines = [f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}".encode()]
    lines += [name + b": " + value for name, value in headers]
    transport.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
    transport.close()


class HttpToolsProtocol(httptools_impl.HttpToolsProtocol):
    """uvicorn's httptools protocol with a bounded request head and JSON refusals."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True  # between the start of a request and the end of its headers
        self._head_received = 0  # raw bytes received while in the head (bounds llhttp's buffering)
        self._head_parsed = 0  # bytes of the head handed to the callbacks so far
        self._refusal: ApiError | None = None
        self._stopping = False  # set by shutdown() on a connection with no request in progress

    def data_received(self, data: bytes) -> None:
        if self._stopping:  # a request that arrived after the server began to stop: said so, in JSON
            if not self.transport.is_closing():
                refuse(self.transport, self.server_state.default_headers, _stopping())
            return
        if self._in_head:
            self._head_received += len(data)
        super().data_received(data)
        if self._in_head and self._head_received > HEAD_LIMIT and not self.transport.is_closing():
            # Still no end of the headers after a whole limit of bytes, which llhttp would keep buffering.
            # Not the request line: llhttp hands it over chunk by chunk, and on_url counts it.
            refuse(self.transport, self.server_state.default_headers, _headers_too_large())

    def shutdown(self) -> None:
        """The server is stopping. uvicorn closes a connection between requests at once, and a request
        the client had just sent on it (or on a connection accepted a moment before) got no answer at all.
        Here such a request is answered 503 ``unavailable`` with ``Connection: close`` instead, and a
        connection that stays quiet is closed after ``SHUTDOWN_LINGER`` seconds."""
        if self.cycle is None or self.cycle.response_complete:
            self._stopping = True
            self.loop.call_later(SHUTDOWN_LINGER, self._close_quiet)
        else:
            self.cycle.keep_alive = False

    def _close_quiet(self) -> None:
        if not self.transport.is_closing():
            self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_parsed = True, 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._count(len(url), _uri_too_long)

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        self._count(len(name) + len(value) + 4, _headers_too_large)  # name, ": ", value, CRLF

    def on_headers_complete(self) -> None:
        self._in_head, self._head_received = False, 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True  # the next bytes are the next request's (keep-alive, pipelining)

    def _count(self, size: int, error: Callable[[], ApiError]) -> None:
        self._head_parsed += size
        if self._head_parsed >= HEAD_LIMIT:
            self._refusal = error()
            raise httptools.HttpParserError(self._refusal.message)  # uvicorn answers it: send_400_response

    def send_400_response(self, msg: str) -> None:
        """Called by uvicorn inside its ``except httptools.HttpParserError`` clause."""
        failure = sys.exception()
        if self._refusal is not None:
            error = self._refusal
        elif isinstance(failure, httptools.HttpParserInvalidMethodError):
            error = _malformed("it does not start with a known method")
        else:
            error = _malformed(str(failure) if failure is not None else msg)
        refuse(self.transport, self.server_state.default_headers, error)


class _BoundedConnection(h11.Connection):
    """h11 bounds only a head still incomplete (``max_incomplete_event_size``, answered 431); this bounds
    a complete one as well, counted as ``HttpToolsProtocol`` counts it, and tells 414 from 431."""

    def next_event(self) -> Any:
        try:
            event = super().next_event()
        except h11.RemoteProtocolError as exc:
            if exc.error_status_hint == 431 and b"\n" not in self.trailing_data[0][:HEAD_LIMIT]:
                raise h11.RemoteProtocolError(str(exc), error_status_hint=414) from exc
            raise
        if isinstance(event, h11.Request):
            size = len(event.target) + sum(len(name) + len(value) + 4 for name, value in event.headers)
            if size >= HEAD_LIMIT:
                hint = 414 if len(event.target) >= HEAD_LIMIT else 431
                raise h11.RemoteProtocolError("request head too large", error_status_hint=hint)
        return event


class H11Protocol(h11_impl.H11Protocol):
    """uvicorn's h11 protocol with a bounded request head and JSON refusals."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn = _BoundedConnection(h11.SERVER, max_incomplete_event_size=HEAD_LIMIT)

    def send_400_response(self, msg: str) -> None:
        """Called by uvicorn inside its ``except h11.RemoteProtocolError`` clause."""
        failure = sys.exception()
        hint = failure.error_status_hint if isinstance(failure, h11.RemoteProtocolError) else 400
        if hint == 414:
            error = _uri_too_long()
        elif hint == 431:
            error = _headers_too_large()
        else:
            error = _malformed(str(failure) if failure is not None else msg)
        refuse(self.transport, self.server_state.default_headers, error)
