"""The board's HTML: pages from ``templates/`` (``string.Template``), cards and panels built here.

Every value that comes from data is escaped with :func:`html.escape`; templates only take values made
here. A card is rendered in one place for the page, for live events and for action answers, so what a
board shows after an event is exactly what a reload would show.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from importlib import resources
from string import Template
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Row

from clopos_server.auth.directory import BrandInfo, VenueInfo
from clopos_server.board.i18n import ENGLISH, LANGUAGES, Texts
from clopos_server.board.queries import PaymentChoice, Step, StopItem
from clopos_server.catalog.snapshot import CatalogSnapshot
from clopos_server.timeutil import epoch_ms

COLUMNS: dict[str, str] = {"PENDING": "New", "RECEIVED": "In progress", "DONE": "Done"}
STATUS_LABELS = {"PENDING": "New", "RECEIVED": "Accepted", "DELIVERED": "Delivered", "IGNORE": "Ignored"}
SELLABLE_TYPES = frozenset({"DISH", "GOODS", "MODIFICATION", "TIMER"})


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


@cache
def template(name: str) -> Template:
    text = resources.files("clopos_server.board").joinpath("templates", name).read_text(encoding="utf-8")
    return Template(text)


def column_of(status: str, receipt_open: bool = False) -> str:
    """A delivered order whose receipt is still open stays in progress: its money waits to be taken."""
    if status == "DELIVERED" and receipt_open:
        return "RECEIVED"
    return status if status in ("PENDING", "RECEIVED") else "DONE"


@cache
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def amount(brand: BrandInfo, value: Any) -> str:
    """An amount as a form field takes it: ``16.20`` (the currency's minor unit, no grouping)."""
    try:
        number = Decimal(str(value if value is not None else 0))
    except InvalidOperation:
        return esc(value)
    if not number.is_finite():
        return esc(value)
    places = max(brand.minor_unit, 0)
    quantum = Decimal(1).scaleb(-places)
    return f"{number.quantize(quantum, rounding=ROUND_HALF_UP):.{places}f}"


def money(brand: BrandInfo, value: Any, texts: Texts = ENGLISH) -> str:
    """An amount as people read it, with the venue's currency (``1,216.20 AZN``, ``1 216,20 ₼`` in
    Azerbaijani): the one format of every amount the board shows, in messages too."""
    return esc(money_text(brand, value, texts))


def money_text(brand: BrandInfo, value: Any, texts: Texts = ENGLISH) -> str:
    """:func:`money` as plain text, for messages and the live region (JSON, not HTML)."""
    return texts.money(amount(brand, value), brand.currency)


@dataclass(frozen=True, slots=True)
class RenderContext:
    brand: BrandInfo
    venue_id: int
    csrf: str
    snapshot: CatalogSnapshot | None
    payments: Sequence[PaymentChoice]
    staff: Mapping[int, str] = field(default_factory=dict)
    t: Texts = ENGLISH

    def amount(self, value: Any) -> str:
        return amount(self.brand, value)

    def money(self, value: Any) -> str:
        return money(self.brand, value, self.t)

    def clock(self, moment: datetime) -> str:
        """The time of day at the brand's time zone (where the venue is), ``14:05``."""
        return self.local(moment).strftime("%H:%M")

    def local(self, moment: datetime) -> datetime:
        aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        return aware.astimezone(_zone(self.brand.timezone))

    def hidden(self) -> str:
        return (
            f'<input type="hidden" name="csrf" value="{esc(self.csrf)}">'
            f'<input type="hidden" name="venue" value="{self.venue_id}">'
        )


def _get(container: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(container, Mapping):
            return None
        container = container.get(key)
    return container


def _number(value: Any) -> str:
    """A count or portion without a needless ``.0``."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return esc(value)
    text = format(amount.normalize(), "f")
    return esc(text)


def _modifier_name(ctx: RenderContext, modifier_id: Any) -> str:
    info = (
        ctx.snapshot.modifiers.get(int(modifier_id)) if ctx.snapshot and str(modifier_id).isdigit() else None
    )
    return info.name if info is not None else f"Modifier {modifier_id}"


def _line_name(ctx: RenderContext, line: Mapping[str, Any]) -> str:
    name = _get(line, "meta", "order_product", "product", "name")
    if not name and ctx.snapshot is not None and isinstance(line.get("product_id"), int):
        product = ctx.snapshot.products.get(line["product_id"])
        name = product.name if product is not None else None
    return str(name or f"Product {line.get('product_id')}")


def _lines(ctx: RenderContext, payload: Mapping[str, Any], pricing: Mapping[str, Any]) -> str:
    products = payload.get("products") or []
    priced = pricing.get("lines") or []
    items = []
    for index, line in enumerate(products):
        if not isinstance(line, Mapping):
            continue
        price = priced[index] if index < len(priced) and isinstance(priced[index], Mapping) else {}
        portion = line.get("portion_size")
        portion_text = ""
        if portion not in (None, 1, 1.0, "1"):
            portion_text = f' <span class="portion">× {_number(portion)}</span>'
        mods = []
        for mod in line.get("product_modificators") or []:
            if not isinstance(mod, Mapping):
                continue
            count = mod.get("count", 1)
            prefix = f"{_number(count)}× " if count not in (1, None) else ""
            mods.append(f"<li>+ {prefix}{esc(_modifier_name(ctx, mod.get('modificator_id')))}</li>")
        note = line.get("note")
        items.append(
            '<li class="line">'
            f'<div class="line-head"><span class="qty">{_number(line.get("count", 1))}×</span>'
            f'<span class="name">{esc(_line_name(ctx, line))}{portion_text}</span>'
            f'<span class="amt">{ctx.money(price.get("subtotal"))}</span></div>'
            + (f'<ul class="mods">{"".join(mods)}</ul>' if mods else "")
            + (f'<div class="note">{esc(note)}</div>' if note else "")
            + "</li>"
        )
    return f'<ul class="lines">{"".join(items)}</ul>'


def _totals(ctx: RenderContext, pricing: Mapping[str, Any]) -> str:
    t = ctx.t
    rows = [(t("Subtotal"), pricing.get("subtotal"), "")]

    def nonzero(key: str) -> bool:
        try:
            return Decimal(str(pricing.get(key) or 0)) != 0
        except InvalidOperation:
            return False

    if nonzero("discount"):
        rows.append((t("Discount"), pricing.get("discount"), "−"))
    if nonzero("service_charge"):
        rows.append((t("Service charge"), pricing.get("service_charge"), ""))
    if nonzero("delivery_fee"):
        rows.append((t("Delivery fee"), pricing.get("delivery_fee"), ""))
    if nonzero("e_tax"):
        rows.append((t("Tax"), pricing.get("e_tax"), ""))
    body = "".join(f"<dt>{esc(label)}</dt><dd>{sign}{ctx.money(value)}</dd>" for label, value, sign in rows)
    if nonzero("i_tax"):
        body += (
            f'<dt class="minor">{t("incl. tax")}</dt><dd class="minor">{ctx.money(pricing.get("i_tax"))}</dd>'
        )
    body += f'<dt class="total">{t("Total")}</dt><dd class="total">{ctx.money(pricing.get("total"))}</dd>'
    return f'<dl class="totals">{body}</dl>'


def _form(ctx: RenderContext, action: str, kind: str, inner: str, extra: str = "") -> str:
    return (
        f'<form method="post" action="{esc(action)}" class="act act-{kind}" data-action="{kind}"{extra}>'
        f"{ctx.hidden()}{inner}</form>"
    )


def _close_form(ctx: RenderContext, receipt: Row[Any]) -> str:
    total = ctx.amount(receipt.total)
    fields = []
    for index, method in enumerate(ctx.payments):
        value = ctx.t.decimal(total) if index == 0 else ""  # "16,20" in Azerbaijani; the server takes both
        name = ctx.t("{method}, amount paid ({currency})", method=method.name, currency=ctx.brand.currency)
        fields.append(
            f'<label class="pay"><span>{esc(method.name)}</span>'
            f'<input name="pm_{method.id}" inputmode="decimal" autocomplete="off" value="{value}" '
            f'placeholder="0" aria-label="{esc(name)}"></label>'
        )
    legend = esc(ctx.t("Close receipt #{id}", id=receipt.id))
    button = esc(ctx.t("Close · {total}", total=ctx.money(receipt.total)))
    inner = (
        f"<fieldset><legend>{legend}</legend>{''.join(fields)}</fieldset>"
        f'<button type="submit" class="primary">{button}</button>'
    )
    return _form(ctx, f"/board/receipts/{receipt.id}/close", "close", inner, f' data-total="{total}"')


def _receipt_line(ctx: RenderContext, receipt: Row[Any]) -> str:
    if receipt.status == 2:
        paid = ", ".join(
            f"{esc(p.get('name'))} {ctx.money(p.get('amount'))}"
            for p in (receipt.payment_methods or [])
            if isinstance(p, Mapping)
        )
        closed = esc(ctx.t("Receipt #{id} closed", id=receipt.id))
        return f'<div class="receipt closed">{closed}{": " + paid if paid else ""}</div>'
    opened = esc(ctx.t("Receipt #{id} open", id=receipt.id))
    return f'<div class="receipt open">{opened} · {ctx.money(receipt.total)}</div>'


def _button(ctx: RenderContext, text: str, order_id: int, css: str = "", keys: str = "") -> str:
    """A card's button; its accessible name says which order (a screen reader hears many "Accept")."""
    attrs = f' class="{css}"' if css else ""
    if keys:
        attrs += f' aria-keyshortcuts="{keys}"'
    word = ctx.t(text)
    name = esc(ctx.t("{action} order #{id}", action=word, id=order_id))
    return f'<button type="submit"{attrs} aria-label="{name}">{esc(word)}</button>'


def _actions(ctx: RenderContext, order: Row[Any], receipt: Row[Any] | None) -> str:
    base = f"/board/orders/{order.id}"
    if order.status == "PENDING":
        accept = _form(ctx, f"{base}/accept", "accept", _button(ctx, "Accept", order.id, "primary", "A"))
        ignore = _form(
            ctx,
            f"{base}/ignore",
            "ignore",
            '<input type="hidden" name="confirm" value="">' + _button(ctx, "Ignore", order.id, "danger", "I"),
            f' data-confirm="{esc(ctx.t("Ignore order #{id}? It will not be made.", id=order.id))}"',
        )
        return f'<div class="actions">{accept}{ignore}</div>'
    close = _close_form(ctx, receipt) if receipt is not None and receipt.status == 1 else ""
    if order.status == "RECEIVED":
        deliver = _form(ctx, f"{base}/deliver", "deliver", _button(ctx, "Mark delivered", order.id))
        return f'<div class="actions">{deliver}</div>{close}'
    return close  # delivered with the receipt still open: it can still be closed


TIMELINE_LABELS = {
    "PENDING": "Arrived",
    "RECEIVED": "Accepted",
    "DELIVERED": "Delivered",
    "IGNORE": "Ignored",
    "CLOSED": "Receipt closed",
}


def _who(ctx: RenderContext, by: str) -> str:
    kind, _, ident = by.partition(":")
    if kind == "staff" and ident.isdigit():
        return ctx.staff.get(int(ident), ctx.t("staff user {id}", id=ident))
    return ctx.t("the integrator") if kind == "client" else by


def _timeline(ctx: RenderContext, steps: Sequence[Step], receipt: Row[Any] | None) -> str:
    """Arrived, accepted by whom, delivered, ignored, receipt closed: each with its time."""
    items = [
        f'<li data-step="{esc(step.status)}">'
        f'<time datetime="{step.at.isoformat()}">{ctx.clock(step.at)}</time> '
        f"{esc(ctx.t(TIMELINE_LABELS.get(step.status, step.status)))} "
        f'<span class="by">{esc(ctx.t("by {who}", who=_who(ctx, step.by)))}</span></li>'
        for step in steps
    ]
    if receipt is not None and receipt.status == 2 and receipt.closed_at is not None:
        items.append(
            f'<li data-step="CLOSED"><time datetime="{receipt.closed_at.isoformat()}">'
            f"{ctx.clock(receipt.closed_at)}</time> {esc(ctx.t('Receipt #{id} closed', id=receipt.id))}</li>"
        )
    if not items:
        return ""
    summary = esc(ctx.t("Timeline"))
    return f'<details class="timeline"><summary>{summary}</summary><ol>{"".join(items)}</ol></details>'


def _print_links(ctx: RenderContext, order_id: int) -> str:
    base = f"/board/orders/{order_id}/print"
    t = ctx.t
    return (
        '<div class="card-tools">'
        f'<a href="{base}/ticket?autoprint=1" target="_blank" rel="noopener" '
        f'aria-label="{esc(t("Print the kitchen ticket of order #{id}", id=order_id))}">'
        f"{esc(t('Kitchen ticket'))}</a>"
        f'<a href="{base}/receipt?autoprint=1" target="_blank" rel="noopener" '
        f'aria-label="{esc(t("Print the customer receipt of order #{id}", id=order_id))}">'
        f"{esc(t('Receipt'))}</a>"
        "</div>"
    )


@dataclass(frozen=True, slots=True)
class OrderView:
    """What a card and a printed ticket both show of an order, read once from its payload."""

    title: str
    number: str | None
    sale_name: str
    channel: str
    customer: str
    phone: str
    address: str
    comment: str
    payload: Mapping[str, Any]
    pricing: Mapping[str, Any]

    @classmethod
    def of(cls, ctx: RenderContext, order: Row[Any]) -> OrderView:
        payload: Mapping[str, Any] = order.payload if isinstance(order.payload, Mapping) else {}
        pricing: Mapping[str, Any] = order.pricing if isinstance(order.pricing, Mapping) else {}
        customer = payload.get("customer")
        if not isinstance(customer, Mapping):
            customer = {}
        sale_type = ctx.snapshot.sale_types.get(order.sale_type_id) if ctx.snapshot else None
        number = payload.get("order_number")
        return cls(
            title=f"#{order.id}" if not number else str(number),
            number=str(number) if number else None,
            sale_name=str(sale_type.name if sale_type else _get(payload, "service", "sale_type_name") or ""),
            channel=sale_type.system_type if sale_type else "",
            customer=str(customer.get("name") or ctx.t("Guest")),
            phone=str(customer.get("phone") or ""),
            address=str(customer.get("address") or ""),
            comment=str(_get(payload, "meta", "comment") or ""),
            payload=payload,
            pricing=pricing,
        )


def card(
    ctx: RenderContext,
    order: Row[Any],
    version: int,
    receipt: Row[Any] | None,
    steps: Sequence[Step] = (),
) -> dict[str, Any]:
    """One order's card: its HTML and what the page needs to place it (column, order, version)."""
    view = OrderView.of(ctx, order)
    created_ms = epoch_ms(order.created_at)
    column = column_of(order.status, receipt is not None and receipt.status == 1)
    sort_ms = created_ms if column != "DONE" else epoch_ms(order.updated_at)
    phone = f'<a class="phone" href="tel:{esc(view.phone)}">{esc(view.phone)}</a>' if view.phone else ""
    label = STATUS_LABELS.get(order.status, order.status)
    status_badge = (
        f'<span class="badge badge-{esc(order.status)}">{esc(ctx.t(label))}</span>'
        if order.status in ("DELIVERED", "IGNORE")
        else ""
    )
    markup = (
        f'<article class="card status-{esc(order.status)}" id="order-{order.id}" data-id="{order.id}" '
        f'data-status="{esc(order.status)}" data-version="{version}" data-created="{created_ms}" '
        f'data-sort="{sort_ms}" tabindex="0" aria-labelledby="order-{order.id}-title">'
        '<header class="card-head">'
        f'<h3 class="num" id="order-{order.id}-title">'
        f'<span class="sr-only">{esc(ctx.t("Order"))} </span>{esc(view.title)}</h3>'
        + (f'<span class="oid">#{order.id}</span>' if view.number else "")
        + status_badge
        + f'<time class="age" data-created="{created_ms}" datetime="{order.created_at.isoformat()}">'
        f"{ctx.clock(order.created_at)}</time>"
        "</header>"
        f'<div class="who"><span class="saletype st-{esc(view.channel)}">{esc(view.sale_name)}</span>'
        f'<span class="customer">{esc(view.customer)}</span>{phone}</div>'
        + (f'<div class="address">{esc(view.address)}</div>' if view.address else "")
        + _lines(ctx, view.payload, view.pricing)
        + (f'<div class="comment">{esc(view.comment)}</div>' if view.comment else "")
        + _totals(ctx, view.pricing)
        + (_receipt_line(ctx, receipt) if receipt is not None else "")
        + _actions(ctx, order, receipt)
        + _timeline(ctx, steps, receipt)
        + _print_links(ctx, order.id)
        + "</article>"
    )
    return {
        "id": order.id,
        "status": order.status,
        "column": column,
        "version": version,
        "created_ms": created_ms,
        "sort_ms": sort_ms,
        "html": markup,
        "summary": ctx.t(
            "New order {title}: {sale}, {customer}, {total}",
            title=view.title,
            sale=view.sale_name,
            customer=view.customer,
            total=money_text(ctx.brand, view.pricing.get("total"), ctx.t),
        ),
    }


PRINT_KINDS = {"ticket": "Kitchen ticket", "receipt": "Receipt"}


def printout(ctx: RenderContext, order: Row[Any], receipt: Row[Any] | None, kind: str) -> str:
    """A kitchen ticket (what to make: lines, modifiers, notes; no prices) or a customer receipt (with
    prices, totals and payments) for an 80 mm printer; ``board.css``'s print rules lay it out."""
    view = OrderView.of(ctx, order)
    venue = ctx.brand.venues.get(ctx.venue_id)
    when = ctx.local(order.created_at)
    t = ctx.t
    facts = [
        (t("Order"), view.title + (f" (#{order.id})" if view.number else "")),
        (t("Time"), f"{t.day(when.date())} {when:%H:%M}"),
        (t("Sale type"), view.sale_name),
        (t("Customer"), view.customer),
        (t("Phone"), view.phone),
        (t("Address"), view.address),
    ]
    rows = "".join(f"<dt>{esc(label)}</dt><dd>{esc(value)}</dd>" for label, value in facts if value)
    money_part = ""
    if kind == "receipt":
        money_part = _totals(ctx, view.pricing) + (_receipt_line(ctx, receipt) if receipt is not None else "")
    return (
        f'<article class="printout printout-{kind}" aria-labelledby="printout-title">'
        f'<header><p class="venue">{esc(ctx.brand.name)}{" · " + esc(venue.name) if venue else ""}</p>'
        f'<h1 id="printout-title">{esc(t(PRINT_KINDS[kind]))} {esc(view.title)}</h1></header>'
        f'<dl class="facts">{rows}</dl>'
        + _lines(ctx, view.payload, view.pricing)
        + (f'<div class="comment">{esc(view.comment)}</div>' if view.comment else "")
        + money_part
        + "</article>"
    )


def columns(cards_by_column: Mapping[str, Iterable[dict[str, Any]]], t: Texts = ENGLISH) -> str:
    sections = []
    for key, msgid in COLUMNS.items():
        cards = list(cards_by_column.get(key, ()))
        label = esc(t(msgid))
        hint = esc(t({"PENDING": "waiting for you", "RECEIVED": "accepted, open", "DONE": "last 24 h"}[key]))
        sections.append(
            f'<section class="column col-{key}" data-column="{key}" aria-label="{label}">'
            f'<h2><span class="label">{label}</span> '
            f'<span class="count" data-count="{key}">{len(cards)}</span>'
            f'<span class="hint">{hint}</span></h2>'
            f'<p class="empty">{esc(t("No orders"))}</p>'
            f'<div class="cards" id="col-{key}">{"".join(c["html"] for c in cards)}</div>'
            "</section>"
        )
    return "".join(sections)


def stop_list_panel(ctx: RenderContext, items: Sequence[StopItem]) -> str:
    t = ctx.t
    rows = []
    for item in items:
        left = t("sold out") if item.remaining == 0 else t("{n} left", n=item.remaining)
        clear = _form(
            ctx,
            "/board/stop-list/clear",
            "stop-clear",
            f'<input type="hidden" name="product_id" value="{item.product_id}">'
            f'<button type="submit" class="ghost small">{esc(t("Clear"))}</button>',
        )
        rows.append(
            f'<li data-product="{item.product_id}" class="{"soldout" if item.remaining == 0 else ""}">'
            f'<span class="pname">{esc(item.name)}</span><span class="left">{esc(left)}</span>{clear}</li>'
        )
    options = []
    if ctx.snapshot is not None:
        products = sorted(
            (
                p
                for p in ctx.snapshot.products.values()
                if p.type in SELLABLE_TYPES and not p.has_variants and p.available_at(ctx.venue_id)
            ),
            key=lambda p: (p.name.casefold(), p.id),
        )
        options = [f'<option value="{p.id}">{esc(p.name)}</option>' for p in products]
    form = _form(
        ctx,
        "/board/stop-list",
        "stop-set",
        f'<label class="grow"><span>{esc(t("Product"))}</span>'
        '<select name="product_id" required><option value="" selected disabled>'
        f"{esc(t('Choose a product'))}</option>{''.join(options)}</select></label>"
        f'<label><span>{esc(t("Portions left"))}</span><input type="number" name="limit" min="0" step="1" '
        f'value="" required inputmode="numeric" placeholder="{esc(t("0 = sold out"))}"></label>'
        f'<button type="submit" class="primary">{esc(t("Set limit"))}</button>',
    )
    listing = (
        f'<ul class="stop-items">{"".join(rows)}</ul>'
        if rows
        else f'<p class="muted">{esc(t("Nothing is limited."))}</p>'
    )
    return (
        f'<div class="panel-head"><h2>{esc(t("Stop list"))}</h2>'
        f'<button type="button" class="ghost small" data-close-panel>{esc(t("Close"))}</button></div>'
        f'<p class="muted">{esc(t("Brand-wide. 0 = sold out; a limit counts down as orders are accepted."))}'
        "</p>"
        f"{listing}{form}"
    )


ALERT_MINUTES = (5, 10, 15, 20, 30)


def alert_options(t: Texts) -> str:
    return "".join(
        f'<option value="{n}"{" selected" if n == 10 else ""}>{esc(t("{n} min", n=n))}</option>'
        for n in ALERT_MINUTES
    )


def language_options(t: Texts) -> str:
    return "".join(
        f'<option value="{code}" lang="{code}"{" selected" if code == t.lang else ""}>{esc(name)}</option>'
        for code, name in LANGUAGES.items()
    )


def venue_options(venues: Sequence[VenueInfo], current: int) -> str:
    return "".join(
        f'<option value="{v.id}"{" selected" if v.id == current else ""}>{esc(v.name)}</option>'
        for v in venues
    )


_MSGID = re.compile(r"\{\{(.+?)\}\}")


@cache
def _translated(name: str, t: Texts) -> Template:
    """A template with its ``{{English words}}`` written in the language (values are ``$names``)."""
    text = template(name).template
    return Template(_MSGID.sub(lambda m: esc(t(m.group(1))).replace("$", "$$"), text))


def page(name: str, t: Texts = ENGLISH, **values: str) -> str:
    return _translated(name, t).substitute(lang=t.lang, **values)


def message_page(
    title: str, text: str, link: str = "/board", link_text: str = "Back to the board", t: Texts = ENGLISH
) -> str:
    return page(
        "message.html", t, title=esc(t(title)), text=esc(t(text)), link=esc(link), link_text=esc(t(link_text))
    )
