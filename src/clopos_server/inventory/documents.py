"""Stock documents: recorded as drafts (nothing moves), published once (every line moves stock through the
ledger, in the same transaction as the status change).

What each type does when published (``spec/backoffice.md``): IN (a supply), RETURN and INITIAL_STOCK bring
the quantity in at the line's cost (default: the storage's average, else the product's cost price), moving
the weighted average; WASTE and SUPPLY_RETURN take it out at the average; TRANSFER takes it out of the
storage and brings it into the target at the source's average; MAKE spends the product's recipe (gross x
quantity of each ingredient) and brings the product in at what the ingredients cost; INVENTORY_CHECK's
line is the counted quantity and the ledger writes the difference. Every line records the (source)
storage's quantity before and after it.

Bad input answers 400 naming the field (``items[0].quantity``), a foreign storage or supplier 404, a
second publish 409; in every case nothing is written (the caller's transaction rolls back).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.db.backoffice_models import StockDocument
from clopos_server.db.types import MONEY_MAX
from clopos_server.errors import conflict, not_found
from clopos_server.inventory import repository as repo
from clopos_server.inventory import types
from clopos_server.inventory.ledger import Cause, current_cost, move, q4
from clopos_server.kit.body import BodyReader
from clopos_server.timeutil import utcnow

MAX_ITEMS = 500
DESCRIPTION_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class Line:
    product_id: int
    quantity: Decimal
    cost: Decimal | None


@dataclass(frozen=True, slots=True)
class NewDocument:
    type: int
    storage_id: int
    target_storage_id: int | None
    supplier_id: int | None
    description: str | None
    operated_at: datetime | None
    items: tuple[Line, ...]


def _read_line(reader: BodyReader, value: Any, path: str, doc_type: int | None) -> Line | None:
    item = reader.mapping(value, path, required=True)
    if item is None:
        return None
    counted = doc_type == types.INVENTORY_CHECK  # a count may be 0
    product_id = reader.integer(item.get("product_id"), f"{path}.product_id", required=True)
    quantity = reader.decimal(
        item.get("quantity"),
        f"{path}.quantity",
        high=MONEY_MAX,
        places=4,
        positive=not counted,
        required=True,
    )
    cost = reader.decimal(item.get("cost"), f"{path}.cost", high=MONEY_MAX, places=4)
    if product_id is None or quantity is None:
        return None
    return Line(product_id, quantity, cost)


def parse_document(body: Mapping[str, Any]) -> NewDocument:
    """The document a body (CLI, board) describes, or a 400 naming every bad field."""
    reader = BodyReader(subject="document")
    doc_type = reader.choice(body.get("type"), "type", tuple(types.DOCUMENT_TYPES), required=True)
    storage_id = reader.integer(body.get("storage_id"), "storage_id", required=True)
    target = reader.integer(
        body.get("target_storage_id"), "target_storage_id", required=doc_type == types.TRANSFER
    )
    if doc_type != types.TRANSFER and target is not None:
        reader.bad("target_storage_id", "is only for a transfer")
    if target is not None and target == storage_id:
        reader.bad("target_storage_id", "must differ from storage_id (a transfer to the same storage)")
    supplier_id = reader.integer(body.get("supplier_id"), "supplier_id")
    description = reader.string(body.get("description"), "description", limit=DESCRIPTION_LIMIT)
    operated_at = reader.moment(body.get("operated_at"), "operated_at")
    raw_items = reader.array(body.get("items"), "items", required=True, max_items=MAX_ITEMS)
    if raw_items is not None and not raw_items:
        reader.bad("items", "must hold at least one line")
    lines = [_read_line(reader, value, f"items[{i}]", doc_type) for i, value in enumerate(raw_items or [])]
    reader.done()
    assert doc_type is not None and storage_id is not None
    items = tuple(line for line in lines if line is not None)
    return NewDocument(doc_type, storage_id, target, supplier_id, description, operated_at, items)


async def _check_references(conn: AsyncConnection, brand_id: int, document: NewDocument) -> None:
    """Storages and supplier of the brand (else 404); every line's product of the brand (else 400), and
    with a recipe when it is to be made."""
    for storage_id in (document.storage_id, document.target_storage_id):
        if storage_id is not None and await repo.storage(conn, brand_id, storage_id) is None:
            raise not_found(f"Storage {storage_id} not found")
    if document.supplier_id is not None and await repo.supplier(conn, brand_id, document.supplier_id) is None:
        raise not_found(f"Supplier {document.supplier_id} not found")
    ids = [line.product_id for line in document.items]
    products = await repo.products_by_id(conn, brand_id, ids)
    recipes = await repo.recipes_of(conn, brand_id, ids) if document.type == types.MAKE else {}
    reader = BodyReader(subject="document")
    for i, line in enumerate(document.items):
        if line.product_id not in products:
            reader.bad(f"items[{i}].product_id", "is not a product of this brand")
        elif document.type == types.MAKE and not recipes.get(line.product_id):
            reader.bad(f"items[{i}].product_id", "has no recipe to make it from")
    reader.done()


async def record(
    conn: AsyncConnection,
    brand_id: int,
    body: Mapping[str, Any],
    *,
    created_by: int | None = None,
    publish: bool = False,
    document_id: int | None = None,
) -> dict[str, Any]:
    """Write a draft (and publish it when asked); answers the document as the API shows it. A
    ``document_id`` is for seeding fixed ids (the demo); otherwise the database numbers it."""
    document = parse_document(body)
    await _check_references(conn, brand_id, document)
    now = utcnow()
    document_id = await repo.insert_document(
        conn,
        brand_id,
        {
            **({"id": document_id} if document_id is not None else {}),
            "type": document.type,
            "status": types.DRAFT,
            "storage_id": document.storage_id,
            "target_storage_id": document.target_storage_id,
            "supplier_id": document.supplier_id,
            "number": "",
            "description": document.description,
            "operated_at": document.operated_at or now,
            "total_cost": sum((q4(line.quantity * (line.cost or 0)) for line in document.items), Decimal(0)),
            "items_count": len(document.items),
            "created_by": created_by,
            "created_at": now,
            "updated_at": now,
        },
        number_prefix=types.DOCUMENT_TYPES[document.type],
    )
    await repo.insert_items(
        conn,
        brand_id,
        document_id,
        [
            {
                "product_id": line.product_id,
                "quantity": line.quantity,
                "cost": line.cost or Decimal(0),
                "total_cost": q4(line.quantity * (line.cost or 0)),
                "position": position,
            }
            for position, line in enumerate(document.items)
        ],
    )
    if publish:
        return await publish_document(conn, brand_id, document_id)
    return await repo.rendered_document(conn, brand_id, document_id)


async def document_of_venue(conn: AsyncConnection, brand_id: int, venue_id: int, document_id: int) -> Any:
    """The document of one of the venue's storages; another venue's or brand's is not found."""
    row = await repo.document(conn, brand_id, document_id)
    storages = await repo.venue_storage_ids(conn, brand_id, [venue_id]) if row is not None else []
    if row is None or row.storage_id not in storages:
        raise not_found(f"Document {document_id} not found")
    return row


