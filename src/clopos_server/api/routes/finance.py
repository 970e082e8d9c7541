"""v2 finance endpoints (spec/backoffice.md, "Finance"): money accounts, cash shifts, finance categories,
taxes and the tax report, money transactions. Read-only; thin: guard, parse, read, wrap.

Each path is guarded by its integrator scope and staff-user ability (and cash shifts by the brand's
``cash_shift`` module) through ``auth.access.require``: a 403 names what is missing. Fixed paths
(``/list``, ``/types``, ``/report``) are declared before the ``/{id}`` they would otherwise match.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response

from clopos_server.api.envelope import success
from clopos_server.api.openapi import operation, path_schema
from clopos_server.api.params import parse_id
from clopos_server.api.query import parse_list_query
from clopos_server.auth.access import require
from clopos_server.auth.context import AuthContext
from clopos_server.auth.directory import BrandInfo
from clopos_server.finance import reads, shapes, taxes
from clopos_server.finance.schemas import (
    BALANCE_LIST_QUERY,
    BALANCE_QUERY,
    BALANCE_TRANSACTIONS_QUERY,
    CATEGORY_QUERY,
    CUSTOMER_BALANCE_QUERY,
    DATE_STATES_QUERY,
    SHIFT_QUERY,
    TAX_QUERY,
    TAX_REPORT_QUERY,
    TAX_TOTAL_QUERY,
    TAX_TYPES_QUERY,
    TRANSACTION_QUERY,
)
from clopos_server.finance.shifts import parse_uuid
from clopos_server.kit.query import ListQuery, ResourceQuerySpec
from clopos_server.kit.schema import DAY, UUID, Schema
from clopos_server.services import services_of

router = APIRouter()
path_schema("uuid", UUID)  # a cash shift's id (an integer there is a 400)

BALANCES = require(scope="finance-balances:read", ability="FINANCE_BALANCE_VIEW")
SHIFTS = require(scope="finance-cash-shifts:read", ability="CASH_SHIFT_VIEW", module="cash_shift")
CATEGORIES = require(scope="finance-categories:read", ability="FINANCE_CATEGORY_VIEW")
TAXES = require(scope="finance-taxes:read", ability="TAX_VIEW")
TAX_REPORT = require(scope="finance-taxes:read", ability="TAX_REPORT_SHOW")
TRANSACTIONS = require(scope="finance-transactions:read", ability="FINANCE_TRANSACTION_VIEW")

ListRead = Callable[[AsyncConnection, BrandInfo, ListQuery], Awaitable[tuple[list[dict[str, Any]], int]]]
OneRead = Callable[[AsyncConnection, BrandInfo, Any], Awaitable[dict[str, Any]]]
GUARDED = [403, 404]
DAY_PARAMETER: Schema = DAY


def _listing(answer: Schema, query: ResourceQuerySpec, **required: Schema) -> dict[str, Any]:
    """``operation`` of a list; ``required`` names query parameters the read cannot go without (their
    schema replaces the generic one)."""
    described = operation(answer=answer, many=True, query=query, errors=GUARDED)
    return _with_required(described, required)


def _with_required(described: dict[str, Any], required: dict[str, Schema]) -> dict[str, Any]:
    for parameter in described["openapi_extra"].get("parameters", []):
        if parameter["name"] in required:
            parameter["required"] = True
            parameter["schema"] = required[parameter["name"]]
            parameter["description"] = f"Required: {parameter['name']}"
    return described


def _one(answer: Schema, query: ResourceQuerySpec | None = None, **required: Schema) -> dict[str, Any]:
    return _with_required(operation(answer=answer, query=query, errors=GUARDED), required)


def _dates_of_one(described: dict[str, Any]) -> dict[str, Any]:
    """A single answer over a date range documents ``date[0]``/``date[1]`` like a list does."""
    parameters = described["openapi_extra"].setdefault("parameters", [])
    for index, what in ((0, "From"), (1, "To")):
        parameters.append(
            {
                "name": f"date[{index}]",
                "in": "query",
                "required": False,
                "schema": {
                    "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "maxLength": 0}]
                },
                "description": f"{what} this business day, YYYY-MM-DD (inclusive; blank: open)",
            }
        )
    return described


async def _list(request: Request, context: AuthContext, spec: ResourceQuerySpec, read: ListRead) -> Response:
    query = parse_list_query(request.url.query, spec)
    async with services_of(request).db.read() as conn:
        data, total = await read(conn, context.brand, query)
    return success(request, data, total=total, sorts=spec.sorts)


async def _read(request: Request, context: AuthContext, ident: Any, read: OneRead) -> Response:
    async with services_of(request).db.read() as conn:
        data = await read(conn, context.brand, ident)
    return success(request, data)


# --------------------------------------------------------------------------------------------------------
# Money accounts


@router.get(
    "/finance/balances",
    summary="Money accounts (cash, bank, card) with their amounts",
    **_listing(shapes.BALANCE, BALANCE_QUERY),
)
async def list_balances(request: Request, context: AuthContext = Depends(BALANCES)) -> Response:
    return await _list(request, context, BALANCE_QUERY, reads.list_accounts)


@router.get(
    "/finance/balances/list",
    summary="Every money account on one page (for pickers)",
    **_listing(shapes.BALANCE, BALANCE_LIST_QUERY),
)
async def list_all_balances(request: Request, context: AuthContext = Depends(BALANCES)) -> Response:
    return await _list(request, context, BALANCE_LIST_QUERY, reads.list_accounts)


@router.get(
    "/finance/balances/date-states",
    summary="Each money account's amount at the end of a business day (?date=YYYY-MM-DD)",
    **_listing(shapes.DATE_STATE, DATE_STATES_QUERY, date=DAY_PARAMETER),
)
async def balance_date_states(request: Request, context: AuthContext = Depends(BALANCES)) -> Response:
    return await _list(request, context, DATE_STATES_QUERY, reads.date_states)


@router.get(
    "/finance/balances/transactions",
    summary="One money account's movements (?balance_id=)",
    **_listing(
        shapes.TRANSACTION,
        BALANCE_TRANSACTIONS_QUERY,
        balance_id={"type": "integer", "minimum": 1, "maximum": 2147483647},
    ),
)
async def balance_transactions(request: Request, context: AuthContext = Depends(BALANCES)) -> Response:
    return await _list(request, context, BALANCE_TRANSACTIONS_QUERY, reads.account_transactions)


@router.get(
    "/finance/balances/customer",
    summary="A customer's balance (?customer_id=)",
    **_one(
        shapes.CUSTOMER_BALANCE,
        CUSTOMER_BALANCE_QUERY,
        customer_id={"type": "integer", "minimum": 1, "maximum": 2147483647},
    ),
)
async def customer_balance(request: Request, context: AuthContext = Depends(BALANCES)) -> Response:
    query = parse_list_query(request.url.query, CUSTOMER_BALANCE_QUERY)
    async with services_of(request).db.read() as conn:
        data = await reads.customer_balance(conn, context.brand, query)
    return success(request, data)


@router.get(
    "/finance/balances/{balance_id}",
    summary="One money account",
    **_one(shapes.BALANCE),
)
async def get_balance(
    balance_id: str, request: Request, context: AuthContext = Depends(BALANCES)
) -> Response:
    return await _read(request, context, parse_id(balance_id, "balance_id"), reads.read_account)


# --------------------------------------------------------------------------------------------------------
# Cash shifts


@router.get(
    "/finance/cash-shifts",
    summary="Cash shifts (till sessions), newest first",
    **_listing(shapes.CASH_SHIFT, SHIFT_QUERY),
)
async def list_cash_shifts(request: Request, context: AuthContext = Depends(SHIFTS)) -> Response:
    return await _list(request, context, SHIFT_QUERY, reads.list_shifts)


@router.get(
    "/finance/cash-shifts/{uuid}",
    summary="One cash shift, by its UUID",
    **_one(shapes.CASH_SHIFT),
)
async def get_cash_shift(uuid: str, request: Request, context: AuthContext = Depends(SHIFTS)) -> Response:
    return await _read(request, context, parse_uuid(uuid), reads.read_shift)


@router.get(
    "/finance/cash-shifts/{uuid}/report",
    summary="A cash shift's report: receipts, sales and refunds by payment method, cash in/out, expected "
    "and counted cash",
    **_one(shapes.CASH_SHIFT_REPORT),
)
async def cash_shift_report(uuid: str, request: Request, context: AuthContext = Depends(SHIFTS)) -> Response:
    return await _read(request, context, parse_uuid(uuid), reads.shift_report)


# --------------------------------------------------------------------------------------------------------
# Finance categories


@router.get(
    "/finance/categories",
    summary="Income and expense categories (parent_id makes the tree)",
    **_listing(shapes.CATEGORY, CATEGORY_QUERY),
)
async def list_categories(request: Request, context: AuthContext = Depends(CATEGORIES)) -> Response:
    return await _list(request, context, CATEGORY_QUERY, reads.list_categories)


@router.get(
    "/finance/categories/{category_id}",
    summary="One finance category, with its children's ids",
    **_one(shapes.CATEGORY_ONE),
)
async def get_category(
    category_id: str, request: Request, context: AuthContext = Depends(CATEGORIES)
) -> Response:
    return await _read(request, context, parse_id(category_id, "category_id"), reads.read_category)


# --------------------------------------------------------------------------------------------------------
# Taxes


@router.get("/finance/taxes", summary="The brand's tax rates", **_listing(shapes.TAX, TAX_QUERY))
async def list_taxes(request: Request, context: AuthContext = Depends(TAXES)) -> Response:
    return await _list(request, context, TAX_QUERY, taxes.list_taxes)


async def _tax_types(
    conn: AsyncConnection, brand: BrandInfo, query: ListQuery
) -> tuple[list[dict[str, Any]], int]:
    del conn, brand
    return taxes.tax_types(query)


@router.get(
    "/finance/taxes/types",
    summary="The tax-type vocabulary (INCLUSIVE, EXCLUSIVE)",
    **_listing(shapes.TAX_TYPE, TAX_TYPES_QUERY),
)
async def list_tax_types(request: Request, context: AuthContext = Depends(TAXES)) -> Response:
    return await _list(request, context, TAX_TYPES_QUERY, _tax_types)


@router.get(
    "/finance/taxes/report",
    summary="Tax collected from closed receipts, by tax and business day (date[0], date[1])",
    **_listing(shapes.TAX_REPORT_ROW, TAX_REPORT_QUERY),
)
async def tax_report(request: Request, context: AuthContext = Depends(TAX_REPORT)) -> Response:
    return await _list(request, context, TAX_REPORT_QUERY, taxes.report)


@router.get(
    "/finance/taxes/total",
    summary="The tax report's total over a date range (date[0], date[1])",
    **_dates_of_one(_one(shapes.TAX_TOTAL, TAX_TOTAL_QUERY)),
)
async def tax_total(request: Request, context: AuthContext = Depends(TAX_REPORT)) -> Response:
    query = parse_list_query(request.url.query, TAX_TOTAL_QUERY)
    async with services_of(request).db.read() as conn:
        data = await taxes.total(conn, context.brand, query)
    return success(request, data)


@router.get("/finance/taxes/{tax_id}", summary="One tax rate", **_one(shapes.TAX))
async def get_tax(tax_id: str, request: Request, context: AuthContext = Depends(TAXES)) -> Response:
    return await _read(request, context, parse_id(tax_id, "tax_id"), taxes.read_tax)


# --------------------------------------------------------------------------------------------------------
# Transactions


@router.get(
    "/finance/transactions",
    summary="Money movements (income, expense, transfer), newest first",
    **_listing(shapes.TRANSACTION, TRANSACTION_QUERY),
)
async def list_transactions(request: Request, context: AuthContext = Depends(TRANSACTIONS)) -> Response:
    return await _list(request, context, TRANSACTION_QUERY, reads.list_transactions)


@router.get(
    "/finance/transactions/{transaction_id}", summary="One money movement", **_one(shapes.TRANSACTION)
)
async def get_transaction(
    transaction_id: str, request: Request, context: AuthContext = Depends(TRANSACTIONS)
) -> Response:
    return await _read(request, context, parse_id(transaction_id, "transaction_id"), reads.read_transaction)
