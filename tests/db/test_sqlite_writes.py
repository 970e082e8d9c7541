"""Writes on SQLite take turns inside the process, and every wait for the write lock is bounded
(db/sqlite_writer.py, db/sqlite_driver.py, docs/decisions/0003-sqlite-writes.md).

Through HTTP where the behaviour is the API's: concurrent creates all land, a writer that cannot get its
turn gets the JSON 503 in time while reads go on, and another process holding SQLite's lock (the CLI
beside the server) is waited for without stopping the server's other work. What is SQLite's alone skips on
PostgreSQL, with the reason.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from tests.conftest import SECRET_KEY
from tests.support.api import V1Client, assert_error, example

from clopos_server.db.engine import Database
from clopos_server.db.models import Order
from clopos_server.settings import Settings

BOUND = 2.0  # the statement timeout of these tests' app: the longest wait for the write lock


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(
        database_url=db_url,
        rate_limits="off",
        secret_key=SECRET_KEY,
        db_statement_timeout=BOUND,
        webhook_dispatcher="off",  # no background writer besides the test's own
    )


def database_of(app: FastAPI) -> Database:
    db: Database = app.state.services.db
    return db


def sqlite_only(app: FastAPI) -> None:
    if database_of(app).dialect != "sqlite":
        pytest.skip("the write turn and SQLite's file lock exist only on SQLite")


async def create(v1: V1Client) -> Any:
    return await v1.post(
        "/orders",
        json=example("create-order.v1.request.json"),
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )


async def order_count(db: Database) -> int:
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(Order))).scalar_one())


async def test_concurrent_creates_all_land_once(app: FastAPI, v1: V1Client) -> None:
    db = database_of(app)
    before = await order_count(db)

    answers = await asyncio.gather(*(create(v1) for _ in range(12)))

    assert [answer.status_code for answer in answers] == [201] * 12, [a.text for a in answers]
    assert len({answer.json()["data"]["id"] for answer in answers}) == 12
    assert await order_count(db) == before + 12


@asynccontextmanager
async def held_turn(db: Database) -> AsyncIterator[None]:
    """A write transaction of the process held open by the test: every other writer must wait."""
    async with db.write():
        yield


async def test_a_writer_without_a_turn_gets_the_503_in_time_while_reads_go_on(
    app: FastAPI, v1: V1Client
) -> None:
    sqlite_only(app)
    db = database_of(app)
    async with held_turn(db):
        started = time.monotonic()
        refused, listed = await asyncio.gather(create(v1), v1.get("/orders", params={"limit": 5}))
        waited = time.monotonic() - started
        assert listed.status_code == 200, listed.text  # the reader did not queue behind the writer

    body = assert_error(refused, 503, "unavailable")
    assert "locked" in body["message"]
    assert refused.headers["retry-after"]
    assert BOUND <= waited < BOUND + 2
    assert (await create(v1)).status_code == 201  # the turn is free again: nothing was left behind


async def test_a_read_answers_while_writers_queue(app: FastAPI, v1: V1Client) -> None:
    sqlite_only(app)
    db = database_of(app)
    async with held_turn(db):
        queued = [asyncio.ensure_future(create(v1)) for _ in range(3)]
        listed = await v1.get("/orders", params={"limit": 5})
        assert listed.status_code == 200, listed.text
        assert not any(task.done() for task in queued)  # they wait for the turn, the read did not
    assert [answer.status_code for answer in await asyncio.gather(*queued)] == [201] * 3


async def test_a_write_inside_a_write_of_the_same_task_fails_at_once(app: FastAPI) -> None:
    sqlite_only(app)
    db = database_of(app)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="inside another"):
        async with db.write(), db.write():
            pass
    assert time.monotonic() - started < BOUND
    async with db.write():  # the outer one rolled back and gave its turn back
        pass


# Another process on the same file: SQLite's own lock, which no asyncio lock of ours covers. The churner
# writes ~80 transactions a second, each holding the lock 2 ms (a busy CLI import, a second worker).
_HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""
_CHURNER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=5)
conn.execute("CREATE TABLE IF NOT EXISTS test_churn (id INTEGER PRIMARY KEY, at REAL)")
print("ready", flush=True)
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO test_churn (at) VALUES (?)", (time.time(),))
    time.sleep(0.002)
    conn.execute("COMMIT")
    time.sleep(0.01)
"""


@contextmanager
def other_process(script: str, db_url: str, seconds: float) -> Iterator[subprocess.Popen[str]]:
    """``script`` run by another Python on the test's SQLite file, started once it says it is ready."""
    path = str(make_url(db_url).database)
    process = subprocess.Popen(
        [sys.executable, "-c", script, path, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() in ("locked", "ready")
        yield process
    finally:
        process.kill()
        process.wait(timeout=10)


async def test_another_process_holding_the_lock_is_waited_for_without_stopping_the_server(
    app: FastAPI, v1: V1Client, db_url: str
) -> None:
    sqlite_only(app)
    with other_process(_HOLDER, db_url, seconds=BOUND * 0.75):
        pending = asyncio.ensure_future(create(v1))
        listed = await v1.get("/orders", params={"limit": 5})
        assert listed.status_code == 200, listed.text
        assert not pending.done()  # the create waits for the lock in asyncio: the read was served
        answer = await pending
    assert answer.status_code == 201, answer.text


async def test_another_process_holding_the_lock_too_long_gives_the_503(
    app: FastAPI, v1: V1Client, db_url: str
) -> None:
    sqlite_only(app)
    with other_process(_HOLDER, db_url, seconds=BOUND * 4):
        started = time.monotonic()
        answer = await create(v1)
        waited = time.monotonic() - started
    body = assert_error(answer, 503, "unavailable")
    assert "locked" in body["message"]
    assert BOUND <= waited < BOUND * 4


async def test_creates_beside_another_writing_process_all_land(
    app: FastAPI, v1: V1Client, db_url: str
) -> None:
    sqlite_only(app)
    db = database_of(app)
    before = await order_count(db)
    with other_process(_CHURNER, db_url, seconds=3):
        answers = []
        for _ in range(4):
            answers += await asyncio.gather(*(create(v1) for _ in range(4)))
    assert [answer.status_code for answer in answers] == [201] * 16, [a.text for a in answers]
    assert await order_count(db) == before + 16
