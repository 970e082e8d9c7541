"""The one way money moves: :func:`post` changes an account's amount and writes the transaction row that
says so, in the caller's database transaction, so that an account's amount always equals its opening
amount plus its transactions' amounts.

The amount moves by an atomic ``UPDATE ... SET amount = amount + x RETURNING amount``: two receipts closed
at once into one account queue on the row, and each transaction's ``before_amount`` is exactly the
previous one's ``after_amount``. Callers moving several accounts post them in account-id order, so two
such callers can never wait on each other in a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.db.finance_models import FinanceTransaction
from clopos_server.errors import not_found
from clopos_server.finance import repository as repo

INCOME, EXPENSE, TRANSFER = "income", "expense", "transfer"
TYPES = (INCOME, EXPENSE, TRANSFER)


@dataclass(frozen=True)
class Movement:
    """What one transaction records besides the account and the amount."""

    type: str
    operated_at: datetime
    category_id: int | None = None
    receipt_id: int | None = None
    operation_id: int | None = None
    customer_id: int | None = None
    supplier_id: int | None = None
    description: str | None = None


async def post(
    conn: AsyncConnection, brand_id: int, account_id: int, amount: Decimal, movement: Movement
) -> int:
    """Move ``amount`` (signed: income adds, expense takes) into the account; the new transaction's id."""
    after = await repo.move_amount(conn, brand_id, account_id, amount)
    if after is None:
        raise not_found(f"Money account {account_id} not found")
    return await repo.insert_returning_id(
        conn,
        FinanceTransaction,
        {
            "brand_id": brand_id,
            "balance_id": account_id,
            "category_id": movement.category_id,
            "type": movement.type,
            "amount": amount,
            "before_amount": after - amount,
            "after_amount": after,
            "receipt_id": movement.receipt_id,
            "operation_id": movement.operation_id,
            "customer_id": movement.customer_id,
            "supplier_id": movement.supplier_id,
            "description": movement.description,
            "operated_at": movement.operated_at,
        },
    )


async def transfer(
    conn: AsyncConnection,
    brand_id: int,
    source: int,
    target: int,
    amount: Decimal,
    operated_at: datetime,
    description: str | None = None,
) -> tuple[int, int]:
    """Move ``amount`` from ``source`` to ``target``: two ``transfer`` transactions (out, then in),
    posted in account-id order. Returns (the out transaction's id, the in one's)."""
    legs = sorted([(source, -amount), (target, amount)])
    ids: dict[int, int] = {}
    for account_id, delta in legs:
        movement = Movement(TRANSFER, operated_at, description=description)
        ids[account_id] = await post(conn, brand_id, account_id, delta, movement)
    return ids[source], ids[target]
