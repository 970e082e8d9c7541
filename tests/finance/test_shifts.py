"""Cash shifts: opened and closed with the CLI, receipts closed meanwhile at the venue filed into the open
one, the report adding them up (and refunds), one open shift per terminal (also when two opens race),
closing twice refused; with the cash_shift module off receipts close without shifts."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert, select

from clopos_server.db.models import Brand, Tax
from clopos_server.errors import ApiError
from clopos_server.finance import operations
from clopos_server.finance.accounts import NewAccount, NewCategory
from tests.finance.conftest import DEMO, Change
from tests.support.api import ApiClient
from tests.support.cli import run_cli
from tests.support.lifecycle import create_order, money, order_body


async def cli(db_url: str, *args: str) -> tuple[int, str]:
    done = await run_cli(db_url, *args)
    return done.returncode, done.output


async def _close_documented_order(client: httpx.AsyncClient, v2: ApiClient, method: int = 1) -> int:
    v1 = await ApiClient.login(client, "v1")
    order = await create_order(v1, order_body(auto_order_accept=True))
    closed = await v2.post(
        f"/receipts/{order['receipt_id']}/close",
        json={"payment_methods": [{"id": method, "amount": "16.20"}]},
    )
    assert closed.status_code == 200, closed.text
    return int(order["receipt_id"])


async def _report(v2: ApiClient, shift_uuid: str) -> dict[str, Any]:
    answer = await v2.get(f"/finance/cash-shifts/{shift_uuid}/report")
    assert answer.status_code == 200, answer.text
    report: dict[str, Any] = answer.json()["data"]
    return report


async def test_a_shift_from_open_to_close_with_the_cli(
    client: httpx.AsyncClient, v2: ApiClient, db_url: str
) -> None:
    code, output = await cli(
        db_url,
        "cash-shift",
        "open",
        "--brand",
        DEMO,
        "--venue",
        "1",
        "--terminal",
        "2",
        "--opening",
        "50.00",
        "--user",
        "cashier",
    )
    assert code == 0, output
    shift = json.loads(output)
    assert shift["terminal_id"] == 2 and shift["closed_at"] is None and shift["opened_by"] == 2

    code, output = await cli(db_url, "cash-shift", "open", "--brand", DEMO, "--venue", "1", "--terminal", "2")
    assert code == 1 and "already has an open cash shift" in output

    cash_receipt = await _close_documented_order(client, v2, method=1)
    await _close_documented_order(client, v2, method=2)
    report = await _report(v2, shift["uuid"])
    assert report["receipts_count"] == 2 and money(report["sales_total"]) == Decimal("32.40")
    assert [(s["payment_method_id"], money(s["amount"])) for s in report["sales"]] == [
        (1, Decimal("16.20")),
        (2, Decimal("16.20")),
    ]
    assert money(report["cash_sales"]) == Decimal("16.20")
    assert money(report["expected_cash"]) == Decimal("66.20") and report["counted_cash"] is None

    v1 = await ApiClient.login(client, "v1")
    order_receipt = await v1.get(f"/receipts/{cash_receipt}")
    assert order_receipt.status_code == 200

    code, output = await cli(
        db_url, "cash-shift", "close", "--brand", DEMO, "--uuid", shift["uuid"], "--counted", "60.00"
    )
    assert code == 0, output
    closed = json.loads(output)
    assert money(closed["expected_amount"]) == Decimal("66.20")
    assert money(closed["difference"]) == Decimal("-6.20") and money(closed["counted_cash"]) == Decimal("60")

    code, output = await cli(
        db_url, "cash-shift", "close", "--brand", DEMO, "--uuid", shift["uuid"], "--counted", "60.00"
    )
    assert code == 1 and "closed already" in output

    await _close_documented_order(client, v2)
    assert (await _report(v2, shift["uuid"]))["receipts_count"] == 2  # closed: takes no more
    shown = (await v2.get(f"/finance/cash-shifts/{shift['uuid']}")).json()["data"]
    assert shown["closed_by"] is None and money(shown["counted_amount"]) == Decimal("60")


async def test_a_deleted_receipt_is_a_refund_of_its_shift(
    client: httpx.AsyncClient, v2: ApiClient, app: FastAPI
) -> None:
    db = app.state.services.db
    shift = await operations.open_shift(db, DEMO, 1, 3, Decimal("10"), None)
    v1 = await ApiClient.login(client, "v1")
    recorded = await v1.post(
        "/receipts",
        json={
            "cid": "5d0f4b8e-1c2a-4b3d-9e8f-7a6b5c4d3e2f",
            "subtotal": "7.50",
            "total": "7.50",
            "payment_methods": [{"id": 1, "name": "Cash", "amount": "7.50"}],
        },
    )
    assert recorded.status_code == 201, recorded.text
    assert (await v1.request("DELETE", f"/receipts/{recorded.json()['data']['id']}")).status_code == 200
    report = await _report(v2, shift["uuid"])
    assert report["receipts_count"] == 1 and report["refunds_count"] == 1
    assert money(report["refunds_total"]) == Decimal("7.50") and money(report["cash_refunds"]) == Decimal(
        "7.50"
    )
    assert money(report["expected_cash"]) == Decimal("10")


async def test_with_the_module_off_receipts_close_without_shifts(
    client: httpx.AsyncClient, v2: ApiClient, app: FastAPI, without_module: Change
) -> None:
    shift = await operations.open_shift(app.state.services.db, DEMO, 1, 4, Decimal("0"), None)
    await without_module("cash_shift")
    await _close_documented_order(client, v2)
    await operations.close_shift(app.state.services.db, DEMO, shift["uuid"], None, Decimal("0"), None)
    report = await operations.shift_report(app.state.services.db, DEMO, shift["uuid"])
    assert report["receipts_count"] == 0


async def test_two_opens_of_one_terminal_at_once_open_one_shift(v2: ApiClient, app: FastAPI) -> None:
    db = app.state.services.db
    outcomes = await asyncio.gather(
        *(operations.open_shift(db, DEMO, 2, 1, Decimal("0"), None) for _ in range(4)), return_exceptions=True
    )
    opened = [o for o in outcomes if isinstance(o, dict)]
    refused = [o for o in outcomes if isinstance(o, ApiError)]
    assert len(opened) == 1 and len(refused) == 3, outcomes
    assert all(r.http_status == 409 for r in refused)
    listed = await v2.get(
        "/finance/cash-shifts", params={"filters[venue_id]": "2", "filters[status]": "open"}
    )
    assert [s["uuid"] for s in listed.json()["data"]] == [opened[0]["uuid"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("close", "--brand", DEMO, "--uuid", "42", "--counted", "1"), "UUID"),
        (("close", "--brand", DEMO, "--counted", "1"), "Name the shift"),
        (("open", "--brand", DEMO, "--venue", "99"), "Venue 99 not found"),
        (("open", "--brand", "nobody", "--venue", "1"), "No brand"),
        (("open", "--brand", DEMO, "--venue", "1", "--opening", "-1"), "amount"),
        (("open", "--brand", DEMO, "--venue", "1", "--terminal", "0"), "terminal_id"),
    ],
)
async def test_the_cli_refuses_bad_input(db_url: str, args: tuple[str, ...], message: str) -> None:
    code, output = await cli(db_url, "cash-shift", *args)
    assert code != 0 and message in output, output


async def test_another_brands_objects_are_not_found(v2: ApiClient, app: FastAPI) -> None:
    db = app.state.services.db
    other = "demo-other"
    shift = await operations.open_shift(db, other, 1, 1, Decimal("0"), None)
    account = await operations.add_account(
        db, other, NewAccount("Other till", "cash", Decimal("5"), (10001,))
    )
    category = await operations.add_category(db, other, NewCategory("Other", "income"))
    async with db.write() as conn:
        brand_id = (await conn.execute(select(Brand.id).where(Brand.slug == other))).scalar_one()
        tax = await conn.execute(insert(Tax).values(brand_id=brand_id, name="Other VAT", rate=Decimal(10)))
    tax_id = tax.inserted_primary_key[0] if tax.inserted_primary_key else 0
    moved = await operations.transfer(
        db,
        other,
        account["id"],
        (await operations.add_account(db, other, NewAccount("Bank", "bank", Decimal(0))))["id"],
        Decimal("1"),
    )
    for path in (
        f"/finance/cash-shifts/{shift['uuid']}",
        f"/finance/cash-shifts/{shift['uuid']}/report",
        f"/finance/balances/{account['id']}",
        f"/finance/balances/transactions?balance_id={account['id']}",
        f"/finance/categories/{category}",
        f"/finance/taxes/{tax_id}",
        f"/finance/transactions/{moved[0]['id']}",
        "/finance/balances/customer?customer_id=10000",
    ):
        answer = await v2.get(path)
        assert answer.status_code == 404, (path, answer.text)
    listed = (await v2.get("/finance/cash-shifts", params={"limit": "100"})).json()["data"]
    assert shift["uuid"] not in [s["uuid"] for s in listed]
    taxes = (await v2.get("/finance/taxes")).json()["data"]
    assert [t["id"] for t in taxes] == [1]
