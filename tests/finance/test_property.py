"""Property: an account's amount equals its opening amount plus its transactions' amounts, at all times,
over random sequences of receipt closes (cash, card, split, a method bound to no account), deletes of
closed receipts, paid supplies and transfers between accounts; and every transaction's after amount is
its before amount plus its amount, each starting where the account's previous one ended."""

from __future__ import annotations

import itertools
import uuid
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select

from clopos_server.db.backoffice_models import StockDocument, Supplier
from clopos_server.db.engine import Database
from clopos_server.db.finance_models import FinanceTransaction, MoneyAccount
from clopos_server.finance import operations
from clopos_server.timeutil import utcnow
from tests.finance.conftest import CARD_ACCOUNT, CASH_ACCOUNT, DEMO
from tests.support.api import ApiClient

CENTS = st.integers(min_value=1, max_value=50_000).map(lambda c: Decimal(c) / 100)
CLOSE = st.tuples(st.just("close"), CENTS, st.sampled_from(["cash", "card", "split", "unbound"]))
DELETE = st.tuples(st.just("delete"), st.integers(min_value=0, max_value=1000))
SUPPLY = st.tuples(st.just("supply"), CENTS, st.sampled_from([CASH_ACCOUNT, CARD_ACCOUNT]))
TRANSFER = st.tuples(st.just("transfer"), CENTS, st.booleans())
STEPS = st.lists(st.one_of(CLOSE, DELETE, SUPPLY, TRANSFER), min_size=1, max_size=8)


def _payments(total: Decimal, how: str) -> list[dict[str, Any]]:
    if how == "split":
        cash = (total / 2).quantize(Decimal("0.01"))
        return [{"id": 1, "amount": str(cash)}, {"id": 2, "amount": str(total - cash)}]
    return [{"id": {"cash": 1, "card": 2, "unbound": 3}[how], "amount": str(total)}]


async def _check(database: Database) -> None:
    async with database.read() as conn:
        accounts = (await conn.execute(select(MoneyAccount))).all()
        for account in accounts:
            chain = (
                await conn.execute(
                    select(FinanceTransaction)
                    .where(FinanceTransaction.balance_id == account.id)
                    .order_by(FinanceTransaction.id)
                )
            ).all()
            assert account.amount == account.opening_amount + sum((t.amount for t in chain), Decimal(0))
            for row in chain:
                assert row.after_amount == row.before_amount + row.amount
            for earlier, later in itertools.pairwise(chain):
                assert later.before_amount == earlier.after_amount
            if chain:
                assert chain[0].before_amount == account.opening_amount
                assert chain[-1].after_amount == account.amount


def _new_id(result: Any) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


class Run:
    """One drawn sequence applied: receipts through the v1 API, supplies and transfers as the CLI does."""

    def __init__(self, v1: ApiClient, database: Database) -> None:
        self.v1, self.database = v1, database
        self.closed: list[int] = []

    async def close(self, total: Decimal, how: str) -> None:
        body = {
            "cid": str(uuid.uuid4()),
            "subtotal": str(total),
            "total": str(total),
            "payment_methods": _payments(total, how),
            "customer_id": 9,
        }
        answer = await self.v1.post("/receipts", json=body)
        assert answer.status_code == 201, answer.text
        self.closed.append(answer.json()["data"]["id"])

    async def delete(self, pick: int) -> None:
        if self.closed:
            receipt_id = self.closed.pop(pick % len(self.closed))
            answer = await self.v1.request("DELETE", f"/receipts/{receipt_id}")
            assert answer.status_code == 200, answer.text

    async def supply(self, cost: Decimal, account_id: int) -> None:
        now = utcnow()
        async with self.database.write() as conn:
            supplier = await conn.execute(
                insert(Supplier).values(brand_id=1, name="Fresh farm", created_at=now, updated_at=now)
            )
            document = await conn.execute(
                insert(StockDocument).values(
                    brand_id=1,
                    type=1,
                    status=1,
                    storage_id=1,
                    supplier_id=_new_id(supplier),
                    number=f"S-{uuid.uuid4().hex[:8]}",
                    operated_at=now,
                    total_cost=cost,
                    created_at=now,
                    updated_at=now,
                )
            )
        paid = await operations.pay_supply(self.database, DEMO, _new_id(document), account_id)
        assert [t["type"] for t in paid] == ["expense"] and Decimal(str(paid[0]["amount"])) == -cost

    async def transfer(self, amount: Decimal, to_card: bool) -> None:
        source, target = (CASH_ACCOUNT, CARD_ACCOUNT) if to_card else (CARD_ACCOUNT, CASH_ACCOUNT)
        moved = await operations.transfer(self.database, DEMO, source, target, amount)
        assert sorted(Decimal(str(t["amount"])) for t in moved) == [-amount, amount]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
async def test_an_accounts_amount_is_its_opening_plus_its_transactions(
    client: httpx.AsyncClient, app: FastAPI, steps: list[tuple[Any, ...]]
) -> None:
    database: Database = app.state.services.db
    run = Run(await ApiClient.login(client, "v1"), database)
    await _check(database)
    for kind, *args in steps:
        await getattr(run, kind)(*args)
        await _check(database)
