"""uvicorn against granian, serving the same app on the same database (docs/decisions/0007-http-server.md).

Same setup as ``bench/run`` (a fresh database, the bench brand), then rounds that alternate the two
servers, each started fresh, primed, and measured on create-order and ``GET /orders?limit=50`` with the
bench's wrk scripts; CPU per request is read for the worker processes and the database backends. One
worker each by default (``BENCH_WORKERS``): the figure that matters is CPU per request.

granian is not a dependency: ``.venv/bin/pip install granian`` first.

    .venv/bin/python bench/http_servers.py        # HTTP_ROUNDS (3) rounds, BENCH_DURATION per scenario
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench  # bench/bench.py, next to this file
import brand


class GranianServer(bench.Server):
    """granian runs its workers as child processes even with one: they are what the meter reads."""

    def _find_workers(self) -> list[int]:
        assert self.process is not None
        return sorted(bench._children(self.process.pid))


def granian(config: bench.Config, db: bench.BenchDatabase, tmp: Path) -> bench.Server:
    port = bench.free_port()
    command = [
        str(Path(sys.executable).parent / "granian"),
        "--interface", "asgi", "--factory", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(config.workers), "--loop", "uvloop", "--log-level", "warning", "--no-access-log",
        "clopos_server.app:create_app",
    ]  # fmt: skip
    env = bench.server_env(config, db, port)
    return GranianServer("granian", command, env, port, config.workers, tmp / "granian.log")


def main() -> int:
    config = bench.Config.from_env()
    rounds = int(os.environ.get("HTTP_ROUNDS", "3"))
    wrk = bench.ensure_wrk()
    tmp = Path(tempfile.mkdtemp(prefix="clopos-http-"))
    db = bench.BenchDatabase(config, tmp)
    sampler = bench.RssSampler()
    found: dict[str, dict[str, list[dict[str, float]]]] = {}
    try:
        db.create()
        env = bench.server_env(config, db)
        bench.run_cli(env, "migrate")
        document = brand.brand_document()
        (tmp / "brand.json").write_text(brand.dumps(document), encoding="utf-8")
        bench.run_cli(env, "import", str(tmp / "brand.json"))
        for number in range(rounds):
            for make in (bench.clopos_server, granian):
                server = make(config, db, tmp)
                try:
                    server.start()
                    with httpx.Client(base_url=server.base_url, timeout=30) as client:
                        headers, body, _shape = bench.prepare_create(client, document)
                    bench.prime(server, headers, body)
                    orders, script = "/open-api/orders", "create-order.lua"
                    plan = [
                        bench.Scenario("create", "create-order", "POST", orders, script, headers, body),
                        bench.Scenario("orders", "GET /orders", "GET", bench.ORDERS_PATH, "get.lua", headers),
                    ]
                    for scenario in plan:
                        bench.measure(wrk, config, server, scenario, sampler, db, tmp)
                        result = scenario.result or {}
                        figures = {
                            "rps": round(scenario.rps, 1),
                            "server_ms": round(scenario.cpu_ms_per_request("server_s"), 3),
                            "db_ms": round(scenario.cpu_ms_per_request("db_s"), 3),
                            "p99_ms": result.get("latency_us", {}).get("p99", 0) / 1000,
                            "errors": scenario.errors,
                        }
                        name = "uvicorn" if make is bench.clopos_server else "granian"
                        found.setdefault(name, {}).setdefault(scenario.key, []).append(figures)
                        print(f"round {number + 1} {name:8} {scenario.label:13} {figures}", flush=True)
                finally:
                    server.stop()
    finally:
        sampler.close()
        if not config.keep_db:
            db.drop()
        shutil.rmtree(tmp, ignore_errors=True)
    print()
    summary: dict[str, Any] = {}
    for name, scenarios in found.items():
        for key, runs in scenarios.items():
            fields = ("rps", "server_ms", "db_ms", "p99_ms")
            medians = {f: statistics.median(r[f] for r in runs) for f in fields}
            summary[f"{name} {key}"] = medians
            print(f"median of {len(runs)}: {name:8} {key:7} {medians}")
    bench.RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        out = bench.RESULTS.parent / "http-servers.json"
        out.write_text(json.dumps({"runs": found, "medians": summary}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
