"""The sender's HTTP/1.1 exchange against receivers that answer in every shape HTTP/1.1 allows (and some it
does not), on a raw socket server: the status and body it reads, when it keeps the connection, and the
error it records. The limits (timeouts, 1 KiB, redirects, resets) are tested end to end in
``test_delivery.py``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from clopos_server.webhooks.client import Outcome, Sender

Answer = Callable[[int], bytes]  # the request's number on its connection -> the bytes to send back


@asynccontextmanager
async def raw_receiver(answer: Answer, *, close_after: bool = False) -> AsyncIterator[tuple[str, list[int]]]:
    """A server on 127.0.0.1 that reads each request (head and content-length body) and writes
    ``answer(n)``; its URL and the number of requests each connection carried."""
    carried: list[int] = []
    writers: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        carried.append(0)
        index = len(carried) - 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await reader.readexactly(length)
                carried[index] += 1
                writer.write(answer(carried[index]))
                await writer.drain()
                if close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/hook", carried
    finally:
        server.close()
        for writer in writers:  # kept connections: their handlers read the end and return
            writer.close()
        await asyncio.sleep(0.01)


async def send(sender: Sender, url: str) -> Outcome:
    return await sender.send(url, b'{"type":"webhook.test"}', {"webhook-id": "msg_1"})


def fixed(data: bytes) -> Answer:
    return lambda _n: data


async def test_a_chunked_answer_is_read_and_the_connection_kept() -> None:
    chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    sender = Sender(allow_private=True, keep_alive=4)
    async with raw_receiver(fixed(chunked)) as (url, carried):
        outcomes = [await send(sender, url) for _ in range(3)]
    await sender.aclose()
    assert [(o.status, o.body, o.error) for o in outcomes] == [(200, "hello world", None)] * 3
    assert carried == [3]  # one connection carried all three


async def test_interim_answers_are_skipped() -> None:
    answer = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n"
    answer += b"HTTP/1.1 204 No Content\r\n\r\n"
    async with raw_receiver(fixed(answer)) as (url, _carried):
        outcome = await send(Sender(allow_private=True), url)
    assert (outcome.status, outcome.body, outcome.ok) == (204, "", True)


async def test_an_answer_delimited_by_the_close_is_read_to_the_close() -> None:
    answer = b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\n\r\nback soon"
    sender = Sender(allow_private=True, keep_alive=4)
    async with raw_receiver(fixed(answer), close_after=True) as (url, carried):
        outcomes = [await send(sender, url) for _ in range(2)]
    assert [(o.status, o.body) for o in outcomes] == [(503, "back soon")] * 2
    assert carried == [1, 1]  # not kept: the receiver closes


async def test_connection_close_in_a_complete_answer_is_honoured() -> None:
    answer = b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok"
    sender = Sender(allow_private=True, keep_alive=4)
    async with raw_receiver(fixed(answer)) as (url, carried):
        outcomes = [await send(sender, url) for _ in range(2)]
    assert [(o.status, o.body) for o in outcomes] == [(200, "ok")] * 2
    assert carried == [1, 1]


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (b"", "the connection was closed or reset before an answer"),
        (b"HTTP/1.1 20", "the connection was closed or reset before an answer"),
        (b"SMTP ready\r\n\r\n", "the answer is not HTTP/1.1"),
        (b"HTTP/1.1 200 OK\r\n" + b"x-pad: " + b"a" * 200_000 + b"\r\n\r\n", "head is over 65536 bytes"),
        (b"HTTP/1.1 101 Switching Protocols\r\nupgrade: x\r\nconnection: upgrade\r\n\r\n", "not HTTP/1.1"),
    ],
)
async def test_what_is_not_an_answer_is_an_error(answer: bytes, error: str) -> None:
    async with raw_receiver(fixed(answer), close_after=True) as (url, _carried):
        outcome = await send(Sender(allow_private=True), url)
    assert outcome.status is None and not outcome.ok, outcome
    assert outcome.error is not None and error in outcome.error, outcome


async def test_the_request_is_framed_as_http_1_1() -> None:
    """What the receiver reads: the path, the host with its port, the headers given, the body's length."""
    heads: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        heads.append(await reader.readuntil(b"\r\n\r\n"))
        heads.append(await reader.readexactly(23))
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        outcome = await send(Sender(allow_private=True), f"http://127.0.0.1:{port}/in/hook?x=1")
    finally:
        server.close()
    assert outcome.status == 204
    lines = heads[0].decode().split("\r\n")
    assert lines[0] == "POST /in/hook?x=1 HTTP/1.1"
    fields = dict(line.split(": ", 1) for line in lines[1:] if line)
    assert fields["host"] == f"127.0.0.1:{port}"
    assert fields["webhook-id"] == "msg_1"
    assert fields["content-type"] == "application/json"
    assert fields["content-length"] == "23"
    assert fields["user-agent"].startswith("clopos-server-webhooks/")
    assert heads[1] == b'{"type":"webhook.test"}'
