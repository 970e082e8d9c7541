"""Property: the catalogue answers rendered from memory (the snapshot, then the page cache) are, byte for
byte, the answers rendered from the database page by page (tests/catalog/database_answers.py, how the
server answered before decision 0004), for random catalogues and random queries, before and after a
catalogue change written by the importer. And the guarantees around them: the stop list is live, and a
version moved by another instance shows once this instance's directory has seen it.

Random catalogues are the demo brand's document with random products added (names that differ only in
case or accents, tied prices, positions and timestamps, NULLs, per-venue prices, modifier groups, taxes,
variants, recipes) and its sale types and payment methods renamed and moved; each is imported with
``reset`` so that an example does not depend on the one before.
"""

from __future__ import annotations

import asyncio
import copy
import random
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server import jsonio
from clopos_server.api.query import parse_list_query
from clopos_server.catalog import schemas
from clopos_server.catalog.importer import export_brand, import_brand
from clopos_server.catalog.service import set_stop_limit
from clopos_server.db.engine import Database
from clopos_server.db.models import Brand
from clopos_server.errors import ApiError
from clopos_server.kit.query import ListQuery, ResourceQuerySpec
from clopos_server.services import Services
from tests.catalog import database_answers as db_answers
from tests.support.api import V1Client

DEMO = "openapitest"
NAMES = ["apple", "Apple", "Äpfel", "apple", "banana", "Banana split", "zebra", "Zebra", "éclair", "Ñandú"]
NAMES += ["10 pcs", "9 pcs", "_under", "ürün", "Çiğ köfte", "ıslak", "Istanbul", "a b", "a-b", "ab"]
STAMPS = ["2025-01-01T00:00:00.000000Z", "2025-01-01T00:00:01.000000Z", "2024-12-31T23:59:59.000000Z"]
TYPES = ["GOODS", "DISH", "TIMER", "PREPARATION", "INGREDIENT"]
MONEY = st.one_of(
    st.sampled_from(["0", "0.5", "0.50", "9.5", "9.50", "10", "100.25"]),
    st.integers(min_value=0, max_value=50_000).map(lambda cents: str(Decimal(cents) / 100)),
)
Oracle = Callable[[AsyncConnection, int, ListQuery], Awaitable[tuple[Any, int | None]]]


def _services(app: FastAPI) -> Services:
    services: Services = app.state.services
    return services


@pytest.fixture
async def document(app: FastAPI) -> dict[str, Any]:
    """The demo brand as its document (money as JSON numbers, as a file carries it)."""
    exported = await export_brand(_services(app).db, DEMO)
    loaded: dict[str, Any] = jsonio.loads(jsonio.dumps(exported))
    return loaded


# ------------------------------------------------------------------------------------------- catalogues


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


def _subset(draw: Callable[..., Any], items: list[Any], most: int) -> list[Any]:
    return draw(st.lists(st.sampled_from(items), unique=True, max_size=most)) if items else []


@st.composite
def _product(draw: st.DrawFn, ident: int, base: dict[str, Any], parent: int | None = None) -> dict[str, Any]:
    venues = [venue["id"] for venue in base["venues"]]
    groups = [group["id"] for group in base["modifier_groups"]]
    ingredients = [p["id"] for p in base["products"] if p["type"] == "INGREDIENT"]
    product = {
        "id": ident,
        "parent_id": parent,
        "type": "MODIFICATION" if parent is not None else draw(st.sampled_from(TYPES)),
        "name": draw(st.sampled_from(NAMES)),
        "price": draw(MONEY),
        "cost_price": draw(MONEY),
        "position": draw(_maybe(st.integers(min_value=0, max_value=4))),
        "category_id": draw(_maybe(st.sampled_from([c["id"] for c in base["categories"]]))),
        "station_id": draw(_maybe(st.sampled_from([s["id"] for s in base["stations"]]))),
        "status": draw(st.sampled_from([0, 1])),
        "hidden": draw(st.booleans()),
        "sold_by_weight": draw(st.booleans()),
        "discountable": draw(st.booleans()),
        "giftable": draw(st.booleans()),
        "inventory_behavior": draw(st.sampled_from([0, 1, 3])),
        "created_at": draw(st.sampled_from(STAMPS)),
        "updated_at": draw(st.sampled_from(STAMPS)),
        "taxes": _subset(draw, [tax["id"] for tax in base["taxes"]], 1),
        "venues": [
            {"venue_id": venue, "price": draw(_maybe(MONEY)), "status": draw(st.sampled_from([0, 1]))}
            for venue in _subset(draw, venues, 3)
        ],
        "modifier_groups": [
            {"group_id": group, "position": draw(st.integers(min_value=0, max_value=2))}
            for group in _subset(draw, groups, 3)
        ],
        "recipe": [
            {"ingredient_id": item, "gross": draw(MONEY), "net": draw(MONEY)}
            for item in _subset(draw, ingredients, 2)
        ],
    }
    if draw(st.booleans()):
        product["meta"] = {"colour": draw(st.sampled_from(["red", "blue"]))}
    return product


