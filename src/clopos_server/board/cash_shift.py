"""The board's cash-shift page (``/board/cash-shift``): a venue's open shifts with their figures so far, a
form to open one on a terminal with the cash in the drawer, a form to close one with the cash counted, and
the last closed shifts with their difference.

Who may: staff whose role grants ``CASH_SHIFT_VIEW`` (owners, managers, cashiers; ``auth.access``), of a
brand with the ``cash_shift`` module. Opening and closing go through ``finance.shifts`` in one
transaction, with the session's CSRF token, like the board's other actions; a refusal (a terminal with an
open shift, a shift closed already) is shown with the API's words.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from clopos_server.auth.access import abilities_of, has_module
from clopos_server.board import render
from clopos_server.board.render import esc
from clopos_server.board.web import (
    Viewer,
    csrf_ok,
    html,
    read_form,
    refusal,
    state_of,
    venue_page,
    viewer_of,
)
from clopos_server.db.finance_models import CashShift
from clopos_server.errors import ApiError
from clopos_server.finance import repository as finance_repo
from clopos_server.finance import shifts
from clopos_server.kit.values import to_decimal
from clopos_server.services import services_of
from clopos_server.timeutil import utcnow

router = APIRouter(include_in_schema=False)  # included by board.routes, under /board
ABILITY = "CASH_SHIFT_VIEW"
RECENT = 5


async def _allowed(request: Request) -> Viewer | Response:
    """The signed-in viewer who may work the till; else the page that says why not."""
    viewer = await viewer_of(request)
    if viewer is None:
        return RedirectResponse("/board/login", status_code=303)
    t = viewer.t
    if not has_module(viewer.brand, "cash_shift"):
        return html(
            render.message_page("Not available", "Cash shifts are not enabled for this brand.", t=t), 404
        )
    async with services_of(request).db.read() as conn:
        abilities = await abilities_of(conn, viewer.brand.id, viewer.staff.id)
    if ABILITY not in abilities:
        return html(render.message_page("Not allowed", "Your role cannot work cash shifts.", t=t), 403)
    return viewer


@router.get("/cash-shift")
async def cash_shift_page(request: Request) -> Response:
    allowed = await _allowed(request)
    if isinstance(allowed, Response):
        return allowed
    viewer = allowed
    venue = viewer.venue(_int(request.query_params.get("venue")))
    if venue is None:
        return html(render.message_page("Venue not found", "You have no such venue.", t=viewer.t), 404)
    brand_id = viewer.brand.id
    async with services_of(request).db.read() as conn:
        open_rows = await _shifts(conn, brand_id, venue.id, opened=True)
        reports = [await shifts.report_of(conn, brand_id, row, utcnow()) for row in open_rows]
        closed_rows = await _shifts(conn, brand_id, venue.id, opened=False)
    body = "".join(
        [
            *(
                _open_shift(viewer, venue.id, row, report)
                for row, report in zip(open_rows, reports, strict=True)
            ),
            _open_form(viewer, venue.id),
            _closed_table(viewer, closed_rows),
        ]
    )
    return html(venue_page(viewer.t, "Cash shift", viewer.brand, venue, body))


def _int(raw: str | None) -> int | None:
    return int(raw) if raw is not None and raw.isascii() and raw.isdigit() and len(raw) < 10 else None


async def _shifts(conn: AsyncConnection, brand_id: int, venue_id: int, *, opened: bool) -> Sequence[Row[Any]]:
    state = CashShift.closed_at.is_(None) if opened else CashShift.closed_at.isnot(None)
    statement = finance_repo.shifts(brand_id, CashShift.venue_id == venue_id, state)
    if not opened:
        statement = statement.order_by(CashShift.closed_at.desc()).limit(RECENT)
    else:
        statement = statement.order_by(CashShift.terminal_id)
    return (await conn.execute(statement)).all()


def _money(viewer: Viewer, value: Any) -> str:
    return render.money(viewer.brand, value, viewer.t)


def _hidden(viewer: Viewer, venue_id: int) -> str:
    return (
        f'<input type="hidden" name="csrf" value="{esc(viewer.csrf)}">'
        f'<input type="hidden" name="venue" value="{venue_id}">'
    )


def _open_shift(viewer: Viewer, venue_id: int, row: Row[Any], report: dict[str, Any]) -> str:
    """One open shift: its figures so far and the close form."""
    t = viewer.t
    sales = (
        "".join(f"<li>{esc(s['name'])}: {_money(viewer, s['amount'])}</li>" for s in report["sales"])
        or f"<li>{esc(t('No sales yet'))}</li>"
    )
    figures = [
        ("Opened", esc(row.opened_at.strftime("%Y-%m-%d %H:%M UTC"))),
        ("Cash at the start", _money(viewer, row.opening_amount)),
        ("Receipts", str(report["receipts_count"])),
        ("Refunds", str(report["refunds_count"])),
        ("Expected cash", _money(viewer, report["expected_cash"])),
    ]
    stats = "".join(f'<div class="stat wide"><dt>{esc(t(k))}</dt><dd>{v}</dd></div>' for k, v in figures)
    return (
        f'<section class="shift" data-shift="{esc(row.uuid)}">'
        f"<h2>{esc(t('Terminal {n}', n=row.terminal_id))}: {esc(t('open'))}</h2>"
        f'<dl class="stats">{stats}</dl><ul class="sales">{sales}</ul>'
        f'<form method="post" action="/board/cash-shift/close">{_hidden(viewer, venue_id)}'
        f'<input type="hidden" name="uuid" value="{esc(row.uuid)}">'
        f'<label>{esc(t("Cash counted"))} <input name="counted" inputmode="decimal" required '
        f'value="{esc(t.decimal(str(report["expected_cash"])))}"></label> '
        f'<button type="submit">{esc(t("Close the shift"))}</button></form></section>'
    )


def _open_form(viewer: Viewer, venue_id: int) -> str:
    t = viewer.t
    return (
        f'<section class="shift-open"><h2>{esc(t("Open a shift"))}</h2>'
        f'<form method="post" action="/board/cash-shift/open">{_hidden(viewer, venue_id)}'
        f'<label>{esc(t("Terminal"))} <input name="terminal" inputmode="numeric" value="1" required></label> '
        f'<label>{esc(t("Cash at the start"))} <input name="opening" inputmode="decimal" value="0" required>'
        f'</label> <button type="submit">{esc(t("Open the shift"))}</button></form></section>'
    )


def _closed_table(viewer: Viewer, rows: Sequence[Row[Any]]) -> str:
    t = viewer.t
    if not rows:
        return ""
    head = "".join(
        f"<th>{esc(t(h))}</th>" for h in ("Terminal", "Closed", "Expected cash", "Cash counted", "Difference")
    )
    body = "".join(
        f"<tr><td>{row.terminal_id}</td><td>{esc(row.closed_at.strftime('%Y-%m-%d %H:%M'))} UTC</td>"
        f'<td class="num">{_money(viewer, row.expected_amount)}</td>'
        f'<td class="num">{_money(viewer, row.counted_amount)}</td>'
        f'<td class="num">{_money(viewer, row.difference)}</td></tr>'
        for row in rows
    )
    return f"<section><h2>{esc(t('Closed shifts'))}</h2><table><tr>{head}</tr>{body}</table></section>"


# -------------------------------------------------------------------------------------------- actions


def _cash(raw: str | None, field: str) -> Decimal:
    """An amount typed on the board: ``16.20`` or ``16,20``."""
    amount = to_decimal((raw or "").strip().replace(",", "."))
    return shifts.parse_amount(amount if amount is not None else raw, field)


async def _act(request: Request, opening: bool) -> Response:
    allowed = await _allowed(request)
    if isinstance(allowed, Response):
        return allowed
    viewer = allowed
    form = await read_form(request)
    if not csrf_ok(request, state_of(services_of(request)).codec, viewer.session, form):
        return refusal(request, 403, "Missing or wrong CSRF token: reload the page and try again.")
    venue = viewer.venue(_int(form.get("venue")))
    if venue is None:
        return refusal(request, 404, "Venue not found")
    try:
        async with services_of(request).db.write() as conn:
            if opening:
                await _open(conn, viewer, venue.id, form)
            else:
                await _close(conn, viewer, venue.id, form)
    except ApiError as exc:
        return refusal(request, exc.http_status, exc.message)
    return RedirectResponse(f"/board/cash-shift?{urlencode({'venue': venue.id})}", status_code=303)


async def _open(conn: AsyncConnection, viewer: Viewer, venue_id: int, form: dict[str, str]) -> None:
    terminal = _int(form.get("terminal")) or 0
    request = shifts.OpenShift(venue_id, terminal, _cash(form.get("opening"), "opening"), viewer.staff.id)
    await shifts.open_shift(conn, viewer.brand.id, request, utcnow())


async def _close(conn: AsyncConnection, viewer: Viewer, venue_id: int, form: dict[str, str]) -> None:
    """Close a shift of this venue (another venue's or brand's is not found)."""
    shift_uuid = shifts.parse_uuid(form.get("uuid") or "", "uuid")
    row = await finance_repo.shift(conn, viewer.brand.id, shift_uuid)
    if row is None or row.venue_id != venue_id:
        raise shifts.shift_not_found(shift_uuid)
    counted = _cash(form.get("counted"), "counted")
    await shifts.close_shift(conn, viewer.brand.id, shift_uuid, counted, viewer.staff.id, utcnow())


@router.post("/cash-shift/open")
async def open_shift(request: Request) -> Response:
    return await _act(request, opening=True)


@router.post("/cash-shift/close")
async def close_shift(request: Request) -> Response:
    return await _act(request, opening=False)
