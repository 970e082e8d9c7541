"""What the catalogue endpoints accept in their query strings: one ``ResourceQuerySpec`` per resource.

Catalogue lists default to ``position`` then ``id`` ascending (spec/api.md, "Pagination"), so that the
"first" row a client picks is predictable.
"""

from __future__ import annotations

from clopos_server.kit.query import BOOL, CATEGORY_TYPES, ID, RANGE, RANGE32, ResourceQuerySpec, enum

CATALOG_SORTS = ("id", "name", "position", "created_at", "updated_at")
BY_POSITION = ("position", False)

VENUE_QUERY = ResourceQuerySpec(sorts=CATALOG_SORTS, default_sort=BY_POSITION)

USER_QUERY = ResourceQuerySpec(
    sorts=("id", "username", "position", "created_at", "updated_at"), default_sort=BY_POSITION
)

_CATEGORY_TYPE = enum(*CATEGORY_TYPES)
_CATEGORY_TREE = {"include_children": BOOL, "include_inactive": BOOL}

CATEGORY_QUERY = ResourceQuerySpec(
    max_limit=999,
    sorts=CATALOG_SORTS,
    default_sort=BY_POSITION,
    filters={"type": _CATEGORY_TYPE, "parent_id": ID},
    params={"type": _CATEGORY_TYPE, "parent_id": ID, **_CATEGORY_TREE},
)
CATEGORY_READ_QUERY = ResourceQuerySpec(sorts=CATALOG_SORTS, default_sort=BY_POSITION, params=_CATEGORY_TREE)

_BIT = enum("1", "0")
STATION_QUERY = ResourceQuerySpec(
    max_limit=200,
    sorts=CATALOG_SORTS,
    default_sort=BY_POSITION,
    filters={"status": _BIT, "can_print": BOOL, "type": _BIT},
    params={"status": _BIT, "can_print": BOOL},
)

PRODUCT_TYPES = ("GOODS", "DISH", "TIMER", "PREPARATION", "INGREDIENT")
PRODUCT_INCLUDES = frozenset(
    {
        "category",
        "station",
        "modifications",
        "modificator_groups",
        "taxes",
        "tags",
        "unit",
        "recipe",
        "packages",
    }
)
# Fields of the product object that ``selects`` may name (``id``, ``name`` and ``type`` are always there).
PRODUCT_FIELDS = (
    "id",
    "parent_id",
    "category_id",
    "station_id",
    "unit_id",
    "type",
    "name",
    "parent_name",
    "full_name",
    "position",
    "barcode",
    "status",
    "hidden",
    "sold_by_weight",
    "discountable",
    "giftable",
    "has_modifications",
    "ignore_service_charge",
    "description",
    "price",
    "cost_price",
    "cooking_time",
    "inventory_behavior",
    "image",
    "meta",
    "venues",
    "media",
    "created_at",
    "updated_at",
    "setting",
)
PRODUCT_QUERY = ResourceQuerySpec(
    default_limit=50,
    max_limit=100,
    sorts=("id", "name", "price", "position", "created_at", "updated_at"),
    default_sort=BY_POSITION,
    filters={
        "type": enum(*PRODUCT_TYPES),
        "category_id": ID,
        "station_id": ID,
        "giftable": BOOL,
        "discountable": BOOL,
        "has_modifiers": BOOL,
        "has_variants": BOOL,
        "sold_by_portion": BOOL,
        "inventory_behavior": enum("0", "1", "3"),
    },
    includes=PRODUCT_INCLUDES,
    selects=frozenset(PRODUCT_FIELDS),
)
PRODUCT_READ_QUERY = ResourceQuerySpec(includes=PRODUCT_INCLUDES, selects=frozenset(PRODUCT_FIELDS))

# The stop list is small and brand-wide: without ``limit`` the whole list comes back in one answer.
STOP_LIST_MAX = 10_000
STOP_LIST_QUERY = ResourceQuerySpec(
    default_limit=STOP_LIST_MAX,
    max_limit=STOP_LIST_MAX,
    sorts=("id", "limit", "timestamp"),
    default_sort=("id", False),
    filters={"id": ID, "limit": RANGE32, "timestamp": RANGE},
)

SALE_TYPE_QUERY = ResourceQuerySpec(
    sorts=CATALOG_SORTS,
    default_sort=BY_POSITION,
    filters={"system_type": enum("IN", "DELIVERY", "TAKEAWAY")},
)

PAYMENT_METHOD_QUERY = ResourceQuerySpec(sorts=CATALOG_SORTS, default_sort=BY_POSITION)

PRICE_LIST_QUERY = ResourceQuerySpec(
    max_limit=999,
    sorts=CATALOG_SORTS,
    default_sort=BY_POSITION,
    filters={"status": BOOL},
    includes=frozenset({"prices"}),
)
PRICE_QUERY = ResourceQuerySpec(
    max_limit=999,
    sorts=("id", "list_id", "product_id", "price"),
    default_sort=("id", False),
    filters={"list_id": ID, "product_id": ID},
)
