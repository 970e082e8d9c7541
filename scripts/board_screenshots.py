#!/usr/bin/env python3
"""Screenshots of the order board for docs/board.md, taken by headless Chromium (Playwright).

    .venv/bin/python scripts/board_screenshots.py [--out docs/images] [--chromium /usr/bin/chromium]

Serves a fresh demo database (SQLite, in a temporary folder) with a real server process, fills the board
through the API and the board's own forms (a few orders new, accepted, closed, ignored; arrival times
moved back a few minutes so that the ages read like a real service), signs in as the demo owner and
writes PNGs at 1280x800 (desktop) and 768x1024 (tablet), a kitchen ticket as printed, and the board in
Azerbaijani. The tests run it too (into a temporary folder).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Page, async_playwright
from sqlalchemy import update

from clopos_server.db.engine import Database
from clopos_server.db.models import Order, OrderHistory
from clopos_server.timeutil import utcnow

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LOGIN = {
    "client_id": "eNUKI04aYJRU6TBhh5bwUrvmEORgQoxM",
    "client_secret": "dqYkWUpDjzvKOgbP3ar8tSNKJbwMyYe1V5R7DHClfSNYkap5C5XxRA6PmzoPv1I2",
    "brand": "openapitest",
    "venue_id": 1,
}

# (minutes ago, body): flat (v2-shaped) bodies, accepted on the v1 path too
ORDERS: list[tuple[int, dict[str, Any]]] = [
    (
        26,
        {
            "sale_type_id": 1,
            "venue_id": 1,
            "customer": {"id": 11},
            "products": [
                {"product_id": 102, "count": 1, "modifiers": [{"modifier_id": 602, "count": 1}]},
                {"product_id": 57, "count": 2},
            ],
        },
    ),
    (
        17,
        {
            "sale_type_id": 2,
            "venue_id": 1,
            "order_number": "W-2231",
            "customer": {"id": 10, "address": "28 May St 14, apt 9"},
            "delivery_fee": 2,
            "products": [
                {"product_id": 101, "count": 2, "modifiers": [{"modifier_id": 502, "count": 1}]},
                {"product_id": 112, "count": 1},
            ],
        },
    ),
    (
        12,
        {
            "sale_type_id": 3,
            "venue_id": 1,
            "customer": {"id": 0, "name": "Leyla", "phone": "+994501234567"},
            "comment": "Ring twice, please",
            "products": [
                {
                    "product_id": 102,
                    "count": 1,
                    "note": "Well done",
                    "modifiers": [{"modifier_id": 601, "count": 1}, {"modifier_id": 501, "count": 1}],
                },
                {"product_id": 103, "count": 2},
                {"product_id": 111, "count": 2},
            ],
        },
    ),
    (7, json.loads((ROOT / "examples/create-order.v2.request.json").read_text())),
    (
        3,
        {
            "sale_type_id": 1,
            "venue_id": 1,
            "customer": {"id": 12},
            "products": [{"product_id": 120, "count": 0.75}, {"product_id": 57, "count": 1}],
        },
    ),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(db_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CLOPOS_DATABASE_URL": db_url,
        "CLOPOS_SECRET_KEY": "board-screenshots-secret-0123456789abcdef",
        "CLOPOS_RATE_LIMITS": "off",
        "CLOPOS_LOG_LEVEL": "warning",
    }
    command = [sys.executable, "-m", "clopos_server.cli"]
    subprocess.run([*command, "demo"], env=env, check=True, capture_output=True)  # noqa: S603
    process = subprocess.Popen(  # noqa: S603
        [*command, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not come up")


async def fill(base: str, db_url: str) -> list[int]:
    """Orders through the API, then the board's forms: 2 new, 2 accepted (one split-paid later), 1 ignored;
    the orders' ids."""
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        token = (await http.post("/open-api/auth", json=LOGIN)).json()["token"]
        headers = {"x-token": token, "x-brand": "openapitest", "x-venue": "1"}
        ids = []
        for _, body in ORDERS:
            answer = await http.post("/open-api/orders", json=body, headers=headers)
            answer.raise_for_status()
            ids.append(answer.json()["data"]["id"])
        form = await http.get("/board/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        await http.post(
            "/board/login",
            data={"csrf": csrf, "brand": "openapitest", "username": "owner", "password": "owner-demo-1"},
        )
        page = await http.get("/board")
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        act = {"headers": {"Accept": "application/json", "X-CSRF-Token": csrf}}

        async def post(path: str, **fields: str) -> dict[str, Any]:
            answer = await http.post(f"/board{path}", data={"venue": "1", **fields}, **act)  # type: ignore[arg-type]
            answer.raise_for_status()
            result: dict[str, Any] = answer.json()
            return result

        await post(f"/orders/{ids[0]}/accept")
        card = (await post(f"/orders/{ids[1]}/accept"))["card"]
        receipt = re.search(r"Receipt #(\d+)", card["html"]).group(1)  # type: ignore[union-attr]
        total = re.search(r'data-total="([\d.]+)"', card["html"]).group(1)  # type: ignore[union-attr]
        await post(f"/receipts/{receipt}/close", pm_2=total)
        await post(f"/orders/{ids[2]}/accept")
        await post(f"/orders/{ids[4]}/ignore", confirm="yes")
    db = Database(db_url, pool_size=1)
    try:
        async with db.write() as conn:
            now = utcnow()
            for (minutes, _), order_id in zip(ORDERS, ids, strict=True):
                moment = now - timedelta(minutes=minutes)
                await conn.execute(update(Order).where(Order.id == order_id).values(created_at=moment))
                await conn.execute(
                    update(OrderHistory)
                    .where(OrderHistory.order_id == order_id, OrderHistory.status == "PENDING")
                    .values(at=moment)
                )
    finally:
        await db.dispose()
    return ids


