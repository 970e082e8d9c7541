"""Redis for the rate-limit tests: the shared one (``CLOPOS_TEST_REDIS_URL``) or a private process.

Where Redis is unreachable (or ``redis-server`` is missing) the tests that need it skip, saying why,
except under ``CI=true``, where they fail: CI must run them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import redis

from tests.support.servers import free_port

IN_CI = os.environ.get("CI", "").lower() == "true"
REDIS_URL = os.environ.get("CLOPOS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _unavailable(message: str) -> None:
    if IN_CI:
        pytest.fail(f"{message} (CI=true: Redis tests must run)")
    pytest.skip(f"{message}; set CLOPOS_TEST_REDIS_URL or start Redis")


def reachable(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError):
        return False


def shared_redis_url() -> str:
    """The test Redis (skip, or fail under CI, when it is unreachable)."""
    if not reachable(REDIS_URL):
        _unavailable(f"Redis unreachable at {REDIS_URL}")
    return REDIS_URL


def unique_prefix() -> str:
    """A Redis key prefix of its own, so that tests never share counters."""
    return f"clopos-test:{uuid.uuid4().hex[:12]}"


@dataclass
class PrivateRedis:
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            _unavailable("redis-server is not installed")
        assert binary is not None
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if reachable(self.url):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        _unavailable(f"a private redis-server on port {self.port} did not start")

    def stop(self) -> None:
        """SIGKILL: Redis vanishes mid-run, as in a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    """A ``redis-server`` of this test's own, on a free port, without persistence; killed at the end."""
    server = PrivateRedis(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
