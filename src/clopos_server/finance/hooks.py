"""What receipts write into finance, called from ``receipts`` inside the transaction that closes or
deletes the receipt (so a refused close or delete leaves no money moved).

Closing writes one income transaction per payment into the account its payment method is bound to at the
receipt's venue (a method bound to none moves no money) and, when the brand has the ``cash_shift`` module
and a shift is open at the venue, files the receipt into that shift. Deleting a closed receipt writes the
reversing transactions (the same accounts, the opposite amounts) and marks it refunded in its shift.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.db.finance_models import CashShiftReceipt
from clopos_server.finance import modules
from clopos_server.finance import repository as repo
from clopos_server.finance.ledger import INCOME, Movement, post
from clopos_server.kit.values import to_decimal
from clopos_server.timeutil import utcnow

SALES = "sales"  # the system_type of the category receipts' income is filed under


async def receipt_closed(
    conn: AsyncConnection,
    brand_id: int,
    receipt: Row[Any],
    payments: Sequence[dict[str, Any]],
    closed_at: datetime,
    *,
    shift_uuid: str | None = None,
) -> None:
    """Income per payment, and the receipt filed into the venue's open cash shift (or into ``shift_uuid``:
    the demo seed files its closed receipt into the shift it was taken in)."""
    accounts = await repo.accounts_for_methods(
        conn, brand_id, receipt.venue_id, [int(p["id"]) for p in payments]
    )
    category_id = await repo.category_id_of(conn, brand_id, SALES)
    taken: list[dict[str, Any]] = []
    for payment in sorted(payments, key=lambda p: _account_order(accounts, p)):
        amount = to_decimal(payment.get("amount")) or Decimal(0)
        account = accounts.get(int(payment["id"]))
        taken.append(_taken(payment, amount, account))
        if account is None or amount == 0:
            continue
        label = f"Receipt {receipt.id}: {payment.get('name') or 'payment'}"
        await post(conn, brand_id, account.id, amount, _income(receipt, closed_at, category_id, label))
    if shift_uuid is None and await modules.has_cash_shifts(conn, brand_id):
        shift = await repo.open_shift_at(conn, brand_id, receipt.venue_id)
        shift_uuid = shift.uuid if shift is not None else None
    if shift_uuid is not None:
        await _file_into_shift(conn, brand_id, shift_uuid, receipt, taken, closed_at)


def _income(receipt: Row[Any], when: datetime, category_id: int | None, description: str) -> Movement:
    """A receipt's income (or, with a negative amount, its reversal)."""
    return Movement(
        INCOME,
        when,
        category_id=category_id,
        receipt_id=receipt.id,
        customer_id=receipt.customer_id,
        description=description,
    )


def _account_order(accounts: dict[int, Row[Any]], payment: dict[str, Any]) -> int:
    account = accounts.get(int(payment["id"]))
    return account.id if account is not None else 0


def _taken(payment: dict[str, Any], amount: Decimal, account: Row[Any] | None) -> dict[str, Any]:
    """A payment as the shift keeps it: the method, the amount, and whether it went into a cash account."""
    return {
        "id": int(payment["id"]),
        "name": payment.get("name") or "",
        "amount": str(amount),
        "cash": account is not None and account.type == "cash",
    }


async def _file_into_shift(
    conn: AsyncConnection,
    brand_id: int,
    shift_uuid: str,
    receipt: Row[Any],
    taken: list[dict[str, Any]],
    closed_at: datetime,
) -> None:
    await repo.insert_returning_id(
        conn,
        CashShiftReceipt,
        {
            "brand_id": brand_id,
            "receipt_id": receipt.id,
            "shift_uuid": shift_uuid,
            "total": receipt.total,
            "payments": taken,
            "closed_at": closed_at,
        },
    )


async def receipt_deleted(conn: AsyncConnection, brand_id: int, receipt: Row[Any]) -> None:
    """Reverse every transaction the receipt wrote that is not reversed yet (in account-id order)."""
    written = await repo.transactions_of_receipt(conn, brand_id, receipt.id)
    now = utcnow()
    outstanding: dict[int, Decimal] = {}
    for row in written:
        outstanding[row.balance_id] = outstanding.get(row.balance_id, Decimal(0)) + row.amount
    for account_id in sorted(outstanding):
        amount = outstanding[account_id]
        if amount == 0:
            continue
        category_id = next((r.category_id for r in written if r.balance_id == account_id), None)
        label = f"Receipt {receipt.id} deleted: reversal"
        await post(conn, brand_id, account_id, -amount, _income(receipt, now, category_id, label))
    await repo.mark_refunded(conn, brand_id, receipt.id, now)
