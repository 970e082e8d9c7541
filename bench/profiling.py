"""Where the time of one request goes: py-spy samples a clopos-server worker under wrk load.

Same setup as ``bench/run`` (fresh database, the bench brand, ``clopos-server serve``), one worker, then
one scenario (``create`` by default) for ``PROFILE_SECONDS`` (15) while ``py-spy record`` samples the
worker at 200 Hz. Writes bench/results/profile-<scenario>.raw (collapsed stacks: open it with
speedscope.app or flamegraph.pl) and prints the share of CPU samples per part of the request.

py-spy is a profiling tool, not a dependency: ``.venv/bin/pip install py-spy`` first.

    .venv/bin/python bench/profiling.py [create|replay|order|orders|products|auth|webhook]

``orders`` first fills the table with PROFILE_FILL (20) seconds of creates. ``webhook`` is create-order with
one active endpoint (order.created) at the bench's receiver process, as the bench's webhook scenario.
"""

# ruff: noqa: S603  (every subprocess here runs a fixed argv built in this file)

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench  # bench/bench.py, next to this file
import brand
import webhook_bench

# Parts of a request, by priority: a sample belongs to the first part that any of its frames matches, so
# "SQL" is the driver and SQLAlchemy work under any of our functions, "pricing" is price_order without the
# SQL, and "validation" is what is left of intake once pricing and SQL are taken out.
PARTS: list[tuple[str, tuple[str, ...]]] = [
    ("SQL: asyncpg driver (encode, send, receive)", ("asyncpg/",)),
    ("JSON encode/decode (jsonio: orjson, Decimal default)", ("clopos_server/jsonio.py",)),
    ("SQL: SQLAlchemy (statement build, cache key, execute, rows)", ("sqlalchemy/",)),
    ("idempotency fingerprint (canonical JSON + sha256)", ("fingerprint (clopos_server/idempotency",)),
    ("JSON body parse (json.loads, Decimal)", ("parse_json (clopos_server/kit/body.py",)),
    ("pricing (price_order)", ("price_order (clopos_server/orders/pricing.py",)),
    ("validation (intake)", ("clopos_server/orders/intake/",)),
    ("render (orders/catalog render, envelope)", ("render.py", "clopos_server/api/envelope.py")),
    ("auth (token check, argon2)", ("clopos_server/auth/", "argon2")),
    ("idempotency (claim, save)", ("clopos_server/idempotency/",)),
    ("live events (relay)", ("clopos_server/events/",)),
    ("webhooks (pump, signing, sending, h11)", ("clopos_server/webhooks/", "h11/")),
    ("orders service / repository", ("clopos_server/orders/",)),
    ("catalogue service / repository", ("clopos_server/catalog/",)),
    ("logging", ("logging/", "clopos_server/logs.py")),
]
# The layers every request passes through: what is left is named by the innermost frame that matches.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("our middleware", ("clopos_server/api/middleware.py", "clopos_server/ratelimit/")),
    ("FastAPI / Starlette routing and dependencies", ("fastapi/", "starlette/", "anyio/")),
    ("uvicorn + httptools (HTTP parsing, transport)", ("uvicorn/", "httptools")),
    ("event loop (uvloop, asyncio)", ("uvloop", "asyncio/")),
]


def parse_raw(path: Path) -> Counter[tuple[str, ...]]:
    """py-spy's raw format: ``frame;frame;...;leaf count`` per line, root first."""
    stacks: Counter[tuple[str, ...]] = Counter()
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[tuple(stack.split(";"))] += int(count)
    return stacks


def classify(frames: tuple[str, ...]) -> str:
    for part, needles in PARTS:
        if any(needle in frame for frame in frames for needle in needles):
            return part
    for frame in reversed(frames):
        for layer, needles in LAYERS:
            if any(needle in frame for needle in needles):
                return layer
    return "other"


