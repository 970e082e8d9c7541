"""The board's HTTP surface under ``/board``: sign-in, the page, its event stream, its actions, its assets.

Every POST checks the CSRF token bound to the session (form field ``csrf`` or header ``X-CSRF-Token``).
Actions answer JSON to the page's script (``Accept: application/json``) and redirect back otherwise.
Another brand's or venue's order answers 404, as the API does, never 403.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)

from clopos_server import jsonio
from clopos_server.auth.directory import BrandInfo, VenueInfo
from clopos_server.board import actions, queries, render, today
from clopos_server.board.i18n import LANGUAGES, Texts, texts_for
from clopos_server.board.limits import SignInLimits
from clopos_server.board.live import BoardStream, cards_by_id, cards_for, render_context
from clopos_server.board.revocations import is_revoked, revoke
from clopos_server.board.sessions import COOKIE_NAME, COOKIE_PATH, BoardSession, SessionCodec
from clopos_server.board.staff import (
    BoardContext,
    Staff,
    authenticate,
    board_context,
    load_staff,
    set_language,
    venues_of,
)
from clopos_server.db.models import Order, Receipt
from clopos_server.errors import ApiError
from clopos_server.kit.values import int_text
from clopos_server.orders.repository import receipts_by_id
from clopos_server.services import Services, services_of
from clopos_server.timeutil import business_day, business_days_range, epoch_ms, utcnow

log = logging.getLogger(__name__)

router = APIRouter(prefix="/board", include_in_schema=False)
icon_router = APIRouter(include_in_schema=False)  # /favicon.ico, where browsers look for it

STATIC_FILES = {
    "board.js": "text/javascript; charset=utf-8",
    "print.js": "text/javascript; charset=utf-8",
    "board.css": "text/css; charset=utf-8",
    "favicon.ico": "image/x-icon",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
MAX_FORM_FIELDS = 64


@dataclass
class BoardState:
    codec: SessionCodec
    sign_ins: SignInLimits


def state_of(services: Services) -> BoardState:
    state = services.extras.get("board")
    if not isinstance(state, BoardState):
        state = BoardState(SessionCodec(services.signer.derive_key("board-session")), SignInLimits())
        services.extras["board"] = state
    return state


@dataclass(frozen=True)
class Viewer:
    session: BoardSession
    staff: Staff
    brand: BrandInfo
    venues: list[VenueInfo]
    csrf: str

    @property
    def t(self) -> Texts:
        return texts_for(self.staff.language)

    def venue(self, venue_id: int | None) -> VenueInfo | None:
        if venue_id is None:
            return self.venues[0] if self.venues else None
        return next((v for v in self.venues if v.id == venue_id), None)

    def context(self, venue_id: int) -> BoardContext:
        return board_context(self.brand, venue_id, self.staff)


# --------------------------------------------------------------------------------------------------------
# helpers


@cache
def _static(name: str) -> bytes:
    return resources.files("clopos_server.board").joinpath("static", name).read_bytes()


@cache
def asset_version() -> str:
    digest = hashlib.sha256()
    for name in sorted(STATIC_FILES):
        digest.update(_static(name))
    return digest.hexdigest()[:12]


def _html(body: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})


def _set_cookie(request: Request, response: Response, codec: SessionCodec, session: BoardSession) -> None:
    response.set_cookie(
        COOKIE_NAME,
        codec.encode(session),
        max_age=max(int(session.expires - time.time()), 0),
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def _int(value: str | None) -> int | None:
    """A number from a query or form field or a header: ASCII digits within an INTEGER column's range."""
    return None if value is None else int_text(value.strip(), low=0)


async def _form(request: Request) -> dict[str, str]:
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return {}
    body = await request.body()
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {key: values[-1] for key, values in parsed.items()}


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


async def _viewer(request: Request) -> Viewer | None:
    services = services_of(request)
    codec = state_of(services).codec
    session = codec.decode(request.cookies.get(COOKIE_NAME))
    if session is None or session.user_id is None or session.brand_id is None:
        return None
    brand = services.directory.brands_by_id.get(session.brand_id)
    if brand is None or await is_revoked(services.db, session):  # signed out, on whichever instance
        return None
    staff = await load_staff(services.db, brand.id, session.user_id)
    if staff is None or not codec.password_matches(session, staff.password_hash):
        return None
    return Viewer(session, staff, brand, venues_of(staff, brand), codec.csrf_token(session))


