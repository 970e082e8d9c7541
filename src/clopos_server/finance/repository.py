"""Finance queries. Every query takes the brand, so another brand's account, shift or category is simply
not found (a 404 upstairs)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeAlias

from sqlalchemy import ColumnElement, Row, Select, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.db.finance_models import (
    CashShift,
    CashShiftReceipt,
    FinanceCategory,
    FinanceTransaction,
    MoneyAccount,
    MoneyAccountMethod,
)
from clopos_server.kit.query import ListQuery

AnySelect: TypeAlias = Select[*tuple[Any, ...]]


async def page(
    conn: AsyncConnection,
    statement: AnySelect,
    query: ListQuery,
    sort_columns: dict[str, Any],
    tiebreak: Any,
) -> tuple[list[Row[Any]], int]:
    """One page of ``statement`` sorted as ``query`` asks (ties broken by ``tiebreak``), and the total."""
    total = (await conn.execute(select(func.count()).select_from(statement.subquery()))).scalar_one()
    column = sort_columns.get(query.sort, tiebreak)
    order = [column.desc() if query.descending else column.asc(), tiebreak.asc()]
    rows = (await conn.execute(statement.order_by(*order).limit(query.limit).offset(query.offset))).all()
    return list(rows), int(total)


async def one(conn: AsyncConnection, statement: AnySelect) -> Row[Any] | None:
    row: Row[Any] | None = (await conn.execute(statement)).first()
    return row


def accounts(brand_id: int, *conditions: ColumnElement[bool]) -> AnySelect:
    return select(MoneyAccount).where(MoneyAccount.brand_id == brand_id, *conditions)


async def account(conn: AsyncConnection, brand_id: int, account_id: int) -> Row[Any] | None:
    return await one(conn, accounts(brand_id, MoneyAccount.id == account_id))


async def accounts_for_methods(
    conn: AsyncConnection, brand_id: int, venue_id: int, method_ids: Sequence[int]
) -> dict[int, Row[Any]]:
    """The account each payment method pays into at ``venue_id``: the venue's own account first, then a
    brand-wide one (``venue_id`` null), the lowest id among equals. Methods bound to none are absent."""
    if not method_ids:
        return {}
    statement = (
        select(MoneyAccountMethod.payment_method_id, MoneyAccount)
        .join(MoneyAccount, MoneyAccount.id == MoneyAccountMethod.account_id)
        .where(
            MoneyAccountMethod.brand_id == brand_id,
            MoneyAccountMethod.payment_method_id.in_(sorted(set(method_ids))),
            or_(MoneyAccount.venue_id == venue_id, MoneyAccount.venue_id.is_(None)),
        )
        .order_by(MoneyAccount.venue_id.is_(None), MoneyAccount.id)
    )
    found: dict[int, Any] = {}
    for row in (await conn.execute(statement)).all():
        found.setdefault(row.payment_method_id, row)
    return found


async def methods_of_accounts(
    conn: AsyncConnection, brand_id: int, account_ids: Sequence[int]
) -> dict[int, list[int]]:
    statement = (
        select(MoneyAccountMethod.account_id, MoneyAccountMethod.payment_method_id)
        .where(MoneyAccountMethod.brand_id == brand_id, MoneyAccountMethod.account_id.in_(list(account_ids)))
        .order_by(MoneyAccountMethod.payment_method_id)
    )
    bound: dict[int, list[int]] = {ident: [] for ident in account_ids}
    for row in (await conn.execute(statement)).all():
        bound[row.account_id].append(row.payment_method_id)
    return bound


async def move_amount(
    conn: AsyncConnection, brand_id: int, account_id: int, delta: Decimal
) -> Decimal | None:
    """Add ``delta`` to the account in one atomic statement and return the new amount (None: no such
    account). Concurrent movers queue on the row, so each sees the amount the previous one left."""
    statement = (
        update(MoneyAccount)
        .where(MoneyAccount.brand_id == brand_id, MoneyAccount.id == account_id)
        .values(amount=MoneyAccount.amount + delta)
        .returning(MoneyAccount.amount)
    )
    amount: Decimal | None = (await conn.execute(statement)).scalar_one_or_none()
    return amount


async def insert_returning_id(conn: AsyncConnection, model: Any, values: dict[str, Any]) -> int:
    ident: int = (await conn.execute(insert(model).values(**values).returning(model.id))).scalar_one()
    return ident


def transactions(brand_id: int, *conditions: ColumnElement[bool]) -> AnySelect:
    return select(FinanceTransaction).where(FinanceTransaction.brand_id == brand_id, *conditions)


async def transactions_of_receipt(conn: AsyncConnection, brand_id: int, receipt_id: int) -> list[Row[Any]]:
    statement = transactions(brand_id, FinanceTransaction.receipt_id == receipt_id).order_by(
        FinanceTransaction.id
    )
    return list((await conn.execute(statement)).all())


async def amounts_at(
    conn: AsyncConnection, brand_id: int, account_ids: Sequence[int], moment: datetime
) -> dict[int, Decimal]:
    """Each account's amount just before ``moment``: the ``after_amount`` of its last earlier movement
    (accounts that had none are absent)."""
    latest = (
        select(FinanceTransaction.balance_id, func.max(FinanceTransaction.id).label("last_id"))
        .where(
            FinanceTransaction.brand_id == brand_id,
            FinanceTransaction.balance_id.in_(list(account_ids)),
            FinanceTransaction.operated_at < moment,
        )
        .group_by(FinanceTransaction.balance_id)
        .subquery()
    )
    statement = select(FinanceTransaction.balance_id, FinanceTransaction.after_amount).join(
        latest, FinanceTransaction.id == latest.c.last_id
    )
    return {row.balance_id: row.after_amount for row in (await conn.execute(statement)).all()}


def categories(brand_id: int, *conditions: ColumnElement[bool]) -> AnySelect:
    return select(FinanceCategory).where(FinanceCategory.brand_id == brand_id, *conditions)


async def category_id_of(conn: AsyncConnection, brand_id: int, system_type: str) -> int | None:
    """The brand's category the server files ``system_type`` movements under (lowest id), if any."""
    statement = (
        select(FinanceCategory.id)
        .where(FinanceCategory.brand_id == brand_id, FinanceCategory.system_type == system_type)
        .order_by(FinanceCategory.id)
        .limit(1)
    )
    ident: int | None = (await conn.execute(statement)).scalar_one_or_none()
    return ident


