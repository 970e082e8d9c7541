"""The demo brand's finance (spec/demo-data.md): categories, a cash and a card account bound to the Cash and
Card payment methods, the weekly drinks supply paid from the cash account, and one closed cash shift that
took the demo's closed receipt.

Seeded through the same functions the CLI uses (create an account, open a shift, file a closed receipt,
close the shift), so the demo exercises the operators' path; the ids are fixed, like the rest of the demo.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.db.engine import Database, dialect_of
from clopos_server.db.finance_models import FinanceCategory, FinanceTransaction, MoneyAccount
from clopos_server.db.models import Brand, Receipt
from clopos_server.finance import hooks, shifts, supplies
from clopos_server.finance.accounts import NewAccount, NewCategory, create_account, create_category


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def seed(db: Database, slug: str, document: dict[str, Any]) -> bool:
    """Load ``document`` into brand ``slug`` unless it has money accounts already; whether it did."""
    async with db.write() as conn:
        brand_id = (await conn.execute(select(Brand.id).where(Brand.slug == slug))).scalar_one_or_none()
        if brand_id is None:
            return False
        known = select(MoneyAccount.id).where(MoneyAccount.brand_id == brand_id).limit(1)
        if (await conn.execute(known)).first() is not None:
            return False
        await _align_sequences(conn)
        created = _moment("2025-01-01 00:00:00")
        for category in document.get("categories", []):
            await create_category(conn, brand_id, NewCategory(**category), created)
        for account in document.get("accounts", []):
            values = {**account, "opening_amount": Decimal(account["opening_amount"])}
            await create_account(conn, brand_id, NewAccount(**values), created)
        await _align_sequences(conn)
        for paid in document.get("paid_supplies", []):
            await supplies.mark_paid(
                conn, brand_id, paid["operation_id"], paid["account_id"], _moment(paid["paid_at"])
            )
        for shift in document.get("cash_shifts", []):
            await _shift(conn, brand_id, shift)
    return True


async def _shift(conn: AsyncConnection, brand_id: int, shift: dict[str, Any]) -> None:
    """Open the shift, close its receipts into it as the POS did, close it with the counted cash."""
    opening = shifts.OpenShift(
        shift["venue_id"], shift["terminal_id"], Decimal(shift["opening_amount"]), shift.get("opened_by")
    )
    row = await shifts.open_shift(conn, brand_id, opening, _moment(shift["opened_at"]), shift["uuid"])
    for receipt_id in shift.get("receipts", []):
        receipt = (
            await conn.execute(select(Receipt).where(Receipt.brand_id == brand_id, Receipt.id == receipt_id))
        ).one()
        await hooks.receipt_closed(
            conn, brand_id, receipt, receipt.payment_methods, receipt.closed_at, shift_uuid=row.uuid
        )
    await shifts.close_shift(
        conn,
        brand_id,
        row.uuid,
        Decimal(shift["counted_amount"]),
        shift.get("closed_by"),
        _moment(shift["closed_at"]),
    )


async def _align_sequences(conn: AsyncConnection) -> None:
    """PostgreSQL: each finance table's next id is one past its largest (explicit ids do not advance a
    sequence, and an import sets empty tables' sequences past 1), so the demo's ids are the same as on
    SQLite."""
    if dialect_of(conn) != "postgresql":
        return
    for table in (MoneyAccount.__table__, FinanceCategory.__table__, FinanceTransaction.__table__):
        following = select(func.coalesce(func.max(table.c.id), 0) + 1).scalar_subquery()
        sequence = func.pg_get_serial_sequence(str(table), "id")
        await conn.execute(select(func.setval(sequence, following, False)))
