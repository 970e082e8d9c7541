"""``GET /orders?limit=50`` at 10,000, 100,000 and 1,000,000 orders: does its cost grow with the table?

Issue 18, decision 4 (docs/decisions/0005-order-reads-index-walk.md). On a fresh PostgreSQL database
(migrated, the demo brands loaded) one real order is created through the API, then cloned with
``INSERT ... SELECT ... generate_series`` until the table holds each size in turn: three orders per second
going back in time (so the ``created_at DESC, id`` order has ties to break), 80% in venue 1 and 20% in
venue 2, one in ten PENDING and the rest DELIVERED. After ``VACUUM ANALYZE`` (what autovacuum keeps up on
a live table) it prints, per size:

* the plan of the list's statement, as the server sends it (the text compiled for asyncpg), with its
  actual times: the custom plan asyncpg's first executions get and the generic plan PostgreSQL may switch
  to after five; the count's node and the page's node separately;
* CPU per request of ``GET /open-api/orders?limit=50`` and of ``...&status=PENDING`` served in this
  process (ASGI, no network): this process's CPU (the app and the in-process client) and the CPU of the
  database backends serving it (from /proc: run it on the database's machine), over ``--requests``.

Usage: .venv/bin/python bench/order_list_scale.py [--sizes 10000,100000,1000000] [--requests 300]
Settings: BENCH_PG_URL (admin URL, default postgresql://postgres@127.0.0.1:5432/postgres). The database
``clopos_scale_<random>`` is dropped afterwards (``--keep`` keeps it).
"""

# ruff: noqa: S608  (the SQL here is built from this file's own constants and the table's column names)

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from clopos_server.app import create_app  # noqa: E402
from clopos_server.db.engine import Database  # noqa: E402
from clopos_server.db.migrate import upgrade  # noqa: E402
from clopos_server.db.models import Order  # noqa: E402
from clopos_server.demo import load_demo  # noqa: E402
from clopos_server.orders import reads  # noqa: E402
from clopos_server.settings import Settings  # noqa: E402

LOGIN = {
    "client_id": "eNUKI04aYJRU6TBhh5bwUrvmEORgQoxM",
    "client_secret": "dqYkWUpDjzvKOgbP3ar8tSNKJbwMyYe1V5R7DHClfSNYkap5C5XxRA6PmzoPv1I2",
    "brand": "openapitest",
    "venue_id": 1,
}
PATHS = {
    "newest 50": "/open-api/orders?limit=50",
    "newest 50 PENDING": "/open-api/orders?limit=50&status=PENDING",
}
CLONED = [c.name for c in Order.__table__.columns if c.name != "id"]
# Each clone: three per second going back from the seed's time, venue 2 for one in five, PENDING for one in
# ten (DELIVERED otherwise).
_OVERRIDES = {
    "venue_id": "CASE WHEN g % 5 = 0 THEN 2 ELSE 1 END",
    "status": "CASE WHEN g % 10 = 1 THEN 'PENDING' ELSE 'DELIVERED' END",
    "created_at": "o.created_at - make_interval(secs => g / 3)",
    "updated_at": "o.created_at - make_interval(secs => g / 3)",
}
FILL = (
    f"INSERT INTO orders ({', '.join(CLONED)}) "
    f"SELECT {', '.join(_OVERRIDES.get(c, 'o.' + c) for c in CLONED)} "
    "FROM orders AS o, generate_series($2::bigint, $3::bigint) AS g WHERE o.id = $1"
)


def log(message: str) -> None:
    print(f"· {message}", file=sys.stderr, flush=True)


def admin_url() -> str:
    return os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def backend_cpu_seconds(pids: list[int]) -> float:
    """utime + stime of these processes (the database's backends), in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


async def backends(admin: Any, name: str) -> list[int]:
    rows = await admin.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", name)
    return [row["pid"] for row in rows]


def plan_lines(rows: list[Any]) -> list[str]:
    return [row[0] for row in rows]


def summarise(lines: list[str]) -> list[str]:
    """The plan's nodes (what they scan and with which index) with their actual time, without costs."""
    kept = []
    for line in lines:
        text = re.sub(r"\(cost=[^)]*\)\s*", "", line).rstrip()
        if "->" in text or not text.startswith(" ") or "Index Cond" in text or "Execution Time" in text:
            kept.append(text)
    return kept


async def explain(conn: Any, sql: str, args: tuple[Any, ...], generic: bool) -> list[str]:
    if not generic:
        await conn.execute("SET plan_cache_mode = force_custom_plan")
        rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *args)
        return summarise(plan_lines(rows))
    await conn.execute("SET plan_cache_mode = force_generic_plan")
    await conn.execute("DEALLOCATE ALL")
    await conn.execute(f"PREPARE listed AS {sql}")
    literal = ", ".join(repr(a) if isinstance(a, str) else str(a) for a in args)
    rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE listed({literal})")
    await conn.execute("DEALLOCATE listed")
    await conn.execute("RESET plan_cache_mode")
    return summarise(plan_lines(rows))


