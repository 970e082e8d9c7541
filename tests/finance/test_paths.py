"""Every finance path of spec/backoffice.md: the happy path on the demo, no token, a missing scope, a
missing ability, the cash_shift module off, and bad parameters; on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.finance.conftest import DEMO_SHIFT, Change
from tests.support.api import ApiClient

BALANCES = ("finance-balances:read", "FINANCE_BALANCE_VIEW")
SHIFTS = ("finance-cash-shifts:read", "CASH_SHIFT_VIEW")
CATEGORIES = ("finance-categories:read", "FINANCE_CATEGORY_VIEW")
TAXES = ("finance-taxes:read", "TAX_VIEW")
TAX_REPORT = ("finance-taxes:read", "TAX_REPORT_SHOW")
TRANSACTIONS = ("finance-transactions:read", "FINANCE_TRANSACTION_VIEW")

# path (with its required parameters), guard, what the demo answers
PATHS: list[tuple[str, tuple[str, str], Any]] = [
    ("/finance/balances", BALANCES, lambda d: [a["name"] for a in d] == ["Cash desk", "Card terminal"]),
    ("/finance/balances/1", BALANCES, lambda d: d["type"] == "cash" and d["payment_method_ids"] == [1]),
    ("/finance/balances/list", BALANCES, lambda d: len(d) == 2),
    ("/finance/balances/date-states?date=2025-01-13", BALANCES, lambda d: d[0]["amount"] == 129.3),
    ("/finance/balances/date-states?date=2024-12-30", BALANCES, lambda d: d[0]["amount"] is None),
    ("/finance/balances/transactions?balance_id=1", BALANCES, lambda d: d[0]["receipt_id"] == 2),
    ("/finance/balances/customer?customer_id=9", BALANCES, lambda d: d["customer_id"] == 9),
    ("/finance/cash-shifts", SHIFTS, lambda d: d[0]["uuid"] == DEMO_SHIFT),
    (f"/finance/cash-shifts/{DEMO_SHIFT}", SHIFTS, lambda d: d["difference"] == 0),
    (f"/finance/cash-shifts/{DEMO_SHIFT}/report", SHIFTS, lambda d: d["receipts_count"] == 1),
    ("/finance/categories", CATEGORIES, lambda d: len(d) == 6),
    ("/finance/categories/3", CATEGORIES, lambda d: d["children"] == [4, 5, 6]),
    ("/finance/taxes", TAXES, lambda d: d[0]["name"] == "VAT 18%"),
    ("/finance/taxes/1", TAXES, lambda d: d["rate"] == 18),
    ("/finance/taxes/types", TAXES, lambda d: [t["id"] for t in d] == ["EXCLUSIVE", "INCLUSIVE"]),
    ("/finance/taxes/report?date[0]=2025-01-01&date[1]=2025-01-31", TAX_REPORT, lambda d: d == []),
    ("/finance/taxes/total", TAX_REPORT, lambda d: d["amount"] == 0),
    ("/finance/transactions", TRANSACTIONS, lambda d: d[0]["amount"] == 8.5),
    ("/finance/transactions/1", TRANSACTIONS, lambda d: (d["type"], d["after_amount"]) == ("expense", 120.8)),
    ("/finance/transactions?filters[supplier_id]=2", TRANSACTIONS, lambda d: d[0]["operation_id"] == 2),
]
IDS = [path.split("?")[0] for path, _, _ in PATHS]


@pytest.mark.parametrize(("path", "guard", "expected"), PATHS, ids=IDS)
async def test_the_demo_answers(v2: ApiClient, path: str, guard: Any, expected: Any) -> None:
    answer = await v2.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.json()["success"] is True
    assert expected(answer.json()["data"]), answer.text


@pytest.mark.parametrize("path", [p for p, _, _ in PATHS], ids=IDS)
async def test_no_token(client: httpx.AsyncClient, path: str) -> None:
    answer = await client.get(f"/open-api/v2{path}")
    assert answer.status_code == 401, answer.text


@pytest.mark.parametrize("path", [p for p, _, _ in PATHS], ids=IDS)
async def test_v1_does_not_serve_them(client: httpx.AsyncClient, path: str) -> None:
    v1 = await ApiClient.login(client, "v1")
    assert (await v1.get(path)).status_code == 404


@pytest.mark.parametrize(("path", "guard"), [(p, g) for p, g, _ in PATHS], ids=IDS)
async def test_missing_scope(v2: ApiClient, revoke_scope: Change, path: str, guard: Any) -> None:
    await revoke_scope(guard[0])
    answer = await v2.get(path)
    assert answer.status_code == 403, answer.text
    assert answer.json()["message"] == f"Integrator lacks scope {guard[0]}"


@pytest.mark.parametrize(("path", "guard"), [(p, g) for p, g, _ in PATHS], ids=IDS)
async def test_missing_ability(v2: ApiClient, powerless_owner: Change, path: str, guard: Any) -> None:
    await powerless_owner()
    answer = await v2.get(path)
    assert answer.status_code == 403, answer.text
    assert answer.json()["message"] == f"User lacks ability {guard[1]}"


@pytest.mark.parametrize("path", [p for p, g, _ in PATHS if g == SHIFTS])
async def test_cash_shift_module_off(v2: ApiClient, without_module: Change, path: str) -> None:
    await without_module("cash_shift")
    answer = await v2.get(path)
    assert answer.status_code == 403, answer.text
    assert answer.json()["message"] == "Module cash_shift is not available"


BAD = [
    ("/finance/cash-shifts/1", "path.uuid"),
    ("/finance/cash-shifts/1/report", "path.uuid"),
    ("/finance/cash-shifts/not-a-uuid", "path.uuid"),
    ("/finance/balances/abc", "path.balance_id"),
    ("/finance/balances/0", "path.balance_id"),
    ("/finance/balances/date-states", "query.date"),
    ("/finance/balances/date-states?date=2025-13-01", "query.date"),
    ("/finance/balances/date-states?date=yesterday", "query.date"),
    ("/finance/balances/transactions", "query.balance_id"),
    ("/finance/balances/transactions?balance_id=x", "query.balance_id"),
    ("/finance/balances/customer", "query.customer_id"),
    ("/finance/balances/customer?customer_id=-", "query.customer_id"),
    ("/finance/balances?limit=0", "query.limit"),
    ("/finance/balances/list?filters[type]=gold", "query.filters"),
    ("/finance/categories/99999999999", "path.category_id"),
    ("/finance/taxes/report?date[0]=2025-02-01&date[1]=2025-01-01", "query.date"),
    ("/finance/taxes/total?date[0]=13.01.2025", "query.date"),
    ("/finance/transactions?filters[type]=gift", "query.filters"),
    ("/finance/transactions?sort[0]=name", "query.sort"),
    ("/finance/transactions/1.5", "path.transaction_id"),
]


@pytest.mark.parametrize(("path", "field"), BAD, ids=[p for p, _ in BAD])
async def test_bad_parameters_name_the_field(v2: ApiClient, path: str, field: str) -> None:
    answer = await v2.get(path)
    assert answer.status_code == 400, answer.text
    fields = [entry.get("field") for entry in answer.json()["error"]]
    assert any(f is not None and f.startswith(field) for f in fields), answer.text


UNKNOWN = [
    "/finance/balances/999",
    "/finance/balances/transactions?balance_id=999",
    "/finance/balances/customer?customer_id=999",
    "/finance/cash-shifts/00000000-0000-4000-8000-000000000000",
    "/finance/cash-shifts/00000000-0000-4000-8000-000000000000/report",
    "/finance/categories/999",
    "/finance/taxes/999",
    "/finance/transactions/999",
]


@pytest.mark.parametrize("path", UNKNOWN)
async def test_unknown_ids_are_not_found(v2: ApiClient, path: str) -> None:
    assert (await v2.get(path)).status_code == 404