async def publish_document(conn: AsyncConnection, brand_id: int, document_id: int) -> dict[str, Any]:
    """Publish a draft: claim it (a second publish, even a concurrent one, is a 409), then move stock."""
    if await repo.document(conn, brand_id, document_id) is None:
        raise not_found(f"Document {document_id} not found")
    claimed = await conn.execute(
        update(StockDocument)
        .where(
            StockDocument.brand_id == brand_id,
            StockDocument.id == document_id,
            StockDocument.status == types.DRAFT,
        )
        .values(status=types.PUBLISHED, updated_at=utcnow())
        .returning(StockDocument.id)
    )
    if claimed.first() is None:
        raise conflict(f"Document {document_id} is already published")
    document = await repo.document(conn, brand_id, document_id)
    assert document is not None
    total = Decimal(0)
    for item in await repo.items_of(conn, brand_id, document_id):
        moved = await _apply(conn, brand_id, document, item)
        await repo.update_item(conn, item.id, moved)
        total += moved["total_cost"]
    await repo.set_document_total(conn, document_id, total)
    return await repo.rendered_document(conn, brand_id, document_id)


async def _apply(conn: AsyncConnection, brand_id: int, document: Any, item: Any) -> dict[str, Any]:
    """Move one line's stock; answers what the line records (cost, total, before and after)."""
    cause = Cause(document.type, operation_id=document.id, operation_item_id=item.id)
    at = document.operated_at
    storage, product, quantity = document.storage_id, item.product_id, Decimal(item.quantity)
    default = await repo.cost_price(conn, brand_id, product)
    if document.type in types.INCOMING:
        unit = (
            Decimal(item.cost) if item.cost else await current_cost(conn, brand_id, storage, product, default)
        )
        row = await move(conn, brand_id, storage, product, quantity, cause=cause, at=at, unit_cost=unit)
    elif document.type == types.TRANSFER:
        row = await move(
            conn, brand_id, storage, product, -quantity, cause=cause, at=at, default_cost=default
        )
        target = document.target_storage_id
        await move(conn, brand_id, target, product, quantity, cause=cause, at=at, unit_cost=row["cost"])
    elif document.type == types.MAKE:
        row = await _make(conn, brand_id, storage, product, quantity, cause=cause, at=at)
    elif document.type == types.INVENTORY_CHECK:
        held = await repo.locked_quantity(conn, brand_id, storage, product)
        row = await move(
            conn, brand_id, storage, product, quantity - held, cause=cause, at=at, default_cost=default
        )
    else:  # WASTE, SUPPLY_RETURN: out at the average
        row = await move(
            conn, brand_id, storage, product, -quantity, cause=cause, at=at, default_cost=default
        )
    return {
        "cost": row["cost"],
        "total_cost": q4(quantity * row["cost"]),
        "before_quantity": row["before_quantity"],
        "after_quantity": row["after_quantity"],
    }


async def _make(
    conn: AsyncConnection,
    brand_id: int,
    storage: int,
    product: int,
    quantity: Decimal,
    *,
    cause: Cause,
    at: datetime,
) -> dict[str, Any]:
    """Spend the recipe's ingredients, then bring the product in at their cost."""
    spent = Decimal(0)
    for ingredient in (await repo.recipes_of(conn, brand_id, [product])).get(product, []):
        row = await move(
            conn,
            brand_id,
            storage,
            ingredient.ingredient_id,
            -q4(ingredient.gross * quantity),
            cause=cause,
            at=at,
            default_cost=ingredient.cost_price,
        )
        spent += row["total_cost"]
    return await move(
        conn, brand_id, storage, product, quantity, cause=cause, at=at, unit_cost=spent / quantity
    )
