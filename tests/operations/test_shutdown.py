"""SIGTERM to ``serve`` under load with a board stream open: the stream ends at once with ``reconnect``,
every request is answered (in JSON) or refused (the listener is closed), and the process exits 0 well
within the grace period."""

from __future__ import annotations

import asyncio
import json
import signal
import time

import httpx
import pytest
from fastapi import FastAPI

from clopos_server import lifecycle
from clopos_server.board.live import BoardStream
from tests.support.api import DEMO_LOGIN, example
from tests.support.board import SseEvent, SseReader, sign_in
from tests.support.servers import start_server

pytestmark = pytest.mark.slow

GRACE = 5.0


async def _load(base: str, token: str, stop: asyncio.Event, answers: list[httpx.Response]) -> int:
    """Reads and creates, a new connection each (a closed listener refuses it); the refusals counted.
    Every answer is kept: the test checks that each is JSON."""
    headers = {"x-token": token, "x-brand": "openapitest", "x-venue": "1"}
    refused = 0
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=GRACE + 5) as http:
        while not stop.is_set():
            try:
                if len(answers) % 3:
                    answers.append(await http.get("/open-api/orders"))
                else:
                    answers.append(
                        await http.post("/open-api/orders", json=example("create-order.v1.request.json"))
                    )
            except (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError):
                # refused: the listener is closed, or reset a connection still in its accept queue (the
                # kernel's, before the server saw it) - no answer that is not JSON, nothing half-done
                refused += 1
                await asyncio.sleep(0.05)
    return refused


async def _past_orders(reader: SseReader) -> SseEvent:
    """The next event that is not an order's card (the load's creates show on the board)."""
    while True:
        event = await reader.next()
        if event.event != "order":
            return event


async def test_sigterm_under_load_with_a_board_stream_open(db_url: str) -> None:
    # warnings only: the access lines of the load would be most of what the test reads back
    server = start_server(
        db_url, extra_env={"CLOPOS_SHUTDOWN_GRACE": str(GRACE), "CLOPOS_LOG_LEVEL": "warning"}
    )
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=httpx.Timeout(10, read=30)) as http:
            token = (await http.post("/open-api/auth", json=DEMO_LOGIN)).json()["token"]
            assert (await sign_in(http)).status_code == 303
            async with http.stream("GET", "/board/events?venue=1") as stream:
                reader = SseReader(stream.aiter_lines())
                await reader.comment("connected")
                stop = asyncio.Event()
                answers: list[httpx.Response] = []
                loads = [asyncio.create_task(_load(server.base_url, token, stop, answers)) for _ in range(6)]
                for _ in range(300):  # until the load is on (a busy machine takes a while)
                    if len(answers) >= 6:
                        break
                    await asyncio.sleep(0.1)
                in_load = len(answers)
                server.process.send_signal(signal.SIGTERM)
                signalled = time.monotonic()
                event = await asyncio.wait_for(_past_orders(reader), 3)
                assert event.event == "reconnect", event
                with pytest.raises(EOFError):
                    await asyncio.wait_for(reader.next(), 3)
            exit_code = await asyncio.to_thread(server.process.wait, GRACE + 5)
            took = time.monotonic() - signalled
            stop.set()
            refused = sum(await asyncio.gather(*loads))
    finally:
        server.kill()  # a no-op once it exited
        server.stop()
    assert exit_code == 0
    assert took < GRACE, f"stopped after {took:.1f} s"
    assert in_load > 0 and refused > 0
    for answer in answers:
        assert answer.headers["content-type"].startswith("application/json"), answer.text
        assert answer.status_code in (200, 201, 503), answer.text
    assert_json_lines(server.log())


def assert_json_lines(stderr: str) -> list[dict[str, object]]:
    """Every line the server wrote is one JSON object (no plain-text traceback anywhere)."""
    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    assert all(isinstance(line, dict) and "level" in line for line in lines)
    return lines


async def test_the_stop_notice_ends_streams_and_readiness(app: FastAPI, client: httpx.AsyncClient) -> None:
    """What SIGTERM does inside the app (clopos_server.lifecycle), without a process: an open board stream
    ends with ``reconnect``, and /readyz answers 503 at once."""
    assert (await client.get("/readyz")).status_code == 200
    stream = BoardStream(app.state.services, 1, 1, "csrf-token").events(None)
    chunks = [await asyncio.wait_for(stream.__anext__(), 3) for _ in range(2)]  # retry:, then connected
    assert ": connected" in chunks[-1]
    lifecycle.begin_stopping()
    last = await asyncio.wait_for(stream.__anext__(), 3)
    assert last.startswith("event: reconnect"), last
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(stream.__anext__(), 3)
    ready = await client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["code"] == "unavailable"
    assert "shutting down" in ready.json()["message"] and ready.headers["retry-after"] == "1"
