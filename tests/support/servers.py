"""Real server processes (``clopos-server serve``) for multi-instance and crash tests.

A server's stderr (its warnings and errors, JSON lines) goes to a file, never to a pipe nobody reads
while it runs (a full pipe stalls the server): ``ServerProcess.log()`` reads it. ``stop()`` ends the
process, keeps what it wrote, removes the file and prints the end of it, which pytest shows beside a
failed test only."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.zygote import ForkedProcess, Zygote

# Each worker's servers are forked from one process that has imported the server (tests/support/zygote.py).
_zygote = Zygote()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    process: ForkedProcess
    base_url: str
    log_path: Path
    kept_log: str | None = None

    def log(self) -> str:
        """What the server wrote to stderr (so far, or until ``stop``)."""
        return self.log_path.read_text(errors="replace") if self.kept_log is None else self.kept_log

    def stop(self) -> None:
        """SIGTERM (SIGKILL after 10 s), then its stderr kept in memory and printed (its end)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.kept_log is None:
            self.kept_log = self.log()
            self.log_path.unlink(missing_ok=True)
            print(f"{self.base_url} wrote to stderr (the end):\n{self.kept_log[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flush; what a power cut does to the process."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


def start_server(
    db_url: str, *, extra_env: dict[str, str] | None = None, timeout: float = 30, port: int | None = None
) -> ServerProcess:
    port = port or free_port()  # a given port: a restart where a browser expects the server
    env = {
        **os.environ,
        "CLOPOS_DATABASE_URL": db_url,
        "CLOPOS_SECRET_KEY": "multi-instance-test-secret-0123456789",
        "CLOPOS_RATE_LIMITS": "off",
        "CLOPOS_LOG_LEVEL": "warning",
        **(extra_env or {}),
    }
    handle, name = tempfile.mkstemp(prefix=f"clopos-server-{port}-", suffix=".log")
    log_path = Path(name)
    os.close(handle)
    process = _zygote.spawn(["serve", "--host", "127.0.0.1", "--port", str(port)], env, log_path)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    # One client for the polls: each httpx.get() builds a client and its TLS context (the CA bundle
    # read again), 20-80 ms of CPU per poll, which made the wait for a starting server cost a core.
    with httpx.Client(timeout=1) as poll:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {log_path.read_text(errors='replace')[-2000:]}")
            try:
                if poll.get(f"{base_url}/healthz").status_code == 200:
                    return ServerProcess(process, base_url, log_path)
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("server did not come up in time")


@contextmanager
def running_servers(db_url: str, count: int = 1, **kwargs: object) -> Iterator[list[ServerProcess]]:
    servers: list[ServerProcess] = []
    try:
        for _ in range(count):
            servers.append(start_server(db_url, **kwargs))  # type: ignore[arg-type]
        yield servers
    finally:
        for server in servers:
            server.stop()
