"""Cash shifts: a terminal's till session at a venue, opened with the cash in the drawer and closed with
the cash counted. Receipts closed while a shift is open at the venue are filed into it (``hooks``); the
report adds them up.

At most one shift is open per terminal: a partial unique index refuses a second (409, also when two opens
race), and closing is a conditional update, so closing twice is a 409 too.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.db.finance_models import CashShift
from clopos_server.errors import ApiError, Problem, conflict, not_found, validation_failed
from clopos_server.finance import repository as repo
from clopos_server.kit.values import is_uuid, to_decimal

MAX_TERMINAL = 10_000
MONEY_LIMIT = Decimal("99999999999999")


def shift_not_found(shift_uuid: str) -> ApiError:
    return not_found(f"Cash shift {shift_uuid} not found")


def parse_uuid(value: str, field: str = "path.uuid") -> str:
    """A shift id is a UUID; anything else (an integer id, say) is a 400 naming the field."""
    if not is_uuid(value):
        message = "The cash shift id must be a UUID"
        raise ApiError("invalid_parameter", message, [Problem(message, field)])
    return value.lower()


def parse_amount(raw: Any, field: str) -> Decimal:
    """A non-negative amount of at most 2 decimals (cash in a drawer), else a 400 naming ``field``."""
    amount = to_decimal(raw)
    if amount is None or amount < 0 or amount > MONEY_LIMIT or amount != amount.quantize(Decimal("0.01")):
        raise validation_failed([Problem(f"{field} must be an amount from 0 with at most 2 decimals", field)])
    return amount


@dataclass(frozen=True)
class OpenShift:
    venue_id: int
    terminal_id: int
    opening_amount: Decimal
    opened_by: int | None


async def open_shift(
    conn: AsyncConnection, brand_id: int, request: OpenShift, now: datetime, shift_uuid: str | None = None
) -> Row[Any]:
    """Open a shift (a new UUID unless given); a terminal that has one open already is a 409 (nothing
    written)."""
    if not 1 <= request.terminal_id <= MAX_TERMINAL:
        raise validation_failed([Problem(f"terminal_id must be from 1 to {MAX_TERMINAL}", "terminal_id")])
    already = await repo.one(
        conn,
        repo.shifts(
            brand_id,
            CashShift.venue_id == request.venue_id,
            CashShift.terminal_id == request.terminal_id,
            CashShift.closed_at.is_(None),
        ),
    )
    if already is not None:
        raise _busy(request, already.uuid)
    shift_uuid = shift_uuid or str(uuid.uuid4())
    values = {
        "uuid": shift_uuid,
        "brand_id": brand_id,
        "venue_id": request.venue_id,
        "terminal_id": request.terminal_id,
        "opened_by": request.opened_by,
        "opened_at": now,
        "opening_amount": request.opening_amount,
    }
    try:
        async with conn.begin_nested():
            await conn.execute(insert(CashShift).values(**values))
    except IntegrityError:  # a concurrent open of the same terminal won
        raise _busy(request, None) from None
    row = await repo.shift(conn, brand_id, shift_uuid)
    assert row is not None
    return row


def _busy(request: OpenShift, other: str | None) -> ApiError:
    which = f" ({other})" if other else ""
    return conflict(
        f"Terminal {request.terminal_id} at venue {request.venue_id} already has an open cash shift{which}: "
        "close it first"
    )


async def close_shift(
    conn: AsyncConnection,
    brand_id: int,
    shift_uuid: str,
    counted: Decimal,
    closed_by: int | None,
    now: datetime,
) -> Row[Any]:
    """Close with the counted cash: the expected cash and the difference are stored with it. A shift
    closed already (also by a concurrent request) is a 409."""
    row = await repo.shift(conn, brand_id, shift_uuid)
    if row is None:
        raise shift_not_found(shift_uuid)
    if row.closed_at is not None:
        raise _closed(shift_uuid)
    report = await report_of(conn, brand_id, row, now)
    expected: Decimal = report["expected_cash"]
    values = {
        "closed_at": now,
        "closed_by": closed_by,
        "counted_amount": counted,
        "expected_amount": expected,
        "difference": counted - expected,
    }
    if not await repo.close_shift(conn, brand_id, shift_uuid, values):
        raise _closed(shift_uuid)
    closed = await repo.shift(conn, brand_id, shift_uuid)
    assert closed is not None
    return closed


def _closed(shift_uuid: str) -> ApiError:
    return conflict(f"Cash shift {shift_uuid} is closed already")


async def report_of(conn: AsyncConnection, brand_id: int, shift: Row[Any], now: datetime) -> dict[str, Any]:
    """The shift's figures: receipts, sales and refunds by payment method, cash in and out (movements of
    the venue's cash accounts other than receipts), and the cash expected in the drawer. An open shift is
    reported up to ``now``."""
    end: datetime = shift.closed_at or now
    filed = await repo.shift_receipts(conn, brand_id, shift.uuid)
    refunded = [r for r in filed if r.refunded_at is not None and r.refunded_at <= end]
    sales, cash_sales = _by_method(filed)
    refunds, cash_refunds = _by_method(refunded)
    moves = await repo.cash_movements(conn, brand_id, shift.venue_id, shift.opened_at, end)
    cash_in = sum((m for m in moves if m > 0), Decimal(0))
    cash_out = -sum((m for m in moves if m < 0), Decimal(0))
    expected = shift.opening_amount + cash_sales - cash_refunds + cash_in - cash_out
    counted = shift.counted_amount
    return {
        "receipts_count": len(filed),
        "sales_total": sum((r.total for r in filed), Decimal(0)),
        "sales": sales,
        "refunds_count": len(refunded),
        "refunds_total": sum((r.total for r in refunded), Decimal(0)),
        "refunds": refunds,
        "opening_amount": shift.opening_amount,
        "cash_sales": cash_sales,
        "cash_refunds": cash_refunds,
        "cash_in": cash_in,
        "cash_out": cash_out,
        "expected_cash": shift.expected_amount if shift.expected_amount is not None else expected,
        "counted_cash": counted,
        "difference": shift.difference,
    }


def _by_method(filed: list[Row[Any]]) -> tuple[list[dict[str, Any]], Decimal]:
    """Amounts and receipt counts per payment method (by id), and the part paid into cash accounts."""
    totals: dict[int, dict[str, Any]] = {}
    cash = Decimal(0)
    for receipt in filed:
        for payment in receipt.payments or []:
            amount = to_decimal(payment.get("amount")) or Decimal(0)
            entry = totals.setdefault(
                int(payment["id"]),
                {
                    "payment_method_id": int(payment["id"]),
                    "name": payment.get("name") or "",
                    "amount": Decimal(0),
                    "receipts_count": 0,
                },
            )
            entry["amount"] += amount
            entry["receipts_count"] += 1
            if payment.get("cash"):
                cash += amount
    return [totals[key] for key in sorted(totals)], cash
