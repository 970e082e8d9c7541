"""The receipt events of the log (docs/events.md): each receipt writer records one in its own transaction,
with the receipt as ``GET /open-api/v2/receipts/{id}`` renders it then (its lines included)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.events import log as events
from clopos_server.receipts.reads import whole


async def record_receipt(
    conn: AsyncConnection,
    kind: str,
    brand_id: int,
    receipt_id: int,
    before: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Record ``kind`` for the receipt as it is now (``previous_attributes`` from ``before``, the receipt as
    rendered before the change); returns the receipt. An update that changed nothing records nothing."""
    receipt = await whole(conn, brand_id, receipt_id)
    await record_rendered(conn, kind, brand_id, receipt, before)
    return receipt


async def record_rendered(
    conn: AsyncConnection,
    kind: str,
    brand_id: int,
    receipt: Mapping[str, Any],
    before: Mapping[str, Any] | None = None,
) -> None:
    """Record ``kind`` for a receipt already rendered (a deleted one is rendered before it goes)."""
    previous = events.previous_attributes(before, receipt) if before is not None else None
    if kind == events.RECEIPT_UPDATED and not previous:
        return
    await events.record(conn, kind, brand_id, receipt.get("venue_id"), dict(receipt), previous)
