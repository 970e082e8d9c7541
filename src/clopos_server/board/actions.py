"""What the board's buttons do: calls into the order and receipt services (which own every rule), and
the catalogue's stop-list service. Each runs in one transaction; events go out after the commit."""

from __future__ import annotations

from typing import Any

from clopos_server.board.staff import BoardContext
from clopos_server.catalog.service import clear_stop_limit, set_stop_limit
from clopos_server.events.outbox import Outbox
from clopos_server.orders import lifecycle
from clopos_server.receipts import closing as receipts
from clopos_server.services import Services


async def accept(services: Services, context: BoardContext, order_id: int) -> None:
    """PENDING -> RECEIVED: the lifecycle service spends the stop list and opens the receipt."""
    outbox = Outbox()
    async with services.db.write() as conn:
        await lifecycle.accept(
            conn,
            context.brand,
            order_id,
            outbox=outbox,
            by=context.credential_ref,
            user_id=context.user_id,
        )
    await outbox.flush(services)


async def ignore(services: Services, context: BoardContext, order_id: int) -> None:
    outbox = Outbox()
    async with services.db.write() as conn:
        await lifecycle.ignore(conn, context.brand, order_id, outbox=outbox, by=context.credential_ref)
    await outbox.flush(services)


async def deliver(services: Services, context: BoardContext, order_id: int) -> None:
    outbox = Outbox()
    async with services.db.write() as conn:
        await lifecycle.deliver(conn, context.brand, order_id, outbox=outbox, by=context.credential_ref)
    await outbox.flush(services)


async def close_receipt(
    services: Services, context: BoardContext, receipt_id: int, payments: list[dict[str, Any]]
) -> None:
    """Close with payments (their sum must equal the total); the receipt service delivers the order."""
    outbox = Outbox()
    async with services.db.write() as conn:
        await receipts.close(
            conn,
            context,
            receipt_id,
            {"payment_methods": payments},
            outbox=outbox,
            by=context.credential_ref,
            deliver=lifecycle.deliver_if_received,
        )
    await outbox.flush(services)


async def set_stop(services: Services, context: BoardContext, product_id: int, limit: int) -> None:
    await set_stop_limit(services.db, context.brand.slug, product_id, limit)
    await services.directory.refresh(services.db)  # this instance prices with the new limit at once


async def clear_stop(services: Services, context: BoardContext, product_id: int) -> None:
    await clear_stop_limit(services.db, context.brand.slug, product_id)
    await services.directory.refresh(services.db)
