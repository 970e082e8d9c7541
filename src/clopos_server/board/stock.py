"""The board's stock page (``/board/stock``): a venue's stock per storage (quantity, average cost, value),
its latest stock documents with a Publish button for drafts, and a form to record a document (supply,
waste, transfer, count, production, ...) with its lines typed one per line as ``product quantity [cost]``.

Who may: owners and managers (``auth.access.MANAGER_ROLES``). Recording and publishing go through
``inventory`` in one transaction with the session's CSRF token, like the board's other forms; a refusal is
shown with every problem and the field it is about, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from clopos_server.auth.access import MANAGER_ROLES, role_of
from clopos_server.board import render
from clopos_server.board.render import esc
from clopos_server.board.web import (
    Viewer,
    csrf_ok,
    html,
    int_field,
    read_form,
    state_of,
    venue_page,
    viewer_of,
)
from clopos_server.catalog.repository import AnyRow
from clopos_server.db.backoffice_models import StockDocument, Supplier
from clopos_server.db.models import Product, StockLevel, Storage
from clopos_server.errors import ApiError
from clopos_server.inventory import documents, types
from clopos_server.inventory.ledger import q4
from clopos_server.inventory.operator import record_at
from clopos_server.services import services_of

router = APIRouter(include_in_schema=False)  # included by board.routes, under /board
RECENT = 10
LABELS = {
    types.IN: "Supply",
    types.TRANSFER: "Transfer",
    types.WASTE: "Waste",
    types.RETURN: "Return",
    types.MAKE: "Production",
    types.INVENTORY_CHECK: "Inventory count",
    types.SUPPLY_RETURN: "Return to the supplier",
    types.INITIAL_STOCK: "Initial stock",
}


async def _manager(request: Request) -> Viewer | Response:
    """The signed-in owner or manager; else the page that says why not."""
    viewer = await viewer_of(request)
    if viewer is None:
        return RedirectResponse("/board/login", status_code=303)
    async with services_of(request).db.read() as conn:
        role = await role_of(conn, viewer.brand.id, viewer.staff.id)
    if role not in MANAGER_ROLES:
        return html(render.message_page("Not allowed", "Only managers can work with stock.", t=viewer.t), 403)
    return viewer


@router.get("/stock")
async def stock_page(request: Request) -> Response:
    allowed = await _manager(request)
    if isinstance(allowed, Response):
        return allowed
    viewer = allowed
    venue = viewer.venue(int_field(request.query_params.get("venue")))
    if venue is None:
        return html(render.message_page("Venue not found", "You have no such venue.", t=viewer.t), 404)
    brand_id = viewer.brand.id
    async with services_of(request).db.read() as conn:
        storages = await _storages(conn, brand_id, venue.id)
        levels = await _levels(conn, brand_id, [s.id for s in storages])
        recent = await _documents(conn, brand_id, [s.id for s in storages])
        suppliers = await _suppliers(conn, brand_id)
        targets = await _storages(conn, brand_id, None)
    body = "".join(
        [
            _record_form(viewer, venue.id, storages, targets, suppliers),
            _documents_table(viewer, venue.id, recent),
            *(_levels_table(viewer, storage, levels.get(storage.id, [])) for storage in storages),
        ]
    )
    return html(venue_page(viewer.t, "Stock", viewer.brand, venue, body, page_class="stock-page"))


# ------------------------------------------------------------------------------------------------ reads


async def _storages(conn: AsyncConnection, brand_id: int, venue_id: int | None) -> list[AnyRow]:
    statement = select(Storage).where(Storage.brand_id == brand_id).order_by(Storage.id)
    if venue_id is not None:
        statement = statement.where(Storage.venue_id == venue_id)
    return list(await conn.execute(statement))


async def _levels(
    conn: AsyncConnection, brand_id: int, storage_ids: Sequence[int]
) -> dict[int, list[AnyRow]]:
    statement = (
        select(StockLevel, Product.name.label("product_name"))
        .join(Product, Product.id == StockLevel.product_id)
        .where(StockLevel.brand_id == brand_id, StockLevel.storage_id.in_(list(storage_ids)))
        .order_by(Product.name, StockLevel.id)
    )
    grouped: dict[int, list[AnyRow]] = {}
    for row in await conn.execute(statement):
        grouped.setdefault(row.storage_id, []).append(row)
    return grouped


async def _documents(conn: AsyncConnection, brand_id: int, storage_ids: Sequence[int]) -> list[AnyRow]:
    statement = (
        select(StockDocument)
        .where(StockDocument.brand_id == brand_id, StockDocument.storage_id.in_(list(storage_ids)))
        .order_by(StockDocument.id.desc())
        .limit(RECENT)
    )
    return list(await conn.execute(statement))


async def _suppliers(conn: AsyncConnection, brand_id: int) -> list[AnyRow]:
    statement = select(Supplier.id, Supplier.name).where(Supplier.brand_id == brand_id, Supplier.status == 1)
    return list(await conn.execute(statement.order_by(Supplier.name)))


# ----------------------------------------------------------------------------------------------- render


def _options(rows: Sequence[AnyRow], *, blank: str | None = None) -> str:
    first = f'<option value="">{esc(blank)}</option>' if blank is not None else ""
    return first + "".join(f'<option value="{row.id}">{esc(row.name)}</option>' for row in rows)


def _hidden(viewer: Viewer, venue_id: int) -> str:
    return (
        f'<input type="hidden" name="csrf" value="{esc(viewer.csrf)}">'
        f'<input type="hidden" name="venue" value="{venue_id}">'
    )


def _record_form(
    viewer: Viewer,
    venue_id: int,
    storages: Sequence[AnyRow],
    targets: Sequence[AnyRow],
    suppliers: Sequence[AnyRow],
) -> str:
    t = viewer.t
    kinds = "".join(f'<option value="{key}">{esc(t(name))}</option>' for key, name in LABELS.items())
    return (
        f'<section class="stock-record"><h2>{esc(t("Record a stock document"))}</h2>'
        f'<form method="post" action="/board/stock/documents">{_hidden(viewer, venue_id)}'
        f'<label>{esc(t("Type"))} <select name="type">{kinds}</select></label> '
        f'<label>{esc(t("Storage"))} <select name="storage_id">{_options(storages)}</select></label> '
        f'<label>{esc(t("To storage (transfer)"))} <select name="target_storage_id">'
        f"{_options(targets, blank='—')}</select></label> "
        f'<label>{esc(t("Supplier"))} <select name="supplier_id">'
        f"{_options(suppliers, blank='—')}</select></label>"
        f'<label class="wide">{esc(t("Lines: product id, quantity and cost, one per line"))}'
        f'<textarea name="lines" rows="4" required placeholder="54 10 0.60"></textarea></label>'
        f'<label class="wide">{esc(t("Note"))} <input name="description" maxlength="1000"></label>'
        f'<label><input type="checkbox" name="draft" value="1"> {esc(t("Save as a draft"))}</label> '
        f'<button type="submit">{esc(t("Record"))}</button></form></section>'
    )


def _documents_table(viewer: Viewer, venue_id: int, rows: Sequence[AnyRow]) -> str:
    t = viewer.t
    if not rows:
        return f"<section><h2>{esc(t('Stock documents'))}</h2><p>{esc(t('No documents yet'))}</p></section>"
    head = "".join(f"<th>{esc(t(h))}</th>" for h in ("Number", "Type", "Date", "Value", "Status"))
    body = "".join(
        f"<tr><td>{esc(row.number)}</td><td>{esc(t(LABELS.get(row.type, str(row.type))))}</td>"
        f"<td>{esc(row.operated_at.strftime('%Y-%m-%d %H:%M'))}</td>"
        f'<td class="num">{render.money(viewer.brand, row.total_cost, t)}</td>'
        f"<td>{_status(viewer, venue_id, row)}</td></tr>"
        for row in rows
    )
    return f"<section><h2>{esc(t('Stock documents'))}</h2><table><tr>{head}</tr>{body}</table></section>"


def _status(viewer: Viewer, venue_id: int, row: AnyRow) -> str:
    t = viewer.t
    if row.status == types.PUBLISHED:
        return esc(t("Published"))
    return (
        f'{esc(t("Draft"))} <form method="post" action="/board/stock/publish" class="inline">'
        f'{_hidden(viewer, venue_id)}<input type="hidden" name="document" value="{row.id}">'
        f'<button type="submit">{esc(t("Publish"))}</button></form>'
    )


def _levels_table(viewer: Viewer, storage: AnyRow, rows: Sequence[AnyRow]) -> str:
    t = viewer.t
    title = f"<h2>{esc(t('Stock in {storage}', storage=storage.name))}</h2>"
    if not rows:
        return f"<section>{title}<p>{esc(t('Nothing in stock'))}</p></section>"
    head = "".join(f"<th>{esc(t(h))}</th>" for h in ("Product", "Quantity", "Average cost", "Value"))
    body = "".join(
        f"<tr{' class=negative' if row.quantity < 0 else ''}><td>{esc(row.product_name)}</td>"
        f'<td class="num">{esc(row.quantity)}</td>'
        f'<td class="num">{render.money(viewer.brand, row.cost, t)}</td>'
        f'<td class="num">{render.money(viewer.brand, q4(row.quantity * row.cost), t)}</td></tr>'
        for row in rows
    )
    return f"<section>{title}<table><tr>{head}</tr>{body}</table></section>"


# ---------------------------------------------------------------------------------------------- actions


def lines_of(text: str) -> list[dict[str, Any]]:
    """``54 10 0.60`` (or ``54:10:0,60``) per line; the document's rules check the values."""
    lines = []
    for raw in text.splitlines():
        parts = raw.replace(":", " ").replace(";", " ").split()
        if not parts:
            continue
        line: dict[str, Any] = {"product_id": parts[0], "quantity": _decimal(parts, 1)}
        if len(parts) > 2:
            line["cost"] = _decimal(parts, 2)
        lines.append(line)
    return lines