def _csrf_ok(request: Request, codec: SessionCodec, session: BoardSession, form: dict[str, str]) -> bool:
    return codec.check_csrf(session, request.headers.get("x-csrf-token") or form.get("csrf"))


def _refusal(request: Request, status: int, message: str) -> Response:
    if _wants_json(request) or request.headers.get("x-csrf-token"):
        return JSONResponse({"ok": False, "message": message}, status_code=status, headers=SECURITY_HEADERS)
    return _html(render.message_page("Not done", message), status)


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
    response = _html(body, status, headers)
    _set_cookie(request, response, codec, session)
    return response


@router.get("/login")
async def login_form(request: Request) -> Response:
    if await _viewer(request) is not None:
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
    form = await _form(request)
    brand_slug = form.get("brand", "").strip()[:100]
    username = form.get("username", "").strip()[:255]
    password = form.get("password", "")[:1024]
    session = codec.decode(request.cookies.get(COOKIE_NAME))
    if session is None or not _csrf_ok(request, codec, session, form):
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
    _set_cookie(request, response, codec, codec.new_signed_in(staff.id, brand.id, staff.password_hash))
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """Ends the session on the server too: a copy of the cookie is refused from now on, on every instance."""
    services = services_of(request)
    codec = state_of(services).codec
    form = await _form(request)
    session = codec.decode(request.cookies.get(COOKIE_NAME))
    if session is not None and not _csrf_ok(request, codec, session, form):
        return _refusal(request, 403, "Missing or wrong CSRF token: reload the page and try again.")
    if session is not None and session.signed_in:
        await revoke(services.db, session)
        log.info("board sign-out", extra={"brand": session.brand_id, "user": session.user_id})
    response = RedirectResponse("/board/login", status_code=303)
    _set_cookie(request, response, codec, codec.new_anonymous())
    return response


@router.post("/language")
async def language(request: Request) -> Response:
    """The signed-in staff user's board language, kept with the user; back to the board."""
    viewer = await _viewer(request)
    form = await _form(request)
    if viewer is None:
        return RedirectResponse("/board/login", status_code=303)
    services = services_of(request)
    if not _csrf_ok(request, state_of(services).codec, viewer.session, form):
        return _refusal(request, 403, "Missing or wrong CSRF token: reload the page and try again.")
    lang = form.get("lang", "")
    if lang not in LANGUAGES:
        return _refusal(request, 400, "No such language.")
    await set_language(services.db, viewer.brand.id, viewer.staff.id, lang)
    venue = viewer.venue(_int(form.get("venue")))
    return RedirectResponse(
        f"/board?{urlencode({'venue': venue.id})}" if venue else "/board", status_code=303
    )


# --------------------------------------------------------------------------------------------------------
# the board


async def _venue_page(request: Request) -> tuple[Viewer, VenueInfo] | Response:
    """The signed-in viewer and the venue a board page shows (``?venue=``, else their first); else the
    answer instead: to sign-in, or a 404 page for a venue that is not theirs."""
    viewer = await _viewer(request)
    if viewer is None:
        return RedirectResponse("/board/login", status_code=303)
    venue = viewer.venue(_int(request.query_params.get("venue")))
    if venue is None:
        return _html(render.message_page("Venue not found", "You have no such venue.", t=viewer.t), 404)
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
        cursor = await queries.cursor_now(conn, brand.id)  # first: what commits later comes as an event
        pending, received, done = await queries.column_orders(conn, brand.id, venue.id)
        ctx = await render_context(services, conn, brand, venue.id, viewer.csrf, t)
        cards = await cards_for(conn, ctx, [*pending, *received, *done])
        stop_items = await queries.stop_items(conn, brand.id)
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
    )
    return _html(body)


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
    body = render.page(
        "today.html",
        t,
        asset_version=asset_version(),
        venue_name=render.esc(venue.name),
        venue_id=str(venue.id),
        brand_name=render.esc(brand.name),
        body=today.today_body(ctx, orders, today.summarize(orders, steps, closed), query, t.day(day)),
    )
    return _html(body)


