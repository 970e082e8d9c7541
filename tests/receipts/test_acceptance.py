"""The issue's acceptance scenario, end to end through HTTP: the documented example auto-accepted, read
back with its receipt, closed through v2 with a string amount, the order delivered, the customer counted,
the stock spent."""

from __future__ import annotations

import httpx

from tests.support.api import ApiClient
from tests.support.lifecycle import money, order_body


async def test_documented_order_from_auto_accept_to_stock(client: httpx.AsyncClient) -> None:
    v1 = await ApiClient.login(client, "v1")
    v2 = await ApiClient.login(client, "v2")
    customer_before = (await v1.get("/customers/9")).json()["data"]

    created = await v1.post("/orders", json=order_body(auto_order_accept=True))
    assert created.status_code == 201, created.text
    order = created.json()["data"]
    assert order["status"] == "RECEIVED" and isinstance(order["receipt_id"], int)

    shown = await v1.get(
        f"/orders/{order['id']}", params={"with[0]": "receipt:id,service_notification_id,status"}
    )
    assert shown.json()["data"]["receipt"] == {
        "id": order["receipt_id"],
        "service_notification_id": order["id"],
        "status": 1,
    }

    closed = await v2.post(
        f"/receipts/{order['receipt_id']}/close",
        json={"payment_methods": [{"id": 1, "name": "Cash", "amount": "16.20"}]},
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["message"] == "Receipt closed" and closed.json()["data"]["status"] == 2

    assert (await v1.get(f"/orders/{order['id']}")).json()["data"]["status"] == "DELIVERED"
    customer_after = (await v1.get("/customers/9")).json()["data"]
    assert customer_after["receipt_count"] == customer_before["receipt_count"] + 1
    assert money(customer_after["spent"]) == money(customer_before["spent"]) + money("16.20")

    operations = (await v2.get(f"/receipts/{order['receipt_id']}/stock-operations")).json()["data"]
    assert sorted((op["product_id"], money(op["quantity"])) for op in operations) == [
        (301, money("0.100")),
        (302, money("0.050")),
    ]
