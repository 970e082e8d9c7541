"""The board's actions (POST under ``/board``): accept, ignore, deliver, close a receipt, the stop list.

Each checks the session and its CSRF token (form field ``csrf`` or header ``X-CSRF-Token``), runs one
service of ``board.actions``, and answers JSON to the page's script (``Accept: application/json``) or a
redirect back. Another brand's or venue's order answers 404, as the API does, never 403.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    RedirectResponse,
    Response,
)

from clopos_server.board import actions, queries, render, waiter_calls
from clopos_server.board.i18n import Texts
from clopos_server.board.live import cards_by_id, render_context
from clopos_server.board.web import (
    SECURITY_HEADERS,
    Viewer,
    csrf_ok,
    int_field,
    not_found,
    order_venue,
    read_form,
    refusal,
    state_of,
    target_id,
    viewer_of,
    wants_json,
)
from clopos_server.db.models import Receipt
from clopos_server.errors import ApiError
from clopos_server.services import Services, services_of

router = APIRouter(include_in_schema=False)  # included by board.routes, under /board


@dataclass(frozen=True)
class Done:
    venue_id: int
    message: str
    extra: dict[str, Any]


Action = Callable[[Viewer, dict[str, str]], Awaitable[Done]]


async def _act(request: Request, action: Action) -> Response:
    """Signed in, CSRF token right, then the action; its ``ApiError`` is the answer's status and text."""
    viewer = await viewer_of(request)
    form = await read_form(request)
    if viewer is None:
        return refusal(request, 401, "Your session has ended: sign in again.")
    codec = state_of(services_of(request)).codec
    if not csrf_ok(request, codec, viewer.session, form):
        return refusal(request, 403, "Missing or wrong CSRF token: reload the page and try again.")
    try:
        done = await action(viewer, form)
    except ApiError as exc:
        return refusal(request, exc.http_status, exc.message)
    if not wants_json(request):
        return RedirectResponse(f"/board?{urlencode({'venue': done.venue_id})}", status_code=303)
    return JSONResponse({"ok": True, "message": done.message, **done.extra}, headers=SECURITY_HEADERS)


async def _card_extra(services: Services, viewer: Viewer, venue_id: int, order_id: int) -> dict[str, Any]:
    """The order's card as it is now, for the page to show at once (the live event may come later)."""
    brand = services.directory.brands_by_id.get(viewer.brand.id, viewer.brand)
    cards = await cards_by_id(services, brand, venue_id, viewer.csrf, [order_id], viewer.t)
    return {"card": cards[0]} if cards else {}


async def _order_action(request: Request, order_id: str, kind: str) -> Response:
    services = services_of(request)

    async def run(viewer: Viewer, form: dict[str, str]) -> Done:
        target = target_id(order_id, "Order")
        venue_id = await order_venue(services, viewer, target)
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
        method_id = int_field(key[3:]) if key.startswith("pm_") else None
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
        target = target_id(receipt_id, "Receipt")
        async with services.db.read() as conn:
            row = (
                await conn.execute(
                    select(Receipt.venue_id, Receipt.service_notification_id, Receipt.total).where(
                        Receipt.brand_id == viewer.brand.id, Receipt.id == target
                    )
                )
            ).first()
            if row is None or viewer.venue(row.venue_id) is None:
                raise not_found("Receipt not found", "not_found")
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
        venue = viewer.venue(int_field(form.get("venue")))
        if venue is None:
            raise not_found("Venue not found")
        t = viewer.t
        if not form.get("product_id"):
            raise ApiError("validation_failed", t("Choose a product first."))
        product_id = target_id(form.get("product_id"), "Product")
        context = viewer.context(venue.id)
        try:
            if clear:
                await actions.clear_stop(services, context, product_id)
                message = t("Limit cleared")
            else:
                limit = int_field(form.get("limit"))
                if limit is None:
                    raise ApiError("validation_failed", "Portions left must be a whole number, 0 or more.")
                await actions.set_stop(services, context, product_id, limit)
                message = t("Marked sold out") if limit == 0 else t("Limit set: {n} left", n=limit)
        except LookupError as exc:  # the stop-list service's StopListError: not a product of this brand
            raise not_found("Product not found") from exc
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


@router.post("/waiter-calls/{call_id}/ack")
async def acknowledge_call(call_id: str, request: Request) -> Response:
    """A waiter call seen: it leaves every board of the venue (issue 17, ``board/waiter_calls.py``)."""
    services = services_of(request)

    async def run(viewer: Viewer, form: dict[str, str]) -> Done:
        venue_id, call = await waiter_calls.acknowledge(services, viewer, target_id(call_id, "Waiter call"))
        message = viewer.t("Call from table {table} acknowledged", table=call["table_name"])
        return Done(venue_id, message, {"waiter_call": waiter_calls.event_data(call, viewer.t, viewer.csrf)})

    return await _act(request, run)
