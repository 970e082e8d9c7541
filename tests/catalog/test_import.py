"""The brand document: the demo seed, export/import identity, validation, prune, reset, sequences."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update

from clopos_server import jsonio
from clopos_server.auth.passwords import hash_secret, verify_secret
from clopos_server.catalog.importer import BrandDocumentError, export_brand, import_brand
from clopos_server.db.engine import Database
from clopos_server.db.models import (
    ApiClient,
    Balance,
    Brand,
    Category,
    Customer,
    Integrator,
    Modifier,
    PriceListBinding,
    PriceListPrice,
    Product,
    ProductTax,
    ProductVenue,
    Receipt,
    ReceiptProduct,
    SaleTypeVenue,
    StaffUser,
    Station,
    StockLevel,
    StopListEntry,
    Venue,
)
from clopos_server.demo import (
    DEMO_BRAND,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_OTHER_BRAND,
    DEMO_TEST_INTEGRATOR,
    load_demo,
)

NEW_YEAR = datetime(2025, 1, 1, tzinfo=UTC)


def _json(document: dict[str, Any]) -> Any:
    """The document as a file would carry it (money as JSON numbers)."""
    return jsonio.loads(jsonio.dumps(document))


async def _export(db: Database, slug: str = DEMO_BRAND) -> Any:
    return _json(await export_brand(db, slug))


async def _brand_id(db: Database, slug: str) -> int:
    async with db.read() as conn:
        return (await conn.execute(select(Brand.id).where(Brand.slug == slug))).scalar_one()


async def test_the_demo_brands_are_loaded_with_their_exact_rows(database: Database) -> None:
    brand_id = await _brand_id(database, DEMO_BRAND)
    async with database.read() as conn:
        brand = (await conn.execute(select(Brand).where(Brand.id == brand_id))).one()
        assert (brand.is_test, brand.timezone, brand.day_cutoff_hour, brand.currency, brand.price_check) == (
            True,
            "Asia/Baku",
            5,
            "AZN",
            "warn",
        )
        venues = (
            await conn.execute(
                select(Venue.id, Venue.name, Venue.is_main)
                .where(Venue.brand_id == brand_id)
                .order_by(Venue.id)
            )
        ).all()
        assert [tuple(v) for v in venues] == [(1, "Main", 1), (2, "Baku", 0), (3, "Masally", 0)]

        pizza = (await conn.execute(select(Product).where(Product.id == 101))).one()
        assert (pizza.brand_id, pizza.name, pizza.price, pizza.inventory_behavior) == (
            brand_id,
            "Pizza",
            Decimal("8.5"),
            3,
        )
        assert pizza.created_at == NEW_YEAR and pizza.updated_at == NEW_YEAR
        override = (
            await conn.execute(
                select(ProductVenue.price, ProductVenue.status).where(ProductVenue.product_id == 101)
            )
        ).all()
        assert [tuple(o) for o in override] == [(Decimal("9.5"), 1)]
        mega = (await conn.execute(select(Product.meta, Product.price).where(Product.id == 1))).one()
        assert mega.meta == {"modifier_pos": {"5": 0, "8": 1, "9": 2, "32": 3}} and mega.price == 0
        timer = (await conn.execute(select(Product.setting).where(Product.id == 130))).scalar_one()
        assert timer == {"calculation_methods": 0, "interval": 60, "prices": [{"price": 3, "from": 120}]}
        taxed = (await conn.execute(select(ProductTax.product_id).order_by(ProductTax.product_id))).scalars()
        assert list(taxed) == [111, 112]

        sizes = (
            await conn.execute(
                select(Modifier.id, Modifier.name, Modifier.price)
                .where(Modifier.group_id == 60)
                .order_by(Modifier.id)
            )
        ).all()
        assert [tuple(m) for m in sizes] == [(601, "Small", Decimal(0)), (602, "Large", Decimal(3))]
        stops = (await conn.execute(select(StopListEntry).where(StopListEntry.brand_id == brand_id))).all()
        assert {(s.product_id, s.remaining, s.timestamp_ms) for s in stops} == {
            (54, 0, 1761202010781),
            (57, 3, 1761202001368),
        }
        disabled = (
            await conn.execute(
                select(SaleTypeVenue.sale_type_id, SaleTypeVenue.venue_id).where(SaleTypeVenue.status == 0)
            )
        ).all()
        assert [tuple(d) for d in disabled] == [(2, 3)]
        binding = (await conn.execute(select(PriceListBinding))).one()
        assert (binding.sale_type_id, binding.venue_id, binding.list_id) == (3, 1, 1)
        price = (await conn.execute(select(PriceListPrice))).one()
        assert (price.id, price.list_id, price.product_id, price.price) == (1, 1, 101, Decimal(9))

        customers = (
            await conn.execute(select(Customer).where(Customer.brand_id == brand_id).order_by(Customer.id))
        ).all()
        assert [(c.id, c.name, c.phone, c.group_id) for c in customers] == [
            (9, "Rahid Akhundzada", "+994705401040", 5),
            (10, "Aysel Mammadova", "+994501112233", 1),
            (11, "Murad Aliyev", "+994552223344", 1),
            (12, "Walk-in", None, 1),
        ]
        assert len({c.cid for c in customers}) == 4 and all(len(c.cid) == 36 for c in customers)
        balances = (await conn.execute(select(Balance.id).where(Balance.brand_id == brand_id))).scalars()
        assert {c.balance_id for c in customers} == set(balances)

        receipts = (
            await conn.execute(select(Receipt).where(Receipt.brand_id == brand_id).order_by(Receipt.id))
        ).all()
        assert [(r.id, r.status, r.source, r.total, r.remaining) for r in receipts] == [
            (1, 1, "pos", Decimal("8.5"), Decimal("8.5")),
            (2, 2, "pos", Decimal("8.5"), Decimal(0)),
        ]
        assert receipts[0].created_at == datetime(2025, 1, 13, 20, 4, 5, tzinfo=UTC)
        assert receipts[1].closed_at == datetime(2025, 1, 13, 20, 30, tzinfo=UTC)
        assert receipts[1].payment_methods == [{"id": 1, "name": "Cash", "amount": 8.5}]
        lines = (await conn.execute(select(ReceiptProduct.receipt_id, ReceiptProduct.product_id))).all()
        assert sorted(tuple(line) for line in lines) == [(1, 101), (2, 101)]

        imported = (StockLevel.brand_id == brand_id, StockLevel.storage_id <= 3)  # the bar's (4): documents
        stock = (await conn.execute(select(StockLevel).where(*imported))).all()
        assert len(stock) == 15 and {s.quantity for s in stock} == {Decimal(100)}
        assert {s.cost for s in stock if s.product_id == 301} == {Decimal("0.8")}

        client = (await conn.execute(select(ApiClient).where(ApiClient.client_id == DEMO_CLIENT_ID))).one()
        assert client.user_id == 1 and client.brand_id == brand_id
        assert verify_secret(client.secret_hash, DEMO_CLIENT_SECRET)
        owner = (await conn.execute(select(StaffUser).where(StaffUser.id == 1))).one()
        assert (
            owner.username == "owner"
            and owner.password_hash
            and verify_secret(owner.password_hash, "owner-demo-1")
        )
        flags = {row.id: row.is_test for row in await conn.execute(select(Integrator.id, Integrator.is_test))}
        assert flags == {DEMO_TEST_INTEGRATOR: True, "prod_demo": False}

        other_id = await _other_id(conn)
        other_products = (
            await conn.execute(select(Product.id).where(Product.brand_id == other_id))
        ).scalars()
        assert min(other_products) >= 10000
        other_venue = (await conn.execute(select(Venue.name).where(Venue.brand_id == other_id))).scalar_one()
        assert other_venue == "Other Main"


async def _other_id(conn: Any) -> int:
    brand_id: int = (await conn.execute(select(Brand.id).where(Brand.slug == DEMO_OTHER_BRAND))).scalar_one()
    return brand_id


async def test_export_then_import_then_export_is_the_identity(database: Database) -> None:
    first = await _export(database)
    report = await import_brand(database, first)
    assert report.total_created == 0 and report.updated["products"] == 13
    second = await _export(database)
    assert second == first
    assert jsonio.dumps(second) == jsonio.dumps(first)
    assert first["version"] == 1 and first["brand"]["slug"] == DEMO_BRAND
    assert first["products"][0]["created_at"] == "2025-01-01T00:00:00.000000Z"
    assert first["receipts"][0]["created_at"] == "2025-01-13T20:04:05.000000Z"
    assert "password" not in first["users"][0] and first["users"][0]["password_hash"].startswith("$argon2")
    assert "client_secret" not in first["clients"][0] and first["clients"][0]["secret_hash"].startswith(
        "$argon2"
    )
    pizza = next(p for p in first["products"] if p["id"] == 101)
    assert pizza["venues"] == [{"venue_id": 2, "price": 9.5, "status": 1}]
    assert pizza["modifier_groups"] == [{"group_id": 50, "position": 0}]
    assert first["sale_types"][1]["status"] == {"1": 1, "2": 1, "3": 0}


async def test_a_bad_document_changes_nothing_and_names_every_problem(database: Database) -> None:
    before = await _export(database)
    bad = copy.deepcopy(before)
    bad["products"][0]["price"] = "abc"
    del bad["products"][1]["name"]
    bad["products"][2]["category_id"] = 999
    bad["products"][3]["modifier_groups"].append({"group_id": 12345, "position": 9})
    bad["sale_types"][0]["status"]["42"] = 1
    bad["customers"][0]["created_at"] = "yesterday"
    bad["venues"][0]["colour"] = "red"
    bad["stock"][0]["quantity"] = "1.23456"
    bad["categories"][2]["parent_id"] = 6  # 3 -> 6 -> 3
    bad["categories"][0]["name"] = "Renamed"  # valid on its own: must not land either

    with pytest.raises(BrandDocumentError) as caught:
        await import_brand(database, bad)

    assert {path for path, _message in caught.value.problems} == {
        "products[0].price",
        "products[1].name",
        "products[2].category_id",
        "products[3].modifier_groups[1].group_id",
        "sale_types[0].status.42",
        "customers[0].created_at",
        "venues[0].colour",
        "stock[0].quantity",
        "categories[2].parent_id",
        "categories[5].parent_id",
    }
    messages = dict(caught.value.problems)
    assert messages["products[1].name"] == "is required"
    assert messages["products[2].category_id"] == "category 999 is neither in the document nor in the brand"
    assert messages["sale_types[0].status.42"] == "venue 42 is neither in the document nor in the brand"
    assert "decimal places" in messages["stock[0].quantity"]
    assert await _export(database) == before


async def test_an_id_another_brand_owns_is_refused_naming_the_path(database: Database) -> None:
    document = await _export(database)
    stolen = copy.deepcopy(document["products"][3])
    stolen.update(id=10000, name="Stolen", modifier_groups=[])
    document["products"].append(stolen)
    document["clients"].append(
        {"id": 2, "client_id": "demo-other-client", "client_secret": "another-secret", "user_id": 1}
    )
    with pytest.raises(BrandDocumentError) as caught:
        await import_brand(database, document)
    assert caught.value.problems == [
        ("products[13].id", "product 10000 belongs to another brand"),
        ("clients[1].client_id", "client_id 'demo-other-client' belongs to another brand"),
    ]

    intruder = {
        "brand": {"slug": "intruder", "name": "Intruder"},
        "venues": [{"id": 1, "name": "Front"}],
        "categories": [{"id": 1, "name": "Mine now"}],
    }
    with pytest.raises(BrandDocumentError) as caught:
        await import_brand(database, intruder)
    assert caught.value.problems == [("categories[0].id", "category 1 belongs to another brand")]
    async with database.read() as conn:
        assert (
            await conn.execute(select(Product.name).where(Product.id == 10000))
        ).scalar_one() == "Classic Burger"
        assert (await conn.execute(select(Brand.id).where(Brand.slug == "intruder"))).first() is None


async def test_prune_deactivates_what_the_file_no_longer_has(database: Database) -> None:
    document = await _export(database)
    document["products"] = [p for p in document["products"] if p["id"] != 130]
    document["stations"] = [s for s in document["stations"] if s["id"] != 3]
    document["sale_types"] = [s for s in document["sale_types"] if s["id"] != 2]
    document["customers"] = [c for c in document["customers"] if c["id"] != 12]
    toppings = next(g for g in document["modifier_groups"] if g["id"] == 50)
    toppings["modificators"] = [m for m in toppings["modificators"] if m["id"] != 502]

    plain = await import_brand(database, document)
    assert plain.deactivated == {}
    async with database.read() as conn:
        assert (await conn.execute(select(Product.status).where(Product.id == 130))).scalar_one() == 1

    report = await import_brand(database, document, prune=True)
    assert report.deactivated == {
        "stations": 1,
        "modifier_groups.modificators": 1,
        "products": 1,
        "sale_types": 1,
        "customers": 1,
    }
    async with database.read() as conn:
        assert (await conn.execute(select(Product.status).where(Product.id == 130))).scalar_one() == 0
        assert (await conn.execute(select(Station.status).where(Station.id == 3))).scalar_one() == 0
        assert (await conn.execute(select(Modifier.status).where(Modifier.id == 502))).scalar_one() is False
        assert (await conn.execute(select(Customer.status).where(Customer.id == 12))).scalar_one() is False
        delivery = (
            (await conn.execute(select(SaleTypeVenue.status).where(SaleTypeVenue.sale_type_id == 2)))
            .scalars()
            .all()
        )
        assert delivery == [0, 0, 0]
        assert (await conn.execute(select(Product.status).where(Product.id == 101))).scalar_one() == 1


async def test_a_link_set_stated_in_the_file_replaces_the_stored_one(database: Database) -> None:
    document = await _export(database)
    fanta = next(p for p in document["products"] if p["id"] == 111)
    fanta["taxes"] = []
    pizza = next(p for p in document["products"] if p["id"] == 101)
    del pizza["venues"]  # absent: left as it is
    report = await import_brand(database, document)
    assert report.removed == {"products.taxes": 1}
    async with database.read() as conn:
        taxed = (await conn.execute(select(ProductTax.product_id))).scalars().all()
        assert taxed == [112]
        assert (await conn.execute(select(func.count()).select_from(ProductVenue))).scalar_one() == 2


async def test_a_new_brand_from_a_minimal_document(database: Database) -> None:
    board_hash = hash_secret("boss-password")
    document = {
        "brand": {"slug": "mini", "name": "Mini", "timezone": "Europe/Istanbul"},
        "venues": [{"id": 1, "name": "Only"}],
        "users": [{"id": 20001, "username": "boss", "password_hash": board_hash}],
        "clients": [
            {"id": 20001, "client_id": "mini-client", "client_secret": "mini-secret", "user_id": 20001}
        ],
        "categories": [{"id": 20001, "name": "Food", "created_at": "2025-02-03 04:05:06"}],
        "products": [
            {
                "id": 20001,
                "name": "Soup",
                "type": "DISH",
                "price": "3.25",
                "category_id": 20001,
                "created_at": "2025-02-03T04:05:06.000000Z",
                "updated_at": "2025-02-03T04:05:06.000000Z",
            },
        ],
        "customer_groups": [{"id": 20001, "name": "My customers", "system_type": "my_customers"}],
        "customers": [{"id": 20001, "name": "Guest", "group_id": 20001}],
    }
    report = await import_brand(database, document)
    assert report.brand_created and report.created["customers.balance"] == 1

    exported = await _export(database, "mini")
    assert exported["brand"]["timezone"] == "Europe/Istanbul" and exported["brand"]["price_check"] == "warn"
    assert exported["categories"][0]["created_at"] == "2025-02-03T04:05:06.000000Z"
    assert exported["products"][0]["price"] == 3.25 and exported["products"][0]["cost_price"] == 0
    assert exported["users"][0]["password_hash"] == board_hash
    assert verify_secret(exported["clients"][0]["secret_hash"], "mini-secret")
    guest = exported["customers"][0]
    assert (
        guest["balance_id"] > 10000
        and guest["balance"]["amount"] == 0
        and guest["balance"]["name"] == "Guest"
    )
    assert len(guest["cid"]) == 36
    assert (await import_brand(database, exported)).total_created == 0
    assert await _export(database, "mini") == exported


async def test_load_demo_skips_existing_brands_and_reset_reloads_them(database: Database) -> None:
    assert await load_demo(database) == ["openapitest: exists, skipped", "demo-other: exists, skipped"]
    brand_id = await _brand_id(database, DEMO_BRAND)
    async with database.write() as conn:
        await conn.execute(update(Product).where(Product.id == 101).values(price=Decimal(99)))
        await conn.execute(
            insert(Category).values(
                id=500, brand_id=brand_id, name="Added later", created_at=NEW_YEAR, updated_at=NEW_YEAR
            )
        )
    lines = await load_demo(database, reset=True)
    assert [line.split(" (")[0] for line in lines] == [
        "openapitest: reset and reloaded",
        "demo-other: reset and reloaded",
    ]
    assert await _brand_id(database, DEMO_BRAND) == brand_id
    async with database.read() as conn:
        assert (await conn.execute(select(Product.price).where(Product.id == 101))).scalar_one() == Decimal(
            "8.5"
        )
        assert (await conn.execute(select(Category.id).where(Category.id == 500))).first() is None
        count = select(func.count()).select_from(Product).where(Product.brand_id == brand_id)
        assert (await conn.execute(count)).scalar_one() == 13


async def test_new_rows_get_ids_above_the_imported_ones(database: Database) -> None:
    """On PostgreSQL the import moves every SERIAL sequence past the largest id it wrote."""
    brand_id = await _brand_id(database, DEMO_BRAND)
    async with database.write() as conn:
        balance = await conn.execute(
            insert(Balance).values(
                brand_id=brand_id, name="New", amount=Decimal(0), created_at=NEW_YEAR, updated_at=NEW_YEAR
            )
        )
        (balance_id,) = balance.inserted_primary_key or (None,)
        customer = await conn.execute(
            insert(Customer).values(
                brand_id=brand_id,
                cid="0f0e0d0c-0b0a-4909-8807-060504030201",
                group_id=1,
                balance_id=balance_id,
                name="New customer",
                spent=Decimal(0),
                total_discount=Decimal(0),
                total_bonus=Decimal(0),
                created_at=NEW_YEAR,
                updated_at=NEW_YEAR,
            )
        )
        (customer_id,) = customer.inserted_primary_key or (None,)
        highest = (
            await conn.execute(select(func.max(Customer.id)).where(Customer.id != customer_id))
        ).scalar_one()
    assert balance_id is not None and balance_id > 10000
    assert customer_id is not None and customer_id > highest >= 10000
