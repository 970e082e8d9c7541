"""``PATCH /receipts/{id}`` (spec/orders.md, "Receipts"): the four editable fields, and the lock.

A locked receipt refuses every change but an unlock; the refusal is a conditional update, so a lock set
by a concurrent request is honoured.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.auth.context import AuthContext
from clopos_server.db.models import Receipt
from clopos_server.errors import ApiError, conflict
from clopos_server.events import log as events
from clopos_server.kit.body import BodyReader
from clopos_server.receipts import logged
from clopos_server.receipts import repository as repo
from clopos_server.receipts.input import (
    FISCAL_ID_LENGTH,
    INVALID_FIELDS,
    ORDER_NUMBER_LENGTH,
    PATCHABLE,
    RECEIPT_ORDER_STATUSES,
)
from clopos_server.receipts.reads import receipt_not_found, receipt_row, whole
from clopos_server.timeutil import utcnow


def _read_patch(reader: BodyReader, body: Mapping[str, Any], receipt_id: int) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key, value in body.items():
        if key == "id":
            if reader.integer(value, "id", required=True) not in (None, receipt_id):
                reader.fail("id", f"id must be the receipt's id in the path, {receipt_id}")
        elif key == "order_status":
            changes[key] = reader.choice(value, key, RECEIPT_ORDER_STATUSES, required=True)
        elif key == "order_number":
            changes[key] = reader.string(value, key, limit=ORDER_NUMBER_LENGTH)
        elif key == "fiscal_id":
            changes[key] = reader.string(value, key, limit=FISCAL_ID_LENGTH)
        elif key == "lock":
            changes[key] = reader.boolean(value, key, required=True)
        else:
            reader.fail(str(key)[:100], f"{str(key)[:100]} cannot be changed: only {', '.join(PATCHABLE)}")
    if not changes and not reader.problems:
        reader.fail("body", f"Send at least one of {', '.join(PATCHABLE)}")
    return changes


def locked_refusal(receipt_id: int) -> ApiError:
    return conflict(f'Receipt {receipt_id} is locked: it refuses every change but {{"lock": false}}')


async def patch(
    conn: AsyncConnection, context: AuthContext, receipt_id: int, body: Mapping[str, Any]
) -> dict[str, Any]:
    """``PATCH /receipts/{id}``: ``order_status``, ``order_number``, ``fiscal_id``, ``lock``; works on
    closed receipts; a locked receipt takes only ``{"lock": false}``."""
    brand_id = context.brand.id
    reader = BodyReader(subject="receipt", message=INVALID_FIELDS)
    changes = _read_patch(reader, body, receipt_id)
    reader.done()
    before = await whole(conn, brand_id, receipt_id)
    await apply_changes(conn, brand_id, await receipt_row(conn, brand_id, receipt_id), changes)
    return await logged.record_receipt(conn, events.RECEIPT_UPDATED, brand_id, receipt_id, before)


async def apply_changes(conn: AsyncConnection, brand_id: int, row: Row[Any], changes: dict[str, Any]) -> None:
    """Write ``changes``; on a locked receipt only an unlock goes through (a conditional update)."""
    if not changes:
        return
    values = {**changes, "updated_at": utcnow()}
    if changes == {"lock": False}:
        await repo.update_receipt(conn, brand_id, row.id, values)
        return
    if not await repo.update_receipt(conn, brand_id, row.id, values, Receipt.lock.is_(False)):
        if await repo.get_receipt(conn, brand_id, row.id) is None:
            raise receipt_not_found()
        raise locked_refusal(row.id)
