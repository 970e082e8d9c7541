"""Which errors mean "the database cannot serve now" (a 503 with Retry-After), and in what words.

A request that meets one of these did nothing it could keep: the transaction was rolled back or never
began. The client may retry (with the same Idempotency-Key for a create). Everything else is a bug: a 500.
The errors arrive wrapped (SQLAlchemy's ``DBAPIError`` around its adapter's error around asyncpg's), so
the whole chain of causes is read, and PostgreSQL's errors are recognised by their SQLSTATE.
"""

from __future__ import annotations

import errno
import sqlite3
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError


@dataclass(frozen=True)
class Unavailable:
    """``reason``: a short label (the metric's); ``message``: what the answer says."""

    reason: str
    message: str


_SQLSTATES = {
    "57P01": Unavailable("lost", "the database is shutting down"),
    "57P02": Unavailable("lost", "the database restarted"),
    "57P03": Unavailable("starting", "the database is starting up or shutting down"),
    "53300": Unavailable("too_many_connections", "the database has too many connections"),
    "53100": Unavailable("disk_full", "the database's disk is full"),
    "53200": Unavailable("other", "the database is out of memory"),
    "57014": Unavailable("timeout", "a database statement took longer than the statement timeout"),
    "55P03": Unavailable("locked", "the data is locked by another transaction (lock timeout)"),
    "40001": Unavailable("serialization", "a concurrent change conflicted (serialization failure)"),
    "40P01": Unavailable("serialization", "a concurrent change conflicted (deadlock)"),
}
_DISK_FULL = Unavailable("disk_full", "the database's disk is full")
_TIMEOUT = Unavailable("timeout", "the database did not answer in time")
_POOL = Unavailable("pool", "no database connection was free in time (the pool is exhausted)")
_LOST = Unavailable("lost", "the connection to the database was lost")
_CONNECT = Unavailable("connect", "the database cannot be reached")
_SQLITE_LOCKED = Unavailable("locked", "the database is locked by another writer")
_OTHER = Unavailable("other", "the database is unavailable")


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it wraps, outermost first (bounded: chains can loop)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        wrapped = getattr(current, "orig", None) if isinstance(current, DBAPIError) else None
        current = wrapped if isinstance(wrapped, BaseException) else current.__cause__ or current.__context__
    return chain


def _specific(error: BaseException) -> Unavailable | None:
    """What one link of the chain says for itself, if it says something precise."""
    state = getattr(error, "sqlstate", None)
    if isinstance(state, str):
        if state in _SQLSTATES:
            return _SQLSTATES[state]
        if state.startswith("08"):  # connection exception
            return _CONNECT
    if isinstance(error, sqlite3.OperationalError | sqlite3.DatabaseError):
        text = str(error).lower()
        if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "disk is full" in text:
            return _DISK_FULL
        if "locked" in text or "busy" in text:
            return _SQLITE_LOCKED
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return _DISK_FULL
    if isinstance(error, PoolTimeoutError):
        return _POOL
    return None


def _general(error: BaseException) -> Unavailable | None:
    """What a link says by its kind alone."""
    if isinstance(error, TimeoutError):
        return _TIMEOUT
    if isinstance(error, ConnectionRefusedError):
        return _CONNECT
    if isinstance(error, DisconnectionError | ConnectionError):
        return _LOST
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return _LOST
    if type(error).__module__.startswith("asyncpg") and type(error).__name__ in _ASYNCPG_GONE:
        return _LOST
    if isinstance(error, OSError):
        return _CONNECT
    if isinstance(error, OperationalError):
        return _OTHER
    return None


_ASYNCPG_GONE = {"InterfaceError", "ConnectionDoesNotExistError", "InternalClientError"}


def unavailable_reason(exc: BaseException) -> Unavailable | None:
    """Why the database could not serve, when ``exc`` (or what it wraps) means "not available now"."""
    chain = _causes(exc)
    for error in chain:
        found = _specific(error)
        if found is not None:
            return found
    for error in chain:
        found = _general(error)
        if found is not None:
            return found
    return None