@router.get("/events")
async def events(request: Request) -> Response:
    viewer = await _viewer(request)
    if viewer is None:
        return PlainTextResponse("Sign in first", status_code=401)
    venue = viewer.venue(_int(request.query_params.get("venue")))
    if venue is None:
        return PlainTextResponse("Venue not found", status_code=404)
    # the browser's own reconnect sends Last-Event-ID; a new EventSource after a failure sends since=
    since = _int(request.headers.get("last-event-id"))
    if since is None:
        since = _int(request.query_params.get("since"))
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
    viewer = await _viewer(request)
    if viewer is None:
        return RedirectResponse("/board/login", status_code=303)
    services = services_of(request)
    target = _int(order_id)
    t = viewer.t
    if kind not in render.PRINT_KINDS or target is None:
        return _html(render.message_page("Not found", "There is no such printout.", t=t), 404)
    try:
        venue_id = await _order_venue(services, viewer, target)
    except ApiError:
        return _html(render.message_page("Order not found", "You have no such order.", t=t), 404)
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
    return _html(body)


# --------------------------------------------------------------------------------------------------------
# actions


@dataclass(frozen=True)
class Done:
    venue_id: int
    message: str
    extra: dict[str, Any]


Action = Callable[[Viewer, dict[str, str]], Awaitable[Done]]


async def _act(request: Request, action: Action) -> Response:
    """Signed in, CSRF token right, then the action; its ``ApiError`` is the answer's status and text."""
    viewer = await _viewer(request)
    form = await _form(request)
    if viewer is None:
        return _refusal(request, 401, "Your session has ended: sign in again.")
    codec = state_of(services_of(request)).codec
    if not _csrf_ok(request, codec, viewer.session, form):
        return _refusal(request, 403, "Missing or wrong CSRF token: reload the page and try again.")
    try:
        done = await action(viewer, form)
    except ApiError as exc:
        return _refusal(request, exc.http_status, exc.message)
    if not _wants_json(request):
        return RedirectResponse(f"/board?{urlencode({'venue': done.venue_id})}", status_code=303)
    return JSONResponse({"ok": True, "message": done.message, **done.extra}, headers=SECURITY_HEADERS)


def _not_found(message: str, code: str = "resource_not_found") -> ApiError:
    return ApiError(code, message)


def _target(raw: str | None, what: str) -> int:
    target = _int(raw)
    if target is None:
        raise _not_found(f"{what} not found")
    return target


async def _order_venue(services: Services, viewer: Viewer, order_id: int) -> int:
    """The order's venue, when it is one of the viewer's; else 404 (another venue's or brand's order)."""
    async with services.db.read() as conn:
        venue_id = (
            await conn.execute(
                select(Order.venue_id).where(Order.brand_id == viewer.brand.id, Order.id == order_id)
            )
        ).scalar_one_or_none()
    if venue_id is None or viewer.venue(venue_id) is None:
        raise _not_found("Order not found")
    return int(venue_id)


async def _card_extra(services: Services, viewer: Viewer, venue_id: int, order_id: int) -> dict[str, Any]:
    """The order's card as it is now, for the page to show at once (the live event may come later)."""
    brand = services.directory.brands_by_id.get(viewer.brand.id, viewer.brand)
    cards = await cards_by_id(services, brand, venue_id, viewer.csrf, [order_id], viewer.t)
    return {"card": cards[0]} if cards else {}


async def _order_action(request: Request, order_id: str, kind: str) -> Response:
    services = services_of(request)

    async def run(viewer: Viewer, form: dict[str, str]) -> Done:
        target = _target(order_id, "Order")
        venue_id = await _order_venue(services, viewer, target)
        context = viewer.context(venue_id)
        t = viewer.t
        if kind == "accept":
            await actions.accept(services, context, target)
            message = t("Order #{id} accepted", id=target)
        elif kind == "ignore":
            if form.get("confirm") != "yes":
                raise ApiError("validation_failed", t("Confirm ignoring the order first."))
            await actions.ignore(services, context, target)
            message = t("Order #{id} ignored", id=target)
        else:
            await actions.deliver(services, context, target)
            message = t("Order #{id} delivered", id=target)
        return Done(venue_id, message, await _card_extra(services, viewer, venue_id, target))

    return await _act(request, run)


@router.post("/orders/{order_id}/accept")
async def accept_order(order_id: str, request: Request) -> Response:
    return await _order_action(request, order_id, "accept")


@router.post("/orders/{order_id}/ignore")
async def ignore_order(order_id: str, request: Request) -> Response:
    return await _order_action(request, order_id, "ignore")


@router.post("/orders/{order_id}/deliver")
async def deliver_order(order_id: str, request: Request) -> Response:
    return await _order_action(request, order_id, "deliver")


