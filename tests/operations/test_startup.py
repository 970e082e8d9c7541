"""Starting for real on a private PostgreSQL: five instances at once on a new database all come up (the
migration runs once, under the advisory lock); two workers log JSON only, one line per request, and
/metrics adds both workers up; a pool that cannot fit max_connections is capped or refused."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from clopos_server.db.engine import Database
from clopos_server.serving import fit_pool
from clopos_server.settings import Settings
from tests.operations.pg import PrivatePostgres
from tests.operations.test_cli import assert_short_failure, cli
from tests.support.databases import create_pg_database, drop_pg_database
from tests.support.servers import free_port

pytestmark = pytest.mark.slow


@contextmanager
def serving(url: str, count: int, **env: str) -> Iterator[list[tuple[subprocess.Popen[bytes], str]]]:
    """``count`` ``serve`` processes started at once (not one after the other); SIGTERM at the end."""
    started = []
    quiet = {
        "CLOPOS_LOG_LEVEL": "warning"
    }  # stderr is read at the end only: a full pipe would stall a server
    for _ in range(count):
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "clopos_server.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env={**os.environ, "CLOPOS_DATABASE_URL": url, "CLOPOS_DB_POOL_SIZE": "2", **quiet, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        started.append((process, f"http://127.0.0.1:{port}"))
    try:
        yield started
    finally:
        for process, _ in started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process, _ in started:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()


async def ready(base: str, process: subprocess.Popen[bytes], within: float = 90) -> None:
    give_up = time.monotonic() + within
    async with httpx.AsyncClient(base_url=base, timeout=2) as http:
        while time.monotonic() < give_up:
            if process.poll() is not None:
                stderr = process.stderr.read().decode() if process.stderr else ""
                raise AssertionError(f"exited {process.returncode}: {stderr[-3000:]}")
            try:
                if (await http.get("/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError(f"{base} not ready within {within} s")


async def test_five_instances_start_at_once_on_a_new_database(private_pg: PrivatePostgres) -> None:
    url = private_pg.url(f"clopos_new_{uuid.uuid4().hex[:8]}")
    await create_pg_database(url)
    try:
        with serving(url, 5, CLOPOS_SECRET_KEY="five-instances-secret-0123456789abcdef") as servers:
            await asyncio.gather(*(ready(base, process) for process, base in servers))
            async with httpx.AsyncClient(timeout=5) as http:
                for _, base in servers:
                    assert (await http.get(f"{base}/readyz")).json()["data"]["status"] == "ready"
        assert [process.returncode for process, _ in servers] == [0] * 5
    finally:
        await drop_pg_database(url)


def json_lines(stderr: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    assert lines and all(isinstance(line, dict) for line in lines)
    return lines


async def test_two_workers_log_json_and_share_metrics(private_pg: PrivatePostgres, fault_db_url: str) -> None:
    env = {"CLOPOS_WORKERS": "2", "CLOPOS_LOG_LEVEL": "info", "CLOPOS_RATE_LIMITS": "off"}
    with serving(fault_db_url, 1, **env) as [(process, base)]:
        stderr = process.stderr
        assert stderr is not None
        collected: list[bytes] = []

        def collect() -> None:  # read as it comes: a full pipe would stall the server
            collected.extend(iter(stderr.readline, b""))

        reader = threading.Thread(target=collect, daemon=True)
        reader.start()
        await ready(base, process)
        for _ in range(600):  # both workers up (one may be slower to start on a busy machine)
            if sum(b'"msg":"started"' in line for line in collected) >= 2:
                break
            await asyncio.sleep(0.1)
        async with httpx.AsyncClient(base_url=base, timeout=5) as http:
            for _ in range(20):  # new connections: both workers take some
                assert (await http.get("/healthz", headers={"Connection": "close"})).status_code == 200
            assert (
                await http.get("/no/such/path", headers={"X-Request-ID": "trace-me-1"})
            ).status_code == 404
            metrics = (await http.get("/metrics")).text
        process.send_signal(signal.SIGTERM)
        process.wait(15)
        reader.join(5)
        lines = json_lines(b"".join(collected).decode())
    assert process.returncode == 0
    healthz = [float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines() if 'route="/healthz"' in line]
    assert healthz and sum(healthz) >= 20  # every worker's counts (whichever answered)
    assert len({line["pid"] for line in lines if line.get("msg") == "started"}) == 2, "both workers log"
    access = [line for line in lines if line.get("logger") == "clopos_server.access"]
    traced = [line for line in access if line.get("request_id") == "trace-me-1"]
    assert len(traced) == 1
    assert {"method", "path", "route", "status", "ms", "client"} <= set(traced[0])
    assert traced[0]["status"] == 404 and traced[0]["route"] == "unmatched"


async def test_a_pool_is_capped_or_refused_to_fit_max_connections(
    private_pg: PrivatePostgres, fault_db_url: str, tmp_path: Path
) -> None:
    settings = Settings(database_url=fault_db_url, db_pool_size=100)
    db = Database.from_settings(settings, pool_size=1)
    try:
        capped = await fit_pool(db, settings)
        assert 1 <= capped < 100 and 2 * capped <= private_pg.max_connections
        assert await fit_pool(db, settings.model_copy(update={"db_pool_size": 2})) == 2
    finally:
        await db.dispose()
    env = {"CLOPOS_DATABASE_URL": fault_db_url, "CLOPOS_WORKERS": "64"}
    refused = await asyncio.to_thread(cli, "serve", cwd=tmp_path, env=env)  # it runs its own event loop
    assert_short_failure(refused, "max_connections", "fewer workers")