def list_statement(status: bool) -> Any:
    shape = reads.ListShape(1, 1 if status else 0, False, False, False, False, "created_at", True)
    return reads._list_statements(shape)["postgresql"].driver


async def measure(
    client: httpx.AsyncClient, headers: dict[str, str], admin: Any, name: str, count: int
) -> dict[str, Any]:
    figures = {}
    for label, path in PATHS.items():
        for _ in range(20):  # warm-up: every pooled connection has the statement prepared
            answer = await client.get(path, headers=headers)
            answer.raise_for_status()
        pids = await backends(admin, name)
        db_before = backend_cpu_seconds(pids)
        app_before, wall_before = time.process_time(), time.perf_counter()
        for _ in range(count):
            answer = await client.get(path, headers=headers)
        wall = time.perf_counter() - wall_before
        app = time.process_time() - app_before
        db = backend_cpu_seconds(await backends(admin, name)) - db_before
        body = answer.json()
        figures[label] = {
            "app_cpu_ms": round(app / count * 1000, 3),
            "db_cpu_ms": round(db / count * 1000, 3),
            "wall_ms": round(wall / count * 1000, 3),
            "total": body["total"],
            "rows": len(body["data"]),
        }
    return figures


async def run(sizes: list[int], requests: int, keep: bool) -> None:
    name = f"clopos_scale_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(admin_url())
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(admin_url()).set(drivername="postgresql+asyncpg", database=name)
    db_url = url.render_as_string(hide_password=False)
    direct = make_url(admin_url()).set(database=name).render_as_string(hide_password=False)
    results: dict[str, Any] = {"database": name, "sizes": {}}
    try:
        log(f"migrating {name} and loading the demo brands")
        db = Database(db_url, pool_size=1)
        await upgrade(db.engine)
        await load_demo(db)
        await db.dispose()
        settings = Settings(
            database_url=db_url,
            rate_limits="off",
            secret_key=secrets.token_hex(32),
            webhook_dispatcher="off",
            log_level="warning",
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                login = (await client.post("/open-api/auth", json=LOGIN)).json()
                headers = {"x-token": login["token"], "x-brand": LOGIN["brand"], "x-venue": "1"}
                body = json.loads((ROOT / "examples" / "create-order.v1.request.json").read_text())
                created = await client.post("/open-api/orders", json=body, headers=headers)
                created.raise_for_status()
                seed = created.json()["data"]["id"]
                conn = await asyncpg.connect(direct, statement_cache_size=0)
                try:
                    have = 1
                    for size in sizes:
                        log(f"cloning order {seed} up to {size:,} orders")
                        started = time.perf_counter()
                        step = 200_000
                        while have < size:
                            upto = min(size, have + step)
                            await conn.execute(FILL, seed, have, upto - 1)
                            have = upto
                        await conn.execute("VACUUM ANALYZE orders")
                        log(f"  filled and vacuumed in {time.perf_counter() - started:.0f} s")
                        plans = {}
                        for label, status in (("newest 50", False), ("newest 50 PENDING", True)):
                            statement = list_statement(status)
                            args: tuple[Any, ...] = (1, 1, "PENDING", 50, 0) if status else (1, 1, 50, 0)
                            await conn.execute("DEALLOCATE ALL")
                            plans[label] = {
                                "custom": await explain(conn, statement.sql, args, generic=False),
                                "generic": await explain(conn, statement.sql, args, generic=True),
                            }
                        figures = await measure(client, headers, admin, name, requests)
                        results["sizes"][str(size)] = {"plans": plans, "requests": figures}
                        report(size, plans, figures)
                finally:
                    await conn.close()
    finally:
        if not keep:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    out = ROOT / "bench" / "results" / "order_list_scale.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    log(f"raw results: {out.relative_to(ROOT)}")


def report(size: int, plans: dict[str, Any], figures: dict[str, Any]) -> None:
    print(f"\n## {size:,} orders", flush=True)
    for label, both in plans.items():
        for kind, lines in both.items():
            print(f"\n{label}, {kind} plan:")
            for line in lines:
                print(f"    {line}")
    print("\n| request | total | rows | app CPU ms/req | db CPU ms/req | wall ms/req |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, f in figures.items():
        cpu = f"{f['app_cpu_ms']} | {f['db_cpu_ms']} | {f['wall_ms']}"
        print(f"| {label} | {f['total']:,} | {f['rows']} | {cpu} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--keep", action="store_true")
    options = parser.parse_args()
    sizes = sorted(int(s) for s in options.sizes.split(","))
    asyncio.run(run(sizes, options.requests, options.keep))


if __name__ == "__main__":
    main()
