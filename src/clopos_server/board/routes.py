"""The board's HTTP surface under ``/board``: sign-in, the page, its event stream, its assets; the actions
(``board.action_routes``) are included under the same prefix.

Every POST checks the CSRF token bound to the session (form field ``csrf`` or header ``X-CSRF-Token``).
Actions answer JSON to the page's script (``Accept: application/json``) and redirect back otherwise.
Another brand's or venue's order answers 404, as the API does, never 403.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import (
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)

from clopos_server import jsonio
from clopos_server.auth.directory import VenueInfo
from clopos_server.board import action_routes, cash_shift, queries, render, stock, today, waiter_calls
from clopos_server.board.i18n import LANGUAGES
from clopos_server.board.live import BoardStream, cards_for, cursor_field, render_context
from clopos_server.board.revocations import is_revoked, revoke
from clopos_server.board.sessions import COOKIE_NAME, BoardSession
from clopos_server.board.staff import (
    authenticate,
    load_staff,
    set_language,
)
from clopos_server.board.web import (
    STATIC_FILES,
    Viewer,
    asset_bytes,
    asset_version,
    csrf_ok,
    html,
    int_field,
    order_venue,
    read_form,
    refusal,
    set_cookie,
    state_of,
    venue_page,
    viewer_of,
)
from clopos_server.errors import ApiError
from clopos_server.events.log import latest_cursor
from clopos_server.orders.repository import receipts_by_id
from clopos_server.services import services_of
from clopos_server.timeutil import business_day, business_days_range, epoch_ms, utcnow

log = logging.getLogger(__name__)

router = APIRouter(prefix="/board", include_in_schema=False)
router.include_router(action_routes.router)
router.include_router(cash_shift.router)  # the till: open and close cash shifts (finance)
router.include_router(stock.router)  # managers record stock documents (inventory)
icon_router = APIRouter(include_in_schema=False)  # /favicon.ico, where browsers look for it

# --------------------------------------------------------------------------------------------------------
# sign-in


def _login_page(
    request: Request,
    session: BoardSession,
    *,
    error: str = "",
    brand: str = "",
    username: str = "",
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    codec = state_of(services_of(request)).codec
    body = render.page(
        "login.html",
        asset_version=asset_version(),
        csrf=render.esc(codec.csrf_token(session)),
        error=f'<p class="error" role="alert">{render.esc(error)}</p>' if error else "",
        brand=render.esc(brand),
        username=render.esc(username),
        username_focus="" if username else "autofocus",
        password_focus="autofocus" if username else "",
    )
    response = html(body, status, headers)
    set_cookie(request, response, codec, session)
    return response


@router.get("/login")
async def login_form(request: Request) -> Response:
    if await viewer_of(request) is not None:
        return RedirectResponse("/board", status_code=303)
    codec = state_of(services_of(request)).codec
    session = codec.decode(request.cookies.get(COOKIE_NAME))
    if session is None or session.signed_in:
        session = codec.new_anonymous()
    brand = request.query_params.get("brand", "")[:100]
    return _login_page(request, session, brand=brand)


@router.post("/login")
async def login(request: Request) -> Response:
    services = services_of(request)
    state = state_of(services)
    codec = state.codec
    form = await read_form(request)
    brand_slug = form.get("brand", "").strip()[:100]
    username = form.get("username", "").strip()[:255]
    password = form.get("password", "")[:1024]
    session = codec.decode(request.cookies.get(COOKIE_NAME))
    if session is None or not csrf_ok(request, codec, session, form):
        return _login_page(
            request,
            codec.new_anonymous(),
            error="The sign-in form had expired. Please sign in again.",
            brand=brand_slug,
            username=username,
            status=403,
        )
    ip = request.client.host if request.client else "unknown"
    account = f"{brand_slug.lower()}/{username.lower()}"
    wait = state.sign_ins.wait(ip, account)
    if wait:
        log.warning("board sign-in rate limited", extra={"ip": ip, "username": username})
        return _login_page(
            request,
            session,
            error=f"Too many sign-in attempts. Try again in {wait} seconds.",
            brand=brand_slug,
            username=username,
            status=429,
            headers={"Retry-After": str(wait)},
        )
    state.sign_ins.attempt(ip, account)
    brand = services.directory.brands_by_slug.get(brand_slug)
    staff = await authenticate(services.db, brand, username, password)
    if brand is None or staff is None or staff.password_hash is None:
        log.info("board sign-in refused", extra={"ip": ip, "username": username})
        return _login_page(
            request,
            session,
            error="Wrong brand, username or password.",
            brand=brand_slug,
            username=username,
            status=401,
        )
    state.sign_ins.succeeded(ip, account)
    log.info("board sign-in", extra={"brand": brand.id, "user": staff.id})
    response = RedirectResponse("/board", status_code=303)
    set_cookie(request, response, codec, codec.new_signed_in(staff.id, brand.id, staff.password_hash))
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """Ends the session on the server too: a copy of the cookie is refused from now on, on every instance."""
    services = services_of(request)
    codec = state_of(services).codec
    form = await read_form(request)
    session = codec.decode(request.cookies.get(COOKIE_NAME))
    if session is not None and not csrf_ok(request, codec, session, form):
        return refusal(request, 403, "Missing or wrong CSRF token: reload the page and try again.")
    if session is not None and session.signed_in:
        await revoke(services.db, session)
        log.info("board sign-out", extra={"brand": session.brand_id, "user": session.user_id})
    response = RedirectResponse("/board/login", status_code=303)
    set_cookie(request, response, codec, codec.new_anonymous())
    return response


@router.post("/language")
async def language(request: Request) -> Response:
    """The signed-in staff user's board language, kept with the user; back to the board."""
    viewer = await viewer_of(request)
    form = await read_form(request)
    if viewer is None:
        return RedirectResponse("/board/login", status_code=303)
    services = services_of(request)
    if not csrf_ok(request, state_of(services).codec, viewer.session, form):
        return refusal(request, 403, "Missing or wrong CSRF token: reload the page and try again.")
    lang = form.get("lang", "")
    if lang not in LANGUAGES:
        return refusal(request, 400, "No such language.")
    await set_language(services.db, viewer.brand.id, viewer.staff.id, lang)
    venue = viewer.venue(int_field(form.get("venue")))
    return RedirectResponse(
        f"/board?{urlencode({'venue': venue.id})}" if venue else "/board", status_code=303
    )


