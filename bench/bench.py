"""``make bench``: clopos-server's throughput and latency, measured against the stack's own limit.

Creates a fresh database (PostgreSQL by default, ``BENCH_DB=sqlite`` for a temporary SQLite file),
migrates it, imports a generated brand (bench/brand.py), serves it with ``clopos-server serve`` and drives
each scenario with wrk (bench/wrk/*.lua) for a fixed duration after a warm-up. The baseline app
(bench/baseline/app.py) takes the same loads on the same database under the same process model: the
create-order body, and the reads (an order list page, one order, a catalogue page, a feed page) over
copies of our own rows; ``ours / baseline`` of requests/s and of CPU per request is the figure we steer
by, and every scenario's row shows it.

Order of the run: the create baselines on the fresh database; create-order, its replay; the read
baselines over copies of the orders written so far; our reads; then the venue's orders are cloned up to
BENCH_LARGE_ORDERS (bench/seed.py) for the list's baseline and ours at that size; the webhook last.

Prints one table (requests/s, p50/p99/max latency, errors, CPU per request of the server and of the
database, peak RSS per worker, the ratio to the baseline), the targets of issue 18 as met/MISSED, writes
the raw results to bench/results/latest.json, and exits non-zero when any scenario saw an error (a non-2xx
answer, a socket error, a create-order replay that was not a replay) or got no answer at all.

Settings (environment):
  BENCH_DB           postgres (default) or sqlite
  BENCH_PG_URL       admin URL of the PostgreSQL server (default postgresql://postgres@127.0.0.1:5432/postgres);
                     a database clopos_bench_<random> is created there and dropped afterwards
  BENCH_WORKERS      server worker processes (default 2 on PostgreSQL, 1 on SQLite)
  BENCH_CONNECTIONS  wrk connections (default 32); the create-8 scenario and its baseline always use 8
  BENCH_THREADS      wrk threads (default 1: one wrk thread drives far more than the server takes, and
                     leaves the second core to the server)
  BENCH_DURATION     seconds per scenario (default 20; 4 with BENCH_QUICK=1)
  BENCH_WARMUP       warm-up seconds before each scenario (default 3; 1 with BENCH_QUICK=1)
  BENCH_QUICK=1      a quick run (about 80 s of load; the setup and cloning come on top)
  BENCH_SCENARIOS    comma-separated subset of: baseline,create,create-8,replay,order,orders,products,
                     events,auth,orders-large,webhook (default: all; create-8 only on SQLite). "baseline"
                     runs the baseline of each scenario chosen (the create baseline always)
  BENCH_LARGE_ORDERS the venue's order count for orders-large (default 100000)
  BENCH_ALTERNATIONS the webhook scenario's alternating pairs of runs without and with the endpoint
                     (default 4); one pair's kept share varies by about 9% on a 2-core machine: 20
                     pairs (about 6 minutes more) give it within about 2.5 points (the line prints the
                     pairs' standard error)
  BENCH_KEEP_DB=1    keep the database afterwards (its name is printed)
  BENCH_PRIME=0      do not load every worker's catalogue snapshot before measuring; with
                     BENCH_CONNECTIONS=64 BENCH_SCENARIOS=create this can show the snapshot/pool deadlock
                     of docs/performance.md (a race: not on every run)
"""

# ruff: noqa: S603  (every subprocess here runs a fixed argv built in this file)

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import platform
import resource
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
WRK_DIR = BENCH_DIR / "wrk"
RESULTS = BENCH_DIR / "results" / "latest.json"
sys.path.insert(0, str(BENCH_DIR))

import brand  # noqa: E402  (bench/brand.py, next to this file)
import seed  # noqa: E402  (bench/seed.py: cloned orders, the read baselines' tables)
import webhook_bench  # noqa: E402  (bench/webhook_bench.py: the webhook scenario's receiver and lag)

ALL_SCENARIOS = (
    "baseline",
    "create",
    "create-8",
    "replay",
    "order",
    "orders",
    "products",
    "events",
    "auth",
    "orders-large",
    "webhook",
)
PRODUCTS_PATH = "/open-api/products?limit=100&with[]=modificator_groups"
ORDERS_PATH = "/open-api/orders?limit=50"
FEED_LIMIT = 50
FEED_BACK = (
    200  # the feed page starts this many events before the newest: a full page, as a reader catching up
)
SMALL_CONNECTIONS = 8  # the SQLite target's connection count (issue 18)
# Each scenario's baseline (bench/baseline/app.py), by key: the same request on the same database.
BASELINE_OF = {
    "create": "baseline",
    "replay": "baseline",
    "webhook": "baseline",
    "webhook-off": "baseline",
    "create-8": "baseline-8",
    "order": "baseline-order",
    "orders": "baseline-orders",
    "products": "baseline-products",
    "events": "baseline-events",
    "orders-large": "baseline-orders-large",
}


def log(message: str) -> None:
    print(f"· {message}", file=sys.stderr, flush=True)


class BenchError(Exception):
    """The run cannot go on (setup failed); the message says why."""


# ------------------------------------------------------------------------------ settings


