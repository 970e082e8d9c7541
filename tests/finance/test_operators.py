"""The operators' finance commands (``clopos-server finance ...``) and the tax report over receipts that
carry tax: an account bound to a method takes its payments, a category under its parent, a transfer, a
published supply paid once (a draft or a second payment refused, nothing written)."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx

from clopos_server.timeutil import business_day, utcnow
from tests.finance.conftest import CARD_ACCOUNT, CASH_ACCOUNT, DEMO, account_amount, transactions
from tests.finance.test_shifts import cli
from tests.support.api import ApiClient
from tests.support.lifecycle import create_order, line, money, order_body


async def test_accounts_categories_and_transfers_with_the_cli(v2: ApiClient, db_url: str) -> None:
    code, output = await cli(
        db_url,
        "finance",
        "account-add",
        "--brand",
        DEMO,
        "--name",
        "Bank",
        "--type",
        "bank",
        "--opening",
        "1000",
        "--method",
        "4",
    )
    assert code == 0, output
    bank = json.loads(output)
    assert bank["methods"] == [4] and money(bank["amount"]) == Decimal("1000")
    shown = (await v2.get(f"/finance/balances/{bank['id']}")).json()["data"]
    assert shown["type"] == "bank" and shown["payment_method_ids"] == [4]

    code, output = await cli(
        db_url,
        "finance",
        "category-add",
        "--brand",
        DEMO,
        "--name",
        "Utilities",
        "--type",
        "expense",
        "--parent",
        "3",
    )
    assert code == 0 and "finance category 7" in output, output
    assert 7 in (await v2.get("/finance/categories/3")).json()["data"]["children"]
    code, output = await cli(
        db_url,
        "finance",
        "category-add",
        "--brand",
        DEMO,
        "--name",
        "Tips",
        "--type",
        "income",
        "--parent",
        "3",
    )
    assert code == 1 and "its children are too" in output

    cash = await account_amount(v2, CASH_ACCOUNT)
    code, output = await cli(
        db_url,
        "finance",
        "transfer",
        "--brand",
        DEMO,
        "--from",
        "1",
        "--to",
        str(bank["id"]),
        "--amount",
        "25.50",
    )
    assert code == 0, output
    moved = json.loads(output)
    assert sorted(money(t["amount"]) for t in moved) == [Decimal("-25.50"), Decimal("25.50")]
    assert {t["type"] for t in moved} == {"transfer"}
    assert await account_amount(v2, CASH_ACCOUNT) == cash - Decimal("25.50")
    assert await account_amount(v2, bank["id"]) == Decimal("1025.50")
    code, output = await cli(
        db_url, "finance", "transfer", "--brand", DEMO, "--from", "1", "--to", "1", "--amount", "1"
    )
    assert code == 1 and "two different accounts" in output


async def test_a_supply_is_paid_once_from_the_cli(v2: ApiClient, db_url: str) -> None:
    card = await account_amount(v2, CARD_ACCOUNT)
    code, output = await cli(
        db_url, "finance", "supply-paid", "--brand", DEMO, "--operation", "3", "--account", "2"
    )
    assert code == 0, output
    [expense] = json.loads(output)
    assert expense["type"] == "expense" and money(expense["amount"]) == Decimal("-22")
    assert expense["supplier_id"] == 3 and expense["operation_id"] == 3 and expense["category_id"] == 4
    assert await account_amount(v2, CARD_ACCOUNT) == card - Decimal("22")
    for operation, message in (("3", "paid already"), ("2", "paid already"), ("5", "not a published supply")):
        code, output = await cli(
            db_url, "finance", "supply-paid", "--brand", DEMO, "--operation", operation, "--account", "2"
        )
        assert code == 1 and message in output, output
    code, output = await cli(
        db_url, "finance", "supply-paid", "--brand", DEMO, "--operation", "4", "--account", "9"
    )
    assert code == 1 and "not a published supply" in output
    assert await account_amount(v2, CARD_ACCOUNT) == card - Decimal("22")
    assert len(await transactions(v2, type="expense")) == 2


async def test_the_tax_report_adds_up_the_receipts_tax(client: httpx.AsyncClient, v2: ApiClient) -> None:
    v1 = await ApiClient.login(client, "v1")
    body = order_body(auto_order_accept=True, products=[line(111, 2), line(101)])
    order = await create_order(v1, body)
    receipt = (await v1.get(f"/receipts/{order['receipt_id']}")).json()["data"]
    closed = await v2.post(
        f"/receipts/{order['receipt_id']}/close",
        json={"payment_methods": [{"id": 2, "amount": str(receipt["total"])}]},
    )
    assert closed.status_code == 200, closed.text
    day = business_day(utcnow(), "Asia/Baku", 5).isoformat()
    report = (await v2.get("/finance/taxes/report", params={"date[0]": day, "date[1]": day})).json()
    assert report["total"] == 1
    [row] = report["data"]
    assert (row["date"], row["tax_id"], row["type"], row["receipts_count"]) == (day, 1, "INCLUSIVE", 1)
    assert money(row["amount"]) == money(receipt["i_tax"]) > 0
    total = (await v2.get("/finance/taxes/total", params={"date[0]": day})).json()["data"]
    assert money(total["amount"]) == money(total["inclusive_amount"]) == money(receipt["i_tax"])
    assert total["taxes"] == [{"tax_id": 1, "name": "VAT 18%", "amount": row["amount"]}]
    elsewhere = await v2.get(
        "/finance/taxes/report", params={"date[0]": "2025-01-01", "filters[tax_id]": "2"}
    )
    assert elsewhere.json()["total"] == 0