def shifts(brand_id: int, *conditions: ColumnElement[bool]) -> AnySelect:
    return select(CashShift).where(CashShift.brand_id == brand_id, *conditions)


async def shift(conn: AsyncConnection, brand_id: int, shift_uuid: str) -> Row[Any] | None:
    return await one(conn, shifts(brand_id, CashShift.uuid == shift_uuid))


async def open_shift_at(conn: AsyncConnection, brand_id: int, venue_id: int) -> Row[Any] | None:
    """The venue's open shift (the earliest opened, when several terminals have one), share-locked on
    PostgreSQL so that closing it waits for the receipt being filed into it."""
    statement = (
        shifts(brand_id, CashShift.venue_id == venue_id, CashShift.closed_at.is_(None))
        .order_by(CashShift.opened_at, CashShift.uuid)
        .limit(1)
        .with_for_update(read=True)
    )
    return await one(conn, statement)


async def close_shift(conn: AsyncConnection, brand_id: int, shift_uuid: str, values: dict[str, Any]) -> bool:
    """Close the shift if it is still open: False when another request closed it first."""
    statement = (
        update(CashShift)
        .where(CashShift.brand_id == brand_id, CashShift.uuid == shift_uuid, CashShift.closed_at.is_(None))
        .values(**values)
    )
    return (await conn.execute(statement)).rowcount == 1


async def shift_receipts(conn: AsyncConnection, brand_id: int, shift_uuid: str) -> list[Row[Any]]:
    statement = (
        select(CashShiftReceipt)
        .where(CashShiftReceipt.brand_id == brand_id, CashShiftReceipt.shift_uuid == shift_uuid)
        .order_by(CashShiftReceipt.id)
    )
    return list((await conn.execute(statement)).all())


async def mark_refunded(conn: AsyncConnection, brand_id: int, receipt_id: int, moment: datetime) -> None:
    await conn.execute(
        update(CashShiftReceipt)
        .where(
            CashShiftReceipt.brand_id == brand_id,
            CashShiftReceipt.receipt_id == receipt_id,
            CashShiftReceipt.refunded_at.is_(None),
        )
        .values(refunded_at=moment)
    )


async def cash_movements(
    conn: AsyncConnection, brand_id: int, venue_id: int, start: datetime, end: datetime | None
) -> list[Decimal]:
    """Amounts moved in or out of the venue's cash accounts between ``start`` and ``end`` by anything but
    a receipt (supplies paid in cash, transfers): the shift report's cash in and out."""
    conditions = [
        FinanceTransaction.brand_id == brand_id,
        FinanceTransaction.receipt_id.is_(None),
        FinanceTransaction.operated_at >= start,
        MoneyAccount.type == "cash",
        or_(MoneyAccount.venue_id == venue_id, MoneyAccount.venue_id.is_(None)),
    ]
    if end is not None:
        conditions.append(FinanceTransaction.operated_at <= end)
    statement = (
        select(FinanceTransaction.amount)
        .join(MoneyAccount, MoneyAccount.id == FinanceTransaction.balance_id)
        .where(*conditions)
    )
    return [row.amount for row in (await conn.execute(statement)).all()]


async def insert_returning_none(conn: AsyncConnection, model: Any, values: dict[str, Any]) -> None:
    await conn.execute(insert(model).values(**values))