@dataclass
class Config:
    backend: str
    pg_admin_url: str
    workers: int
    connections: int
    threads: int
    duration: int
    warmup: int
    quick: bool
    scenarios: tuple[str, ...]
    keep_db: bool
    large_orders: int = 100_000
    alternations: int = 4

    @classmethod
    def from_env(cls) -> Config:
        env = os.environ.get
        backend = env("BENCH_DB", "postgres").strip().lower()
        if backend in ("postgresql", "pg"):
            backend = "postgres"
        if backend not in ("postgres", "sqlite"):
            raise BenchError(f"BENCH_DB must be postgres or sqlite, not {backend!r}")
        quick = env("BENCH_QUICK", "") not in ("", "0")
        every = [s for s in ALL_SCENARIOS if s != "create-8" or backend == "sqlite"]
        scenarios = tuple(s.strip() for s in env("BENCH_SCENARIOS", ",".join(every)).split(",") if s.strip())
        unknown = set(scenarios) - set(ALL_SCENARIOS)
        if unknown:
            raise BenchError(f"BENCH_SCENARIOS: unknown {sorted(unknown)}; choose from {ALL_SCENARIOS}")
        return cls(
            backend=backend,
            pg_admin_url=env("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
            workers=int(env("BENCH_WORKERS", "2" if backend == "postgres" else "1")),
            connections=int(env("BENCH_CONNECTIONS", "32")),
            threads=int(env("BENCH_THREADS", "1")),
            duration=int(env("BENCH_DURATION", "4" if quick else "20")),
            warmup=int(env("BENCH_WARMUP", "1" if quick else "3")),
            quick=quick,
            scenarios=scenarios,
            keep_db=env("BENCH_KEEP_DB", "") not in ("", "0"),
            large_orders=int(env("BENCH_LARGE_ORDERS", "100000")),
            alternations=max(1, int(env("BENCH_ALTERNATIONS", "4"))),
        )


# ------------------------------------------------------------------------------ machine and tools


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk is missing: installing it with apt-get")
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    quiet = {
        "stdout": subprocess.DEVNULL,
        "stderr": subprocess.PIPE,
        "env": {**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    }
    apt = [*sudo, "apt-get", "-q", "-o", "DPkg::Lock::Timeout=300"]  # another apt-get may hold the lock
    install = [*apt, "install", "-y", "wrk"]
    if subprocess.run(install, check=False, **quiet).returncode != 0:  # type: ignore[call-overload]
        subprocess.run([*apt, "update"], check=False, **quiet)  # type: ignore[call-overload]
        result = subprocess.run(install, check=False, **quiet)  # type: ignore[call-overload]
        if result.returncode != 0:
            raise BenchError(f"could not install wrk: {result.stderr.decode()[-500:]}")
    found = shutil.which("wrk")
    if not found:
        raise BenchError("wrk is still not on PATH after apt-get install wrk")
    return found


def wrk_version(wrk: str) -> str:
    result = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
    first = (result.stdout or result.stderr).strip().splitlines()
    return first[0].split(" Copyright")[0].strip() if first else "wrk"


def machine() -> dict[str, Any]:
    model = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory_kib = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ------------------------------------------------------------------------------ the database


class BenchDatabase:
    """A fresh database for one run: created, described, queried a little, dropped."""

    def __init__(self, config: Config, tmp: Path) -> None:
        self.config = config
        self.backend = config.backend
        if self.backend == "sqlite":
            self.path = tmp / "bench.sqlite3"
            self.url = f"sqlite+aiosqlite:///{self.path}"
            self.name = str(self.path)
        else:
            from sqlalchemy.engine import make_url

            admin = make_url(config.pg_admin_url)
            self.name = f"clopos_bench_{secrets.token_hex(4)}"
            self.url = admin.set(drivername="postgresql", database=self.name).render_as_string(
                hide_password=False
            )
            self.admin_url = admin.set(drivername="postgresql").render_as_string(hide_password=False)
            self.where = f"{admin.host}:{admin.port or 5432}"
        self.version = ""

    async def _pg(self, url: str, *statements: str) -> list[Any]:
        import asyncpg

        conn = await asyncpg.connect(url)
        try:
            return [await conn.fetchval(statement) for statement in statements]
        finally:
            await conn.close()

    def create(self) -> None:
        if self.backend == "sqlite":
            self.version = f"SQLite {sqlite3.sqlite_version}"
            return
        try:
            (version,) = asyncio.run(self._pg(self.admin_url, "SHOW server_version"))
            asyncio.run(self._pg(self.admin_url, f'CREATE DATABASE "{self.name}"'))
        except Exception as exc:
            raise BenchError(
                f"PostgreSQL at {self.where} is not usable ({exc}); or run BENCH_DB=sqlite"
            ) from exc
        self.version = f"PostgreSQL {version.split()[0]}"

    def execute(self, statement: str) -> Any:
        if self.backend == "sqlite":
            with contextlib.closing(sqlite3.connect(self.path)) as conn:
                value = conn.execute(statement).fetchone()
                conn.commit()
                return value[0] if value else None
        return asyncio.run(self._pg(self.url, statement))[0]

    def backend_pids(self) -> list[int]:
        """The PostgreSQL backends serving this database (none on SQLite: it works inside the server)."""
        if self.backend == "sqlite":
            return []
        with contextlib.suppress(Exception):
            return asyncio.run(self._backend_pids())
        return []

    def activity(self) -> str:
        """What this database's backends are doing (for a stalled run)."""
        if self.backend == "sqlite":
            return ""
        with contextlib.suppress(Exception):
            return "; database backends:\n" + asyncio.run(self._activity())
        return ""

    async def _activity(self) -> str:
        import asyncpg

        conn = await asyncpg.connect(self.admin_url)
        try:
            rows = await conn.fetch(
                "SELECT pid, state, wait_event_type, wait_event, now() - xact_start AS age,"
                " left(query, 100) AS q FROM pg_stat_activity WHERE datname = $1",
                self.name,
            )
        finally:
            await conn.close()
        return "\n".join(str(dict(row)) for row in rows)

    async def _backend_pids(self) -> list[int]:
        import asyncpg

        conn = await asyncpg.connect(self.admin_url)
        try:
            rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", self.name)
        finally:
            await conn.close()
        return [int(row["pid"]) for row in rows]

    def drop(self) -> None:
        if self.backend == "sqlite":
            return  # the temporary directory goes with it
        with contextlib.suppress(Exception):
            asyncio.run(self._pg(self.admin_url, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))

    def describe(self) -> str:
        if self.backend == "sqlite":
            return f"{self.version}, temporary file (WAL)"
        kept = "kept" if self.config.keep_db else "dropped afterwards"
        return f"{self.version} at {self.where}, fresh database {self.name} ({kept})"


# ------------------------------------------------------------------------------ server processes


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _status_kib(pid: int) -> dict[str, int]:
    values: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                values[line.split(":")[0]] = int(line.split()[1])
    return values


@dataclass
class Server:
    """One server (clopos-server or the baseline) in its own process group, with its worker pids."""

    name: str
    command: list[str]
    env: dict[str, str]
    port: int
    workers: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    worker_pids: list[int] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        log(f"starting {self.name} on port {self.port} ({self.workers} worker(s))")
        with self.log_path.open("wb") as out:
            self.process = subprocess.Popen(
                self.command, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.name} exited at start:\n{self.log_tail()}")
            pids = self._find_workers()
            if len(pids) == self.workers and self._healthy():
                self.worker_pids = pids
                return
            time.sleep(0.2)
        raise BenchError(f"{self.name} did not come up in {timeout:.0f} s:\n{self.log_tail()}")

    def _find_workers(self) -> list[int]:
        assert self.process is not None
        if self.workers == 1:
            return [self.process.pid]  # uvicorn serves in its own process with one worker
        pids = []
        for pid in _children(self.process.pid):
            with contextlib.suppress(OSError):
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                if b"spawn_main" in cmdline and b"resource_tracker" not in cmdline:
                    pids.append(pid)
        return sorted(pids)

    def _healthy(self) -> bool:
        ok = 0
        for _ in range(4 * self.workers):  # every worker should answer; connections spread over them
            try:
                with httpx.Client(timeout=2) as client:
                    ok += client.get(f"{self.base_url}/healthz").status_code == 200
            except httpx.HTTPError:
                return False
        return ok == 4 * self.workers

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)

    def log_tail(self, chars: int = 3000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-chars:]
        return ""

    def errors_logged(self) -> list[str]:
        """Lines the server logged at error level (tracebacks of 500s, for example)."""
        lines = []
        for line in self.log_tail(200_000).splitlines():
            if '"level": "error"' in line or '"level":"error"' in line or line.startswith("Traceback"):
                lines.append(line[:300])
        return lines


class RssSampler:
    """Samples VmRSS and VmHWM of the server's workers every 0.2 s in a background thread."""

    def __init__(self) -> None:
        self.pids: list[int] = []
        self.window: dict[int, int] = {}
        self.hwm: dict[int, int] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def watch(self, pids: list[int]) -> None:
        with self._lock:
            self.pids = list(pids)
            self.window = {}

    def _sample(self) -> None:
        with self._lock:
            for pid in self.pids:
                status = _status_kib(pid)
                if "VmRSS" in status:
                    self.window[pid] = max(self.window.get(pid, 0), status["VmRSS"])
                if "VmHWM" in status:
                    self.hwm[pid] = max(self.hwm.get(pid, 0), status["VmHWM"])

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self._sample()

    def take_window(self) -> dict[int, int]:
        """Peak VmRSS (KiB) per worker since the last call; a last sample is taken now."""
        self._sample()
        with self._lock:
            window, self.window = self.window, {}
        return window

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)


TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """utime + stime of one process, in seconds (0 when it is gone)."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    return 0.0


def _machine_busy_seconds() -> float:
    """CPU time spent by the whole machine, all cores, outside idle and iowait."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = values
    return (user + nice + system + irq + softirq + steal) / TICK


@dataclass
class CpuMeter:
    """CPU seconds spent by the server's workers, the database's backends, wrk and everything else on the
    machine during one measured run, so that a figure can be read per request and a busy machine shows."""

    db: BenchDatabase
    workers: list[int]
    started: dict[str, Any] = field(default_factory=dict)

    def _snapshot(self) -> dict[str, Any]:
        backends = self.db.backend_pids()
        return {
            "wall": time.monotonic(),
            "machine": _machine_busy_seconds(),
            "server": sum(_cpu_seconds(pid) for pid in self.workers),
            "db": {pid: _cpu_seconds(pid) for pid in backends},
            "children": sum(
                getattr(resource.getrusage(resource.RUSAGE_CHILDREN), f) for f in ("ru_utime", "ru_stime")
            ),
        }

    def start(self) -> None:
        self.started = self._snapshot()

    def stop(self) -> dict[str, float]:
        end, begin = self._snapshot(), self.started
        db = sum(cpu - begin["db"].get(pid, 0.0) for pid, cpu in end["db"].items())
        used = {
            "wall_s": end["wall"] - begin["wall"],
            "server_s": end["server"] - begin["server"],
            "db_s": db,
            "wrk_s": end["children"] - begin["children"],
            "machine_s": end["machine"] - begin["machine"],
        }
        used["other_s"] = max(0.0, used["machine_s"] - used["server_s"] - used["db_s"] - used["wrk_s"])
        return {k: round(v, 3) for k, v in used.items()}