# --------------------------------------------------------------------------------------------------------
# the board


async def _venue_page(request: Request) -> tuple[Viewer, VenueInfo] | Response:
    """The signed-in viewer and the venue a board page shows (``?venue=``, else their first); else the
    answer instead: to sign-in, or a 404 page for a venue that is not theirs."""
    viewer = await viewer_of(request)
    if viewer is None:
        return RedirectResponse("/board/login", status_code=303)
    venue = viewer.venue(int_field(request.query_params.get("venue")))
    if venue is None:
        return html(render.message_page("Venue not found", "You have no such venue.", t=viewer.t), 404)
    return viewer, venue


@router.get("")
async def board(request: Request) -> Response:
    found = await _venue_page(request)
    if isinstance(found, Response):
        return found
    viewer, venue = found
    t = viewer.t
    services = services_of(request)
    brand = viewer.brand
    async with services.db.read() as conn:
        cursor = await latest_cursor(conn, brand.id, venue.id)  # first: what commits later comes as news
        pending, received, done = await queries.column_orders(conn, brand.id, venue.id)
        ctx = await render_context(services, conn, brand, venue.id, viewer.csrf, t)
        cards = await cards_for(conn, ctx, [*pending, *received, *done])
        stop_items = await queries.stop_items(conn, brand.id)
    calls = await waiter_calls.waiting(services, brand.id, venue.id)
    by_column: dict[str, list[dict[str, Any]]] = {key: [] for key in render.COLUMNS}
    for item in cards:
        by_column[item["column"]].append(item)
    body = render.page(
        "board.html",
        t,
        asset_version=asset_version(),
        csrf=render.esc(viewer.csrf),
        venue_name=render.esc(venue.name),
        venue_id=str(venue.id),
        cursor=str(cursor),
        server_now=str(epoch_ms(utcnow())),
        brand_name=render.esc(brand.name),
        venue_options=render.venue_options(viewer.venues, venue.id),
        user_name=render.esc(viewer.staff.display_name),
        columns=render.columns(by_column, t),
        stop_list=render.stop_list_panel(ctx, stop_items),
        stop_count=str(len(stop_items)),
        script_texts=render.esc(jsonio.dumps_str(t.script())),
        alert_options=render.alert_options(t),
        language_options=render.language_options(t),
        waiter_calls=waiter_calls.panel(calls, t, viewer.csrf),
    )
    return html(body)


