"""The JSON shapes of the catalogue's answers (venues, users, categories, stations, products, modifier
groups, the stop list, sale types, payment methods, price lists), for the OpenAPI document."""

from __future__ import annotations

from clopos_server.kit.schema import (
    BOOL_OUT,
    INT_OUT,
    ISO_TIME,
    MONEY_OUT,
    PLAIN_TIME,
    STR_OUT,
    Schema,
    maybe,
    out,
)

_STATUS_MAP: Schema = {
    "type": "object",
    "additionalProperties": {"type": "integer"},
    "description": "venue id -> 1 enabled, 0 disabled",
}

VENUE = out(
    {"id": INT_OUT, "name": STR_OUT, "address": maybe(STR_OUT), "phone": maybe(STR_OUT), "status": INT_OUT},
    title="Venue",
)
USER = out(
    {
        "id": INT_OUT,
        "username": STR_OUT,
        "email": maybe(STR_OUT),
        "first_name": maybe(STR_OUT),
        "last_name": maybe(STR_OUT),
        "status": BOOL_OUT,
        "created_at": ISO_TIME,
        "updated_at": ISO_TIME,
    },
    title="User",
)
CATEGORY = out(
    {
        "id": INT_OUT,
        "name": STR_OUT,
        "status": INT_OUT,
        "hidden": BOOL_OUT,
        "type": STR_OUT,
        "position": INT_OUT,
        "parent_id": maybe(INT_OUT),
        "children": {"type": "array", "items": {"$ref": "#/components/schemas/Category"}},
        "created_at": ISO_TIME,
        "updated_at": ISO_TIME,
    },
    required=["id", "name", "type", "parent_id", "created_at", "updated_at"],
    title="Category",
)
STATION = out(
    {"id": INT_OUT, "name": STR_OUT, "status": INT_OUT, "created_at": ISO_TIME, "updated_at": ISO_TIME},
    title="Station",
)
MODIFIER = out(
    {
        "id": INT_OUT,
        "group_id": INT_OUT,
        "name": STR_OUT,
        "price": MONEY_OUT,
        "min_count": INT_OUT,
        "max_count": INT_OUT,
        "status": BOOL_OUT,
    },
    title="Modifier",
)
MODIFIER_GROUP = out(
    {
        "id": INT_OUT,
        "name": STR_OUT,
        "type": INT_OUT,
        "min_select": INT_OUT,
        "max_select": INT_OUT,
        "adjust_to_portion": BOOL_OUT,
        "modificators": {"type": "array", "items": MODIFIER},
    },
    required=["id", "name", "type", "min_select", "max_select"],
    title="ModifierGroup",
)
PRODUCT = out(
    {
        "id": INT_OUT,
        "parent_id": maybe(INT_OUT),
        "category_id": maybe(INT_OUT),
        "station_id": maybe(INT_OUT),
        "type": STR_OUT,
        "name": STR_OUT,
        "status": INT_OUT,
        "hidden": BOOL_OUT,
        "sold_by_weight": BOOL_OUT,
        "discountable": BOOL_OUT,
        "price": MONEY_OUT,
        "created_at": PLAIN_TIME,
        "updated_at": PLAIN_TIME,
        "modificator_groups": {"type": "array", "items": MODIFIER_GROUP},
    },
    required=["id", "type", "name", "created_at", "updated_at"],
    title="Product",
    description="`with[]` relations and `selects` add or narrow keys; only `id` is always present then",
)
STOP_LIST_ENTRY = out(
    {"id": INT_OUT, "limit": INT_OUT, "timestamp": {"type": "integer", "description": "epoch milliseconds"}},
    title="StopListEntry",
)
SALE_TYPE = out(
    {
        "id": INT_OUT,
        "name": STR_OUT,
        "system_type": maybe(STR_OUT),
        "status": _STATUS_MAP,
        "service_charge_rate": maybe(MONEY_OUT),
        "created_at": ISO_TIME,
        "updated_at": ISO_TIME,
    },
    title="SaleType",
)
PAYMENT_METHOD = out(
    {
        "id": INT_OUT,
        "name": STR_OUT,
        "status": _STATUS_MAP,
        "customer_required": INT_OUT,
        "created_at": ISO_TIME,
        "updated_at": ISO_TIME,
    },
    title="PaymentMethod",
)
PRICE_LIST = out(
    {"id": INT_OUT, "name": STR_OUT, "description": maybe(STR_OUT), "status": BOOL_OUT}, title="PriceList"
)
PRICE = out({"id": INT_OUT, "list_id": INT_OUT, "product_id": INT_OUT, "price": MONEY_OUT}, title="Price")