# ------------------------------------------------------------------------------ wrk


@dataclass
class Scenario:
    key: str
    label: str
    method: str
    path: str
    script: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    result: dict[str, Any] | None = None
    rss_kib: dict[int, int] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    note: str = ""
    available: bool = True
    connections: int | None = None  # None: BENCH_CONNECTIONS
    is_baseline: bool = False

    @property
    def rps(self) -> float:
        if not self.result or not self.result["duration_us"]:
            return 0.0
        return float(self.result["requests"]) * 1e6 / float(self.result["duration_us"])

    def cpu_ms_per_request(self, part: str) -> float:
        requests = self.result["requests"] if self.result else 0
        return 1000 * self.cpu.get(part, 0.0) / requests if requests else 0.0

    @property
    def socket_errors(self) -> int:
        return sum(self.result["socket_errors"].values()) if self.result else 0

    @property
    def errors(self) -> int:
        if not self.result:
            return 0
        return int(self.result["not_2xx"]) + self.socket_errors + int(self.result["not_replayed"])


def run_wrk(
    wrk: str, config: Config, server: Server, scenario: Scenario, seconds: int, tmp: Path
) -> dict[str, Any]:
    env = {**os.environ, "BENCH_WRK_DIR": str(WRK_DIR), "BENCH_RUN_ID": secrets.token_hex(4)}
    if scenario.body is not None:
        body_file = tmp / f"{scenario.key}.body.json"
        body_file.write_bytes(scenario.body)
        env["BENCH_BODY_FILE"] = str(body_file)
    connections = scenario.connections or config.connections
    command = [
        wrk,
        "-t", str(min(config.threads, connections)),
        "-c", str(connections),
        "-d", f"{seconds}s",
        "--timeout", "5s",
        "-s", str(WRK_DIR / scenario.script),
    ]  # fmt: skip
    for name, value in scenario.headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(server.base_url + scenario.path)
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, check=False, timeout=seconds + 60
    )
    for line in result.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            parsed: dict[str, Any] = json.loads(line.removeprefix("BENCH_RESULT "))
            return parsed
    raise BenchError(
        f"wrk gave no result for {scenario.label}:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    )


def measure(
    wrk: str,
    config: Config,
    server: Server,
    scenario: Scenario,
    sampler: RssSampler,
    db: BenchDatabase,
    tmp: Path,
) -> None:
    log(f"{scenario.label}: {config.warmup} s warm-up, then {config.duration} s")
    if config.warmup:
        run_wrk(wrk, config, server, scenario, config.warmup, tmp)
    sampler.watch(server.worker_pids)
    meter = CpuMeter(db, server.worker_pids)
    meter.start()
    scenario.result = run_wrk(wrk, config, server, scenario, config.duration, tmp)
    scenario.cpu = meter.stop()
    scenario.rss_kib = sampler.take_window()
    if not scenario.result["requests"]:  # a stalled server: say where its workers wait
        scenario.note = f"no answer in {config.duration} s" + db.activity() + dump_stacks(server)


def dump_stacks(server: Server) -> str:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        return ""
    dumps = []
    for pid in server.worker_pids:
        result = subprocess.run([spy, "dump", "-p", str(pid)], capture_output=True, text=True, check=False)
        dumps.append((result.stdout + result.stderr)[-4000:])
    return "; py-spy dump of the workers:\n" + "\n".join(dumps)


# ------------------------------------------------------------------------------ preparing requests


def _json(response: httpx.Response, what: str, status: int = 200) -> dict[str, Any]:
    if response.status_code != status:
        raise BenchError(f"{what}: HTTP {response.status_code}: {response.text[:1000]}")
    answer: dict[str, Any] = response.json()
    return answer


def login_body() -> dict[str, Any]:
    return {
        "client_id": brand.CLIENT_ID,
        "client_secret": brand.CLIENT_SECRET,
        "brand": brand.SLUG,
        "venue_id": brand.VENUE_ID,
    }


def prepare_create(
    client: httpx.Client, document: dict[str, Any]
) -> tuple[dict[str, str], bytes, dict[str, Any]]:
    """Log in, price the create body with /orders/calculate (so that orderTotal is right and the order
    draws no warning), and create one order to check the path end to end."""
    token = _json(client.post("/open-api/auth", json=login_body()), "POST /open-api/auth")["token"]
    headers = {"x-token": token, "x-brand": brand.SLUG, "x-venue": str(brand.VENUE_ID)}
    body = brand.create_body(document)
    draft = _json(
        client.post("/open-api/orders/calculate", content=brand.dumps(body), headers=headers),
        "POST /open-api/orders/calculate",
    )["data"]
    pricing = draft["pricing"]
    if not (pricing["discount"] > 0 and pricing["service_charge"] > 0):
        raise BenchError(f"the bench order should carry a discount and a service charge: {pricing}")
    body["payload"]["meta"]["orderTotal"] = f"{draft['total']:.4f}"
    raw = brand.dumps(body).encode()
    created = _json(
        client.post(
            "/open-api/orders",
            content=raw,
            headers={**headers, "Idempotency-Key": f"bench-check-{secrets.token_hex(4)}"},
        ),
        "POST /open-api/orders",
        status=201,
    )["data"]
    if created["warnings"]:
        raise BenchError(f"the bench order draws warnings: {created['warnings']}")
    lines = body["payload"]["products"]
    shape = {
        "order_id": created["id"],
        "lines": len(lines),
        "modifiers_per_line": sorted({len(line["product_modificators"]) for line in lines}),
        "total": draft["total"],
        "pricing": {
            k: pricing[k] for k in ("subtotal", "discount", "service_charge", "i_tax", "e_tax", "total")
        },
        "body_bytes": len(raw),
    }
    return headers, raw, shape


def prepare_v2(client: httpx.Client) -> dict[str, str]:
    """A v2 token (the events feed is v2 only): the bench client with the bench integrator."""
    login = {k: v for k, v in login_body().items() if k != "venue_id"}
    answer = _json(
        client.post("/open-api/v2/auth", json={**login, "integrator_id": brand.INTEGRATOR_ID}),
        "POST /open-api/v2/auth",
    )
    if not answer.get("success"):
        raise BenchError(f"POST /open-api/v2/auth: {answer}")
    return {"x-token": str(answer["token"])}


def check_get(server: Server, path: str, headers: dict[str, str]) -> httpx.Response:
    """One GET before the load: a scenario whose request fails is not measured."""
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        answer = client.get(path, headers=headers)
    if answer.status_code != 200:
        raise BenchError(f"GET {path} on {server.name}: HTTP {answer.status_code}: {answer.text[:500]}")
    return answer


def prime(server: Server, headers: dict[str, str], body: bytes) -> None:
    """Load the catalogue snapshot in every worker before any load arrives: 8 price-only requests per
    worker, each on a new connection, so that the kernel spreads them over the workers.

    A worker that meets a burst of creates with a cold snapshot can deadlock its pool: every request holds
    its transaction's connection while it waits for the snapshot, whose loader needs one more connection
    (docs/performance.md, "A deadlock under load"). The bench measures the steady state, so it warms first.
    """
    for _ in range(8 * server.workers):
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            answer = client.post(
                "/open-api/orders/calculate", content=body, headers={**headers, "Connection": "close"}
            )
        _json(answer, "POST /open-api/orders/calculate")


def prepare_replay(client: httpx.Client, headers: dict[str, str], body: bytes) -> dict[str, str]:
    key = f"bench-replay-{secrets.token_hex(6)}"
    replay_headers = {**headers, "Idempotency-Key": key}
    _json(client.post("/open-api/orders", content=body, headers=replay_headers), "first replay request", 201)
    again = client.post("/open-api/orders", content=body, headers=replay_headers)
    if again.status_code != 201 or again.headers.get("idempotent-replayed") != "true":
        raise BenchError(f"the same key did not replay: HTTP {again.status_code} {dict(again.headers)}")
    return replay_headers


# ------------------------------------------------------------------------------ the report


def _ms(microseconds: float) -> str:
    ms = microseconds / 1000
    return f"{ms:.1f} ms" if ms < 100 else f"{ms:.0f} ms"


def _mb(kib: int) -> str:
    return f"{kib / 1024:.0f} MB"


def versus(by_key: dict[str, Scenario], scenario: Scenario) -> dict[str, float] | None:
    """Ours against the baseline of the same request: requests/s ours / baseline, and CPU per request
    baseline / ours (both 1.0 when we cost what the bare stack costs)."""
    base = by_key.get(BASELINE_OF.get(scenario.key, ""))
    if scenario.is_baseline or base is None or not base.rps or not scenario.rps:
        return None
    ours_cpu, base_cpu = cpu_per_request(scenario), cpu_per_request(base)
    return {
        "requests": round(scenario.rps / base.rps, 3),
        "cpu": round(base_cpu / ours_cpu, 3) if ours_cpu and base_cpu else 0.0,
    }


def table(scenarios: list[Scenario], *, in_process_db: bool = False) -> str:
    cpu_head = "CPU ms/req" if in_process_db else "CPU ms/req app+db"
    head = (
        "scenario",
        "requests/s",
        "p50",
        "p99",
        "max",
        "errors",
        cpu_head,
        "vs baseline",
        "peak RSS/worker",
    )
    by_key = {s.key: s for s in scenarios}
    rows: list[tuple[str, ...]] = []
    for s in scenarios:
        if not s.available or s.result is None:
            rows.append((s.label, "not available", "", "", "", "", "", "", s.note))
            continue
        r = s.result
        errors = str(s.errors)
        detail = []
        if r["status_5xx"]:
            detail.append(f"5xx: {r['status_5xx']}")
        if s.socket_errors:
            detail.append(f"socket: {s.socket_errors}")
        if r["not_replayed"]:
            detail.append(f"not replayed: {r['not_replayed']}")
        if detail:
            errors += f" ({', '.join(detail)})"
        rss = " / ".join(_mb(v) for _, v in sorted(s.rss_kib.items())) or "-"
        lat = r["latency_us"]
        cpu = f"{s.cpu_ms_per_request('server_s'):.2f}"
        if not in_process_db:
            cpu += f" + {s.cpu_ms_per_request('db_s'):.2f}"
        latencies = (_ms(lat["p50"]), _ms(lat["p99"]), _ms(lat["max"]))
        ratios = versus(by_key, s)
        against = "(baseline)" if s.is_baseline else "-"
        if ratios is not None:
            against = f"{ratios['requests']:.2f}, {ratios['cpu']:.2f}"
        rows.append((s.label, f"{s.rps:,.0f}", *latencies, errors, cpu, against, rss))
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    numeric = {1, 2, 3, 4, 6, 7}

    def line(cells: tuple[str, ...]) -> str:
        return (
            "| "
            + " | ".join(
                c.rjust(w) if i in numeric else c.ljust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
            + " |"
        )

    rule = (
        "|"
        + "|".join(("-" * (w + 1) + ":") if i in numeric else ("-" * (w + 2)) for i, w in enumerate(widths))
        + "|"
    )
    return "\n".join([line(head), rule, *(line(row) for row in rows)])


def webhook_scenario(
    wrk: str,
    config: Config,
    server: Server,
    context: tuple[BenchDatabase, RssSampler, Path, dict[str, str]],
    request: tuple[dict[str, str], bytes],
    scenarios: list[Scenario],
    extra: dict[str, Any],
) -> None:
    """create-order with one active webhook endpoint (order.created) at a local receiver: wrk's
    throughput, the time the deliveries trailed the load (and the CPU per order with it), then the lag at
    90% of that rate for the configured duration (bench/webhook_bench.py). Last of the run: the endpoint
    stays active once added."""
    db, sampler, tmp, env = context
    headers, body = request
    with webhook_bench.receiver() as (url, arrivals):
        # create-order without an endpoint, on the database as it is now: the comparison the target asks
        # for, with nothing else changed (the run's create scenario ran first, on smaller tables)
        before = Scenario(
            "webhook-off", "create-order, no endpoint (just before)", "POST", "/open-api/orders",
            "create-order.lua", headers, body,
        )  # fmt: skip
        scenarios.append(before)
        measure(wrk, config, server, before, sampler, db, tmp)
        add_webhook_endpoint(env, url)
        scenario = Scenario(
            "webhook", "create-order + 1 webhook endpoint", "POST", "/open-api/orders", "create-order.lua",
            headers, body,
        )  # fmt: skip
        scenarios.append(scenario)
        orders_before = db.execute("SELECT count(*) FROM orders")
        measure(wrk, config, server, scenario, sampler, db, tmp)
        written = db.execute("SELECT count(*) FROM orders") - orders_before
        meter = CpuMeter(db, server.worker_pids)
        meter.start()
        drained = webhook_bench.drain(arrivals, written)  # the warm-up's orders and the run's
        trailing = meter.stop()
        shown = "never all" if drained is None else f"all {drained:.1f} s after the load stopped"
        log(f"webhook: {written} orders in the run and its warm-up, delivered {shown}")
        rate = 0.9 * scenario.rps if scenario.rps else 50.0
        log(f"webhook: the lag at {rate:.0f} creates/s for {config.duration} s")
        meter = CpuMeter(db, server.worker_pids)
        meter.start()
        lagged = webhook_bench.lag(server.base_url, headers, body, arrivals, rate, config.duration)
        paced = meter.stop()
        per_order = 1000 / max(scenario.result["requests"] if scenario.result else 0, 1)
        with_drain = {
            part: round(per_order * (scenario.cpu.get(part, 0.0) + trailing[part]), 2)
            for part in ("server_s", "db_s")
        }
        extra["webhook"] = {
            "orders_in_run": written,
            "drained_after_s": None if drained is None else round(drained, 2),
            "cpu_ms_per_order_with_drain": with_drain,
            "deliveries": arrivals.count,
            "duplicates": arrivals.count - arrivals.size(),
            "lag": lagged,
            "lag_cpu_ms_per_order": cpu_ms_per(paced, lagged["orders"]),
        }
        later = LaterPhases(wrk, config, server, db, tmp, scenario, arrivals)
        extra["webhook"]["drained_alone"] = drain_alone(later)
        extra["webhook"]["alternating"] = alternating(later)


def cpu_ms_per(used: Mapping[str, float], count: int, places: int = 2) -> dict[str, float]:
    """The workers' and the database's CPU (``CpuMeter.stop``'s seconds) in milliseconds per one of
    ``count`` (creates, deliveries)."""
    return {part: round(1000 * used[part] / max(count, 1), places) for part in ("server_s", "db_s")}


@dataclass(frozen=True)
class LaterPhases:
    """What the webhook scenario's last two phases share: wrk and its create scenario, the server, its
    database, and what the receiver got."""

    wrk: str
    config: Config
    server: Server
    db: BenchDatabase
    tmp: Path
    scenario: Scenario
    arrivals: webhook_bench.Arrivals

    def creates(self, seconds: int) -> tuple[int, float]:
        """wrk's creates for ``seconds``: how many were answered 2xx, over how many seconds (wrk's own)."""
        result = run_wrk(self.wrk, self.config, self.server, self.scenario, seconds, self.tmp)
        return int(result["ok_2xx"]), result["duration_us"] / 1e6

    def meter(self) -> CpuMeter:
        """The workers' and the database's CPU, counted from now."""
        meter = CpuMeter(self.db, self.server.worker_pids)
        meter.start()
        return meter


# Pairs of short create runs, without the endpoint and with it, in the order without-with, with-without,
# ... (ABBA): a drift of the machine or of the growing tables during the phase then weighs on both sides
# alike, where always running "without" first put it all on "with" (an A/A check, both runs of each pair
# without the endpoint, kept 96.4% and 98.4% with the fixed order: docs/webhooks.md, "how precise").
_DISABLE = "UPDATE webhook_endpoints SET enabled = false"
_ENABLE_FROM_NEWEST = (
    "UPDATE webhook_endpoints SET enabled = true, cursor = (SELECT coalesce(max(seq), 0) FROM events)"
)
_SWITCHES = {"without": _DISABLE, "with": _ENABLE_FROM_NEWEST}


def alternating(run: LaterPhases) -> dict[str, Any]:
    """The kept share measured so that neither the machine's drift nor the deliveries' tail flatters it:
    ``BENCH_ALTERNATIONS`` pairs of short wrk runs without the endpoint (disabled) and with it (enabled
    from the newest event on), in ABBA order, and a run with it lasts until its last order's delivery arrived
    (its rate: its orders over that time; its CPU includes the drain). Each pair's own ratio is kept too:
    their spread is the measurement's resolution (a pair of 10 s runs varies by about 9% here)."""
    seconds = max(5, run.config.duration // 2)
    totals = {
        side: {"orders": 0, "seconds": 0.0, "server_s": 0.0, "db_s": 0.0} for side in ("without", "with")
    }
    tails = []  # each run with the endpoint: deliveries still owed when wrk stopped, and how long they took
    pairs = []  # each pair's rates a second, without and with
    count = run.config.alternations
    log(f"webhook: {count} pairs of {seconds} s create runs, without and with the endpoint (ABBA)")
    for pair in range(count):
        rates: dict[str, float] = {}
        for side in ("without", "with") if pair % 2 == 0 else ("with", "without"):
            run.db.execute(_SWITCHES[side])
            time.sleep(0.5)  # the dispatcher's next round sees it
            delivered = run.arrivals.size()
            meter = run.meter()
            orders, took = run.creates(seconds)
            if side == "with":
                owed = delivered + orders - run.arrivals.size()
                drained = webhook_bench.drain(run.arrivals, delivered + orders)
                tails.append({"owed": owed, "seconds": None if drained is None else round(drained, 2)})
                took += float("nan") if drained is None else drained  # never all: no rate to show
            used = meter.stop()
            rates[side] = orders / took
            total = totals[side]
            total["orders"] += orders
            total["seconds"] += took
            total["server_s"] += used["server_s"]
            total["db_s"] += used["db_s"]
        pairs.append({side: round(rate, 1) for side, rate in rates.items()})
    cpu = {side: cpu_ms_per(total, int(total["orders"])) for side, total in totals.items()}
    return {
        "pairs": count,
        "seconds": seconds,
        "requests_per_s": {side: total["orders"] / total["seconds"] for side, total in totals.items()},
        "cpu_ms_per_create": cpu,
        "tails": tails,
        "per_pair": pairs,
    }


def drain_alone(run: LaterPhases) -> dict[str, Any]:
    """What the deliveries cost by themselves: the endpoint is held by a sender lease no instance owns
    (nothing is sent) while wrk creates orders for the run's duration; then the lease is cleared and the
    workers' and the database's CPU is measured until every one of those orders has arrived. The creates'
    cost, and the machine's mood during them, stay out of this figure."""
    run.db.execute("UPDATE webhook_endpoints SET sender = 'bench-hold', sender_until = 9000000000000000")
    time.sleep(1.0)  # the instance's sender sees the lease and stops
    delivered = run.arrivals.size()
    log(f"webhook: deliveries held back while wrk creates orders for {run.config.duration} s")
    held = run.meter()
    backlog, seconds = run.creates(run.config.duration)
    creating = held.stop()
    meter = run.meter()
    run.db.execute("UPDATE webhook_endpoints SET sender = NULL, sender_until = NULL")
    drained = webhook_bench.drain(run.arrivals, delivered + backlog)
    used = meter.stop()
    log(
        f"webhook: {backlog} held-back deliveries "
        + ("never all arrived" if drained is None else f"sent in {drained:.1f} s")
    )
    return {
        "deliveries": backlog,
        "seconds": None if drained is None else round(drained, 2),
        "cpu_ms_per_delivery": cpu_ms_per(used, backlog, places=3),
        # the creates meanwhile (the endpoint enabled, nothing sent): what a create costs beside an
        # endpoint that is not being sent to, against the alternating phase's runs without and with it
        "held_creates_per_s": round(backlog / seconds, 1) if seconds else None,
        "held_cpu_ms_per_create": cpu_ms_per(creating, backlog),
    }


def _pair_shares(turns: dict[str, Any]) -> str:
    """Each alternating pair's own kept share, in the order they ran; with several pairs, their mean and
    its standard error (the pairs' standard deviation over the square root of their number): how far
    the pooled figure may be from what more pairs would show."""
    shares = [100 * pair["with"] / pair["without"] for pair in turns["per_pair"]]
    shown = ", ".join(f"{share:.0f}%" for share in shares)
    if len(shares) < 2:
        return shown
    error = statistics.stdev(shares) / math.sqrt(len(shares))
    return f"{shown}; their mean {statistics.fmean(shares):.1f}%, standard error {error:.1f} points"


def _tails(tails: list[dict[str, Any]]) -> str:
    """Each run with the endpoint: what was still owed when wrk stopped, and how long it took to arrive
    (that time counts in the run's rate: at saturation the sender falls behind the creates)."""
    shown = []
    for tail in tails:
        took = "never all arrived" if tail["seconds"] is None else f"{tail['seconds']:.1f} s"
        shown.append(f"{tail['owed']:,} ({took})")
    return ", ".join(shown)


def webhook_targets(by_key: dict[str, Scenario], extra: dict[str, Any]) -> list[str]:
    """The webhook scenario's lines: throughput kept, drain, and the lag."""
    hook, found = by_key.get("webhook"), extra.get("webhook")
    before, create = by_key.get("webhook-off"), by_key.get("create")
    if hook is None or found is None:
        return []
    lines = []
    if before is not None and before.rps:
        kept = hook.rps / before.rps
        first = ""
        if create is not None and create.rps:
            first = f"; {100 * hook.rps / create.rps:.0f}% of the run's first create"
        lines.append(
            f"create with 1 webhook endpoint >= 90% of create without, just before: {100 * kept:.0f}% "
            f"({hook.rps:,.0f} / {before.rps:,.0f} requests/s{first}), {'met' if kept >= 0.9 else 'MISSED'}"
        )
    turns = found.get("alternating")
    if turns is not None:
        without, with_ = turns["requests_per_s"]["without"], turns["requests_per_s"]["with"]
        kept = with_ / without if without else float("nan")
        off, on = turns["cpu_ms_per_create"]["without"], turns["cpu_ms_per_create"]["with"]
        lines.append(
            f"create with 1 webhook endpoint, {turns['pairs']} alternating pairs of {turns['seconds']} s "
            f"runs, ABBA (each run with it lasting until its deliveries arrived): {100 * kept:.0f}% "
            f"({with_:,.0f} / {without:,.0f} requests/s; CPU ms per create {off['server_s']:.2f} + "
            f"{off['db_s']:.2f} without, {on['server_s']:.2f} + {on['db_s']:.2f} with; deliveries owed "
            f"when wrk stopped: {_tails(turns['tails'])}; each pair: {_pair_shares(turns)}), "
            f"{'met' if kept >= 0.9 else 'MISSED'}"
        )
    drained, cpu = found["drained_after_s"], found["cpu_ms_per_order_with_drain"]
    lines.append(
        f"webhook deliveries of the wrk run ({found['orders_in_run']} orders): "
        + ("never all arrived" if drained is None else f"all arrived {drained:.1f} s after the load stopped")
        + f"; {found['duplicates']} duplicates; CPU ms/order with the drain {cpu['server_s']:.2f} + "
        f"{cpu['db_s']:.2f}"
    )
    alone = found.get("drained_alone")
    if alone is not None:
        cpu = alone["cpu_ms_per_delivery"]
        lines.append(
            f"webhook deliveries drained alone ({alone['deliveries']} held back, then released): "
            + (
                "never all arrived"
                if alone["seconds"] is None
                else f"all arrived in {alone['seconds']:.1f} s"
            )
            + f"; CPU ms per delivery {cpu['server_s']:.3f} + {cpu['db_s']:.3f}"
        )
        held = alone["held_cpu_ms_per_create"]
        lines.append(
            f"webhook creates while the deliveries were held back: {alone['held_creates_per_s']:,.0f} "
            f"requests/s, CPU ms per create {held['server_s']:.2f} + {held['db_s']:.2f}"
        )
    lag = found["lag"]
    if lag["p50_s"] is not None:
        ok = lag["over_5s"] == 0 and lag["never"] == 0 and lag["failed_creates"] == 0
        p50, p99, worst = (1000 * lag[k] for k in ("p50_s", "p99_s", "max_s"))
        lines.append(
            f"webhook lag at {lag['rate_per_s']:.0f} creates/s ({lag['orders']} orders sent over "
            f"{lag['sending_s']:.1f} s, {lag['achieved_rate_per_s']:.0f}/s): p50 {p50:.0f} ms, p99 {p99:.0f} "
            f"ms, max {worst:.0f} ms (create's own p50 {1000 * lag['create_p50_s']:.0f} ms); every event "
            f"within 5 s: {'met' if ok else 'MISSED'} ({lag['over_5s']} over, {lag['never']} never, "
            f"{lag['failed_creates']} creates failed{_kinds(lag.get('failures', {}))})"
        )
    return lines


def _kinds(failures: dict[str, int]) -> str:
    """``: status 503 x3, connection: ConnectionResetError x1`` (nothing when none failed)."""
    return ": " + ", ".join(f"{kind} x{n}" for kind, n in sorted(failures.items())) if failures else ""


def cpu_per_request(scenario: Scenario) -> float:
    return scenario.cpu_ms_per_request("server_s") + scenario.cpu_ms_per_request("db_s")


def targets(config: Config, by_key: dict[str, Scenario], hwm_kib: dict[int, int]) -> list[str]:
    """Issue 18's targets, each as met or MISSED with its figures (a scenario that did not run: not
    measured). The PostgreSQL targets on a PostgreSQL run, the SQLite ones on a SQLite run."""
    lines: list[str] = []

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    def ratio_line(what: str, key: str, floor: float, *, cpu_too: bool = False) -> None:
        ours = by_key.get(key)
        base = by_key.get(BASELINE_OF.get(key, ""))
        ratios = None if ours is None else versus(by_key, ours)
        if ours is None or base is None or ratios is None:
            if ours is not None or base is not None:
                lines.append(
                    f"{what} >= {floor} of its baseline: not measured (it or its baseline did not run)"
                )
            return
        figures = (
            f"requests/s {ratios['requests']:.2f} ({ours.rps:,.0f} / {base.rps:,.0f}), "
            f"CPU {ratios['cpu']:.2f} ({cpu_per_request(base):.2f} / {cpu_per_request(ours):.2f} ms)"
        )
        ok = ratios["requests"] >= floor and (ratios["cpu"] >= floor or not cpu_too)
        which = "requests/s and CPU" if cpu_too else "requests/s"
        lines.append(f"{what}: {which} >= {floor} of its baseline: {figures}, {verdict(ok)}")

    def p99_line(what: str, key: str) -> None:
        scenario = by_key.get(key)
        if scenario is None or not scenario.result or not scenario.result["requests"]:
            return
        p99 = scenario.result["latency_us"]["p99"] / 1000
        connections = scenario.connections or config.connections
        lines.append(f"{what} p99 < 50 ms at {connections} connections: {p99:.1f} ms, {verdict(p99 < 50)}")

    if config.backend == "postgres":
        ratio_line("create-order", "create", 0.5, cpu_too=True)
        p99_line("create-order", "create")
        ratio_line("create-order replay", "replay", 0.8)
        ratio_line(by_key["orders"].label if "orders" in by_key else "GET /orders?limit=50", "orders", 0.5)
        ratio_line(
            by_key["orders-large"].label if "orders-large" in by_key else "GET /orders?limit=50, large",
            "orders-large",
            0.5,
        )
        ratio_line("GET /products?limit=100&with[]=modificator_groups", "products", 0.5)
        ratio_line("GET /orders/{id}", "order", 0.6)
    else:
        small = "create" if config.connections == SMALL_CONNECTIONS else "create-8"
        if small != "create":
            ratio_line(f"SQLite create-order at {config.connections} connections", "create", 0.3)
            p99_line("SQLite create-order", "create")
        if small in by_key:
            ratio_line(f"SQLite create-order at {SMALL_CONNECTIONS} connections", small, 0.3)
            p99_line("SQLite create-order", small)
        elif "create" in by_key:
            lines.append(
                f"SQLite create-order at {SMALL_CONNECTIONS} connections: not measured (run create-8)"
            )
    if hwm_kib:
        peak = max(hwm_kib.values())
        lines.append(f"peak memory < 200 MB per worker: {_mb(peak)}, {verdict(peak < 200 * 1024)}")
    return lines


# ------------------------------------------------------------------------------ the run


def header(
    config: Config, info: dict[str, Any], db: BenchDatabase, wrk: str, extra: dict[str, Any]
) -> list[str]:
    mode = "quick" if config.quick else "full"
    lines = [
        "",
        f"clopos-server bench, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC ({mode} run)",
        f"machine   {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB RAM; "
        f"Linux {info['kernel']}, Python {info['python']}",
        f"          load average before the run: {extra.get('loadavg_at_start', '?')}",
        f"database  {db.describe()}",
        f"server    clopos-server serve, {config.workers} worker(s) (uvicorn, uvloop, httptools); "
        "CLOPOS_RATE_LIMITS=off, CLOPOS_LOG_LEVEL=warning",
        f"load      {wrk_version(wrk)}, {config.threads} thread(s), {config.connections} connections, "
        f"{config.duration} s per scenario after {config.warmup} s warm-up; server, database and wrk "
        "on this machine",
    ]
    shape = extra.get("create_body")
    if shape:
        lines.append(
            f"order     {shape['lines']} lines x {shape['modifiers_per_line'][0]} modifiers, 10% discount, "
            f"{brand.SERVICE_CHARGE_RATE}% service charge, {shape['body_bytes']} bytes; "
            "a fresh Idempotency-Key per request"
        )
    return lines


def clopos_command(*args: str) -> list[str]:
    script = Path(sys.executable).parent / "clopos-server"
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "clopos_server.cli", *args]


def run_cli(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(clopos_command(*args), env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BenchError(
            f"clopos-server {' '.join(args)} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
        )
    return result.stdout


def add_webhook_endpoint(env: dict[str, str], url: str) -> None:
    """The bench brand's one endpoint, for order.created, at ``url`` (the webhook scenario's receiver)."""
    run_cli(env, "webhooks", "add", "--brand", brand.SLUG, "--url", url, "--events", "order.created")


def server_env(config: Config, db: BenchDatabase, port: int | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "CLOPOS_DATABASE_URL": db.url,
        "CLOPOS_RATE_LIMITS": "off",
        "CLOPOS_LOG_LEVEL": "warning",
        "CLOPOS_WORKERS": str(config.workers),
        "CLOPOS_HOST": "127.0.0.1",
        "CLOPOS_WEBHOOK_ALLOW_HTTP": "true",  # the webhook scenario's receiver is on 127.0.0.1
        "CLOPOS_WEBHOOK_ALLOW_PRIVATE": "true",
    }
    if port is not None:
        env["CLOPOS_PORT"] = str(port)
    return env


def baseline_server(
    config: Config, db: BenchDatabase, tmp: Path, extra_env: dict[str, str] | None = None
) -> Server:
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "app:create_app", "--factory",
        "--app-dir", str(BENCH_DIR / "baseline"),
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(config.workers),
        "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    env = {**os.environ, "BASELINE_DATABASE_URL": db.url, **(extra_env or {})}
    driver = "asyncpg" if db.backend == "postgres" else "aiosqlite"
    return Server(
        f"baseline (Starlette + {driver})", command, env, port, config.workers, tmp / "baseline.log"
    )


def clopos_server(config: Config, db: BenchDatabase, tmp: Path) -> Server:
    port = free_port()
    command = clopos_command(
        "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(config.workers)
    )
    return Server(
        "clopos-server", command, server_env(config, db, port), port, config.workers, tmp / "server.log"
    )


@dataclass
class Bench:
    """What every measurement of one run shares: the tools, the database, the servers started and the
    scenarios measured so far (in the order the table shows them)."""

    wrk: str
    config: Config
    db: BenchDatabase
    tmp: Path
    sampler: RssSampler
    servers: list[Server]
    scenarios: list[Scenario]
    extra: dict[str, Any]

    def measure(self, server: Server, scenario: Scenario) -> None:
        if not any(s is scenario for s in self.scenarios):
            self.scenarios.append(scenario)
        measure(self.wrk, self.config, server, scenario, self.sampler, self.db, self.tmp)

    def baselines(self, todo: list[Scenario], env: dict[str, str]) -> None:
        """Start the baseline app, measure ``todo`` on it, stop it (our server idles meanwhile)."""
        if not todo:
            return
        base = baseline_server(self.config, self.db, self.tmp, env)
        self.servers.append(base)
        base.start()
        try:
            for scenario in todo:
                if scenario.method == "GET":
                    check_get(base, scenario.path, scenario.headers)
                self.measure(base, scenario)
        finally:
            hwm = self.extra.setdefault("baseline_hwm_kib", {})
            for pid in base.worker_pids:
                hwm[str(pid)] = max(hwm.get(str(pid), 0), self.sampler.hwm.get(pid, 0))
            base.stop()
            for pid in base.worker_pids:
                self.sampler.hwm.pop(pid, None)


def run(config: Config) -> int:
    started = time.monotonic()
    wrk = ensure_wrk()
    info = machine()
    tmp = Path(tempfile.mkdtemp(prefix="clopos-bench-"))
    db = BenchDatabase(config, tmp)
    sampler = RssSampler()
    servers: list[Server] = []
    scenarios: list[Scenario] = []
    failures: list[str] = []
    extra: dict[str, Any] = {}
    with contextlib.suppress(OSError):
        extra["loadavg_at_start"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    try:
        log(f"creating the database ({config.backend})")
        db.create()
        env = server_env(config, db)
        run_cli(env, "migrate")
        document = brand.brand_document()
        brand_file = tmp / "brand.json"
        brand_file.write_text(brand.dumps(document), encoding="utf-8")
        log("importing the bench brand (500 products, 50 modifier groups, 2,000 customers)")
        run_cli(env, "import", str(brand_file))
        from baseline.app import POSTGRES_TABLES, SQLITE_TABLES

        for statement in SQLITE_TABLES if db.backend == "sqlite" else POSTGRES_TABLES:
            db.execute(statement)
        seeder = seed.Seeder(db.backend, db.url, getattr(db, "path", None))

        ours = clopos_server(config, db, tmp)
        servers.append(ours)
        ours.start()
        chosen = set(config.scenarios)
        with httpx.Client(base_url=ours.base_url, timeout=30) as client:
            headers, body, shape = prepare_create(client, document)
            extra["create_body"] = shape
            replay_headers = prepare_replay(client, headers, body) if "replay" in chosen else {}
            probe = client.get(PRODUCTS_PATH, headers=headers) if "products" in chosen else None
            v2_headers = prepare_v2(client) if "events" in chosen else {}
        products_file = None
        if probe is not None and probe.status_code == 200:
            products_file = tmp / "products.json"
            products_file.write_bytes(probe.content)
        if os.environ.get("BENCH_PRIME", "1") != "0":
            prime(ours, headers, body)
        context = Bench(wrk, config, db, tmp, sampler, servers, scenarios, extra)

        def create(key: str, label: str, script: str, hdrs: dict[str, str], **kw: Any) -> Scenario:
            return Scenario(key, label, "POST", "/open-api/orders", script, hdrs, body, **kw)

        eight = "create-8" in chosen and config.connections != SMALL_CONNECTIONS
        # the create baselines first, on the fresh database, while our server idles (its background work,
        # a directory refresh per second, costs well under 1% of a core)
        if "baseline" in chosen:
            todo = [create("baseline", "baseline create-order", "create-order.lua", {}, is_baseline=True)]
            if eight:
                label = f"baseline create-order, {SMALL_CONNECTIONS} connections"
                todo.append(
                    create("baseline-8", label, "create-order.lua", {}, is_baseline=True, connections=8)
                )
            context.baselines(todo, {})
            extra["baseline_rows"] = db.execute("SELECT count(*) FROM bench_baseline_orders")

        plan = [
            create("create", "create-order", "create-order.lua", headers),
            create(
                "create-8",
                f"create-order, {SMALL_CONNECTIONS} connections",
                "create-order.lua",
                headers,
                connections=SMALL_CONNECTIONS,
            ),
            create("replay", "create-order replay", "replay.lua", replay_headers),
        ]
        for scenario in plan:
            if scenario.key not in chosen or (scenario.key == "create-8" and not eight):
                continue
            orders_before = db.execute("SELECT count(*) FROM orders")
            context.measure(ours, scenario)
            if scenario.key != "replay" and scenario.result:
                written = db.execute("SELECT count(*) FROM orders") - orders_before
                extra[f"orders_written_by_{scenario.key}"] = written
                if written < scenario.result["ok_2xx"]:
                    answered = scenario.result["ok_2xx"]
                    failures.append(f"{scenario.label}: {answered} answers 201 but {written} orders written")

        # the reads, over the orders written so far; their baselines over copies of them
        brand_id = seeder.brand_id(brand.SLUG)
        feed = f"/open-api/v2/events?after={seeder.feed_cursor(brand_id, FEED_BACK)}&limit={FEED_LIMIT}"
        orders_now = seeder.count("orders")

        def get(key: str, label: str, path: str, hdrs: dict[str, str]) -> Scenario:
            return Scenario(key, label, "GET", path, "get.lua", hdrs)

        reads = [
            get("order", "GET /orders/{id}", f"/open-api/orders/{shape['order_id']}", headers),
            get(
                "orders",
                f"GET /orders?limit=50, {orders_now:,} order{'s' * (orders_now != 1)}",
                ORDERS_PATH,
                headers,
            ),
            get("products", "GET /products?limit=100&with[]=modificator_groups", PRODUCTS_PATH, headers),
            get("events", f"GET /v2/events, a page of {FEED_LIMIT}", feed, v2_headers),
            Scenario(
                "auth",
                "POST /auth",
                "POST",
                "/open-api/auth",
                "auth.lua",
                {},
                json.dumps(login_body()).encode(),
            ),
        ]
        reads = [s for s in reads if s.key in chosen]
        for scenario in reads:
            if scenario.key == "products" and probe is not None and probe.status_code == 404:
                scenario.available = False
                scenario.note = "GET /open-api/products answers 404 (not built yet)"
        if "baseline" in chosen:
            copied = (seeder.fill_reads(), seeder.fill_events())
            log(f"read baselines: {copied[0]:,} orders and {copied[1]:,} events copied")
            # the baselines' tables were empty at the last ANALYZE: with no statistics PostgreSQL sorted
            # the whole table per page (752 ms of database CPU per list at 14,087 rows; wrk timed out)
            seeder.settle()
            baseline_env = {"BASELINE_BRAND_ID": str(brand_id)}
            if products_file is not None:
                baseline_env["BASELINE_PRODUCTS_FILE"] = str(products_file)
            todo = [
                Scenario(
                    BASELINE_OF[s.key], f"baseline {s.label}", s.method, s.path, s.script, s.headers, s.body,
                    is_baseline=True,
                )
                for s in reads
                if s.key in BASELINE_OF and s.available
            ]  # fmt: skip
            context.baselines(todo, baseline_env)
        for scenario in reads:
            scenarios.append(scenario)
            if not scenario.available:
                log(f"{scenario.label}: not available")
                continue
            if scenario.method == "GET":
                check_get(ours, scenario.path, scenario.headers)
            context.measure(ours, scenario)

        if "orders-large" in chosen:
            large = Scenario(
                "orders-large",
                f"GET /orders?limit=50, {config.large_orders:,} orders",
                "GET",
                ORDERS_PATH,
                "get.lua",
                headers,
            )
            add = config.large_orders - seeder.count("orders")
            log(f"cloning order {shape['order_id']} {add:,} times (with its history row and its event)")
            clone_started = time.monotonic()
            if "baseline" in chosen:
                seeder.fill_reads()  # the orders written since the read baselines (the template at least)
            seeder.clone_orders(shape["order_id"], add, baseline="baseline" in chosen)
            seeder.settle()
            extra["large_orders"] = {
                "orders": seeder.count("orders"),
                "cloned": max(add, 0),
                "baseline_rows": seeder.count("bench_baseline_reads") if "baseline" in chosen else 0,
                "seconds": round(time.monotonic() - clone_started, 1),
            }
            log(f"cloned in {extra['large_orders']['seconds']} s")
            if "baseline" in chosen:
                context.baselines(
                    [
                        Scenario(
                            "baseline-orders-large", f"baseline {large.label}", "GET", ORDERS_PATH, "get.lua",
                            headers, is_baseline=True,
                        )
                    ],
                    {"BASELINE_BRAND_ID": str(brand_id)},
                )  # fmt: skip
            scenarios.append(large)
            check_get(ours, ORDERS_PATH, headers)
            context.measure(ours, large)

        if "webhook" in chosen:
            webhook_scenario(wrk, config, ours, (db, sampler, tmp, env), (headers, body), scenarios, extra)
        extra["server_errors_logged"] = ours.errors_logged()[:20]
    except (BenchError, seed.SeedError) as exc:
        failures.append(str(exc))
    finally:
        for server in servers:
            server.stop()
        sampler.close()
        if not config.keep_db:
            db.drop()
        shutil.rmtree(tmp, ignore_errors=True)

    for s in scenarios:
        if s.available and s.result is not None and s.errors:
            failures.append(f"{s.label}: {s.errors} error(s); first: {s.result['sample'] or 'socket errors'}")
        if s.available and s.result is not None and not s.result["requests"]:
            failures.append(f"{s.label}: {s.note}")
    by_key = {s.key: s for s in scenarios}
    ratio = None
    if "create" in by_key and "baseline" in by_key and by_key["baseline"].rps:
        ratio = by_key["create"].rps / by_key["baseline"].rps
    ours_hwm = {
        pid: kib
        for pid, kib in sampler.hwm.items()
        if any(pid in s.rss_kib for s in scenarios if not s.is_baseline)
    }

    mode = "quick" if config.quick else "full"
    for line in header(config, info, db, wrk, extra):
        print(line)
    print()
    print(table(scenarios, in_process_db=db.backend == "sqlite"))
    print(
        "\nvs baseline: ours / baseline of requests/s, then baseline / ours of CPU ms per request (1.00: as "
        "cheap as the bare stack), against the same request on bench/baseline/app.py"
    )
    busy = [s for s in scenarios if s.cpu and s.cpu["wall_s"]]
    if busy:
        cores = os.cpu_count() or 1
        other = max(s.cpu["other_s"] / (s.cpu["wall_s"] * cores) for s in busy)
        whose = "the server's workers" + ("" if db.backend == "sqlite" else " + the database backends")
        print(
            f"\nCPU ms/req: {whose}, "
            "per request (the figure that load elsewhere on the machine changes least). Other processes "
            f"used up to {100 * other:.0f}% of the machine during a scenario"
            + (" (a busy machine: throughput is understated)." if other > 0.1 else ".")
        )
    if ours_hwm:
        peaks = ", ".join(_mb(v) for _, v in sorted(ours_hwm.items()))
        print(f"\npeak memory per worker over the run (VmHWM): {peaks}")
    if ratio is not None:
        ours_rps, base_rps = by_key["create"].rps, by_key["baseline"].rps
        rates = f"create-order {ours_rps:,.0f} / {base_rps:,.0f} requests/s"
        print(f"ratio = ours / baseline = {ratio:.2f}  ({rates})")
        ours_cpu, base_cpu = (cpu_per_request(by_key[k]) for k in ("create", "baseline"))
        if ours_cpu and base_cpu:
            print(
                f"        CPU per create-order, app + database: ours {ours_cpu:.2f} ms, baseline "
                f"{base_cpu:.2f} ms (baseline / ours = {base_cpu / ours_cpu:.2f}: the ratio when both are "
                "CPU-bound)"
            )
    elif "baseline" in config.scenarios:
        print("ratio = ours / baseline: not measured (a scenario did not run)")
    target_lines = targets(config, by_key, ours_hwm)
    for line in target_lines + webhook_targets(by_key, extra):
        print(f"target    {line}")
    elapsed = time.monotonic() - started

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "at": datetime.now(UTC).isoformat(),
                "mode": mode,
                "elapsed_s": round(elapsed, 1),
                "machine": info,
                "database": db.describe(),
                "backend": config.backend,
                "workers": config.workers,
                "connections": config.connections,
                "wrk_threads": config.threads,
                "duration_s": config.duration,
                "warmup_s": config.warmup,
                "wrk": wrk_version(wrk),
                "settings": {"CLOPOS_RATE_LIMITS": "off", "CLOPOS_LOG_LEVEL": "warning"},
                "ratio": ratio,
                "cpu_ratio": (
                    cpu_per_request(by_key["baseline"]) / cpu_per_request(by_key["create"])
                    if ratio is not None and cpu_per_request(by_key["create"])
                    else None
                ),
                "peak_hwm_kib_per_worker": {str(k): v for k, v in sorted(ours_hwm.items())},
                "targets": target_lines,
                "scenarios": [
                    {
                        "key": s.key,
                        "label": s.label,
                        "method": s.method,
                        "path": s.path,
                        "available": s.available,
                        "note": s.note,
                        "requests_per_s": round(s.rps, 1),
                        "connections": s.connections or config.connections,
                        "baseline": None if s.is_baseline else BASELINE_OF.get(s.key),
                        "vs_baseline": versus(by_key, s),
                        "errors": s.errors,
                        "peak_rss_kib_per_worker": {str(k): v for k, v in sorted(s.rss_kib.items())},
                        "cpu_s": s.cpu,
                        "cpu_ms_per_request": {
                            "server": round(s.cpu_ms_per_request("server_s"), 3),
                            "db": round(s.cpu_ms_per_request("db_s"), 3),
                        },
                        "wrk": s.result,
                    }
                    for s in scenarios
                ],
                "extra": extra,
                "failures": failures,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"\nraw results: {RESULTS.relative_to(ROOT)}; {elapsed:.0f} s in all")
    if failures:
        print("\nFAILED:", file=sys.stderr)
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    try:
        config = Config.from_env()
    except (BenchError, ValueError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    try:
        return run(config)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
