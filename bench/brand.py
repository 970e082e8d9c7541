"""The benchmark's brand: a realistic, deterministic brand document and the create-order body.

500 products, 50 modifier groups (300 modifiers), 2,000 customers, 3 venues, sale types, payment methods, a
price list, a stop list, one API client whose secret is given in plain text (the importer hashes it), and
one test-mode v2 integrator (the events feed is v2 only).
Every id is far from the demo brands' ids, so the document imports next to them too.

``python bench/brand.py FILE`` writes the document (the bench runner calls :func:`brand_document`).
"""

from __future__ import annotations

import json
import random
import sys
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

SLUG = "bench"
CLIENT_ID = "bench-client-0000000000000001"
CLIENT_SECRET = "bench-secret-Zk3v9QpX2mW7rT5yL8nB4cF6hJ1dS0aG"  # noqa: S105  (a public bench credential)
INTEGRATOR_ID = "bench-integrator"  # a v2 integrator (test mode, as the brand), for the events feed
VENUE_ID = 1
DELIVERY_SALE_TYPE = 900_002
SERVICE_CHARGE_RATE = 5  # percent, the delivery sale type's

PRODUCTS = 500
GROUPS = 50
MODIFIERS_PER_GROUP = 6
CUSTOMERS = 2000

_PRODUCT_BASE = 100_000
_GROUP_BASE = 900_000
_MODIFIER_BASE = 910_000
_CUSTOMER_BASE = 200_000
_STAMP = "2025-01-01T00:00:00.000000Z"
_NAMESPACE = uuid.UUID("8a6b1f0e-6a55-4f43-9a53-6f0d3b4c1b20")

_DISHES = (
    "Burger",
    "Doner",
    "Durum",
    "Lahmacun",
    "Pizza",
    "Kebab",
    "Pilaf",
    "Dolma",
    "Salad",
    "Soup",
    "Wrap",
    "Pasta",
    "Steak",
    "Kutab",
    "Qutab",
    "Shawarma",
    "Falafel",
    "Lula",
    "Tika",
    "Plov",
)
_STYLES = ("Classic", "Spicy", "Double", "Mini", "Family", "Chef's", "Grilled", "Crispy", "Veggie", "Mega")


def _money(cents: int) -> Decimal:
    return Decimal(cents) / 100


def _stamped(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "created_at": _STAMP, "updated_at": _STAMP}


def _modifier_groups(rng: random.Random) -> list[dict[str, Any]]:
    groups = []
    for g in range(GROUPS):
        single = g % 3 == 0  # a third are single choice ("Size", "Drink in menu")
        required = g % 10 == 0  # a few must be chosen
        groups.append(
            _stamped(
                {
                    "id": _GROUP_BASE + g + 1,
                    "name": f"{'Choice' if single else 'Extras'} {g + 1}",
                    "type": 1 if single else 0,
                    "min_select": 1 if required else 0,
                    "max_select": 1 if single else 3,
                    "adjust_to_portion": g % 4 == 0,
                    "status": True,
                    "modificators": [
                        {
                            "id": _MODIFIER_BASE + g * MODIFIERS_PER_GROUP + m + 1,
                            "dish_id": None,
                            "name": f"Option {g + 1}.{m + 1}",
                            "price": _money(rng.choice((0, 30, 50, 70, 100, 150, 200))),
                            "cost_price": 0,
                            "default_count": 0,
                            "min_count": 0,
                            "max_count": 0 if m % 2 else 3,
                            "status": True,
                            "position": m,
                        }
                        for m in range(MODIFIERS_PER_GROUP)
                    ],
                }
            )
        )
    return groups


def _products(rng: random.Random) -> list[dict[str, Any]]:
    products = []
    group_ids = [_GROUP_BASE + g + 1 for g in range(GROUPS)]
    for p in range(PRODUCTS):
        pid = _PRODUCT_BASE + p + 1
        is_goods = p % 5 == 4
        attached = [] if is_goods else rng.sample(group_ids, rng.randint(1, 4))
        venues = []
        if p % 7 == 0:
            venues.append({"venue_id": 2, "price": _money(rng.randint(150, 3000)), "status": 1})
        if p % 11 == 0:
            venues.append({"venue_id": 3, "price": None, "status": 0})
        products.append(
            _stamped(
                {
                    "id": pid,
                    "parent_id": None,
                    "category_id": 900_001 + p % 20,
                    "station_id": 900_001 + p % 3,
                    "type": "GOODS" if is_goods else "DISH",
                    "name": f"{rng.choice(_STYLES)} {rng.choice(_DISHES)} #{p + 1}",
                    "position": p,
                    "barcode": f"2000{pid:09d}",
                    "status": 1,
                    "hidden": False,
                    "sold_by_weight": False,
                    "discountable": p % 13 != 0,
                    "ignore_service_charge": p % 17 == 0,
                    "description": "Benchmark product",
                    "price": _money(rng.randint(150, 3000)),
                    "cost_price": _money(rng.randint(50, 100)),
                    "cooking_time": 10,
                    "inventory_behavior": 1 if is_goods else 3,
                    "meta": {"modifier_pos": {str(gid): i for i, gid in enumerate(attached)}},
                    "taxes": [900_001] + ([900_002] if p % 9 == 0 else []),
                    "venues": venues,
                    "modifier_groups": [{"group_id": gid, "position": i} for i, gid in enumerate(attached)],
                    "recipe": [],
                }
            )
        )
    return products


