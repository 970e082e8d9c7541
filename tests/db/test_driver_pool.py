"""The driver's pool (db/driver_pool.py) on its own: reuse, waiting in line, the pool timeout, a wait that
gives up as a connection is handed to it, connections that must not serve again, and closing. (Lost and
frozen servers through HTTP: tests/orders/test_create_connection_loss.py, tests/operations.)"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from clopos_server.db import driver_pool
from clopos_server.db.driver_pool import DriverPool

pytestmark = pytest.mark.parametrize("db_url", ["postgres"], indirect=True)


def pool_of(db_url: str, size: int = 1, wait: float = 0.5) -> DriverPool:
    return DriverPool(db_url, size=size, statement=5, lock=2, pool=wait, driver=6)


async def backend_pid(pool: DriverPool) -> int:
    async with pool.connection() as conn:
        pid: int = await conn.fetchval("SELECT pg_backend_pid()")
    return pid


async def held(pool: DriverPool, release: asyncio.Event) -> int:
    """A connection held until ``release`` is set, then used once more: its backend's pid."""
    async with pool.connection() as conn:
        await release.wait()
        pid: int = await conn.fetchval("SELECT pg_backend_pid()")
    return pid


async def test_an_idle_connection_is_reused_and_no_more_than_size_are_opened(db_url: str) -> None:
    pool = pool_of(db_url, size=2)
    try:
        first = await backend_pid(pool)
        assert await backend_pid(pool) == first
        release = asyncio.Event()
        holders = [asyncio.ensure_future(held(pool, release)) for _ in range(4)]
        await asyncio.sleep(0.1)
        release.set()
        assert len(set(await asyncio.gather(*holders))) == 2
        settings = await (await pool._checkout()).conn.fetchval("SHOW statement_timeout")
        assert settings == "5s"  # the connections are set up as SQLAlchemy's are
    finally:
        await pool.close()


async def test_a_waiter_gets_the_connection_handed_back_and_a_long_wait_is_the_pool_timeout(
    db_url: str,
) -> None:
    pool = pool_of(db_url, size=1, wait=0.3)
    try:
        first = await backend_pid(pool)
        release = asyncio.Event()
        holder = asyncio.ensure_future(held(pool, release))
        await asyncio.sleep(0.05)
        waiting = asyncio.ensure_future(backend_pid(pool))
        await asyncio.sleep(0.05)
        release.set()
        assert await waiting == first  # handed over, not a new connection
        await holder

        release.clear()
        holder = asyncio.ensure_future(held(pool, release))
        await asyncio.sleep(0.05)
        with pytest.raises(PoolTimeoutError, match="no database connection was free in time"):
            await backend_pid(pool)
        assert not pool._waiters
        release.set()
        await holder
        assert await backend_pid(pool) == first
    finally:
        await pool.close()


async def test_a_wait_that_gives_up_as_a_connection_is_handed_to_it_passes_it_on(db_url: str) -> None:
    pool = pool_of(db_url, size=1, wait=5)
    try:
        kept = await pool._checkout()
        giving_up = asyncio.ensure_future(pool._wait())
        await asyncio.sleep(0.01)
        pool._checkin(kept)  # the waiter's future now holds the connection...
        giving_up.cancel()  # ...and its task is cancelled before it resumes
        with pytest.raises(asyncio.CancelledError):
            await giving_up
        assert pool._idle == [kept] and pool._open == {kept}
    finally:
        await pool.close()


async def test_a_connection_that_timed_out_or_was_lost_does_not_serve_again(db_url: str) -> None:
    pool = pool_of(db_url, size=1)
    try:
        first = await backend_pid(pool)
        with pytest.raises(TimeoutError):
            async with pool.connection():
                raise TimeoutError
        second = await backend_pid(pool)
        assert second != first
        lost: list[BaseException] = []
        pool.on_lost = lost.append
        with pytest.raises(DisconnectionError):
            async with pool.connection() as conn:
                await conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        assert lost and await backend_pid(pool) not in (first, second)
    finally:
        await pool.close()


async def test_an_idle_connection_closed_by_the_server_or_too_old_is_replaced_at_checkout(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = pool_of(db_url, size=1)
    try:
        first = await backend_pid(pool)
        async with pool_of(db_url).connection() as admin:
            await admin.execute("SELECT pg_terminate_backend($1)", first)
        await asyncio.sleep(0.1)  # the pooled connection reads the server's goodbye
        second = await backend_pid(pool)
        assert second != first
        monkeypatch.setattr(driver_pool, "IDLE_SECONDS", 0.0)
        assert await backend_pid(pool) != second
    finally:
        await pool.close()


async def test_close_waits_for_connections_in_use_and_leaves_the_pool_usable(db_url: str) -> None:
    pool = pool_of(db_url, size=2, wait=2)
    release = asyncio.Event()
    first = await backend_pid(pool)
    holder = asyncio.ensure_future(held(pool, release))  # its connection still serves until it ends
    await asyncio.sleep(0.05)
    closing = asyncio.ensure_future(pool.close())
    await asyncio.sleep(0.05)
    assert not closing.done()
    release.set()
    await holder
    await asyncio.wait_for(closing, 1)
    assert not pool._open and not pool._idle
    try:
        assert await backend_pid(pool) != first  # a new connection
    finally:
        await pool.close()


async def test_close_terminates_what_is_still_in_use_after_the_pool_timeout(db_url: str) -> None:
    pool = pool_of(db_url, size=1, wait=0.2)
    release = asyncio.Event()
    holder = asyncio.ensure_future(held(pool, release))
    await asyncio.sleep(0.05)
    (kept,) = pool._open
    await asyncio.wait_for(pool.close(), 1)
    assert kept.conn.is_closed() and not pool._open
    release.set()
    with pytest.raises(DisconnectionError):  # its block ends on the closed connection: discarded
        await holder
    assert not pool._idle