def summarize(stacks: Counter[tuple[str, ...]]) -> list[str]:
    total = sum(stacks.values()) or 1
    parts: Counter[str] = Counter()
    for frames, count in stacks.items():
        parts[classify(frames)] += count
    lines = [f"{total} samples holding the GIL (the worker's CPU time)", "", "| part | share |", "|---|---:|"]
    lines += [f"| {part} | {100 * count / total:.1f}% |" for part, count in parts.most_common()]
    inclusive: Counter[str] = Counter()
    for frames, count in stacks.items():
        seen = {
            frame.split(" (")[0] + " (" + frame.split(" (")[1].split(":")[0]
            for frame in frames
            if "clopos_server/" in frame or frame.startswith(("AsyncConnection.execute", "Connection._exec"))
        }
        for name in seen:
            inclusive[name] += count
    lines += ["", "inclusive, top 40 of our functions (and SQLAlchemy's execute):", ""]
    lines += [f"{100 * count / total:5.1f}%  {name})" for name, count in inclusive.most_common(40)]
    return lines


def main() -> int:
    which = sys.argv[1] if len(sys.argv) > 1 else "create"
    seconds = int(os.environ.get("PROFILE_SECONDS", "15"))
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        print("py-spy is missing: .venv/bin/pip install py-spy", file=sys.stderr)
        return 2
    os.environ.setdefault("BENCH_WORKERS", "1")
    config = bench.Config.from_env()
    wrk = bench.ensure_wrk()
    tmp = Path(tempfile.mkdtemp(prefix="clopos-profile-"))
    db = bench.BenchDatabase(config, tmp)
    server = None
    stack = contextlib.ExitStack()
    try:
        db.create()
        env = bench.server_env(config, db)
        bench.run_cli(env, "migrate")
        document = brand.brand_document()
        (tmp / "brand.json").write_text(brand.dumps(document), encoding="utf-8")
        bench.run_cli(env, "import", str(tmp / "brand.json"))
        server = bench.clopos_server(config, db, tmp)
        server.start()
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            headers, body, shape = bench.prepare_create(client, document)
            replay_headers = bench.prepare_replay(client, headers, body)
        bench.prime(server, headers, body)
        if which == "webhook":
            url, _arrivals = stack.enter_context(webhook_bench.receiver())
            bench.add_webhook_endpoint(env, url)
        scenario = scenario_of(which, headers, replay_headers, body, shape["order_id"])
        if which == "orders":  # list what a bench run lists: thousands of orders, not one
            create = scenario_of("create", headers, replay_headers, body, shape["order_id"])
            bench.run_wrk(wrk, config, server, create, int(os.environ.get("PROFILE_FILL", "20")), tmp)
        bench.run_wrk(wrk, config, server, scenario, 3, tmp)  # warm-up
        out = bench.RESULTS.parent / f"profile-{which}.raw"
        out.parent.mkdir(parents=True, exist_ok=True)
        result: dict[str, object] = {}
        load = threading.Thread(
            target=lambda: result.update(bench.run_wrk(wrk, config, server, scenario, seconds + 2, tmp))
        )
        load.start()
        subprocess.run(
            [spy, "record", "-p", str(server.worker_pids[0]), "-r", "200", "-d", str(seconds),
             "--gil", "-f", "raw", "-o", str(out)],
            check=True, capture_output=True,
        )  # fmt: skip
        load.join()
        print(f"{which}: {result.get('requests')} requests in {seconds + 2} s under py-spy; stacks in {out}")
        for line in summarize(parse_raw(out)):
            print(line)
    finally:
        if server is not None:
            server.stop()
        stack.close()
        db.drop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def scenario_of(
    which: str, headers: dict[str, str], replay: dict[str, str], body: bytes, order_id: int
) -> bench.Scenario:
    orders = "/open-api/orders"
    scenarios = {
        "order": bench.Scenario("order", "order", "GET", f"{orders}/{order_id}", "get.lua", headers),
        "create": bench.Scenario("create", "create-order", "POST", orders, "create-order.lua", headers, body),
        "webhook": bench.Scenario(
            "webhook", "create-order + 1 webhook endpoint", "POST", orders, "create-order.lua", headers, body
        ),
        "replay": bench.Scenario("replay", "replay", "POST", orders, "replay.lua", replay, body),
        "orders": bench.Scenario("orders", "orders", "GET", f"{orders}?limit=50", "get.lua", headers),
        "products": bench.Scenario("products", "products", "GET", bench.PRODUCTS_PATH, "get.lua", headers),
        "auth": bench.Scenario(
            "auth",
            "auth",
            "POST",
            "/open-api/auth",
            "auth.lua",
            {},
            bench.json.dumps(bench.login_body()).encode(),
        ),
    }
    return scenarios[which]


if __name__ == "__main__":
    sys.exit(main())