async def sign_in(page: Page, base: str) -> None:
    await page.goto(f"{base}/board/login?brand=openapitest")
    await page.fill('input[name="username"]', "owner")
    await page.fill('input[name="password"]', "owner-demo-1")
    await page.click('button[type="submit"]')
    await page.wait_for_selector('#live[data-state="live"]')


async def shoot(base: str, out: Path, chromium: str, ticket_order: int) -> list[Path]:
    written = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            login = await browser.new_page(viewport={"width": 1280, "height": 800})
            await login.goto(f"{base}/board/login?brand=openapitest")
            await login.fill('input[name="username"]', "owner")
            written.append(out / "board-login.png")
            await login.screenshot(path=str(written[-1]))
            await login.close()

            desk = await browser.new_page(viewport={"width": 1280, "height": 800})
            await sign_in(desk, base)
            async with httpx.AsyncClient(base_url=base, timeout=10) as http:  # one more, arriving live
                token = (await http.post("/open-api/auth", json=LOGIN)).json()["token"]
                body = json.loads((ROOT / "examples/create-order.v1.request.json").read_text())
                answer = await http.post(
                    "/open-api/orders",
                    json=body,
                    headers={"x-token": token, "x-brand": "openapitest", "x-venue": "1"},
                )
                fresh = answer.json()["data"]["id"]
            await desk.wait_for_selector(f"#col-PENDING #order-{fresh}.fresh")
            written.append(out / "board-1280x800.png")
            await desk.screenshot(path=str(written[-1]))
            await desk.click("#stoplist-toggle")
            await desk.wait_for_selector("#stoplist:not([hidden])")
            written.append(out / "board-stop-list.png")
            await desk.screenshot(path=str(written[-1]))
            await desk.close()

            ticket = await browser.new_page(viewport={"width": 360, "height": 640})
            await sign_in(ticket, base)
            await ticket.goto(f"{base}/board/orders/{ticket_order}/print/ticket")
            await ticket.emulate_media(media="print")  # as the printer gets it (no Print button)
            written.append(out / "board-ticket.png")
            await ticket.screenshot(path=str(written[-1]), full_page=True)
            await ticket.close()

            tablet = await browser.new_page(viewport={"width": 768, "height": 1024})
            await sign_in(tablet, base)
            written.append(out / "board-768x1024.png")
            await tablet.screenshot(path=str(written[-1]))
            await tablet.close()

            az = await browser.new_page(viewport={"width": 1280, "height": 800})  # the owner's language
            await sign_in(az, base)
            await az.select_option("#language", "az")
            await az.wait_for_selector('html[lang="az"] #live[data-state="live"]')
            written.append(out / "board-az.png")
            await az.screenshot(path=str(written[-1]))
            await az.close()
        finally:
            await browser.close()
    return written


async def main_async(out: Path, chromium: str) -> list[Path]:
    with tempfile.TemporaryDirectory() as folder:
        db_url = f"sqlite+aiosqlite:///{Path(folder) / 'board.sqlite3'}"
        port = free_port()
        server = start_server(db_url, port)
        try:
            base = f"http://127.0.0.1:{port}"
            ids = await fill(base, db_url)
            return await shoot(base, out, chromium, ids[2])
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--chromium", default=os.environ.get("CLOPOS_TEST_CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(main_async(args.out, args.chromium)):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
