"""Property: for any valid order, the receipt its acceptance opens equals the order's pricing to the cent.

Orders are drawn from the demo catalogue (modifiers, taxed and undiscountable variants, a product that
ignores the service charge, weighed and timer lines, a price list) with random counts, discounts,
service charges and delivery fees; each example creates a fresh order, accepts it through the test
helper, and compares every figure of the receipt and its lines with the order's ``pricing``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.api import ApiClient
from tests.support.lifecycle import money

SALE_TYPES = {1: "Yerinde", 2: "Delivery", 3: "Takeaway"}

# product id -> strategy of its modifier ids (each a valid choice for the product's groups)
MODIFIERS: dict[int, st.SearchStrategy[list[int]]] = {
    1: st.tuples(
        st.lists(st.sampled_from([187, 188]), unique=True, max_size=2),
        st.lists(st.sampled_from([201, 202]), max_size=1),
        st.lists(st.just(190), max_size=1),
        st.lists(st.just(191), max_size=1),
    ).map(lambda groups: [m for group in groups for m in group]),
    101: st.lists(st.sampled_from([501, 502]), unique=True),
    102: st.tuples(st.sampled_from([601, 602]), st.lists(st.sampled_from([501, 502]), unique=True)).map(
        lambda parts: [parts[0], *parts[1]]
    ),
    103: st.just([]),
    111: st.just([]),
    112: st.just([]),
    130: st.just([]),
}
MONEY = st.decimals(min_value=0, max_value=50, places=2)


@st.composite
def order_lines(draw: st.DrawFn) -> list[dict[str, Any]]:
    lines = [
        {"product_id": 101, "count": draw(st.integers(1, 3)), "product_modificators": []}
    ]  # discountable
    for product_id in draw(st.lists(st.sampled_from([*MODIFIERS, 120]), max_size=4)):
        if product_id == 120:  # sold by weight: a fractional count is the weight
            count: Any = str(draw(st.decimals(min_value=Decimal("0.1"), max_value=3, places=3)))
            modifiers: list[int] = []
        else:
            count = draw(st.integers(1, 5))
            modifiers = draw(MODIFIERS[product_id])
        lines.append(
            {
                "product_id": product_id,
                "count": count,
                "product_modificators": [
                    {"modificator_id": m, "count": draw(st.integers(1, 2))} for m in modifiers
                ],
            }
        )
    return lines


@st.composite
def orders(draw: st.DrawFn) -> dict[str, Any]:
    sale_type = draw(st.sampled_from(sorted(SALE_TYPES)))
    kind = draw(st.sampled_from([0, 1, 2]))
    discount: dict[str, Any] = {"discount_type": kind, "discount_value": 0}
    if kind == 1:
        discount["discount_value"] = str(draw(st.decimals(min_value=0, max_value=100, places=2)))
    elif kind == 2:  # at most the always-present 8.50 (or 9.00 on the price list) line
        discount["discount_value"] = str(draw(st.decimals(min_value=0, max_value=Decimal("8.5"), places=2)))
    meta: dict[str, Any] = {"comment": draw(st.sampled_from(["", "ring twice"])), "discount": discount}
    if draw(st.booleans()):
        meta["apply_service_charge"] = True
        if draw(st.booleans()):
            meta["service_charge_value"] = str(draw(st.decimals(min_value=0, max_value=100, places=2)))
    customer_id = draw(st.sampled_from([9, 0]))
    payload: dict[str, Any] = {
        "service": {
            "sale_type_id": sale_type,
            "sale_type_name": SALE_TYPES[sale_type],
            "venue_id": 1,
            "venue_name": "Main",
        },
        "customer": {
            "id": customer_id,
            "name": "Rahid Akhundzada" if customer_id else "Guest",
            "phone": "+994700000001",
        },
        "products": draw(order_lines()),
        "meta": meta,
        "delivery_fee": str(draw(MONEY)),
    }
    return {"customer_id": customer_id, "payload": payload}


def same(got: Any, expected: Any, what: str) -> None:
    assert money(got) == money(expected), f"{what}: receipt {got} != order {expected}"


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=orders())
async def test_accepted_receipt_equals_the_orders_pricing(v1: ApiClient, body: dict[str, Any]) -> None:
    created = await v1.post("/orders", json=body)
    assert created.status_code == 201, created.text
    order = created.json()["data"]
    accepted = await v1.post(f"/test-helpers/orders/{order['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    receipt = (await v1.get(f"/receipts/{accepted.json()['data']['receipt_id']}")).json()["data"]
    pricing = order["pricing"]
    for receipt_key, pricing_key in [
        ("subtotal", "subtotal"),
        ("total_discount", "discount"),
        ("service_charge_value", "service_charge"),
        ("delivery_fee", "delivery_fee"),
        ("i_tax", "i_tax"),
        ("e_tax", "e_tax"),
        ("total", "total"),
        ("remaining", "total"),
    ]:
        same(receipt[receipt_key], pricing[pricing_key], receipt_key)
    same(receipt["total"], order["total"], "total (order)")
    same(receipt["total_tax"], money(pricing["i_tax"]) + money(pricing["e_tax"]), "total_tax")
    same(receipt["service_charge"], pricing["service_charge_rate"], "service charge rate")
    lines = receipt["receipt_products"]
    assert len(lines) == len(pricing["lines"]) == len(body["payload"]["products"])
    for i, (got, priced) in enumerate(zip(lines, pricing["lines"], strict=True)):
        assert got["product_id"] == priced["product_id"] and isinstance(got["count"], int)
        for receipt_key, pricing_key in [
            ("price", "unit_price"),
            ("subtotal", "subtotal"),
            ("receipt_discount", "discount"),
            ("service_charge", "service_charge"),
            ("total", "total"),
        ]:
            same(got[receipt_key], priced[pricing_key], f"line {i} {receipt_key}")
        same(money(got["i_tax"]) + money(got["e_tax"]), priced["tax"], f"line {i} tax")
        same(sum((money(t["amount"]) for t in got["taxes"]), Decimal(0)), priced["tax"], f"line {i} taxes")
    same(
        sum((money(line["total"]) for line in lines), Decimal(0)) + money(receipt["delivery_fee"]),
        receipt["total"],
        "lines + delivery fee",
    )
    same(
        sum((money(line["receipt_discount"]) for line in lines), Decimal(0)),
        receipt["total_discount"],
        "shares",
    )