def _decimal(parts: list[str], index: int) -> str | None:
    return parts[index].replace(",", ".") if len(parts) > index else None


def _problems(exc: ApiError) -> str:
    fields = [
        f"{p.field}: {p.message}" if p.field and p.field not in p.message else p.message for p in exc.problems
    ]
    return "; ".join(fields)


async def _act(request: Request, work: Any) -> Response:
    """Manager, CSRF, the venue; then ``work(conn, viewer, venue_id, form)`` in one transaction."""
    allowed = await _manager(request)
    if isinstance(allowed, Response):
        return allowed
    viewer = allowed
    form = await read_form(request)
    t = viewer.t
    if not csrf_ok(request, state_of(services_of(request)).codec, viewer.session, form):
        return html(
            render.message_page(
                "Not done", "Missing or wrong CSRF token: reload the page and try again.", t=t
            ),
            403,
        )
    venue = viewer.venue(int_field(form.get("venue")))
    if venue is None:
        return html(render.message_page("Venue not found", "You have no such venue.", t=t), 404)
    back = f"/board/stock?{urlencode({'venue': venue.id})}"
    try:
        async with services_of(request).db.write() as conn:
            await work(conn, viewer, venue.id, form)
    except ApiError as exc:
        page = render.message_page("Not done", _problems(exc), link=back, link_text="Back to stock", t=t)
        return html(page, exc.http_status)
    return RedirectResponse(back, status_code=303)