def _customers(rng: random.Random) -> list[dict[str, Any]]:
    first = ("Rahid", "Aysel", "Murad", "Leyla", "Elvin", "Nigar", "Tural", "Sabina", "Orxan", "Gunel")
    last = ("Aliyev", "Mammadova", "Huseynov", "Quliyeva", "Ismayilov", "Hasanova", "Babayev", "Karimova")
    customers = []
    for c in range(CUSTOMERS):
        cid = _CUSTOMER_BASE + c + 1
        phone = f"+99450{c + 1000000:07d}"
        customers.append(
            _stamped(
                {
                    "id": cid,
                    "venue_id": 1 + c % 3,
                    "cid": str(uuid.uuid5(_NAMESPACE, f"customer-{cid}")),
                    "group_id": 900_002 if c % 10 == 0 else 900_001,
                    "name": f"{rng.choice(first)} {rng.choice(last)}",
                    "email": f"customer{cid}@example.com",
                    "phone": phone,
                    "phones": [phone],
                    "address": f"{c % 200 + 1} Nizami street, Baku",
                    "description": None,
                    "status": True,
                }
            )
        )
    return customers


def brand_document(seed: int = 7) -> dict[str, Any]:
    """The whole brand as one importable document (docs/brand-document.md)."""
    rng = random.Random(seed)
    groups = _modifier_groups(rng)
    products = _products(rng)
    venue_ids = (1, 2, 3)
    all_venues = {str(v): 1 for v in venue_ids}
    return {
        "version": 1,
        "brand": _stamped(
            {
                "slug": SLUG,
                "name": "Bench Brand",
                "is_test": True,
                "timezone": "Asia/Baku",
                "day_cutoff_hour": 5,
                "currency": "AZN",
                "minor_unit": 2,
                "price_check": "warn",
                "require_idempotency_key": False,
            }
        ),
        "integrators": [
            _stamped({"id": INTEGRATOR_ID, "name": "Bench integrator", "is_test": True, "enabled": True})
        ],
        "venues": [
            _stamped(
                {
                    "id": v,
                    "name": name,
                    "address": "Baku",
                    "phone": "",
                    "email": "",
                    "status": 1,
                    "is_main": int(v == 1),
                    "position": v,
                }
            )
            for v, name in zip(venue_ids, ("Main", "Port Baku", "Ganjlik"), strict=True)
        ],
        "storages": [{"id": 900_000 + v, "venue_id": v, "name": f"Storage {v}"} for v in venue_ids],
        "users": [
            _stamped(
                {
                    "id": 900_001,
                    "username": "bench-owner",
                    "first_name": "Bench",
                    "last_name": "Owner",
                    "password": "bench-owner-password",
                    "venue_id": None,
                    "owner": 1,
                    "hide": 0,
                    "status": True,
                }
            )
        ],
        "clients": [
            _stamped(
                {"id": 900_001, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "user_id": 900_001}
            )
        ],
        "categories": [
            _stamped(
                {
                    "id": 900_001 + c,
                    "name": f"Category {c + 1}",
                    "parent_id": None,
                    "status": 1,
                    "position": c,
                }
            )
            for c in range(20)
        ],
        "stations": [
            _stamped({"id": 900_001 + s, "name": name, "status": 1, "type": int(s < 2), "printable": 1})
            for s, name in enumerate(("Kitchen", "Grill", "Bar"))
        ],
        "taxes": [
            {"id": 900_001, "name": "VAT 18%", "rate": 18, "type": "INCLUSIVE"},
            {"id": 900_002, "name": "City tax 2%", "rate": 2, "type": "EXCLUSIVE"},
        ],
        "modifier_groups": groups,
        "products": products,
        "stop_list": [
            {"id": _PRODUCT_BASE + p + 1, "limit": 0 if p % 2 else 1_000_000, "timestamp": 1735689600000}
            for p in range(300, 330)
        ],
        "sale_types": [
            _stamped(
                {
                    "id": 900_001,
                    "name": "Dine in",
                    "system_type": "IN",
                    "channel": "IN",
                    "service_charge_rate": 10,
                    "position": 1,
                    "status": all_venues,
                }
            ),
            _stamped(
                {
                    "id": DELIVERY_SALE_TYPE,
                    "name": "Delivery",
                    "system_type": "DELIVERY",
                    "channel": "DELIVERY",
                    "service_charge_rate": SERVICE_CHARGE_RATE,
                    "position": 2,
                    "status": all_venues,
                }
            ),
            _stamped(
                {
                    "id": 900_003,
                    "name": "Takeaway",
                    "system_type": "TAKEAWAY",
                    "channel": "TAKEAWAY",
                    "service_charge_rate": None,
                    "position": 3,
                    "status": all_venues,
                }
            ),
        ],
        "payment_methods": [
            _stamped({"id": 900_001 + i, "name": name, "split": 0, "position": i + 1, "status": all_venues})
            for i, name in enumerate(("Cash", "Card", "Online"))
        ],
        "price_lists": [
            _stamped(
                {
                    "id": 900_001,
                    "name": "Takeaway prices",
                    "status": True,
                    "position": 1,
                    "prices": [
                        {"id": 900_001 + p, "product_id": _PRODUCT_BASE + p + 1, "price": _money(100 + p)}
                        for p in range(100)
                    ],
                    "bindings": [{"sale_type_id": 900_003, "venue_id": 1}],
                }
            )
        ],
        "customer_groups": [
            _stamped(
                {
                    "id": 900_001,
                    "name": "My customers",
                    "discount_type": 0,
                    "discount_value": 0,
                    "system_type": "my_customers",
                    "position": 1,
                }
            ),
            _stamped(
                {"id": 900_002, "name": "Regulars", "discount_type": 1, "discount_value": 10, "position": 2}
            ),
        ],
        "customers": _customers(rng),
    }


