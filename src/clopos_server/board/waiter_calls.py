"""Waiter calls on the board: the venue's unacknowledged calls in a panel above the columns, each with an
Acknowledge button; the live stream sends a ``waiter_call`` event (the call and its panel item) for each
``waiter_call.created`` and ``.acknowledged`` of the event log, and the page rings until no call is left
(``board.js``). Acknowledging is a board action (``action_routes``: CSRF, the viewer's venue only).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from clopos_server.board.i18n import Texts
from clopos_server.board.render import esc
from clopos_server.board.web import Viewer
from clopos_server.errors import not_found
from clopos_server.events.bus import channel_name
from clopos_server.services import Services
from clopos_server.timeutil import epoch_ms
from clopos_server.waiter_calls import service

TYPES = (service.CREATED, service.ACKNOWLEDGED)


def what(call: dict[str, Any], t: Texts) -> str:
    """``Waiter`` or ``Bill (Cash)``."""
    if call["type"] == "PAY":
        method = call.get("payment_method_name")
        return t("Bill ({method})", method=method) if method else t("Bill")
    return t("Waiter")


def call_item(call: dict[str, Any], t: Texts, csrf: str) -> str:
    """One call: where, what, since when, and the button that acknowledges it."""
    where = t("Table {table} · {hall}", table=call["table_name"], hall=call["hall_name"])
    return (
        f'<li class="call" data-call="{call["id"]}" data-type="{esc(call["type"])}">'
        f'<span class="call-what"><strong>{esc(where)}</strong>: {esc(what(call, t))}</span> '
        f'<time class="age" data-created="{_epoch_ms(call["created_at"])}">'
        f"{esc(call['created_at'][11:16])}</time> "
        f'<form class="act" method="post" action="/board/waiter-calls/{call["id"]}/ack">'
        f'<input type="hidden" name="csrf" value="{esc(csrf)}">'
        f'<input type="hidden" name="venue" value="{call["venue_id"]}">'
        f'<button type="submit">{esc(t("Acknowledge"))}</button></form></li>'
    )


def _epoch_ms(plain: str) -> int:
    """``2026-12-05 09:20:17`` (UTC, as the API writes times) in epoch milliseconds, as ages count."""
    return epoch_ms(datetime.strptime(plain, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC))


def panel(calls: Sequence[dict[str, Any]], t: Texts, csrf: str) -> str:
    """The panel the board page starts with (hidden while no call waits)."""
    items = "".join(call_item(call, t, csrf) for call in calls)
    hidden = "" if calls else " hidden"
    return (
        f'<section id="calls" class="calls" aria-labelledby="calls-title"{hidden}>'
        f'<h2 id="calls-title">{esc(t("Waiter calls"))}</h2><ul id="call-list">{items}</ul></section>'
    )


def event_data(call: dict[str, Any], t: Texts, csrf: str) -> dict[str, Any]:
    """What the stream's ``waiter_call`` event carries: the call, its panel item while it waits, and the
    sentence a screen reader hears."""
    item = "" if call["acknowledged_at"] else call_item(call, t, csrf)
    announce = t("{table} calls: {what}", table=call["table_name"], what=what(call, t))
    return {"call": call, "html": item, "announce": announce}


async def waiting(services: Services, brand_id: int, venue_id: int) -> list[dict[str, Any]]:
    async with services.db.read() as conn:
        return await service.active(conn, brand_id, venue_id)


async def news(
    services: Services, brand_id: int, refs: Sequence[tuple[int, int]], t: Texts, csrf: str
) -> list[tuple[dict[str, Any], int]]:
    """The ``waiter_call`` events for the log's ``(call id, cursor)`` pairs, each call as it is now."""
    found = []
    async with services.db.read() as conn:
        for call_id, seq in refs:
            call = await service.one(conn, brand_id, call_id)
            if call is not None:
                found.append((event_data(call, t, csrf), seq))
    return found


async def acknowledge(services: Services, viewer: Viewer, call_id: int) -> tuple[int, dict[str, Any]]:
    """Acknowledge a call of one of the viewer's venues (another venue's or brand's is not found); the
    venue's boards are woken after the commit. Answers the venue and the call."""
    async with services.db.write() as conn:
        call = await service.one(conn, viewer.brand.id, call_id)
        if call is None or viewer.venue(call["venue_id"]) is None:
            raise not_found(f"Waiter call {call_id} not found")
        done = await service.acknowledge(conn, viewer.brand.id, call["venue_id"], call_id, viewer.staff.id)
    await services.events.publish(
        channel_name(viewer.brand.id, done["venue_id"]), {"type": service.ACKNOWLEDGED}
    )
    return done["venue_id"], done