@router.get("/today")
async def today_page(request: Request) -> Response:
    """The business day so far: counts, revenue, average waits, and a search over the day's orders."""
    found = await _venue_page(request)
    if isinstance(found, Response):
        return found
    viewer, venue = found
    t = viewer.t
    query = request.query_params.get("q", "")[:100]
    services = services_of(request)
    brand = viewer.brand
    day = business_day(utcnow(), brand.timezone, brand.day_cutoff_hour)
    start, end = business_days_range(day, day, brand.timezone, brand.day_cutoff_hour)
    assert start is not None and end is not None
    async with services.db.read() as conn:
        orders = await queries.orders_between(conn, brand.id, venue.id, start, end)
        steps = await queries.histories(conn, brand.id, [o.id for o in orders])
        closed = await queries.closed_revenue(conn, brand.id, venue.id, start, end)
        ctx = await render_context(services, conn, brand, venue.id, viewer.csrf, t)
    body = today.today_body(ctx, orders, today.summarize(orders, steps, closed), query, t.day(day))
    return html(venue_page(t, "Today", brand, venue, body))


@router.get("/events")
async def events(request: Request) -> Response:
    viewer = await viewer_of(request)
    if viewer is None:
        return PlainTextResponse("Sign in first", status_code=401)
    venue = viewer.venue(int_field(request.query_params.get("venue")))
    if venue is None:
        return PlainTextResponse("Venue not found", status_code=404)
    # the browser's own reconnect sends Last-Event-ID; a new EventSource after a failure sends since=
    since = cursor_field(request.headers.get("last-event-id"))
    if since is None:
        since = cursor_field(request.query_params.get("since"))
    services = services_of(request)
    session, staff_id, brand_id = viewer.session, viewer.staff.id, viewer.brand.id
    codec = state_of(services).codec

    async def still_allowed() -> bool:
        staff = await load_staff(services.db, brand_id, staff_id)
        if staff is None or not codec.password_matches(session, staff.password_hash):
            return False
        return not await is_revoked(services.db, session)

    stream = BoardStream(
        services, brand_id, venue.id, viewer.csrf, still_allowed=still_allowed, texts=viewer.t
    )
    return StreamingResponse(
        stream.events(since),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/orders/{order_id}/print/{kind}")
async def print_order(order_id: str, kind: str, request: Request) -> Response:
    """A kitchen ticket or a customer receipt of one order, laid out for the browser's print dialog."""
    viewer = await viewer_of(request)
    if viewer is None:
        return RedirectResponse("/board/login", status_code=303)
    services = services_of(request)
    target = int_field(order_id)
    t = viewer.t
    if kind not in render.PRINT_KINDS or target is None:
        return html(render.message_page("Not found", "There is no such printout.", t=t), 404)
    try:
        venue_id = await order_venue(services, viewer, target)
    except ApiError:
        return html(render.message_page("Order not found", "You have no such order.", t=t), 404)
    async with services.db.read() as conn:
        (order,) = await queries.orders_by_id(conn, viewer.brand.id, venue_id, [target])
        ctx = await render_context(services, conn, viewer.brand, venue_id, viewer.csrf, t)
        receipts = await receipts_by_id(conn, viewer.brand.id, [order.receipt_id] if order.receipt_id else [])
    body = render.page(
        "print.html",
        t,
        asset_version=asset_version(),
        title=render.esc(f"{t(render.PRINT_KINDS[kind])} · #{order.id}"),
        venue_id=str(venue_id),
        body=render.printout(ctx, order, receipts.get(order.receipt_id or 0), kind),
    )
    return html(body)


@icon_router.get("/favicon.ico")
async def favicon(request: Request) -> Response:
    return await static("favicon.ico", request)


@router.get("/static/{name}")
async def static(name: str, request: Request) -> Response:
    if name not in STATIC_FILES:
        return PlainTextResponse("Not found", status_code=404)
    etag = f'"{asset_version()}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(asset_bytes(name), media_type=STATIC_FILES[name], headers=headers)
