"""The finance read endpoints: money accounts and their states, transactions, categories, cash shifts.

Each read is scoped to the caller's brand, so another brand's id is a 404 like an unknown one. Filters
name columns; a ``TEXT`` filter matches case-insensitively anywhere in the value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.auth.directory import BrandInfo
from clopos_server.db.finance_models import CashShift, FinanceCategory, FinanceTransaction, MoneyAccount
from clopos_server.db.models import Balance, Customer
from clopos_server.errors import invalid_parameter, not_found
from clopos_server.finance import repository as repo
from clopos_server.finance.render import render_account, render_category, render_shift, render_transaction
from clopos_server.finance.shifts import report_of, shift_not_found
from clopos_server.kit.query import ListQuery
from clopos_server.timeutil import business_days_range, utcnow

TEXT_FILTERS = frozenset({"name"})
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def conditions_of(query: ListQuery, columns: Mapping[str, Any]) -> list[ColumnElement[bool]]:
    """One condition per filter sent: any of the values (text filters: contained, any case)."""
    conditions: list[ColumnElement[bool]] = []
    for name, values in query.filters.items():
        column = columns.get(name)
        if column is None:
            continue
        if name in TEXT_FILTERS:
            conditions.append(func.lower(column).contains(str(values[0]).lower(), autoescape=True))
        else:
            conditions.append(column.in_(list(values)))
    return conditions


def required_param(query: ListQuery, name: str) -> Any:
    value = query.params.get(name)
    if value is None:
        raise invalid_parameter(name, f"{name} is required")
    return value


def day_bounds(brand: BrandInfo, first: date | None, last: date | None) -> tuple[Any, Any]:
    """UTC bounds ``[start, end)`` of business days ``first`` to ``last``; an end beyond what a datetime
    holds (year 1, 9999-12-31) is left open rather than failing."""
    zone, cutoff = brand.timezone, brand.day_cutoff_hour
    try:
        start = business_days_range(first, None, zone, cutoff)[0]
    except OverflowError:
        start = None
    try:
        end = business_days_range(None, last, zone, cutoff)[1]
    except OverflowError:
        end = None
    return start, end


def dated(query: ListQuery, brand: BrandInfo, column: Any) -> list[ColumnElement[bool]]:
    start, end = day_bounds(brand, query.date_from, query.date_to)
    bounds: list[ColumnElement[bool]] = []
    if start is not None:
        bounds.append(column >= start)
    if end is not None:
        bounds.append(column < end)
    return bounds


# --------------------------------------------------------------------------------------------------------
# Money accounts

ACCOUNT_COLUMNS = {
    "id": MoneyAccount.id,
    "name": MoneyAccount.name,
    "type": MoneyAccount.type,
    "venue_id": MoneyAccount.venue_id,
    "amount": MoneyAccount.amount,
    "position": MoneyAccount.position,
    "created_at": MoneyAccount.created_at,
}


async def _render_accounts(
    conn: AsyncConnection, brand_id: int, rows: list[Row[Any]]
) -> list[dict[str, Any]]:
    methods = await repo.methods_of_accounts(conn, brand_id, [row.id for row in rows])
    return [render_account(row, methods[row.id]) for row in rows]


async def list_accounts(
    conn: AsyncConnection, brand: BrandInfo, query: ListQuery
) -> tuple[list[dict[str, Any]], int]:
    statement = repo.accounts(brand.id, *conditions_of(query, ACCOUNT_COLUMNS))
    rows, total = await repo.page(conn, statement, query, ACCOUNT_COLUMNS, MoneyAccount.id)
    return await _render_accounts(conn, brand.id, rows), total


async def account_row(conn: AsyncConnection, brand_id: int, account_id: int) -> Row[Any]:
    row = await repo.account(conn, brand_id, account_id)
    if row is None:
        raise not_found(f"Money account {account_id} not found")
    return row


async def read_account(conn: AsyncConnection, brand: BrandInfo, account_id: int) -> dict[str, Any]:
    return (await _render_accounts(conn, brand.id, [await account_row(conn, brand.id, account_id)]))[0]


def parse_day(raw: Any) -> date:
    """``date=YYYY-MM-DD``, required."""
    if raw is None or raw == "":
        raise invalid_parameter("date", "date is required, as YYYY-MM-DD")
    text = str(raw).strip()
    try:
        if not DAY.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise invalid_parameter("date", "date must be a date, YYYY-MM-DD") from None


async def date_states(
    conn: AsyncConnection, brand: BrandInfo, query: ListQuery
) -> tuple[list[dict[str, Any]], int]:
    """Each account's amount at the end of business day ``date``: after its last movement before the
    next day began (its opening amount when it had none), or nothing for an account created later."""
    day = parse_day(query.params.get("date"))
    end = day_bounds(brand, None, day)[1] or utcnow()
    statement = repo.accounts(brand.id, *conditions_of(query, ACCOUNT_COLUMNS))
    rows, total = await repo.page(conn, statement, query, ACCOUNT_COLUMNS, MoneyAccount.id)
    amounts = await repo.amounts_at(conn, brand.id, [row.id for row in rows], end)
    return [
        {
            "balance_id": row.id,
            "name": row.name,
            "type": row.type,
            "currency": row.currency,
            "date": day.isoformat(),
            "amount": amounts.get(row.id, row.opening_amount) if row.created_at < end else None,
        }
        for row in rows
    ], total


async def customer_balance(conn: AsyncConnection, brand: BrandInfo, query: ListQuery) -> dict[str, Any]:
    """The customer's own balance (the account a ``Customer Balance`` payment draws on)."""
    customer_id = int(required_param(query, "customer_id"))
    statement: repo.AnySelect = (
        select(Balance, Customer.id.label("customer_id"))
        .join(Customer, Customer.balance_id == Balance.id)
        .where(Customer.brand_id == brand.id, Customer.id == customer_id, Balance.brand_id == brand.id)
    )
    row = await repo.one(conn, statement)
    if row is None:
        raise not_found(f"Customer {customer_id} not found")
    return {
        "id": row.id,
        "customer_id": row.customer_id,
        "name": row.name,
        "type": row.type,
        "venue_id": row.venue_id,
        "amount": row.amount,
        "currency": brand.currency,
    }