def _pick_modifiers(product: dict[str, Any], groups: dict[int, dict[str, Any]]) -> list[int] | None:
    """Two modifiers that satisfy every group of the product (required groups first), or None."""
    picks: list[int] = []
    attached = [groups[link["group_id"]] for link in product["modifier_groups"]]
    for group in sorted(attached, key=lambda g: -g["min_select"]):
        if len(picks) == 2:
            if group["min_select"]:
                return None
            continue
        take = 1 if group["type"] == 1 else 2 - len(picks)
        take = max(take, group["min_select"])
        picks.extend(m["id"] for m in group["modificators"][:take])
    return picks if len(picks) == 2 else None


def create_body(document: dict[str, Any], lines: int = 5) -> dict[str, Any]:
    """The v1 (nested) create body: ``lines`` lines of 2 modifiers each, a 10% discount, the delivery sale
    type's service charge, a known customer; ``orderTotal`` is left for the caller to fill in."""
    groups = {g["id"]: g for g in document["modifier_groups"]}
    stopped = {entry["id"] for entry in document["stop_list"] if entry["limit"] == 0}
    chosen: list[tuple[dict[str, Any], list[int]]] = []
    for product in document["products"][::7]:
        if product["id"] in stopped or product["type"] != "DISH" or not product["discountable"]:
            continue
        picks = _pick_modifiers(product, groups)
        if picks is not None:
            chosen.append((product, picks))
        if len(chosen) == lines:
            break
    customer = document["customers"][41]
    products = []
    for index, (product, picks) in enumerate(chosen):
        modifiers = [{"modificator_id": mid, "count": 1} for mid in picks]
        products.append(
            {
                "product_id": product["id"],
                "count": 1 + index % 2,
                "product_modificators": modifiers,
                "meta": {
                    "price": float(product["price"]),
                    "order_product": {
                        "product": {
                            "id": product["id"],
                            "name": product["name"],
                            "category_id": product["category_id"],
                            "station_id": product["station_id"],
                            "price": float(product["price"]),
                        },
                        "count": 1 + index % 2,
                        "status": "completed",
                        "product_modificators": modifiers,
                    },
                },
            }
        )
    return {
        "customer_id": customer["id"],
        "payload": {
            "service": {
                "sale_type_id": DELIVERY_SALE_TYPE,
                "sale_type_name": "Delivery",
                "venue_id": VENUE_ID,
                "venue_name": "Main",
            },
            "customer": {
                "id": customer["id"],
                "name": customer["name"],
                "customer_discount_type": 1,
                "phone": customer["phone"],
                "address": customer["address"],
            },
            "products": products,
            "meta": {
                "comment": "Ring the bell twice",
                "discount": {"discount_type": 1, "discount_value": 10},
                "orderTotal": "",
                "apply_service_charge": True,
                "customer_discount_type": 1,
            },
        },
    }


def dumps(value: Any) -> str:
    """JSON with Decimals as exact numbers."""

    def default(item: Any) -> Any:
        if isinstance(item, Decimal):
            return float(item) if item == item.quantize(Decimal("0.01")) else str(item)
        raise TypeError(type(item).__name__)

    return json.dumps(value, ensure_ascii=False, default=default)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python bench/brand.py FILE")
    Path(sys.argv[1]).write_text(dumps(brand_document()) + "\n", encoding="utf-8")
