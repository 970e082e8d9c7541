"""Order intake against the demo catalogue: the documented examples, and one test per validation rule.

Bodies are parsed the way the API parses them (``parse_json``: numbers as int or Decimal), the snapshot
is loaded from the test database, and the fresh reads go through the real ``DbLookups``.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update
from tests.support.api import EXAMPLES

from clopos_server import jsonio
from clopos_server.auth.directory import BrandInfo, Directory
from clopos_server.catalog.snapshot import CatalogSnapshot, SnapshotCache, load_snapshot
from clopos_server.db.engine import Database
from clopos_server.db.models import Product
from clopos_server.errors import ApiError
from clopos_server.kit.body import parse_json
from clopos_server.orders.intake import ValidatedOrder, product_hash, render_pricing, validate_order
from clopos_server.orders.repository import DbLookups

D = Decimal
Body = dict[str, Any]


def example(name: str) -> Any:
    """An example file parsed exactly as a request body is (Decimals, never floats)."""
    return parse_json((EXAMPLES / name).read_bytes())


def values(data: Any) -> Any:
    """JSON as written and read back with exact numbers, so that 16.2 == 16.20 and 0 == 0.0 compare equal."""
    return parse_json(jsonio.dumps(data))


@dataclass
class Demo:
    db: Database
    brand: BrandInfo
    snapshot: CatalogSnapshot

    async def validate(
        self, body: Body, *, hinted: tuple[int, ...] = (), **brand_changes: Any
    ) -> ValidatedOrder:
        """``hinted``: the product ids ``DbLookups`` may prefetch with the customer (the API passes the
        body's); none by default, so that the stop list is read on its own."""
        brand = dataclasses.replace(self.brand, **brand_changes) if brand_changes else self.brand
        async with self.db.read() as conn:
            lookups = DbLookups(conn, brand.id, likely_products=hinted)
            return await validate_order(body, snapshot=self.snapshot, brand=brand, lookups=lookups)

    async def problems(
        self, body: Body, *, hinted: tuple[int, ...] = (), **brand_changes: Any
    ) -> list[tuple[str | None, str]]:
        with pytest.raises(ApiError) as caught:
            await self.validate(body, hinted=hinted, **brand_changes)
        assert caught.value.code == "validation_failed" and caught.value.http_status == 400
        return [(p.field, p.message) for p in caught.value.problems]

    async def reload(self) -> None:
        self.snapshot = await load_snapshot(self.db, self.brand.id, self.snapshot.version + 1)


@pytest.fixture
async def demo(database: Database) -> Demo:
    directory = Directory()
    await directory.refresh(database)
    brand = directory.brands_by_slug["openapitest"]
    return Demo(database, brand, await load_snapshot(database, brand.id, brand.catalog_version))


def v1(**service: Any) -> Body:
    body: Body = example("create-order.v1.request.json")
    body["payload"]["service"].update(service)
    return body


def v2() -> Body:
    body: Body = example("create-order.v2.request.json")
    return body


def v1_lines(*lines: Body, **service: Any) -> Body:
    """The documented body with its lines replaced."""
    body = v1(**service)
    body["payload"]["products"] = list(lines)
    return body


def line(product_id: int, count: Any = 1, *modifiers: int, **extra: Any) -> Body:
    return {
        "product_id": product_id,
        "count": count,
        "product_modificators": [{"modificator_id": m, "count": 1} for m in modifiers],
        **extra,
    }


# ------------------------------------------------------------------------------ the documented examples


@pytest.mark.parametrize(
    ("hinted", "lines", "message"),
    [
        ((54,), [line(54)], "Ayran is sold out"),
        ((57, 103), [line(57, 2), line(103), line(57, 2)], "Baklava: 4 ordered, but only 3 left"),
        ((57,), [line(57, 2), line(103), line(57, 2)], "Baklava: 4 ordered, but only 3 left"),  # a miss
        ((1, 2), [line(57, 4)], "Baklava: 4 ordered, but only 3 left"),  # a wrong hint
    ],
)
async def test_the_stop_list_read_with_the_customer_is_the_same_stop_list(
    demo: Demo, hinted: tuple[int, ...], lines: list[Body], message: str
) -> None:
    """On PostgreSQL the customer's read also fetches the hinted products' stop-list entries; a line
    outside the hint falls back to its own read. Either way the same rule holds."""
    problems = await demo.problems(v1_lines(*lines), hinted=hinted)
    assert problems == [("payload.products[0].product_id", message)]


async def test_v1_example_prices_to_16_20_without_warnings(demo: Demo) -> None:
    order = await demo.validate(v1())
    p = order.pricing
    assert (p.subtotal, p.discount, p.service_charge, p.total) == (
        D("18.00"),
        D("1.80"),
        D("0.00"),
        D("16.20"),
    )
    assert order.warnings == []
    assert order.shape == "nested" and order.venue_id == 1 and order.sale_type.id == 2
    assert order.customer_id == 9 and order.customer is not None and order.customer.name == "Rahid Akhundzada"
    assert order.payload["meta"]["orderTotal"] == "16.2000"
    assert order.stop_list_demand == {1: 1} and order.auto_accept is False
    assert order.comment == "" and order.order_number is None


async def test_v1_payload_and_pricing_equal_the_documented_answer(demo: Demo) -> None:
    order = await demo.validate(v1())
    answer = example("create-order.v1.response.json")["data"]
    expected = {
        k: v for k, v in answer["payload"].items() if k not in {"id", "venue_id", "created_at", "updated_at"}
    }
    assert values(order.payload) == expected
    # the intake's pricing is the answer's, which adds per-line detail and the rates (test_create checks
    # the whole answer over HTTP)
    assert values(render_pricing(order.pricing)) == _like(
        values(render_pricing(order.pricing)), answer["pricing"]
    )
    assert order.pricing.total == answer["total"]


def _like(shape: Any, full: Any) -> Any:
    """``full`` cut down to the keys that ``shape`` has, at every level (lists item by item)."""
    if isinstance(shape, dict) and isinstance(full, dict):
        assert shape.keys() <= full.keys(), shape.keys() - full.keys()
        return {key: _like(shape[key], full[key]) for key in shape}
    if isinstance(shape, list) and isinstance(full, list) and len(shape) == len(full):
        return [_like(a, b) for a, b in zip(shape, full, strict=True)]
    return full


async def test_rich_snapshot_example_is_stored_and_priced_like_the_plain_one(demo: Demo) -> None:
    rich = await demo.validate(example("create-order.v1.request-rich-snapshot.json"))
    plain = await demo.validate(v1())
    assert rich.pricing == plain.pricing and rich.warnings == []
    assert values(rich.payload) == values(plain.payload)


async def test_v2_example_prices_to_19_51_and_is_stored_nested(demo: Demo) -> None:
    order = await demo.validate(v2())
    p = order.pricing
    assert (p.subtotal, p.discount, p.service_charge, p.delivery_fee, p.total) == (
        D("18.00"),
        D("1.80"),
        D("0.81"),
        D("2.50"),
        D("19.51"),
    )
    assert order.shape == "flat" and order.warnings == [] and order.customer_id == 9
    assert (
        order.order_number == "A-1024" and order.comment == "Leave at the door" and order.auto_accept is False
    )
    assert values(order.payload) == values(
        {
            "service": {"sale_type_id": 2, "sale_type_name": "Delivery", "venue_id": 1, "venue_name": "Main"},
            "customer": {
                "id": 9,
                "name": "Rahid Akhundzada",
                "customer_discount_type": 1,
                "phone": "+994705401040",
                "address": "123 Main St",
            },
            "products": [
                {
                    "product_id": 101,
                    "count": 2,
                    "portion_size": 1,
                    "note": "No onions",
                    "product_modificators": [{"modificator_id": 501, "count": 1}],
                    "meta": {
                        "price": D("8.5"),
                        "order_product": {
                            "product": {
                                "id": 101,
                                "name": "Pizza",
                                "price": D("8.5"),
                                "category_id": 2,
                                "station_id": 1,
                            },
                            "count": 2,
                            "status": "new",
                            "product_modificators": [{"modificator_id": 501, "count": 1}],
                            "product_hash": "abc123",
                        },
                    },
                }
            ],
            "meta": {
                "comment": "Leave at the door",
                "discount": {"discount_type": 1, "discount_value": 10},
                "apply_service_charge": True,
                "service_charge_value": 5,
                "customer_discount_type": 1,
                "orderTotal": "19.5100",
            },
            "auto_order_accept": False,
            "auto_order_sent_to_station": False,
            "delivery_fee": D("2.5"),
            "order_number": "A-1024",
            "customer_id": 9,
            "sale_type_id": 2,
        }
    )


async def test_the_two_problem_example_answers_exactly_those_two_entries(demo: Demo) -> None:
    body = v1_lines(line(1, 1, 501), line(54))
    with pytest.raises(ApiError) as caught:
        await demo.validate(body)
    assert caught.value.body() == example("create-order.validation-error.response.json")


async def test_flat_problems_name_the_flat_paths(demo: Demo) -> None:
    body = v2()
    body["products"][0]["modifiers"][0]["modifier_id"] = 187
    body["products"].append({"product_id": 54, "count": "x"})
    assert await demo.problems(body) == [
        (
            "products[0].modifiers[0].modifier_id",
            "Modifier 187 does not belong to a modifier group of product 101",
        ),
        ("products[1].count", "products[1].count must be a number"),
    ]


async def test_every_problem_is_collected(demo: Demo) -> None:
    body = v1_lines(line(77), line(1, D("1.5")), venue_name=7)
    body["customer_id"] = "nine"
    body["payload"]["meta"]["discount"] = {"discount_type": 5, "discount_value": 1}
    assert [field for field, _ in await demo.problems(body)] == [
        "customer_id",
        "payload.products[0].product_id",
        "payload.products[1].count",
        "payload.meta.discount.discount_type",
    ]


# ------------------------------------------------------------------------------ rule 1: shape and types


def _set(path: str, value: Any) -> Callable[[Body], None]:
    """A mutation setting ``a.b[0].c`` in a body (``value`` is deleted when it is ``...``)."""

    def apply(body: Body) -> None:
        *parents, last = path.replace("[", ".").replace("]", "").split(".")
        node: Any = body
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if value is ...:
            del node[last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return apply


def _each(*mutations: Callable[[Body], None]) -> Callable[[Body], None]:
    def apply(body: Body) -> None:
        for mutate in mutations:
            mutate(body)

    return apply


ONE_PROBLEM: list[tuple[str, Callable[[], Body], Callable[[Body], None], str, str]] = [
    (
        "customer_id not an integer",
        v1,
        _set("customer_id", "abc"),
        "customer_id",
        "customer_id must be an integer",
    ),
    (
        "customer_id negative",
        v1,
        _set("customer_id", -1),
        "customer_id",
        "customer_id must be an integer from 0 to 2147483647",
    ),
    ("customer_id missing", v1, _set("customer_id", ...), "customer_id", "customer_id is required"),
    ("service missing", v1, _set("payload.service", ...), "payload.service", "payload.service is required"),
    (
        "venue_name missing",
        v1,
        _set("payload.service.venue_name", ...),
        "payload.service.venue_name",
        "payload.service.venue_name is required",
    ),
    (
        "sale_type_id missing",
        v1,
        _set("payload.service.sale_type_id", None),
        "payload.service.sale_type_id",
        "payload.service.sale_type_id is required",
    ),
    (
        "a bool is not a number",
        v1,
        _set("payload.products[0].count", True),
        "payload.products[0].count",
        "payload.products[0].count must be a number",
    ),
    (
        "count zero",
        v1,
        _set("payload.products[0].count", 0),
        "payload.products[0].count",
        "payload.products[0].count must be greater than 0",
    ),
    (
        "count 1e309",
        v1,
        _set("payload.products[0].count", D("1E+309")),
        "payload.products[0].count",
        "payload.products[0].count must be at most 10000",
    ),
    (
        "product_id missing",
        v1,
        _set("payload.products[0].product_id", ...),
        "payload.products[0].product_id",
        "payload.products[0].product_id is required",
    ),
    (
        "products not a list",
        v1,
        _set("payload.products", {}),
        "payload.products",
        "payload.products must be a list",
    ),
    (
        "no lines",
        v1,
        _set("payload.products", []),
        "payload.products",
        "payload.products must hold at least one line",
    ),
    (
        "negative price",
        v1,
        _set("payload.products[0].meta.price", -1),
        "payload.products[0].meta.price",
        "payload.products[0].meta.price must not be negative",
    ),
    (
        "boolean as a string",
        v1,
        _set("payload.meta.apply_service_charge", "yes"),
        "payload.meta.apply_service_charge",
        "payload.meta.apply_service_charge must be true or false",
    ),
    (
        "100,000-character comment",
        v1,
        _set("payload.meta.comment", "x" * 100_000),
        "payload.meta.comment",
        "payload.meta.comment must be at most 1000 characters long",
    ),
    (
        "100,000-character note",
        v1,
        _set("payload.products[0].note", "x" * 100_000),
        "payload.products[0].note",
        "payload.products[0].note must be at most 1000 characters long",
    ),
    (
        "free-form meta over 16 KiB",
        v1,
        _set("payload.meta.extra", "x" * 100_000),
        "payload.meta",
        "payload.meta is too large: 100179 bytes, at most 16384",
    ),
    (
        "order_number over 20 characters",
        v2,
        _set("order_number", "A" * 21),
        "order_number",
        "order_number must be at most 20 characters long",
    ),
    ("flat products missing", v2, _set("products", ...), "products", "products is required"),
    ("flat venue missing", v2, _set("venue_id", ...), "venue_id", "venue_id is required"),
    (
        "order_product.product.id differs",
        v1,
        _set("payload.products[0].meta.order_product.product.id", 2),
        "payload.products[0].meta.order_product.product.id",
        "payload.products[0].meta.order_product.product.id 2 does not match product_id 1",
    ),
    (
        "NUL in a note",
        v1,
        _set("payload.products[0].note", "a\x00b"),
        "payload.products[0].note",
        "payload.products[0].note holds characters that cannot be stored (NUL or a lone surrogate)",
    ),
    (
        "a number in free-form meta that would print a billion digits",
        v1,
        _set("payload.meta.extra", D("1E+999999999")),
        "payload.meta",
        "payload.meta holds a number too large or too precise to store",
    ),
    (
        "flat service_charge not an object",
        v2,
        _set("service_charge", 5),
        "service_charge",
        "service_charge must be an object",
    ),
    (
        "flat customer id read once",
        v2,
        _set("customer.id", "x"),
        "customer.id",
        "customer.id must be an integer",
    ),
    # rule 2: venue and sale type
    (
        "venue of no one",
        v1,
        _set("payload.service.venue_id", 7),
        "payload.service.venue_id",
        "Venue 7 is not a venue of this brand",
    ),
    (
        "unknown sale type",
        v1,
        _set("payload.service.sale_type_id", 99),
        "payload.service.sale_type_id",
        "Sale type 99 is not in the catalogue",
    ),
    # rule 3: customer
    (
        "customer of another brand",
        v1,
        _each(_set("customer_id", 10000), _set("payload.customer.id", 10000)),
        "customer_id",
        "Customer 10000 is not a customer of this brand",
    ),
    (
        "customer id mismatch",
        v1,
        _set("payload.customer.id", 10),
        "payload.customer.id",
        "payload.customer.id 10 does not match customer_id 9",
    ),
    (
        "guest without name or phone",
        v1,
        _each(_set("customer_id", 0), _set("payload.customer", {"name": " ", "phone": None})),
        "payload.customer",
        "A guest order needs a customer name or phone",
    ),
    (
        "flat guest without a customer",
        v2,
        _set("customer", ...),
        "customer",
        "A guest order needs a customer name or phone",
    ),
    # rule 4: lines
    (
        "unknown product",
        v1,
        _set("payload.products[0].product_id", 77),
        "payload.products[0].product_id",
        "Product 77 is not in the catalogue",
    ),
    (
        "product of another brand",
        v1,
        _set("payload.products[0].product_id", 10000),
        "payload.products[0].product_id",
        "Product 10000 is not in the catalogue",
    ),
    (
        "an ingredient",
        v1,
        _set("payload.products[0]", line(301)),
        "payload.products[0].product_id",
        "Product 301 (Test_Tomato) is of type INGREDIENT, which is never sold in an order",
    ),
    (
        "a goods parent with variants",
        v1,
        _set("payload.products[0]", line(110)),
        "payload.products[0].product_id",
        "Product 110 (Fanta) has variants: order one of its variants instead",
    ),
    (
        "fractional count on a product not sold by weight",
        v1,
        _set("payload.products[0].count", D("1.5")),
        "payload.products[0].count",
        "payload.products[0].count must be a whole number: product 1 (Mega Dürüm Menü Alana Çiğ Köfte Dürüm) "
        "is not sold by weight",
    ),
    # rule 5: modifiers
    (
        "unknown modifier",
        v1,
        _set("payload.products[0].product_modificators[0].modificator_id", 999),
        "payload.products[0].product_modificators[0].modificator_id",
        "Modifier 999 is not in the catalogue",
    ),
    (
        "required group left empty",
        v1,
        _set("payload.products[0]", line(102)),
        "payload.products[0].product_modificators",
        "Modifier group 60 (Size) of product 102 needs a choice",
    ),
    (
        "single-choice group with two",
        v1,
        _set("payload.products[0]", line(1, 1, 201, 202)),
        "payload.products[0].product_modificators",
        "Modifier group 8 (Sides) is single choice and takes at most 1, got 2",
    ),
    (
        "single-choice required group with two",
        v1,
        _set("payload.products[0]", line(102, 1, 601, 602)),
        "payload.products[0].product_modificators",
        "Modifier group 60 (Size) is single choice and takes at most 1, got 2",
    ),
    (
        "rich modifier of another product",
        v1,
        _set(
            "payload.products[0].product_modificators[0]",
            {"modificator": {"id": 601, "name": "Small"}, "count": 1},
        ),
        "payload.products[0].product_modificators[0].modificator.id",
        "Modifier 601 does not belong to a modifier group of product 1",
    ),
    (
        "modifier count zero",
        v1,
        _set("payload.products[0].product_modificators[0].count", 0),
        "payload.products[0].product_modificators[0].count",
        "payload.products[0].product_modificators[0].count must be an integer from 1 to 10000",
    ),
    # rule 6: stop list
    (
        "sold out",
        v1,
        _set("payload.products", [line(54)]),
        "payload.products[0].product_id",
        "Ayran is sold out",
    ),
    (
        "over the limit across two lines",
        v1,
        _set("payload.products", [line(57, 2), line(103), line(57, 2)]),
        "payload.products[0].product_id",
        "Baklava: 4 ordered, but only 3 left",
    ),
    # rule 7: amounts
    (
        "discount type out of range",
        v1,
        _set("payload.meta.discount.discount_type", 3),
        "payload.meta.discount.discount_type",
        "payload.meta.discount.discount_type must be one of 0, 1, 2",
    ),
    (
        "percentage above 100",
        v1,
        _set("payload.meta.discount.discount_value", 101),
        "payload.meta.discount.discount_value",
        "payload.meta.discount.discount_value must be from 0 to 100 for a percentage discount",
    ),
    (
        "amount above the discountable subtotal",
        v1,
        _set("payload.meta.discount", {"discount_type": 2, "discount_value": D("18.01")}),
        "payload.meta.discount.discount_value",
        "The discount 18.01 is above the discountable subtotal 18.00",
    ),
    (
        "discount value without a type",
        v1,
        _set("payload.meta.discount", {"discount_value": 5}),
        "payload.meta.discount.discount_type",
        "payload.meta.discount.discount_type is required with a discount_value",
    ),
    (
        "service charge above 100",
        v1,
        _set("payload.meta.service_charge_value", D("100.5")),
        "payload.meta.service_charge_value",
        "payload.meta.service_charge_value must be at most 100",
    ),
    (
        "flat service charge negative",
        v2,
        _set("service_charge.value", -1),
        "service_charge.value",
        "service_charge.value must not be negative",
    ),
    (
        "flat negative delivery fee",
        v2,
        _set("delivery_fee", D("-2.5")),
        "delivery_fee",
        "delivery_fee must not be negative",
    ),
    (
        "customer discount type out of range",
        v1,
        _set("payload.meta.customer_discount_type", 7),
        "payload.meta.customer_discount_type",
        "payload.meta.customer_discount_type must be one of 0, 1, 2",
    ),
    (
        "top-level meta problems name the top level",
        v1,
        _set("meta", {"discount": {"discount_type": 1, "discount_value": 120}}),
        "meta.discount.discount_value",
        "meta.discount.discount_value must be from 0 to 100 for a percentage discount",
    ),
]


@pytest.mark.parametrize(
    ("make", "mutate", "field", "message"),
    [case[1:] for case in ONE_PROBLEM],
    ids=[case[0] for case in ONE_PROBLEM],
)
async def test_one_rule_one_problem(
    demo: Demo, make: Callable[[], Body], mutate: Callable[[Body], None], field: str, message: str
) -> None:
    body = make()
    mutate(body)
    assert await demo.problems(body) == [(field, message)]


async def test_501_lines_are_refused_without_reading_them(demo: Demo) -> None:
    body = v1_lines(*[line(103)] * 501)
    assert await demo.problems(body) == [
        ("payload.products", "payload.products must hold at most 500 lines, got 501")
    ]
    assert len((await demo.validate(v1_lines(*[line(103)] * 500))).payload["products"]) == 500


async def test_ids_may_be_numeric_strings_and_flags_zero_or_one(demo: Demo) -> None:
    body = v1(venue_id="1", sale_type_id=" 2 ")
    body["customer_id"] = "9"
    body["payload"]["meta"]["apply_service_charge"] = 1
    body["payload"]["products"][0]["product_id"] = "1"
    order = await demo.validate(body)
    assert order.venue_id == 1 and order.customer_id == 9 and order.pricing.total == D("16.20")
    assert order.payload["meta"]["apply_service_charge"] is True


async def test_an_inactive_venue_is_refused(demo: Demo) -> None:
    venues = dict(demo.brand.venues)
    venues[2] = dataclasses.replace(venues[2], status=0)
    assert await demo.problems(v1(venue_id=2, venue_name="Baku"), venues=venues) == [
        ("payload.service.venue_id", "Venue 2 (Baku) is not active")
    ]


async def test_delivery_is_not_enabled_at_venue_3(demo: Demo) -> None:
    assert await demo.problems(v1(venue_id=3, venue_name="Masally")) == [
        ("payload.service.sale_type_id", "Sale type 2 is not enabled at venue 3")
    ]


async def test_baklava_is_not_sold_at_venue_3(demo: Demo) -> None:
    body = v1_lines(line(57), venue_id=3, venue_name="Masally", sale_type_id=1, sale_type_name="Yerinde")
    assert await demo.problems(body) == [
        ("payload.products[0].product_id", "Product 57 (Baklava) is not sold at venue 3")
    ]
    body["payload"]["service"].update(venue_id=1, venue_name="Main")
    assert (await demo.validate(body)).stop_list_demand == {57: 1}


async def test_an_inactive_product_is_refused(demo: Demo) -> None:
    async with demo.db.write() as conn:
        await conn.execute(update(Product).where(Product.id == 103).values(status=0))
    await demo.reload()
    assert await demo.problems(v1_lines(line(103))) == [
        ("payload.products[0].product_id", "Product 103 (Lahmacun) is not active")
    ]


async def test_an_inactive_modifier_is_refused(demo: Demo) -> None:
    from clopos_server.db.models import Modifier

    async with demo.db.write() as conn:
        await conn.execute(update(Modifier).where(Modifier.id == 187).values(status=False))
    await demo.reload()
    assert await demo.problems(v1()) == [
        ("payload.products[0].product_modificators[0].modificator_id", "Modifier 187 (yyy) is not active")
    ]


# ------------------------------------------------------------------------------ lines and modifiers


async def test_a_weighed_line_is_stored_as_one_unit_of_that_weight(demo: Demo) -> None:
    order = await demo.validate(v1_lines(line(120, D("0.35"))))
    stored = order.payload["products"][0]
    assert stored["count"] == 1 and stored["portion_size"] == D("0.35")
    assert stored["meta"]["order_product"]["count"] == 1
    assert order.pricing.lines[0].subtotal == D("7.00") and order.stop_list_demand == {120: 1}
    too_precise = await demo.problems(v1_lines(line(120, D("0.3505"))))
    assert too_precise == [
        ("payload.products[0].count", "payload.products[0].count must have at most 3 decimal places")
    ]


async def test_variants_dishes_and_timers_are_sellable(demo: Demo) -> None:
    order = await demo.validate(v1_lines(line(111, 2), line(103), line(130, 2)))
    assert [ln.subtotal for ln in order.pricing.lines] == [D("4.00"), D("4.00"), D("6.00")]
    # Fanta is inclusive VAT 18 % and not discountable: 4.00 x 18 / 118 = 0.61, no discount share
    assert order.pricing.i_tax == D("0.61") and order.pricing.lines[0].discount == D("0.00")


async def test_the_same_modifier_twice_counts_once_with_counts_added(demo: Demo) -> None:
    body = v1_lines(line(1, 1, 187, 187, 201))
    del body["payload"]["meta"]["orderTotal"]
    order = await demo.validate(body)
    stored = order.payload["products"][0]
    assert stored["product_modificators"] == [
        {"modificator_id": 187, "count": 2},
        {"modificator_id": 201, "count": 1},
    ]
    assert order.pricing.subtotal == D("21.00")
    expected_hash = base64.b64encode(b"1,187x2,201x1").decode()
    assert (
        stored["meta"]["order_product"]["product_hash"]
        == expected_hash
        == product_hash(1, [(201, 1), (187, 2)])
    )
    assert stored["meta"]["order_product"]["status"] == "new" and stored["meta"]["price"] == 0


async def test_modifiers_sent_only_inside_order_product_are_read(demo: Demo) -> None:
    body = v1()
    del body["payload"]["products"][0]["product_modificators"]
    order = await demo.validate(body)
    assert order.pricing.total == D("16.20")
    assert order.payload["products"][0]["product_modificators"] == [
        {"modificator_id": 187, "count": 1},
        {"modificator_id": 201, "count": 1},
    ]


async def test_unknown_keys_are_dropped_but_meta_is_kept(demo: Demo) -> None:
    body = v1()
    body["payload"]["surprise"] = 1
    body["payload"]["products"][0]["surprise"] = 2
    body["payload"]["meta"]["pos_ref"] = {"till": 4}
    body["meta"] = {"comment": "from the top", "source": "app"}
    order = await demo.validate(body)
    assert "surprise" not in order.payload and "surprise" not in order.payload["products"][0]
    meta = order.payload["meta"]
    assert meta["pos_ref"] == {"till": 4} and meta["source"] == "app" and meta["comment"] == "from the top"
    assert order.comment == "from the top"


# ------------------------------------------------------------------------------ customers


async def test_a_guest_keeps_customer_id_0_in_the_payload(demo: Demo) -> None:
    body = v1()
    body["customer_id"] = 0
    body["payload"]["customer"] = {"phone": "+994500000000"}
    order = await demo.validate(body)
    assert order.customer_id is None and order.customer is None
    assert order.payload["customer_id"] == 0
    assert order.payload["customer"] == {
        "id": 0,
        "name": "",
        "customer_discount_type": None,
        "phone": "+994500000000",
        "address": None,
    }


async def test_a_customer_without_payload_customer_gets_the_stored_name(demo: Demo) -> None:
    body = v1()
    body["customer_id"] = 10
    del body["payload"]["customer"]
    order = await demo.validate(body)
    assert order.payload["customer"]["name"] == "Aysel Mammadova"
    assert order.payload["customer"]["phone"] == "+994501112233"


# ------------------------------------------------------------------------------ pricing inputs


async def test_unit_price_override_then_price_list_then_own_price(demo: Demo) -> None:
    pizza = demo.snapshot.products[101]
    assert demo.snapshot.unit_price(pizza, 2, 3) == D("9.5")  # venue 2 override beats everything
    assert demo.snapshot.unit_price(pizza, 1, 3) == D("9")  # Takeaway price list at venue 1
    assert demo.snapshot.unit_price(pizza, 1, 1) == D("8.5")
    assert pizza.price_at(2) == D("9.5") and not demo.snapshot.products[57].available_at(3)


async def test_takeaway_uses_the_price_list_and_the_sale_type_service_charge(demo: Demo) -> None:
    body = v1_lines(line(101, 1), sale_type_id=3, sale_type_name="Takeaway")
    body["payload"]["meta"].pop("service_charge_value")
    body["payload"]["meta"]["discount"] = None
    order = await demo.validate(body)
    p = order.pricing
    assert (p.subtotal, p.service_charge, p.total) == (D("9.00"), D("0.45"), D("9.45"))
    assert order.payload["products"][0]["meta"]["order_product"]["product"]["price"] == D("9")


async def test_flat_service_charge_enabled_without_value_uses_the_sale_type_rate(demo: Demo) -> None:
    body = v2()
    body["sale_type_id"] = 3
    body["service_charge"] = {"enabled": True}
    body["products"][0]["price"] = 9
    order = await demo.validate(body)
    # (9.00 + 0.50) x 2 = 19.00, less 10 % = 17.10, plus 5 % = 0.86 (0.855 rounded half up), plus 2.50
    assert (order.pricing.service_charge, order.pricing.total) == (D("0.86"), D("20.46"))


async def test_explicit_zero_service_charge_means_none(demo: Demo) -> None:
    body = v1_lines(line(103), sale_type_id=3, sale_type_name="Takeaway")
    body["payload"]["products"].append(line(101))
    body["payload"]["meta"]["discount"] = {"discount_type": 0}
    del body["payload"]["meta"]["orderTotal"]
    assert (await demo.validate(body)).pricing.service_charge == D("0.00")
    body["payload"]["meta"]["service_charge_value"] = None
    # 5 % of Pizza's 9.00 only: Lahmacun ignores the service charge
    assert (await demo.validate(body)).pricing.service_charge == D("0.45")


# ------------------------------------------------------------------------------ warnings and price_check


async def test_price_differences_warn_by_default(demo: Demo) -> None:
    body = v1(venue_name="Main branch")
    body["payload"]["meta"]["orderTotal"] = "17.0000"
    body["payload"]["products"][0]["meta"]["price"] = D("1.5")
    order = await demo.validate(body)
    assert values(order.warnings) == values(
        [
            {
                "field": "payload.service.venue_name",
                "message": "Venue 1 is named 'Main' in the catalogue, not 'Main branch'",
                "expected": "Main",
                "got": "Main branch",
            },
            {
                "field": "payload.products[0].meta.price",
                "message": (
                    "payload.products[0].meta.price is 1.5, but the server's unit price of product 1 is 0"
                ),
                "expected": 0,
                "got": D("1.5"),
            },
            {
                "field": "payload.meta.orderTotal",
                "message": "payload.meta.orderTotal is 17.0000, but the server's total is 16.2000",
                "expected": "16.2000",
                "got": "17.0000",
            },
        ]
    )
    assert order.payload["meta"]["orderTotal"] == "16.2000"
    assert order.payload["service"]["venue_name"] == "Main"  # the catalogue's name is stored


async def test_flat_price_warning_names_the_flat_field(demo: Demo) -> None:
    body = v2()
    body["products"][0]["price"] = 9
    [warning] = (await demo.validate(body)).warnings
    assert warning["field"] == "products[0].price" and warning["expected"] == D("8.5") and warning["got"] == 9


async def test_price_check_reject_turns_price_differences_into_problems(demo: Demo) -> None:
    body = v1(sale_type_name="Delivery!")
    body["payload"]["meta"]["orderTotal"] = 17
    body["payload"]["products"][0]["meta"]["price"] = 2
    with pytest.raises(ApiError) as caught:
        await demo.validate(body, price_check="reject")
    assert [p.field for p in caught.value.problems] == ["payload.products[0].meta.price"]
    body["payload"]["products"][0]["meta"]["price"] = 0
    assert await demo.problems(body, price_check="reject") == [
        ("payload.meta.orderTotal", "payload.meta.orderTotal is 17, but the server's total is 16.2000")
    ]
    body["payload"]["meta"]["orderTotal"] = "16.20"
    order = await demo.validate(body, price_check="reject")
    assert [w["field"] for w in order.warnings] == ["payload.service.sale_type_name"]  # names only warn


# ------------------------------------------------------------------------------ the snapshot cache


async def test_snapshot_cache_loads_once_per_version(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    from clopos_server.catalog import snapshot as module

    calls: list[int] = []
    real = module.load_snapshot

    async def counting(db: Any, brand_id: int, version: int) -> CatalogSnapshot:
        calls.append(version)
        await asyncio.sleep(0.01)
        return await real(db, brand_id, version)

    monkeypatch.setattr(module, "load_snapshot", counting)
    cache = SnapshotCache()
    async with demo.db.read() as conn:
        first, second = await asyncio.gather(*(cache.get(conn, demo.brand.id, 1) for _ in range(2)))
        assert first is second and calls == [1]
        assert await cache.get(conn, demo.brand.id, 1) is first
        newer = await cache.get(conn, demo.brand.id, 2)
    assert newer is not first and newer.version == 2 and calls == [1, 2]
    assert newer.products == first.products


async def test_snapshot_reads_the_demo_catalogue(demo: Demo) -> None:
    snap = demo.snapshot
    assert snap.products[110].has_variants and snap.products[111].parent_id == 110
    assert snap.products[111].tax_ids == (1,) and snap.taxes[1].inclusive and snap.taxes[1].rate == 18
    assert snap.products[1].group_ids == (5, 8, 9, 32) and snap.products[120].sold_by_weight
    assert snap.groups[60].min_select == 1 and snap.modifiers[602].price == 3
    assert (
        snap.sale_types[2].venue_status == {1: 1, 2: 1, 3: 0} and snap.sale_types[3].service_charge_rate == 5
    )
    assert snap.price_lists == {(3, 1): {101: D(9)}}
    assert snap.products[103].discountable and snap.products[103].ignore_service_charge
    assert all(p.id < 10000 for p in snap.products.values())  # the other brand's rows are not in here
