"""An isolated server for an integrator's tests: its own SQLite file, a free port on 127.0.0.1, the demo
brands (or a brand document), nothing shared with any other run.

``clopos-server sandbox`` and the pytest plugin (:mod:`clopos_server.testing`) both start one. The first
database of a process is migrated and loaded (a couple of seconds); it is kept as a template, and every
later sandbox starts from a copy of it, so that a server per test costs well under a second.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from clopos_server import __version__
from clopos_server.demo.credentials import demo_credentials as demo_credentials  # also from here
from clopos_server.settings import Settings, get_settings

T = TypeVar("T")

HOST = "127.0.0.1"
GUIDE = "docs/integrating.md"  # in the project; also linked from the landing page
_TEMPLATE_LOCK = threading.Lock()


def _in_thread(job: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion on a loop of its own, whether or not the caller runs a loop."""
    result: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(job()))
        except BaseException as exc:  # handed to the caller below
            failure.append(exc)

    thread = threading.Thread(target=target, name="clopos-sandbox-setup")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def _build(path: Path, documents: list[dict[str, Any]]) -> None:
    from clopos_server.catalog.importer import import_brand
    from clopos_server.db.engine import Database
    from clopos_server.db.migrate import upgrade
    from clopos_server.demo import load_demo

    db = Database(sqlite_url(path), pool_size=1)
    try:
        await upgrade(db.engine)
        if documents:
            for document in documents:
                await import_brand(db, document)
        else:
            await load_demo(db)
    finally:
        await db.dispose()


def _schema_stamp() -> str:
    """Changes with the package version and its migrations: a template of another schema is never used."""
    versions = Path(__file__).parent / "db" / "migrations" / "versions"
    names = sorted(p.name for p in versions.glob("*.py"))
    return hashlib.sha256("\n".join([__version__, *names]).encode()).hexdigest()[:16]


def make_database(path: Path, template_dir: Path, documents: list[dict[str, Any]] | None = None) -> None:
    """A ready SQLite database at ``path``: a copy of the template in ``template_dir`` for its documents
    (the demo when none), built there first when absent."""
    documents = documents or []
    key = hashlib.sha256(repr(sorted(map(repr, documents))).encode()).hexdigest()[:12]
    template = template_dir / f"template-{_schema_stamp()}-{key}.sqlite3"
    with _TEMPLATE_LOCK:
        if not template.exists():
            building = template.with_suffix(f".{os.getpid()}.building")
            _in_thread(lambda: _build(building, documents))
            building.replace(template)
    shutil.copyfile(template, path)


def free_socket() -> socket.socket:
    """A listening socket on a free port of 127.0.0.1, handed to uvicorn: no race for the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def sandbox_settings(database_url: str, port: int) -> Settings:
    """The environment's settings (CLOPOS_*) with this sandbox's database and port; rate limits are off
    unless CLOPOS_RATE_LIMITS says otherwise (a test suite's bursts are not an integration's traffic)."""
    update: dict[str, Any] = {"database_url": database_url, "host": HOST, "port": port, "workers": 1}
    if "CLOPOS_RATE_LIMITS" not in os.environ:
        update["rate_limits"] = "off"
    return get_settings().model_copy(update=update)


@dataclass
class Sandbox:
    """One running server in a thread of this process, with its own directory (deleted by :meth:`stop`)."""

    directory: Path
    base_url: str
    database_url: str
    _server: Any = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def credentials(self) -> dict[str, Any]:
        return {**demo_credentials(self.base_url), "database": self.database_url}

    def stop(self) -> None:
        """Stop serving and delete the database and everything else of this sandbox."""
        self._server.should_exit = True
        self._thread.join(timeout=15)
        shutil.rmtree(self.directory, ignore_errors=True)


def start_sandbox(
    *,
    template_dir: Path | None = None,
    documents: list[dict[str, Any]] | None = None,
    parent: Path | None = None,
) -> Sandbox:
    """Start a server on a fresh copy of the demo (or of ``documents``); returns once it answers."""
    import uvicorn

    from clopos_server.api.transport import uvicorn_options
    from clopos_server.app import create_app

    directory = Path(tempfile.mkdtemp(prefix="clopos-sandbox-", dir=parent))
    try:
        path = directory / "clopos.sqlite3"
        make_database(path, template_dir or _default_template_dir(), documents)
        sock = free_socket()
        port = sock.getsockname()[1]
        settings = sandbox_settings(sqlite_url(path), port)
        config = uvicorn.Config(
            create_app(settings),
            log_config=None,
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=2,
            **uvicorn_options(),
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"clopos-sandbox-{port}", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.005)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return Sandbox(directory, f"http://{HOST}:{port}", sqlite_url(path), server, thread)


def _default_template_dir() -> Path:
    """Templates shared by the sandboxes of this user (rebuilt when the schema changes)."""
    directory = Path(tempfile.gettempdir()) / f"clopos-sandbox-templates-{os.getuid()}"
    directory.mkdir(mode=0o700, exist_ok=True)
    return directory
