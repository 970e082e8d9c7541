"""Every validation rule of spec/orders.md through HTTP: status 400, the machine code, the field path
into the body as sent, and nothing written."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from tests.support.api import V1Client, assert_error, example

Body = dict[str, Any]


def nested(change: Callable[[Body], None]) -> Body:
    body = example("create-order.v1.request.json")
    change(body)
    return body


def flat(change: Callable[[Body], None]) -> Body:
    body = example("create-order.v2.request.json")
    change(body)
    return body


def line(body: Body, i: int = 0) -> Body:
    return body["payload"]["products"][i]


def set_line(**values: Any) -> Callable[[Body], None]:
    def change(body: Body) -> None:
        body["payload"]["products"][0] = {"product_id": 101, "count": 1, **values}

    return change


def add_line(**values: Any) -> Callable[[Body], None]:
    def change(body: Body) -> None:
        body["payload"]["products"].append({"count": 1, **values})

    return change


def pop(path: list[Any]) -> Callable[[Body], None]:
    def change(body: Body) -> None:
        node = body
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return change


def put(path: list[Any], value: Any) -> Callable[[Body], None]:
    def change(body: Body) -> None:
        node = body
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


CASES: list[tuple[str, Body, str]] = [
    # 1. shape and types
    ("customer-id-missing", nested(pop(["customer_id"])), "customer_id"),
    ("customer-id-negative", nested(put(["customer_id"], -1)), "customer_id"),
    ("customer-id-string", nested(put(["customer_id"], "nine")), "customer_id"),
    ("service-missing", nested(pop(["payload", "service"])), "payload.service"),
    (
        "sale-type-id-missing",
        nested(pop(["payload", "service", "sale_type_id"])),
        "payload.service.sale_type_id",
    ),
    ("venue-name-missing", nested(pop(["payload", "service", "venue_name"])), "payload.service.venue_name"),
    ("no-lines", nested(put(["payload", "products"], [])), "payload.products"),
    ("products-not-a-list", nested(put(["payload", "products"], {"a": 1})), "payload.products"),
    (
        "too-many-lines",
        nested(put(["payload", "products"], [{"product_id": 101, "count": 1}] * 501)),
        "payload.products",
    ),
    ("count-missing", nested(pop(["payload", "products", 0, "count"])), "payload.products[0].count"),
    (
        "product-id-missing",
        nested(pop(["payload", "products", 0, "product_id"])),
        "payload.products[0].product_id",
    ),
    ("count-zero", nested(set_line(count=0)), "payload.products[0].count"),
    ("count-negative", nested(set_line(count=-2)), "payload.products[0].count"),
    ("count-infinite", nested(set_line(count=Decimal("1e309"))), "payload.products[0].count"),
    ("count-bool", nested(set_line(count=True)), "payload.products[0].count"),
    ("price-negative", nested(set_line(meta={"price": -1})), "payload.products[0].meta.price"),
    ("comment-too-long", nested(put(["payload", "meta", "comment"], "x" * 100_000)), "payload.meta.comment"),
    # 2. venue and sale type
    ("venue-of-no-one", nested(put(["payload", "service", "venue_id"], 42)), "payload.service.venue_id"),
    (
        "sale-type-unknown",
        nested(put(["payload", "service", "sale_type_id"], 99)),
        "payload.service.sale_type_id",
    ),
    (
        "sale-type-disabled-at-venue",
        nested(lambda b: b["payload"]["service"].update(venue_id=3, venue_name="Masally", sale_type_id=2)),
        "payload.service.sale_type_id",
    ),
    # 3. customer
    ("customer-unknown", nested(put(["customer_id"], 999)), "customer_id"),
    ("customer-of-other-brand", nested(put(["customer_id"], 10000)), "customer_id"),
    ("customer-id-mismatch", nested(put(["payload", "customer", "id"], 10)), "payload.customer.id"),
    (
        "guest-without-name-or-phone",
        nested(lambda b: (b.update(customer_id=0), b["payload"].update(customer={"id": 0}))),
        "payload.customer",
    ),
    # 4. lines
    ("product-unknown", nested(set_line(product_id=77)), "payload.products[0].product_id"),
    ("product-of-other-brand", nested(set_line(product_id=10000)), "payload.products[0].product_id"),
    ("ingredient", nested(set_line(product_id=301)), "payload.products[0].product_id"),
    ("goods-with-variants", nested(set_line(product_id=110)), "payload.products[0].product_id"),
    (
        "not-sold-at-venue",
        nested(
            lambda b: (
                b["payload"]["service"].update(
                    venue_id=3, venue_name="Masally", sale_type_id=1, sale_type_name="Yerinde"
                ),
                set_line(product_id=57)(b),
            )
        ),
        "payload.products[0].product_id",
    ),
    ("fractional-count-not-weighed", nested(set_line(count=Decimal("1.5"))), "payload.products[0].count"),
    (
        "snapshot-product-id-mismatch",
        nested(put(["payload", "products", 0, "meta", "order_product", "product", "id"], 2)),
        "payload.products[0].meta.order_product.product.id",
    ),
    # 5. modifiers
    (
        "modifier-unknown",
        nested(
            put(["payload", "products", 0, "product_modificators"], [{"modificator_id": 9999, "count": 1}])
        ),
        "payload.products[0].product_modificators[0].modificator_id",
    ),
    (
        "modifier-of-other-product",
        nested(
            put(["payload", "products", 0, "product_modificators"], [{"modificator_id": 501, "count": 1}])
        ),
        "payload.products[0].product_modificators[0].modificator_id",
    ),
    (
        "single-choice-group-takes-one",
        nested(
            put(
                ["payload", "products", 0, "product_modificators"],
                [{"modificator_id": 201, "count": 1}, {"modificator_id": 202, "count": 1}],
            )
        ),
        "payload.products[0].product_modificators",
    ),
    (
        "required-group-got-nothing",
        nested(set_line(product_id=102)),
        "payload.products[0].product_modificators",
    ),
    # 6. stop list
    ("sold-out", nested(add_line(product_id=54)), "payload.products[1].product_id"),
    (
        "over-the-limit-across-lines",
        nested(lambda b: (add_line(product_id=57, count=2)(b), add_line(product_id=57, count=2)(b))),
        "payload.products[1].product_id",
    ),
    # 7. discount, service charge, delivery fee
    (
        "discount-type-unknown",
        nested(put(["payload", "meta", "discount", "discount_type"], 3)),
        "payload.meta.discount.discount_type",
    ),
    (
        "percent-above-100",
        nested(put(["payload", "meta", "discount", "discount_value"], 101)),
        "payload.meta.discount.discount_value",
    ),
    (
        "amount-above-discountable-subtotal",
        nested(lambda b: b["payload"]["meta"].update(discount={"discount_type": 2, "discount_value": 50})),
        "payload.meta.discount.discount_value",
    ),
    (
        "service-charge-above-100",
        nested(put(["payload", "meta", "service_charge_value"], 101)),
        "payload.meta.service_charge_value",
    ),
    ("delivery-fee-negative", nested(put(["payload", "delivery_fee"], -1)), "payload.delivery_fee"),
    (
        "customer-discount-type-unknown",
        nested(put(["payload", "meta", "customer_discount_type"], 7)),
        "payload.meta.customer_discount_type",
    ),
    # the flat shape names fields as sent
    (
        "flat-modifier-unknown",
        flat(put(["products", 0, "modifiers", 0, "modifier_id"], 9999)),
        "products[0].modifiers[0].modifier_id",
    ),
    ("flat-count-negative", flat(put(["products", 0, "count"], -1)), "products[0].count"),
    ("flat-venue-unknown", flat(put(["venue_id"], 42)), "venue_id"),
]


@pytest.mark.parametrize(("body", "field"), [(b, f) for _, b, f in CASES], ids=[c[0] for c in CASES])
async def test_rule_answers_400_naming_the_field_and_writes_nothing(
    v1: V1Client, body: Body, field: str
) -> None:
    answer = await v1.post("/orders", content=_dump(body), headers={"content-type": "application/json"})
    got = assert_error(answer, 400, "validation_failed")
    fields = [entry.get("field") for entry in got["error"]]
    assert field in fields, (fields, got["error"])
    assert (await v1.get("/orders")).json()["total"] == 0


async def test_all_problems_are_answered_together(v1: V1Client) -> None:
    body = nested(
        lambda b: (set_line(product_id=77)(b), add_line(product_id=54)(b), b.update(customer_id=999))
    )
    got = assert_error(await v1.post("/orders", json=body), 400, "validation_failed")
    assert {"payload.products[0].product_id", "payload.products[1].product_id", "customer_id"} <= {
        e["field"] for e in got["error"]
    }


async def test_unknown_fields_are_ignored_and_dropped(v1: V1Client) -> None:
    body = nested(lambda b: (b.update(surprise=1), b["payload"].update(extra={"x": 1})))
    answer = await v1.post("/orders", json=body)
    assert answer.status_code == 201
    assert "extra" not in answer.json()["data"]["payload"]


async def test_weighed_line_is_stored_as_count_one_with_the_weight(v1: V1Client) -> None:
    body = nested(set_line(product_id=120, count=Decimal("0.35")))
    answer = await v1.post("/orders", content=_dump(body), headers={"content-type": "application/json"})
    assert answer.status_code == 201, answer.text
    stored = answer.json()["data"]["payload"]["products"][0]
    assert stored["count"] == 1 and stored["portion_size"] == 0.35
    assert answer.json()["data"]["pricing"]["lines"][0]["subtotal"] == 7


async def test_price_check_reject_turns_a_price_difference_into_a_400(app, v1: V1Client) -> None:
    from sqlalchemy import update

    from clopos_server.db.models import Brand

    services = app.state.services
    async with services.db.write() as conn:
        await conn.execute(update(Brand).where(Brand.slug == "openapitest").values(price_check="reject"))
    await services.directory.refresh(services.db)
    body = nested(put(["payload", "meta", "orderTotal"], "1.0000"))
    got = assert_error(await v1.post("/orders", json=body), 400, "validation_failed")
    assert "payload.meta.orderTotal" in [e["field"] for e in got["error"]]
    warn = nested(put(["payload", "meta", "orderTotal"], "16.2000"))
    assert (await v1.post("/orders", json=warn)).status_code == 201


async def test_a_price_difference_is_a_warning_by_default(v1: V1Client) -> None:
    body = nested(put(["payload", "meta", "orderTotal"], "1.0000"))
    answer = await v1.post("/orders", json=body)
    assert answer.status_code == 201
    warnings = answer.json()["data"]["warnings"]
    assert [w["field"] for w in warnings] == ["payload.meta.orderTotal"]
    assert warnings[0]["expected"] == "16.2000" and warnings[0]["got"] == "1.0000"
    assert answer.json()["data"]["payload"]["meta"]["orderTotal"] == "16.2000"


def _dump(body: Body) -> bytes:
    """JSON with Decimals written as they are (1e309 stays 1e309, 0.35 stays 0.35)."""
    from clopos_server import jsonio

    return jsonio.dumps(body)
