"""Money moves with receipts: closing writes one income per payment into the account bound to its payment
method, in the close's transaction; deleting a closed receipt writes the reversals; two receipts closed
at once into one account both count, to the cent (real concurrent requests on two server processes)."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select

from clopos_server.db.engine import Database
from clopos_server.db.finance_models import FinanceTransaction, MoneyAccount
from tests.finance.conftest import CARD_ACCOUNT, CASH_ACCOUNT, account_amount, transactions
from tests.support.api import DEMO_V2_LOGIN, ApiClient
from tests.support.lifecycle import create_order, money, order_body
from tests.support.servers import running_servers


async def _open_receipt(v1: ApiClient) -> int:
    """The documented order (total 16.20), auto-accepted: its open receipt's id."""
    order = await create_order(v1, order_body(auto_order_accept=True))
    assert isinstance(order["receipt_id"], int), order
    return int(order["receipt_id"])


async def test_closing_the_documented_order_adds_one_income_of_16_20_in_cash(
    client: httpx.AsyncClient, v2: ApiClient
) -> None:
    v1 = await ApiClient.login(client, "v1")
    receipt_id = await _open_receipt(v1)
    before = await account_amount(v2, CASH_ACCOUNT)
    closed = await v2.post(
        f"/receipts/{receipt_id}/close",
        json={"payment_methods": [{"id": 1, "name": "Cash", "amount": "16.20"}]},
    )
    assert closed.status_code == 200, closed.text
    written = await transactions(v2, receipt_id=receipt_id)
    assert len(written) == 1
    income = written[0]
    assert income["type"] == "income" and income["balance_id"] == CASH_ACCOUNT
    assert money(income["amount"]) == Decimal("16.20") and income["category_id"] == 1
    assert money(income["before_amount"]) == before
    assert money(income["after_amount"]) == before + Decimal("16.20")
    assert await account_amount(v2, CASH_ACCOUNT) == before + Decimal("16.20")
    listed = (await v2.get("/finance/balances/transactions", params={"balance_id": CASH_ACCOUNT})).json()
    assert listed["data"][0]["id"] == income["id"]


async def test_a_split_payment_goes_into_each_methods_account(
    client: httpx.AsyncClient, v2: ApiClient
) -> None:
    v1 = await ApiClient.login(client, "v1")
    receipt_id = await _open_receipt(v1)
    cash, card = await account_amount(v2, CASH_ACCOUNT), await account_amount(v2, CARD_ACCOUNT)
    payments = [{"id": 2, "name": "Card", "amount": "10.00"}, {"id": 1, "name": "Cash", "amount": "6.20"}]
    closed = await v2.post(f"/receipts/{receipt_id}/close", json={"payment_methods": payments})
    assert closed.status_code == 200, closed.text
    written = {t["balance_id"]: money(t["amount"]) for t in await transactions(v2, receipt_id=receipt_id)}
    assert written == {CASH_ACCOUNT: Decimal("6.20"), CARD_ACCOUNT: Decimal("10.00")}
    assert await account_amount(v2, CASH_ACCOUNT) == cash + Decimal("6.20")
    assert await account_amount(v2, CARD_ACCOUNT) == card + Decimal("10.00")


async def test_a_refused_close_moves_no_money(client: httpx.AsyncClient, v2: ApiClient) -> None:
    v1 = await ApiClient.login(client, "v1")
    receipt_id = await _open_receipt(v1)
    before = await account_amount(v2, CASH_ACCOUNT)
    short = await v2.post(
        f"/receipts/{receipt_id}/close", json={"payment_methods": [{"id": 1, "amount": "1"}]}
    )
    assert short.status_code == 400, short.text
    assert await transactions(v2, receipt_id=receipt_id) == []
    assert await account_amount(v2, CASH_ACCOUNT) == before


def _recorded(total: str, payments: list[dict[str, Any]]) -> dict[str, Any]:
    return {"cid": str(uuid.uuid4()), "payment_methods": payments, "subtotal": total, "total": total}


