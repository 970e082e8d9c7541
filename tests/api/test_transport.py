"""Requests uvicorn cannot parse get the JSON error envelope too, from both of its HTTP implementations;
and no answer names the server software. Real servers on free ports, talked to over raw sockets."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from tests.support.servers import free_port, running_servers

from clopos_server.api.transport import HEAD_LIMIT, H11Protocol, HttpToolsProtocol, uvicorn_options
from clopos_server.app import create_app
from clopos_server.settings import Settings

BIG = HEAD_LIMIT + 4096


@dataclass
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def exchange(port: int, data: bytes, *, pause_after: int | None = None) -> list[RawAnswer]:
    """Send raw bytes (in two writes when ``pause_after`` is given), read until the server closes, and
    split what came back into answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            if pause_after is None:
                sock.sendall(data)
            else:
                sock.sendall(data[:pause_after])
                time.sleep(0.2)
                sock.sendall(data[pause_after:])
        except OSError:  # the server may refuse and close before it has read everything
            pass
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return parse_answers(received)


def parse_answers(received: bytes) -> list[RawAnswer]:
    answers = []
    while received:
        head, _, rest = received.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            assert name.lower() not in headers, f"{name} twice"
            headers[name.lower()] = value.strip()
        length = int(headers["content-length"])
        answers.append(RawAnswer(int(status_line.split()[1]), headers, rest[:length]))
        received = rest[length:]
    return answers


def assert_refused(answer: RawAnswer, status: int, code: str) -> None:
    assert answer.status == status, answer.body
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["connection"] == "close"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "date" in answer.headers and "server" not in answer.headers
    body = answer.json()
    assert body["success"] is False and body["code"] == code and body["message"]
    assert body["error"][0]["type"] == code and body["error"][0]["http_code"] == status


@contextmanager
def serving(settings: Settings, protocol: type) -> Iterator[int]:
    """The app under uvicorn with ``protocol``, in a thread of this process, as ``serve`` configures it."""
    port = free_port()
    options = {**uvicorn_options(), "http": protocol}
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_config=None, access_log=False, **options
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


PROTOCOLS = [pytest.param(HttpToolsProtocol, id="httptools"), pytest.param(H11Protocol, id="h11")]
HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: t\r\n"


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_requests_uvicorn_cannot_take_are_refused_in_the_envelope(
    settings: Settings, protocol: type
) -> None:
    cases = [  # bytes sent, status, code
        (b"GET /open-api/orders?" + b"a" * BIG + b" HTTP/1.1\r\nHost: t\r\n\r\n", 414, "uri_too_long"),
        (b"GET /" + b"a" * BIG, 414, "uri_too_long"),  # still no end of the request line
        (HEALTHZ + b"X-Big: " + b"b" * BIG + b"\r\n\r\n", 431, "headers_too_large"),
        (HEALTHZ + b"X-Big: " + b"b" * BIG, 431, "headers_too_large"),  # the header never ends
        (many_headers_request(), 431, "headers_too_large"),
        (b"\x00\x01\x02 not http at all\r\n\r\n", 400, "validation_failed"),
        (b"GET /healthz HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n", 400, "validation_failed"),
    ]
    with serving(settings, protocol) as port:
        for data, status, code in cases:
            answers = await asyncio.to_thread(exchange, port, data)
            assert len(answers) == 1, (data[:60], answers)
            assert_refused(answers[0], status, code)
        # the same limits when the head comes in pieces
        streamed = await asyncio.to_thread(exchange, port, many_headers_request(), pause_after=40_000)
        assert_refused(streamed[0], 431, "headers_too_large")


def many_headers_request() -> bytes:
    return HEALTHZ + b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 200) for i in range(BIG // 200)) + b"\r\n"


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_an_unknown_method_gets_json(settings: Settings, protocol: type) -> None:
    """llhttp refuses a method token it does not know (400); h11 hands it to the app, which answers 405
    with the methods of the path. JSON either way."""
    with serving(settings, protocol) as port:
        # Connection: close, or h11 would keep the connection open for its keep-alive (5 s) after the 405
        brew = b"BREW /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        (answer,) = await asyncio.to_thread(exchange, port, brew)
    assert answer.headers["content-type"] == "application/json"
    if protocol is HttpToolsProtocol:
        assert_refused(answer, 400, "validation_failed")
        assert "method" in answer.json()["message"]
    else:
        assert answer.status == 405 and answer.headers["allow"] == "GET, OPTIONS"
        assert answer.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_heads_under_the_limit_bodies_over_it_and_keep_alive_work(
    settings: Settings, protocol: type
) -> None:
    """The limit is on the head only: a big body is the app's business (here a 400 for its JSON), and
    several requests on one connection each start a fresh count."""
    big_body = b'{"client_id": "' + b"x" * (3 * HEAD_LIMIT) + b'"}'
    post = (
        b"POST /open-api/auth HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        + b"Content-Length: %d\r\n\r\n" % len(big_body)
        + big_body
    )
    near_limit = HEALTHZ + b"X-Big: " + b"b" * (HEAD_LIMIT - 1000) + b"\r\n\r\n"
    with serving(settings, protocol) as port:
        answers = await asyncio.to_thread(
            exchange, port, near_limit + post + near_limit + HEALTHZ + b"Connection: close\r\n\r\n"
        )
    assert [a.status for a in answers] == [200, 400, 200, 200]
    assert answers[1].json()["code"] == "validation_failed"
    for answer in answers:
        assert "server" not in answer.headers and "date" in answer.headers
        assert answer.headers["content-type"] == "application/json"


async def test_clopos_server_serve_answers_in_json_and_names_no_software(db_url: str) -> None:
    with running_servers(db_url) as (server,):
        port = int(server.base_url.rsplit(":", 1)[1])
        (ok,) = await asyncio.to_thread(exchange, port, HEALTHZ + b"Connection: close\r\n\r\n")
        assert ok.status == 200 and "date" in ok.headers and "server" not in ok.headers
        long_line = b"GET /open-api/orders?" + b"a" * BIG + b" HTTP/1.1\r\nHost: t\r\n\r\n"
        (answer,) = await asyncio.to_thread(exchange, port, long_line)
        assert_refused(answer, 414, "uri_too_long")
        (answer,) = await asyncio.to_thread(exchange, port, b"BREW / HTTP/1.1\r\nHost: t\r\n\r\n")
        assert_refused(answer, 400, "validation_failed")


def _two_requests_apart(port: int, seconds: float) -> list[RawAnswer]:
    """Two requests on one connection, ``seconds`` apart; the answers the connection carried."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(HEALTHZ + b"\r\n")
        first = sock.recv(65536)
        time.sleep(seconds)
        try:
            sock.sendall(HEALTHZ + b"Connection: close\r\n\r\n")
        except OSError:  # the server let the connection go
            return parse_answers(first)
        received = first
        while chunk := sock.recv(65536):
            received += chunk
    return parse_answers(received)


@pytest.mark.slow(seconds=7, waits=True)
async def test_an_idle_connection_outlives_the_clients_own_idle_limit(settings: Settings) -> None:
    """A connection idle for 6 s, longer than httpx's 5 s keep-alive, still takes the next request: the
    client, not the server, lets it go (api/transport.KEEP_ALIVE_SECONDS)."""
    with serving(settings, HttpToolsProtocol) as port:
        answers = await asyncio.to_thread(_two_requests_apart, port, 6.0)
    assert [a.status for a in answers] == [200, 200]
