"""What every board route shares: the board's state on ``Services``, who is signed in (``Viewer``), the
security headers, form and cookie helpers, the refusal answer (JSON for the page's script, else a page), and
the order's venue as the viewer may see it."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from functools import cache
from importlib import resources
from urllib.parse import parse_qs

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from clopos_server.auth.directory import BrandInfo, VenueInfo
from clopos_server.board import render
from clopos_server.board.i18n import Texts, texts_for
from clopos_server.board.limits import SignInLimits
from clopos_server.board.revocations import is_revoked
from clopos_server.board.sessions import COOKIE_NAME, COOKIE_PATH, BoardSession, SessionCodec
from clopos_server.board.staff import BoardContext, Staff, board_context, load_staff, venues_of
from clopos_server.db.models import Order
from clopos_server.errors import ApiError
from clopos_server.kit.values import int_text
from clopos_server.services import Services, services_of

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
    state = services.board_state
    if not isinstance(state, BoardState):
        state = BoardState(SessionCodec(services.signer.derive_key("board-session")), SignInLimits())
        services.board_state = state
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


@cache
def asset_bytes(name: str) -> bytes:
    return resources.files("clopos_server.board").joinpath("static", name).read_bytes()


def venue_page(
    t: Texts, title: str, brand: BrandInfo, venue: VenueInfo, body: str, page_class: str = ""
) -> str:
    """A page of one venue beside the board (today, stock, cash shift): the top bar with its title and the
    way back, then ``body`` (HTML). ``title`` is the English words, shown in the viewer's language."""
    return render.page(
        "venue_page.html",
        t,
        title=render.esc(t(title)),
        page_class=f" {page_class}" if page_class else "",
        asset_version=asset_version(),
        venue_name=render.esc(venue.name),
        venue_id=str(venue.id),
        brand_name=render.esc(brand.name),
        body=body,
    )


@cache
def asset_version() -> str:
    digest = hashlib.sha256()
    for name in sorted(STATIC_FILES):
        digest.update(asset_bytes(name))
    return digest.hexdigest()[:12]


def html(body: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})


def set_cookie(request: Request, response: Response, codec: SessionCodec, session: BoardSession) -> None:
    response.set_cookie(
        COOKIE_NAME,
        codec.encode(session),
        max_age=max(int(session.expires - time.time()), 0),
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def int_field(value: str | None) -> int | None:
    """A number from a query or form field or a header: ASCII digits within an INTEGER column's range."""
    return None if value is None else int_text(value.strip(), low=0)


async def read_form(request: Request) -> dict[str, str]:
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return {}
    body = await request.body()
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {key: values[-1] for key, values in parsed.items()}


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


async def viewer_of(request: Request) -> Viewer | None:
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


def csrf_ok(request: Request, codec: SessionCodec, session: BoardSession, form: dict[str, str]) -> bool:
    return codec.check_csrf(session, request.headers.get("x-csrf-token") or form.get("csrf"))


def refusal(request: Request, status: int, message: str) -> Response:
    if wants_json(request) or request.headers.get("x-csrf-token"):
        return JSONResponse({"ok": False, "message": message}, status_code=status, headers=SECURITY_HEADERS)
    return html(render.message_page("Not done", message), status)


def not_found(message: str, code: str = "resource_not_found") -> ApiError:
    return ApiError(code, message)


def target_id(raw: str | None, what: str) -> int:
    target = int_field(raw)
    if target is None:
        raise not_found(f"{what} not found")
    return target


async def order_venue(services: Services, viewer: Viewer, order_id: int) -> int:
    """The order's venue, when it is one of the viewer's; else 404 (another venue's or brand's order)."""
    async with services.db.read() as conn:
        venue_id = (
            await conn.execute(
                select(Order.venue_id).where(Order.brand_id == viewer.brand.id, Order.id == order_id)
            )
        ).scalar_one_or_none()
    if venue_id is None or viewer.venue(venue_id) is None:
        raise not_found("Order not found")
    return int(venue_id)
