"""The "today" page: the venue's orders of the current business day, searched by number, customer name or
phone, and what a manager checks at the end of a service (orders by status, revenue of closed receipts,
average time from arrival to accept and to delivery)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Row

from clopos_server.board.i18n import ENGLISH, Texts
from clopos_server.board.queries import Step
from clopos_server.board.render import STATUS_LABELS, OrderView, RenderContext, esc

MAX_RESULTS = 100


def matches(view: OrderView, order_id: int, query: str) -> bool:
    """Number (``12``, ``#12``, the integrator's ``A-1024``), customer name, or phone (its digits)."""
    text = query.strip().casefold()
    if not text:
        return True
    if text.lstrip("#") == str(order_id):
        return True
    if view.number and text in view.number.casefold():
        return True
    if text in view.customer.casefold():
        return True
    digits = re.sub(r"\D", "", text)
    return len(digits) >= 3 and digits in re.sub(r"\D", "", view.phone)


def _average(spans: Sequence[timedelta]) -> timedelta | None:
    return sum(spans, timedelta()) / len(spans) if spans else None


def duration(span: timedelta | None, t: Texts = ENGLISH) -> str:
    if span is None:
        return "–"
    seconds = max(int(span.total_seconds()), 0)
    minutes, seconds = divmod(seconds, 60)
    return t("{m} min {s} s", m=minutes, s=f"{seconds:02d}") if minutes else t("{s} s", s=seconds)


@dataclass(frozen=True, slots=True)
class DaySummary:
    by_status: Mapping[str, int]
    closed_receipts: int
    revenue: Decimal
    to_accept: timedelta | None
    to_deliver: timedelta | None


def summarize(
    orders: Sequence[Row[Any]], steps: Mapping[int, Sequence[Step]], closed: tuple[int, Decimal]
) -> DaySummary:
    """Counts by status, and the average wait from arrival to the first accept and to delivery."""
    to_accept: list[timedelta] = []
    to_deliver: list[timedelta] = []
    for order in orders:
        first: dict[str, datetime] = {}
        for step in steps.get(order.id, ()):
            first.setdefault(step.status, step.at)
        if "RECEIVED" in first:
            to_accept.append(first["RECEIVED"] - order.created_at)
        if "DELIVERED" in first:
            to_deliver.append(first["DELIVERED"] - order.created_at)
    return DaySummary(
        by_status=Counter(order.status for order in orders),
        closed_receipts=closed[0],
        revenue=closed[1],
        to_accept=_average(to_accept),
        to_deliver=_average(to_deliver),
    )


def _summary_html(ctx: RenderContext, day: DaySummary) -> str:
    t = ctx.t
    counts = "".join(
        f'<div class="stat"><dt>{esc(t(label))}</dt>'
        f'<dd data-stat="{key}">{day.by_status.get(key, 0)}</dd></div>'
        for key, label in STATUS_LABELS.items()
    )
    figures = [
        ("", "Closed receipts", "closed", str(day.closed_receipts)),
        (" wide", "Revenue (closed receipts)", "revenue", ctx.money(day.revenue)),
        (" wide", "Average time to accept", "to-accept", esc(duration(day.to_accept, t))),
        (" wide", "Average time to deliver", "to-deliver", esc(duration(day.to_deliver, t))),
    ]
    rest = "".join(
        f'<div class="stat{wide}"><dt>{esc(t(label))}</dt><dd data-stat="{key}">{value}</dd></div>'
        for wide, label, key, value in figures
    )
    return f'<dl class="stats">{counts}{rest}</dl>'


def _results_html(ctx: RenderContext, found: Sequence[tuple[Row[Any], OrderView]], query: str) -> str:
    t = ctx.t
    if not found:
        return (
            f'<p class="muted" id="results">{esc(t("No order of today matches “{query}”.", query=query))}</p>'
        )
    rows = []
    for order, view in found[:MAX_RESULTS]:
        base = f"/board/orders/{order.id}/print"
        rows.append(
            f'<tr data-order="{order.id}"><td>{ctx.clock(order.created_at)}</td>'
            f"<td>{esc(view.title)}{f' <span class=oid>#{order.id}</span>' if view.number else ''}</td>"
            f"<td>{esc(t(STATUS_LABELS.get(order.status, order.status)))}</td>"
            f"<td>{esc(view.customer)}</td><td>{esc(view.phone)}</td>"
            f'<td class="num">{ctx.money(view.pricing.get("total"))}</td>'
            f'<td><a href="{base}/ticket" '
            f'aria-label="{esc(t("Kitchen ticket of order #{id}", id=order.id))}">'
            f"{esc(t('Ticket'))}</a> "
            f'<a href="{base}/receipt" aria-label="{esc(t("Receipt of order #{id}", id=order.id))}">'
            f"{esc(t('Receipt'))}</a></td></tr>"
        )
    caption = t("{n} order" if len(found) == 1 else "{n} orders", n=len(found))
    if len(found) > MAX_RESULTS:
        caption += t(", the first {n} shown", n=MAX_RESULTS)
    heads = "".join(
        f"<th scope=col>{esc(t(h))}</th>"
        for h in ("Time", "Order", "Status", "Customer", "Phone", "Total", "Print")
    )
    return (
        f'<table class="results" id="results"><caption>{esc(caption)}</caption>'
        f"<thead><tr>{heads}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def today_body(
    ctx: RenderContext, orders: Sequence[Row[Any]], day: DaySummary, query: str, day_label: str
) -> str:
    views = [(order, OrderView.of(ctx, order)) for order in orders]
    found = [(order, view) for order, view in views if matches(view, order.id, query)]
    t = ctx.t
    return (
        f"<h2>{esc(t('Business day {day}', day=day_label))}</h2>"
        + _summary_html(ctx, day)
        + '<form class="search" method="get" action="/board/today" role="search">'
        f'<input type="hidden" name="venue" value="{ctx.venue_id}">'
        f'<label for="q">{esc(t("Search today’s orders"))}</label>'
        f'<input id="q" name="q" type="search" value="{esc(query)}" '
        f'placeholder="{esc(t("Number, customer name or phone"))}" autocomplete="off">'
        f'<button type="submit" class="primary">{esc(t("Search"))}</button></form>'
        + _results_html(ctx, found, query)
    )
