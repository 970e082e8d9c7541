"""Taxes: the brand's rates (the catalogue's taxes), the tax-type vocabulary, and the tax collected from
closed receipts by tax and business day (the business day of the moment the receipt closed).

The collected amounts are the ones each receipt line stored when it was priced (``taxes`` of a line:
``{id, name, rate, type, amount}``), so the report repeats exactly what the receipts said.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.auth.directory import BrandInfo
from clopos_server.db.models import Receipt, ReceiptProduct, Tax
from clopos_server.errors import not_found
from clopos_server.finance import repository as repo
from clopos_server.finance.reads import conditions_of, dated
from clopos_server.finance.render import render_tax
from clopos_server.kit.query import ListQuery
from clopos_server.kit.values import to_decimal
from clopos_server.timeutil import business_day

CLOSED = 2
TAX_TYPE_NAMES = {
    "INCLUSIVE": "Included in the price",
    "EXCLUSIVE": "Added on top of the price",
}
TAX_COLUMNS = {"id": Tax.id, "name": Tax.name, "rate": Tax.rate, "priority": Tax.priority, "type": Tax.type}


async def list_taxes(
    conn: AsyncConnection, brand: BrandInfo, query: ListQuery
) -> tuple[list[dict[str, Any]], int]:
    statement = select(Tax).where(Tax.brand_id == brand.id, *conditions_of(query, TAX_COLUMNS))
    rows, total = await repo.page(conn, statement, query, TAX_COLUMNS, Tax.id)
    return [render_tax(row) for row in rows], total


async def read_tax(conn: AsyncConnection, brand: BrandInfo, tax_id: int) -> dict[str, Any]:
    row = await repo.one(conn, select(Tax).where(Tax.brand_id == brand.id, Tax.id == tax_id))
    if row is None:
        raise not_found(f"Tax {tax_id} not found")
    return render_tax(row)


def tax_types(query: ListQuery) -> tuple[list[dict[str, Any]], int]:
    kinds = [
        {"id": key, "name": name} for key, name in sorted(TAX_TYPE_NAMES.items(), reverse=query.descending)
    ]
    return kinds[query.offset : query.offset + query.limit], len(kinds)


@dataclass
class _Collected:
    day: date
    tax_id: int
    name: str
    rate: Decimal
    type: str
    amount: Decimal = Decimal(0)
    receipts: set[int] = field(default_factory=set)

    def render(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "tax_id": self.tax_id,
            "name": self.name,
            "rate": self.rate,
            "type": self.type,
            "amount": self.amount,
            "receipts_count": len(self.receipts),
        }


async def _collected(conn: AsyncConnection, brand: BrandInfo, query: ListQuery) -> list[_Collected]:
    """Tax per (business day, tax) over the closed receipts of the query's date range."""
    conditions = [
        Receipt.brand_id == brand.id,
        Receipt.status == CLOSED,
        Receipt.closed_at.isnot(None),
        *dated(query, brand, Receipt.closed_at),
    ]
    statement = (
        select(Receipt.id, Receipt.closed_at, ReceiptProduct.taxes)
        .join(ReceiptProduct, ReceiptProduct.receipt_id == Receipt.id)
        .where(*conditions)
    )
    wanted = {int(v) for v in query.filters.get("tax_id", ())}
    found: dict[tuple[date, int], _Collected] = {}
    for row in (await conn.execute(statement)).all():
        day = business_day(row.closed_at, brand.timezone, brand.day_cutoff_hour)
        for tax in _line_taxes(row):
            tax_id = int(tax["id"])
            if wanted and tax_id not in wanted:
                continue
            entry = found.setdefault(
                (day, tax_id),
                _Collected(
                    day,
                    tax_id,
                    str(tax.get("name") or ""),
                    _money(tax.get("rate")),
                    str(tax.get("type") or ""),
                ),
            )
            entry.amount += _money(tax.get("amount"))
            entry.receipts.add(row.id)
    return list(found.values())


def _line_taxes(row: Row[Any]) -> Iterable[dict[str, Any]]:
    """The well-formed tax shares of a line (a v1 receipt recorded elsewhere may carry anything)."""
    for tax in row.taxes or []:
        if (
            isinstance(tax, dict)
            and isinstance(tax.get("id"), int)
            and to_decimal(tax.get("amount")) is not None
        ):
            yield tax


def _money(value: Any) -> Decimal:
    return to_decimal(value) or Decimal(0)


REPORT_SORTS = {
    "date": lambda c: (c.day, c.tax_id),
    "tax_id": lambda c: (c.tax_id, c.day),
    "amount": lambda c: (c.amount, c.day, c.tax_id),
}


async def report(
    conn: AsyncConnection, brand: BrandInfo, query: ListQuery
) -> tuple[list[dict[str, Any]], int]:
    rows = sorted(
        await _collected(conn, brand, query), key=REPORT_SORTS[query.sort], reverse=query.descending
    )
    return [row.render() for row in rows[query.offset : query.offset + query.limit]], len(rows)


async def total(conn: AsyncConnection, brand: BrandInfo, query: ListQuery) -> dict[str, Any]:
    """The report's sum over the range, split into included and added tax, and per tax."""
    rows = await _collected(conn, brand, query)
    per_tax: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = per_tax.setdefault(row.tax_id, {"tax_id": row.tax_id, "name": row.name, "amount": Decimal(0)})
        entry["amount"] += row.amount
    return {
        "date_from": query.date_from.isoformat() if query.date_from else None,
        "date_to": query.date_to.isoformat() if query.date_to else None,
        "amount": sum((r.amount for r in rows), Decimal(0)),
        "inclusive_amount": sum((r.amount for r in rows if r.type == "INCLUSIVE"), Decimal(0)),
        "exclusive_amount": sum((r.amount for r in rows if r.type != "INCLUSIVE"), Decimal(0)),
        "receipts_count": len({receipt for r in rows for receipt in r.receipts}),
        "taxes": [per_tax[key] for key in sorted(per_tax)],
    }