@st.composite
def catalogues(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """The demo document with new products (and variants of some), its sale types and payment methods
    renamed and moved, and one more category that hangs under a drawn parent."""
    document = copy.deepcopy(base)
    count = draw(st.integers(min_value=0, max_value=8))
    added = [draw(_product(40_000 + i, base)) for i in range(count)]
    parents = [p["id"] for p in added if p["type"] != "MODIFICATION"] + [110]
    variants = [
        draw(_product(45_000 + i, base, parent=draw(st.sampled_from(parents))))
        for i in range(draw(st.integers(min_value=0, max_value=4)))
    ]
    document["products"].extend(added + variants)
    for row in document["sale_types"] + document["payment_methods"]:
        if draw(st.booleans()):
            row["name"] = draw(st.sampled_from(NAMES))
            row["position"] = draw(_maybe(st.integers(min_value=0, max_value=3)))
    if draw(st.booleans()):
        parent = draw(_maybe(st.sampled_from([c["id"] for c in base["categories"]])))
        document["categories"].append(
            {
                "id": 40_000,
                "name": draw(st.sampled_from(NAMES)),
                "parent_id": parent,
                "status": draw(st.sampled_from([0, 1])),
                "type": "PRODUCT",
                "position": draw(_maybe(st.integers(min_value=0, max_value=3))),
            }
        )
    return document


@st.composite
def changes(draw: st.DrawFn, document: dict[str, Any]) -> dict[str, Any]:
    """The same document after one catalogue edit: a product's price, name or venue price changed, a
    modifier's price changed, or one product more."""
    changed = copy.deepcopy(document)
    kind = draw(st.sampled_from(["price", "name", "venue", "modifier", "add"]))
    product = draw(st.sampled_from([p for p in changed["products"] if p["type"] != "MODIFICATION"]))
    if kind == "price":
        product["price"] = draw(MONEY)
    elif kind == "name":
        product["name"] = draw(st.sampled_from(NAMES))
    elif kind == "venue":
        product["venues"] = [{"venue_id": 2, "price": draw(MONEY), "status": 1}]
    elif kind == "modifier":
        group = draw(st.sampled_from([g for g in changed["modifier_groups"] if g["modificators"]]))
        group["modificators"][0]["price"] = draw(MONEY)
    else:
        changed["products"].append(draw(_product(49_000, document)))
    return changed


# ---------------------------------------------------------------------------------------------- queries

_BOOLS = [["true"], ["false"], ["true", "false"]]


@st.composite
def product_queries(draw: st.DrawFn, document: dict[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if draw(st.booleans()):
        pairs.append(("limit", str(draw(st.sampled_from([1, 2, 3, 5, 10, 50, 100])))))
    if draw(st.booleans()):
        pairs.append(("page", str(draw(st.integers(min_value=1, max_value=4)))))
    if draw(st.booleans()):
        pairs += [("sort[0]", draw(st.sampled_from(schemas.PRODUCT_QUERY.sorts)))]
        pairs += [("sort[1]", draw(st.sampled_from(["1", "-1"])))]
    values: dict[str, list[list[str]]] = {
        "type": [[t] for t in TYPES] + [["GOODS", "DISH"]],
        "category_id": [[str(c["id"])] for c in document["categories"]] + [["1", "6"], ["999"]],
        "station_id": [[str(s["id"])] for s in document["stations"]],
        "giftable": _BOOLS,
        "discountable": _BOOLS,
        "has_modifiers": _BOOLS,
        "has_variants": _BOOLS,
        "sold_by_portion": _BOOLS,
        "inventory_behavior": [["0"], ["1"], ["3"], ["0", "3"]],
    }
    for index, name in enumerate(_subset(draw, sorted(values), 3)):
        pairs.append((f"filters[{index}][0]", name))
        for position, value in enumerate(draw(st.sampled_from(values[name]))):
            pairs.append((f"filters[{index}][1][{position}]", value))
    pairs += [("with[]", name) for name in _subset(draw, sorted(schemas.PRODUCT_INCLUDES), 4)]
    if draw(st.booleans()):
        pairs.append(("selects", ",".join(_subset(draw, list(schemas.PRODUCT_FIELDS), 4))))
    return pairs


Extras = list[tuple[tuple[str, str], ...]]
CATEGORY_EXTRA: Extras = [
    (("type", "PRODUCT"),),
    (("parent_id", "1"),),
    (("include_children", "false"),),
    (("include_inactive", "true"),),
]
SALE_TYPE_EXTRA: Extras = [(("filters[0][0]", "system_type"), ("filters[0][1]", "IN"))]


@st.composite
def list_queries(draw: st.DrawFn, spec: ResourceQuerySpec, extra: Extras) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if draw(st.booleans()):
        pairs.append(("limit", str(draw(st.sampled_from([1, 2, 3, 10])))))
    if draw(st.booleans()):
        pairs.append(("page", str(draw(st.integers(min_value=1, max_value=3)))))
    if draw(st.booleans()):
        pairs += [
            ("sort_by", draw(st.sampled_from(spec.sorts))),
            ("sort_order", draw(st.sampled_from(["asc", "desc"]))),
        ]
    for group in _subset(draw, extra, 2):
        pairs += list(group)
    return pairs


# ------------------------------------------------------------------------------------------- comparison


async def _brand_id(db: Database) -> int:
    async with db.read() as conn:
        found: int = (await conn.execute(select(Brand.id).where(Brand.slug == DEMO))).scalar_one()
    return found


async def same_answer(
    v1: V1Client,
    db: Database,
    path: str,
    pairs: list[tuple[str, str]],
    spec: ResourceQuerySpec,
    oracle: Oracle,
    *,
    venue: int = 1,
) -> httpx.Response:
    """GET ``path`` with the query (from memory) is, byte for byte, what the database oracle renders."""
    raw = urlencode(pairs)
    answer = await v1.http.get(f"/open-api/{path}?{raw}", headers=v1.headers(**{"x-venue": str(venue)}))
    try:
        query = parse_list_query(raw, spec)
        async with db.read() as conn:
            data, total = await oracle(conn, await _brand_id(db), query)
    except ApiError as error:
        assert answer.status_code == error.http_status, answer.text
        return answer
    assert answer.status_code == 200, answer.text
    body = orjson.loads(answer.content)
    expected: dict[str, Any] = {"success": True, "data": data}
    if total is not None:
        expected["total"] = total
    expected.update({name: body[name] for name in ("time", "timestamp", "unix")})
    if "sorts" in body:
        expected["sorts"] = list(spec.sorts)
    assert answer.content == jsonio.dumps(expected), (path, raw)
    return answer


def _one(
    get: Callable[[AsyncConnection, int, int, ListQuery], Awaitable[dict[str, Any]]], ident: int
) -> Oracle:
    async def oracle(conn: AsyncConnection, brand_id: int, query: ListQuery) -> tuple[Any, int | None]:
        return await get(conn, brand_id, ident, query), None

    return oracle


async def compare_everything(
    v1: V1Client, db: Database, data: st.DataObject, document: dict[str, Any]
) -> None:
    """Random queries of every catalogue read, each asked three times: rendered from the snapshot, again
    (the page cache, by the raw query), and with its parameters in another order at another venue (the
    page cache, by the parsed query)."""
    draw = data.draw
    product_ids = [p["id"] for p in document["products"]] + [999_999]
    category_ids = [c["id"] for c in document["categories"]] + [999_999]
    asks: list[tuple[str, list[tuple[str, str]], ResourceQuerySpec, Oracle]] = []
    for _ in range(draw(st.integers(min_value=2, max_value=5))):
        asks.append(
            ("products", draw(product_queries(document)), schemas.PRODUCT_QUERY, db_answers.list_products)
        )
    ident = draw(st.sampled_from(product_ids))
    includes = [("with[]", name) for name in _subset(draw, sorted(schemas.PRODUCT_INCLUDES), 5)]
    asks.append(
        (f"products/{ident}", includes, schemas.PRODUCT_READ_QUERY, _one(db_answers.get_product, ident))
    )
    asks.append(
        (
            "categories",
            draw(list_queries(schemas.CATEGORY_QUERY, CATEGORY_EXTRA)),
            schemas.CATEGORY_QUERY,
            db_answers.list_categories_db,
        )
    )
    ident = draw(st.sampled_from(category_ids))
    asks.append(
        (
            f"categories/{ident}",
            draw(list_queries(schemas.CATEGORY_READ_QUERY, CATEGORY_EXTRA[2:])),
            schemas.CATEGORY_READ_QUERY,
            _one(db_answers.get_category_db, ident),
        )
    )
    asks.append(
        (
            "sale-types",
            draw(list_queries(schemas.SALE_TYPE_QUERY, SALE_TYPE_EXTRA)),
            schemas.SALE_TYPE_QUERY,
            db_answers.list_sale_types,
        )
    )
    asks.append(
        (
            "payment-methods",
            draw(list_queries(schemas.PAYMENT_METHOD_QUERY, [])),
            schemas.PAYMENT_METHOD_QUERY,
            db_answers.list_payment_methods,
        )
    )
    shuffle = random.Random(draw(st.integers(min_value=0, max_value=2**16)))
    for path, pairs, spec, oracle in asks:
        first = await same_answer(v1, db, path, pairs, spec, oracle)
        again = await same_answer(v1, db, path, pairs, spec, oracle)
        assert again.status_code == first.status_code and again.content[:40] == first.content[:40]
        reordered = list(pairs)
        shuffle.shuffle(reordered)
        await same_answer(v1, db, path, reordered, spec, oracle, venue=draw(st.sampled_from([1, 2, 3])))


@settings(
    max_examples=8,
    deadline=None,
    phases=(
        Phase.explicit,
        Phase.reuse,
        Phase.generate,
    ),  # a failure prints its seed; shrinking takes minutes
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
async def test_answers_from_memory_are_the_answers_from_the_database(
    app: FastAPI, v1: V1Client, document: dict[str, Any], data: st.DataObject
) -> None:
    services = _services(app)
    catalogue = data.draw(catalogues(document), label="catalogue")
    await import_brand(services.db, catalogue, reset=True)
    await services.directory.refresh(services.db)
    await compare_everything(v1, services.db, data, catalogue)

    changed = data.draw(changes(catalogue), label="change")
    await import_brand(services.db, changed)
    await services.directory.refresh(services.db)  # what the importing instance does at once
    await compare_everything(v1, services.db, data, changed)

    product = data.draw(st.sampled_from([p["id"] for p in changed["products"]]), label="stopped")
    await set_stop_limit(services.db, DEMO, product, data.draw(st.integers(min_value=0, max_value=5)))
    stop_list = await v1.get("/products/stop-list")
    assert product in [entry["id"] for entry in stop_list.json()["data"]]
    await services.directory.refresh(services.db)
    await compare_everything(v1, services.db, data, changed)


async def test_another_instances_import_shows_at_the_next_directory_refresh(
    app: FastAPI, v1: V1Client, document: dict[str, Any], db_url: str
) -> None:
    """No manual refresh: an import by another process (its own Database, as ``clopos-server import``)
    moves the version; this app's background directory refresh sees it and the next page is the new one."""
    params = {"limit": "100", "with[]": "modificator_groups"}
    before = (await v1.get("/products", params=params)).json()["data"]
    assert before[0]["name"] != "Imported elsewhere"
    changed = copy.deepcopy(document)
    changed["products"][0]["name"] = "Imported elsewhere"
    elsewhere = Database(db_url, pool_size=1)
    try:
        await import_brand(elsewhere, changed)
    finally:
        await elsewhere.dispose()

    deadline = time.monotonic() + 10  # the refresh interval is 1 s; a loaded machine is slow
    while True:
        answer = await v1.get("/products", params=params)
        if answer.json()["data"][0]["name"] == "Imported elsewhere" or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    assert answer.json()["data"][0]["name"] == "Imported elsewhere"
    await same_answer(
        v1,
        _services(app).db,
        "products",
        list(params.items()),
        schemas.PRODUCT_QUERY,
        db_answers.list_products,
    )


async def test_the_stop_list_shows_a_change_on_the_next_request(app: FastAPI, v1: V1Client) -> None:
    """The stop list is no part of the cached catalogue: no directory refresh is needed to see a change."""
    await v1.get("/products", params={"limit": "100"})  # the snapshot and a page are held
    assert 103 not in [entry["id"] for entry in (await v1.get("/products/stop-list")).json()["data"]]
    await set_stop_limit(_services(app).db, DEMO, 103, 2)
    entries = {entry["id"]: entry["limit"] for entry in (await v1.get("/products/stop-list")).json()["data"]}
    assert entries[103] == 2