def _payments(form: dict[str, str], names: dict[int, str], t: Texts) -> list[dict[str, Any]]:
    """``pm_<method id>`` fields with an amount; blanks and zeros are left out."""
    payments = []
    for key, raw in form.items():
        method_id = _int(key[3:]) if key.startswith("pm_") else None
        text = raw.strip().replace(",", ".")
        if method_id is None or not text:
            continue
        label = names.get(method_id, f"Payment method {method_id}")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ApiError("validation_failed", f"{label}: {raw!r} is not an amount") from None
        if not amount.is_finite() or amount < 0:
            raise ApiError("validation_failed", f"{label}: the amount must be 0 or more")
        if amount:
            payments.append({"id": method_id, "name": names.get(method_id, ""), "amount": amount})
    if not payments:
        raise ApiError("validation_failed", t("Enter the amount paid with at least one payment method."))
    return payments


@router.post("/receipts/{receipt_id}/close")
async def close_receipt(receipt_id: str, request: Request) -> Response:
    services = services_of(request)

    async def run(viewer: Viewer, form: dict[str, str]) -> Done:
        target = _target(receipt_id, "Receipt")
        async with services.db.read() as conn:
            row = (
                await conn.execute(
                    select(Receipt.venue_id, Receipt.service_notification_id, Receipt.total).where(
                        Receipt.brand_id == viewer.brand.id, Receipt.id == target
                    )
                )
            ).first()
            if row is None or viewer.venue(row.venue_id) is None:
                raise _not_found("Receipt not found", "not_found")
            choices = await queries.payment_choices(conn, viewer.brand.id, row.venue_id)
        t = viewer.t
        payments = _payments(form, {c.id: c.name for c in choices}, t)
        try:
            await actions.close_receipt(services, viewer.context(row.venue_id), target, payments)
        except ApiError as exc:
            if not any(problem.field == "payment_methods" for problem in exc.problems):
                raise
            paid = sum((p["amount"] for p in payments), Decimal(0))
            message = (
                "The amounts entered add up to {paid}, but the receipt total is {total}: they must be equal."
            )
            paid_text = render.money_text(viewer.brand, paid, t)
            total_text = render.money_text(viewer.brand, row.total, t)
            raise ApiError(exc.code, t(message, paid=paid_text, total=total_text)) from exc
        extra = {}
        if row.service_notification_id:
            extra = await _card_extra(services, viewer, row.venue_id, int(row.service_notification_id))
        return Done(int(row.venue_id), t("Receipt #{id} closed", id=target), extra)

    return await _act(request, run)


async def _stop_action(request: Request, clear: bool) -> Response:
    services = services_of(request)

    async def run(viewer: Viewer, form: dict[str, str]) -> Done:
        venue = viewer.venue(_int(form.get("venue")))
        if venue is None:
            raise _not_found("Venue not found")
        t = viewer.t
        if not form.get("product_id"):
            raise ApiError("validation_failed", t("Choose a product first."))
        product_id = _target(form.get("product_id"), "Product")
        context = viewer.context(venue.id)
        try:
            if clear:
                await actions.clear_stop(services, context, product_id)
                message = t("Limit cleared")
            else:
                limit = _int(form.get("limit"))
                if limit is None:
                    raise ApiError("validation_failed", "Portions left must be a whole number, 0 or more.")
                await actions.set_stop(services, context, product_id, limit)
                message = t("Marked sold out") if limit == 0 else t("Limit set: {n} left", n=limit)
        except LookupError as exc:  # the stop-list service's StopListError: not a product of this brand
            raise _not_found("Product not found") from exc
        brand = services.directory.brands_by_id.get(viewer.brand.id, viewer.brand)
        async with services.db.read() as conn:
            ctx = await render_context(services, conn, brand, venue.id, viewer.csrf, t)
            items = await queries.stop_items(conn, brand.id)
        extra = {"stop_list": render.stop_list_panel(ctx, items), "stop_count": len(items)}
        return Done(venue.id, message, extra)

    return await _act(request, run)


@router.post("/stop-list")
async def set_stop(request: Request) -> Response:
    return await _stop_action(request, clear=False)


@router.post("/stop-list/clear")
async def clear_stop(request: Request) -> Response:
    return await _stop_action(request, clear=True)


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
    return Response(_static(name), media_type=STATIC_FILES[name], headers=headers)