async def _record(conn: AsyncConnection, viewer: Viewer, venue_id: int, form: dict[str, str]) -> None:
    body: dict[str, Any] = {
        "type": form.get("type"),
        "storage_id": form.get("storage_id") or None,
        "target_storage_id": form.get("target_storage_id") or None,
        "supplier_id": form.get("supplier_id") or None,
        "description": form.get("description") or None,
        "items": lines_of(form.get("lines", "")),
    }
    if body["storage_id"] is not None:
        body["storage_id"] = int_field(body["storage_id"]) or body["storage_id"]
    draft = form.get("draft") == "1"
    await record_at(conn, viewer.brand.id, venue_id, body, publish=not draft, created_by=viewer.staff.id)


async def _publish(conn: AsyncConnection, viewer: Viewer, venue_id: int, form: dict[str, str]) -> None:
    """Publish a draft of one of this venue's storages (another venue's or brand's is not found)."""
    document_id = int_field(form.get("document")) or 0
    row = await documents.document_of_venue(conn, viewer.brand.id, venue_id, document_id)
    await documents.publish_document(conn, viewer.brand.id, row.id)


@router.post("/stock/documents")
async def record_document(request: Request) -> Response:
    return await _act(request, _record)


@router.post("/stock/publish")
async def publish_document(request: Request) -> Response:
    return await _act(request, _publish)