# --------------------------------------------------------------------------------------------------------
# Transactions

TRANSACTION_COLUMNS = {
    "id": FinanceTransaction.id,
    "operated_at": FinanceTransaction.operated_at,
    "amount": FinanceTransaction.amount,
    "balance_id": FinanceTransaction.balance_id,
    "category_id": FinanceTransaction.category_id,
    "type": FinanceTransaction.type,
    "receipt_id": FinanceTransaction.receipt_id,
    "operation_id": FinanceTransaction.operation_id,
    "customer_id": FinanceTransaction.customer_id,
    "supplier_id": FinanceTransaction.supplier_id,
}


async def list_transactions(
    conn: AsyncConnection,
    brand: BrandInfo,
    query: ListQuery,
    *extra: ColumnElement[bool],
) -> tuple[list[dict[str, Any]], int]:
    conditions = [
        *conditions_of(query, TRANSACTION_COLUMNS),
        *dated(query, brand, FinanceTransaction.operated_at),
        *extra,
    ]
    statement = repo.transactions(brand.id, *conditions)
    rows, total = await repo.page(conn, statement, query, TRANSACTION_COLUMNS, FinanceTransaction.id)
    return [render_transaction(row) for row in rows], total


async def account_transactions(
    conn: AsyncConnection, brand: BrandInfo, query: ListQuery
) -> tuple[list[dict[str, Any]], int]:
    """``/balances/transactions?balance_id=``: one account's movements (a foreign account: 404)."""
    account_id = int(required_param(query, "balance_id"))
    await account_row(conn, brand.id, account_id)
    return await list_transactions(conn, brand, query, FinanceTransaction.balance_id == account_id)


async def read_transaction(conn: AsyncConnection, brand: BrandInfo, transaction_id: int) -> dict[str, Any]:
    row = await repo.one(conn, repo.transactions(brand.id, FinanceTransaction.id == transaction_id))
    if row is None:
        raise not_found(f"Transaction {transaction_id} not found")
    return render_transaction(row)


# --------------------------------------------------------------------------------------------------------
# Categories

CATEGORY_COLUMNS = {
    "id": FinanceCategory.id,
    "name": FinanceCategory.name,
    "position": FinanceCategory.position,
    "created_at": FinanceCategory.created_at,
    "type": FinanceCategory.type,
    "parent_id": FinanceCategory.parent_id,
}


async def list_categories(
    conn: AsyncConnection, brand: BrandInfo, query: ListQuery
) -> tuple[list[dict[str, Any]], int]:
    statement = repo.categories(brand.id, *conditions_of(query, CATEGORY_COLUMNS))
    rows, total = await repo.page(conn, statement, query, CATEGORY_COLUMNS, FinanceCategory.id)
    return [render_category(row) for row in rows], total


async def read_category(conn: AsyncConnection, brand: BrandInfo, category_id: int) -> dict[str, Any]:
    """One category with its children's ids (the tree, one level at a time)."""
    row = await repo.one(conn, repo.categories(brand.id, FinanceCategory.id == category_id))
    if row is None:
        raise not_found(f"Finance category {category_id} not found")
    children = await conn.execute(
        select(FinanceCategory.id)
        .where(FinanceCategory.brand_id == brand.id, FinanceCategory.parent_id == category_id)
        .order_by(FinanceCategory.position, FinanceCategory.id)
    )
    return {**render_category(row), "children": [child.id for child in children]}


# --------------------------------------------------------------------------------------------------------
# Cash shifts

SHIFT_COLUMNS = {
    "opened_at": CashShift.opened_at,
    "closed_at": CashShift.closed_at,
    "terminal_id": CashShift.terminal_id,
    "venue_id": CashShift.venue_id,
}


async def list_shifts(
    conn: AsyncConnection, brand: BrandInfo, query: ListQuery
) -> tuple[list[dict[str, Any]], int]:
    conditions = [*conditions_of(query, SHIFT_COLUMNS), *dated(query, brand, CashShift.opened_at)]
    status = query.filters.get("status", ())
    if len(set(status)) == 1:
        conditions.append(
            CashShift.closed_at.is_(None) if status[0] == "open" else CashShift.closed_at.isnot(None)
        )
    statement = repo.shifts(brand.id, *conditions)
    rows, total = await repo.page(conn, statement, query, SHIFT_COLUMNS, CashShift.uuid)
    return [render_shift(row) for row in rows], total


async def shift_row(conn: AsyncConnection, brand_id: int, shift_uuid: str) -> Row[Any]:
    row = await repo.shift(conn, brand_id, shift_uuid)
    if row is None:
        raise shift_not_found(shift_uuid)
    return row


async def read_shift(conn: AsyncConnection, brand: BrandInfo, shift_uuid: str) -> dict[str, Any]:
    return render_shift(await shift_row(conn, brand.id, shift_uuid))


async def shift_report(conn: AsyncConnection, brand: BrandInfo, shift_uuid: str) -> dict[str, Any]:
    row = await shift_row(conn, brand.id, shift_uuid)
    return {**render_shift(row), **await report_of(conn, brand.id, row, utcnow())}
