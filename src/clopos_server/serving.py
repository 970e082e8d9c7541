"""How ``serve`` runs uvicorn: JSON logs in every worker, the stop notice, the grace period, metrics
across workers, and a pool that fits the database.

- **Logs.** uvicorn configures logging in each worker process from ``log_config``; with none, a worker
  has no handler and Python's last resort prints plain text. ``log_config`` installs the same formatter
  as the main process (clopos_server.logs), so every line of every process is one JSON object (or text
  with ``CLOPOS_LOG_FORMAT=text``). uvicorn's own access log is off: the app writes one line per request.
- **Stopping.** ``GracefulServer`` tells the app as soon as the signal arrives (clopos_server.lifecycle),
  so board streams end at once with ``reconnect``; requests in flight get ``CLOPOS_SHUTDOWN_GRACE``
  seconds to finish; the process then exits 0.
- **Pool.** ``fit_pool`` reads PostgreSQL's ``max_connections`` and the connections in use at start, and
  caps the pool (with a warning) or refuses to start when ``workers x pool x 2`` (pool and overflow)
  would not fit: docs/deploy.md, "Connections".
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import signal
import socket
import sys
from typing import Any

import uvicorn
from sqlalchemy import text
from uvicorn.supervisors import Multiprocess
from uvicorn.supervisors import multiprocess as multiprocess_module

from clopos_server import lifecycle, metrics
from clopos_server.api.transport import uvicorn_options
from clopos_server.db.engine import Database, dialect_of
from clopos_server.settings import Settings

log = logging.getLogger(__name__)


class PoolDoesNotFit(Exception):
    """The database cannot take even two connections per worker: starting would only fail later."""


class GracefulServer(uvicorn.Server):
    """uvicorn's server, which also tells the app that it is stopping when the signal arrives."""

    def handle_exit(self, sig: int, frame: Any) -> None:
        lifecycle.begin_stopping()
        super().handle_exit(sig, frame)
        # uvicorn raises the signal again once it has stopped, so the process ends "killed by SIGTERM";
        # a stop that went as asked is a success: exit status 0 (systemd, Docker, the supervisor).
        captured = getattr(self, "_captured_signals", None)
        if isinstance(captured, list) and sig in (signal.SIGTERM, signal.SIGINT):
            captured.clear()

    def run(self, sockets: list[socket.socket] | None = None) -> None:
        super().run(sockets)
        if multiprocessing.parent_process() is not None and self.started:  # a worker of several
            _exit_at_once()


class GracefulProcess(multiprocess_module.Process):
    """A worker process of uvicorn's supervisor whose server is a ``GracefulServer``."""

    @property
    def server(self) -> uvicorn.Server:
        if self._server is None:
            self._server = GracefulServer(config=self.config)
        return self._server


def log_config(settings: Settings) -> dict[str, Any]:
    """uvicorn's ``log_config``: applied in the main process and in every worker."""
    formatter = (
        "clopos_server.logs.JsonFormatter"
        if settings.log_format == "json"
        else "clopos_server.logs.TextFormatter"
    )
    quiet = {"level": "WARNING", "handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"clopos": {"()": formatter}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "clopos", "stream": "ext://sys.stderr"}
        },
        "root": {"level": settings.log_level.upper(), "handlers": ["stderr"]},
        "loggers": {
            "uvicorn": {"level": settings.log_level.upper(), "handlers": [], "propagate": True},
            "uvicorn.error": {"level": settings.log_level.upper(), "handlers": [], "propagate": True},
            "uvicorn.access": quiet,  # the app logs one line per request (api/middleware.py)
            "sqlalchemy.engine": quiet,
            "aiosqlite": quiet,
            "asyncio": quiet,
        },
    }


# Connections that take a slot of max_connections (not the server's own background processes).
_CLIENTS_CONNECTED = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"


async def fit_pool(db: Database, settings: Settings) -> int:
    """The pool size to run with: ``settings.db_pool_size``, or less when the database has not room for
    ``workers x pool x 2`` more connections (then a warning); ``PoolDoesNotFit`` below 1 per worker."""
    if dialect_of(db) == "sqlite":
        return settings.db_pool_size
    async with db.read() as conn:
        limit = int((await conn.execute(text("SHOW max_connections"))).scalar_one())
        reserved = int((await conn.execute(text("SHOW superuser_reserved_connections"))).scalar_one())
        in_use = int((await conn.execute(text(_CLIENTS_CONNECTED))).scalar_one())
    room = limit - reserved - in_use + 1  # + this connection, which ends before the workers start
    per_worker = room // settings.workers // 2
    wanted = settings.workers * settings.db_pool_size * 2
    if per_worker >= settings.db_pool_size:
        return settings.db_pool_size
    if per_worker < 1:
        raise PoolDoesNotFit(
            f"the database has room for {room} more connections (max_connections {limit},"
            f" {reserved} reserved, {in_use} in use);"
            f" {settings.workers} worker(s) need {2 * settings.workers} at least.\n"
            "Raise max_connections, stop other clients, or run fewer workers (docs/deploy.md, Connections)."
        )
    log.warning(
        "pool capped to fit the database",
        extra={
            "pool_size": per_worker,
            "wanted": settings.db_pool_size,
            "needed_connections": wanted,
            "room": room,
            "max_connections": limit,
            "in_use": in_use,
        },
    )
    return per_worker


WORKER_HEALTHCHECK_SECONDS = 30


def run(settings: Settings) -> None:
    """uvicorn with the app factory; returns when the server has stopped (exit status 0), exits 3 when
    it could not start (the port is taken...)."""
    config = uvicorn.Config(
        "clopos_server.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        log_config=log_config(settings),
        access_log=False,
        proxy_headers=False,  # CLOPOS_TRUSTED_PROXIES instead (api/proxies.py), in tests too
        timeout_graceful_shutdown=math.ceil(settings.shutdown_grace),
        # the supervisor pings each worker and kills one that does not answer in time; uvicorn's 5 s
        # killed workers still importing on a busy machine (seen at load 13: `--workers 2` never started)
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        **uvicorn_options(),  # httptools, answering unparsable requests in the JSON envelope
    )
    server = GracefulServer(config)
    if settings.workers > 1:
        metrics_dir = metrics.prepare_multiprocess()
        # uvicorn's supervisor makes each worker's server as ``Process.server``: ours, so that every worker
        # hears the stop notice too (the worker processes import this module to unpickle their Process).
        multiprocess_module.Process = GracefulProcess  # type: ignore[misc]
        try:
            Multiprocess(config, sockets=[config.bind_socket()]).run()
        finally:
            metrics.forget_multiprocess(metrics_dir)
        _exit_at_once()
    server.run()
    if not server.started:
        sys.exit(3)
    _exit_at_once()


def _exit_at_once() -> None:
    """Exit 0 now that the server has stopped. Python's own teardown of a server's worth of modules and
    objects took seconds on a busy machine (seen: 3 s), counted against a supervisor's stop timeout."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def export_for_workers(values: dict[str, Any]) -> None:
    """Worker processes read their settings from the environment: what ``serve`` decided goes there."""
    for name, value in values.items():
        os.environ[f"CLOPOS_{name.upper()}"] = str(value)
