"""Staff sign-in on the board: argon2 passwords, a signed HttpOnly cookie, CSRF on every POST, rate limits,
and a staff user seeing only the venues of their own brand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert, select, update

from clopos_server.app import create_app
from clopos_server.board.limits import SignInLimits, SlidingWindow
from clopos_server.board.sessions import COOKIE_NAME, SessionCodec
from clopos_server.db.engine import Database
from clopos_server.db.models import RevokedBoardSession, StaffUser
from clopos_server.settings import Settings
from clopos_server.timeutil import utcnow
from tests.support.api import OTHER_BRAND_LOGIN, example
from tests.support.board import CASHIER, OTHER_OWNER, OWNER, BoardUser, create_order, csrf_of, sign_in
from tests.support.cli import run_cli


async def test_sign_in_sets_a_signed_http_only_lax_cookie_and_opens_the_board(
    client: httpx.AsyncClient,
) -> None:
    answer = await sign_in(client)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/board"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/board" in cookie
    page = await client.get("/board")
    assert page.status_code == 200
    assert "Clopos Test" in page.text or "openapitest" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert page.headers["x-frame-options"] == "DENY"
    for venue in ("Main", "Baku", "Masally"):  # the owner has every venue of the brand
        assert f">{venue}</option>" in page.text


async def test_a_wrong_password_is_refused(client: httpx.AsyncClient) -> None:
    answer = await sign_in(client, password="owner-demo-2")
    assert answer.status_code == 401
    assert "Wrong brand, username or password." in answer.text
    assert (await client.get("/board")).status_code == 303  # still signed out: back to the form
    for wrong in ({"username": "nobody"}, {"brand": "demo-other"}, {"brand": "no-such-brand"}):
        assert (await sign_in(client, **wrong)).status_code == 401


async def test_a_forged_or_foreign_cookie_is_worth_nothing(client: httpx.AsyncClient) -> None:
    codec = SessionCodec(b"some other server's key 0123456789")
    forged = codec.encode(codec.new_signed_in(1, 1, "whatever"))
    client.cookies.set(COOKIE_NAME, forged, path="/board")
    assert (await client.get("/board")).status_code == 303
    client.cookies.set(COOKIE_NAME, "not-a-session", path="/board")
    assert (await client.get("/board")).status_code == 303


async def test_a_post_without_the_csrf_token_is_refused(client: httpx.AsyncClient) -> None:
    form = await client.get("/board/login")
    answer = await client.post("/board/login", data={**OWNER})  # the cookie, but no token
    assert answer.status_code == 403
    assert (await client.get("/board")).status_code == 303
    wrong = await client.post("/board/login", data={**OWNER, "csrf": csrf_of(form.text) + "x"})
    assert wrong.status_code == 403

    board = await BoardUser.signed_in(client)
    order = await create_order(client, "", example("create-order.v1.request.json"))
    for csrf in (None, "not-the-token"):
        refused = await board.act(f"/orders/{order['id']}/accept", csrf=csrf)
        assert refused.status_code == 403, refused.text
        assert refused.json() == {"ok": False, "message": refused.json()["message"]}
        assert "CSRF" in refused.json()["message"]
    plain = await client.post(f"/board/orders/{order['id']}/accept", data={"venue": "1"})  # a plain form
    assert plain.status_code == 403 and "CSRF" in plain.text
    assert (await client.post("/board/logout")).status_code == 403
    # the token of an earlier session (the sign-in form's) is not this session's token
    stale = await board.act(f"/orders/{order['id']}/accept", csrf=csrf_of(form.text))
    assert stale.status_code == 403
    accepted = await board.act(f"/orders/{order['id']}/accept")
    assert accepted.status_code == 200, accepted.text


async def test_sign_out_ends_the_session(client: httpx.AsyncClient) -> None:
    board = await BoardUser.signed_in(client)
    answer = await client.post("/board/logout", data={"csrf": board.csrf})
    assert answer.status_code == 303 and answer.headers["location"] == "/board/login"
    assert (await client.get("/board")).status_code == 303


async def test_a_copied_cookie_is_worthless_after_sign_out(client: httpx.AsyncClient, app: FastAPI) -> None:
    board = await BoardUser.signed_in(client)
    copied = client.cookies[COOKIE_NAME]
    order = await create_order(client, "", example("create-order.v1.request.json"))
    assert (await client.post("/board/logout", data={"csrf": board.csrf})).status_code == 303
    async with _browser(app, copied) as thief:  # the cookie as it was before the sign-out
        assert (await thief.get("/board")).status_code == 303
        assert (await thief.get("/board/events?venue=1")).status_code == 401
        accept = await thief.post(
            f"/board/orders/{order['id']}/accept",
            data={"venue": "1"},
            headers={"Accept": "application/json", "X-CSRF-Token": board.csrf},
        )
        assert accept.status_code == 401 and accept.json()["ok"] is False
        assert (await thief.post("/board/logout", data={"csrf": board.csrf})).status_code == 303  # no error
    assert (await BoardUser.signed_in(client)).csrf  # signing in again opens a new session


async def test_sign_out_holds_on_every_instance_and_prunes_expired_entries(
    settings: Settings, database: Database
) -> None:
    """Two app instances on one database: signed out on A, the cookie is refused on B at once."""
    async with database.write() as conn:  # an entry of a session that would have expired by now
        await conn.execute(insert(RevokedBoardSession).values(sid="old", expires_at=utcnow() - timedelta(1)))
    first, second = create_app(settings), create_app(settings)
    async with first.router.lifespan_context(first), second.router.lifespan_context(second):
        async with _browser(first) as on_a, _browser(second) as on_b:
            board = await BoardUser.signed_in(on_a)
            on_b.cookies.set(COOKIE_NAME, on_a.cookies[COOKIE_NAME], path="/board")
            assert (await on_b.get("/board")).status_code == 200  # one session, served by either
            assert (await on_a.post("/board/logout", data={"csrf": board.csrf})).status_code == 303
            assert (await on_b.get("/board")).status_code == 303
    async with database.read() as conn:
        sids = (await conn.execute(select(RevokedBoardSession.sid))).scalars().all()
    assert len(sids) == 1 and sids[0] != "old"


@asynccontextmanager
async def _browser(app: FastAPI, cookie: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        if cookie is not None:
            http.cookies.set(COOKIE_NAME, cookie, path="/board")
        yield http


async def test_sign_in_attempts_are_limited_per_client_and_username(app: FastAPI) -> None:
    def from_ip(ip: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver")

    async with (
        from_ip("10.1.0.1") as one,
        from_ip("10.1.0.2") as two,
        from_ip("10.1.0.3") as three,
        from_ip("10.1.0.4") as four,
    ):
        for _ in range(10):  # ten wrong passwords for owner, from one address
            assert (await sign_in(one, password="guess")).status_code == 401
        limited = await sign_in(one, password="guess")
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) > 0
        assert "Too many sign-in attempts" in limited.text
        # the address that has been failing waits, even with the right password
        assert (await sign_in(one)).status_code == 429
        # the staff user, from an address that has not been failing, is not locked out by the guesser
        assert (await sign_in(two)).status_code == 303
        # while owner is under attack, another address gets one guess and is then held back
        assert (await sign_in(four, password="guess")).status_code == 401
        assert (await sign_in(four, password="guess")).status_code == 429
        # another username from a fresh address is fine
        assert (await sign_in(three, **CASHIER)).status_code == 303
        # ... and the first address is limited for every username
        assert (await sign_in(one, **CASHIER)).status_code == 429


def test_sign_in_limits_forget_a_client_once_its_failures_leave_the_window() -> None:
    now = [1000.0]
    limits = SignInLimits(SlidingWindow(limit=3, window=60, clock=lambda: now[0]))
    for _ in range(3):  # an attack on "bob" from client a
        assert limits.wait("a", "bob") == 0
        limits.attempt("a", "bob")
    assert limits.wait("a", "bob") == 60 and limits.wait("a", "alice") == 60  # a is spent
    assert limits.wait("b", "bob") == 0  # b has not been failing for bob
    limits.attempt("b", "bob")
    now[0] += 10
    assert limits.wait("b", "bob") == 50  # bob is under attack, and b failed for him 10 seconds ago
    limits.succeeded("c", "bob")  # nothing to take back: no error
    now[0] += 51
    assert limits.wait("a", "bob") == limits.wait("b", "bob") == 0
    limits.attempt("b", "bob")
    limits.succeeded("b", "bob")  # a correct password clears b's failures and takes the attempt back
    assert limits.wait("b", "bob") == 0


def test_the_sliding_window_forgets_old_attempts() -> None:
    now = [1000.0]
    window = SlidingWindow(limit=3, window=60, clock=lambda: now[0])
    for _ in range(3):
        assert window.retry_after("k") == 0
        window.hit("k")
        now[0] += 10
    assert window.retry_after("k") == 30  # the first attempt leaves the window at 1060; now is 1030
    now[0] = 1060.5
    assert window.retry_after("k") == 0
    assert window.retry_after("other") == 0


async def test_a_cashier_sees_only_their_venue(client: httpx.AsyncClient) -> None:
    board = await BoardUser.signed_in(client, **CASHIER)
    page = await board.page()
    assert '<option value="1" selected>Main</option>' in page.text
    assert "Baku" not in page.text and "Masally" not in page.text
    assert (await board.page(2)).status_code == 404
    order = await create_order(client, "", {**example("create-order.v2.request.json"), "venue_id": 2})
    assert order["venue_id"] == 2
    answer = await board.act(f"/orders/{order['id']}/accept")
    assert answer.status_code == 404  # another venue's order: not found, never forbidden
    events = await client.get("/board/events?venue=2")
    assert events.status_code == 404


async def test_a_staff_user_of_another_brand_never_sees_this_brands_orders(client: httpx.AsyncClient) -> None:
    order = await create_order(client, "", example("create-order.v2.request.json"))
    owner = await BoardUser.signed_in(client)
    assert f'id="order-{order["id"]}"' in (await owner.page(1)).text

    client.cookies.clear()
    other = await BoardUser.signed_in(client, **OTHER_OWNER)
    page = await other.page()  # demo-other's venue 1, "Other Main"
    assert "Other Main" in page.text
    assert f'id="order-{order["id"]}"' not in page.text
    assert "Rahid" not in page.text and "Main</option>" not in page.text.replace("Other Main</option>", "")
    assert (await other.page(2)).status_code == 404
    for action in ("accept", "ignore", "deliver"):
        answer = await other.act(f"/orders/{order['id']}/{action}", confirm="yes")
        assert answer.status_code == 404, answer.text
    refused = await other.act("/stop-list", product_id=57, limit=1)  # openapitest's Baklava
    assert refused.status_code == 404
    # its own order appears on its own board
    own = await create_order(client, "", _other_brand_order(), **OTHER_BRAND_LOGIN)
    assert f'id="order-{own["id"]}"' in (await other.page()).text


def _other_brand_order() -> dict[str, object]:
    return {
        "sale_type_id": 10000,
        "venue_id": 1,
        "customer": {"id": 0, "name": "Guest of other", "phone": "+10000000000"},
        "products": [{"product_id": 10000, "count": 1}],
    }


async def test_set_password_from_the_command_line_ends_other_sessions(
    client: httpx.AsyncClient, db_url: str
) -> None:
    board = await BoardUser.signed_in(client, **CASHIER)
    set_password = ("users", "set-password")
    done = await run_cli(
        db_url,
        *set_password,
        "--brand",
        "openapitest",
        "--username",
        "cashier",
        "--password",
        "new-cashier-pw-1",
    )
    assert done.returncode == 0, done.stderr
    assert "cashier" in done.stdout
    assert (await board.page()).status_code == 303  # the old session ended with the old password
    client.cookies.clear()
    assert (await sign_in(client, **CASHIER)).status_code == 401
    assert (await sign_in(client, **{**CASHIER, "password": "new-cashier-pw-1"})).status_code == 303

    for bad, message in (
        (["--brand", "openapitest", "--username", "nobody", "--password", "long-enough-1"], "no staff user"),
        (["--brand", "nope", "--username", "cashier", "--password", "long-enough-1"], "no brand"),
        (["--brand", "openapitest", "--username", "cashier", "--password", "short"], "at least 8"),
    ):
        failed = await run_cli(db_url, *set_password, *bad)
        assert failed.returncode == 1 and message in failed.stderr, failed.stderr
    prompted = await run_cli(
        db_url,
        *set_password,
        "--brand",
        "openapitest",
        "--username",
        "owner",
        given="typed-password-1\ntyped-password-1\n",
    )
    assert prompted.returncode == 0, prompted.stderr
    client.cookies.clear()
    assert (await sign_in(client, password="typed-password-1")).status_code == 303


@pytest.mark.parametrize("path", ["/board", "/board/events?venue=1"])
async def test_signed_out_visitors_get_nothing(client: httpx.AsyncClient, path: str) -> None:
    answer = await client.get(path)
    assert answer.status_code in (303, 401)
    assert "order-" not in answer.text


async def test_a_staff_user_switched_off_is_signed_out(client: httpx.AsyncClient, database: Database) -> None:
    board = await BoardUser.signed_in(client, **CASHIER)
    async with database.write() as conn:
        await conn.execute(update(StaffUser).where(StaffUser.id == 2).values(status=False))
    assert (await board.page()).status_code == 303
    assert (await sign_in(client, **CASHIER)).status_code == 401