async def test_deleting_a_closed_receipt_reverses_its_income(
    client: httpx.AsyncClient, v2: ApiClient
) -> None:
    v1 = await ApiClient.login(client, "v1")
    before = await account_amount(v2, CASH_ACCOUNT)
    recorded = await v1.post(
        "/receipts", json=_recorded("12.30", [{"id": 1, "name": "Cash", "amount": "12.30"}])
    )
    assert recorded.status_code == 201, recorded.text
    receipt_id = recorded.json()["data"]["id"]
    assert await account_amount(v2, CASH_ACCOUNT) == before + Decimal("12.30")
    deleted = await v1.request("DELETE", f"/receipts/{receipt_id}")
    assert deleted.status_code == 200, deleted.text
    written = await transactions(v2, receipt_id=receipt_id)
    assert sorted(money(t["amount"]) for t in written) == [Decimal("-12.30"), Decimal("12.30")]
    reversal = max(written, key=lambda t: t["id"])
    assert money(reversal["after_amount"]) == before and "deleted" in reversal["description"]
    assert await account_amount(v2, CASH_ACCOUNT) == before


async def test_a_method_bound_to_no_account_moves_no_money(client: httpx.AsyncClient, v2: ApiClient) -> None:
    v1 = await ApiClient.login(client, "v1")
    recorded = await v1.post(
        "/receipts",
        json={**_recorded("5.00", [{"id": 3, "amount": "5.00"}]), "customer_id": 9},
    )
    assert recorded.status_code == 201, recorded.text
    assert await transactions(v2, receipt_id=recorded.json()["data"]["id"]) == []


async def _amount_and_chain(db_url: str) -> tuple[Decimal, Decimal, list[Any]]:
    database = Database(db_url, pool_size=1)
    try:
        async with database.read() as conn:
            account = (await conn.execute(select(MoneyAccount).where(MoneyAccount.id == CASH_ACCOUNT))).one()
            rows = (
                await conn.execute(
                    select(FinanceTransaction)
                    .where(FinanceTransaction.balance_id == CASH_ACCOUNT)
                    .order_by(FinanceTransaction.id)
                )
            ).all()
    finally:
        await database.dispose()
    return account.amount, account.opening_amount, list(rows)


async def test_receipts_closed_at_once_into_one_account_all_count(
    client: httpx.AsyncClient, db_url: str
) -> None:
    """Eight receipts closed at the same moment through two server processes into the cash account: eight
    transactions, each starting where another ended, and the account exact."""
    v1 = await ApiClient.login(client, "v1")
    receipts = [await _open_receipt(v1) for _ in range(8)]
    amount_before, _, _ = await _amount_and_chain(db_url)
    with running_servers(db_url, count=2) as servers:
        async with httpx.AsyncClient(timeout=60) as http:
            tokens = []
            for server in servers:
                login = await http.post(f"{server.base_url}/open-api/v2/auth", json=DEMO_V2_LOGIN)
                tokens.append(login.json()["token"])

            async def close(i: int, receipt_id: int) -> httpx.Response:
                base = servers[i % 2].base_url
                return await http.post(
                    f"{base}/open-api/v2/receipts/{receipt_id}/close",
                    headers={"x-token": tokens[i % 2]},
                    json={"payment_methods": [{"id": 1, "amount": "16.20"}]},
                )

            answers = await asyncio.gather(*(close(i, r) for i, r in enumerate(receipts)))
    assert [a.status_code for a in answers] == [200] * 8, [a.text for a in answers]
    amount, opening, chain = await _amount_and_chain(db_url)
    assert amount == amount_before + 8 * Decimal("16.20")
    assert amount == opening + sum((row.amount for row in chain), Decimal(0))
    mine = [row for row in chain if row.receipt_id in receipts]
    assert len(mine) == 8
    for earlier, later in itertools.pairwise(chain):
        assert later.before_amount == earlier.after_amount
        assert later.after_amount == later.before_amount + later.amount
