"""What each inventory list accepts (the list query syntax of ``spec/api.md``)."""

from __future__ import annotations

from clopos_server.inventory import types
from clopos_server.kit.query import ID, ResourceQuerySpec, enum

_VENUE = {"venue_id": ID}
_STOCK_FILTERS = {"id": ID, "storage_id": ID, "product_id": ID, "category_id": ID, **_VENUE}
_DOCUMENT_TYPE = enum(*(str(t) for t in types.DOCUMENT_TYPES))
_LEDGER_TYPE = enum(*(str(t) for t in types.LEDGER_TYPES))

STORAGE_QUERY = ResourceQuerySpec(
    max_limit=200, sorts=("id", "name", "venue_id"), default_sort=("id", False), filters={"id": ID, **_VENUE}
)
SUPPLIER_QUERY = ResourceQuerySpec(
    max_limit=200,
    sorts=("id", "name", "created_at", "updated_at"),
    default_sort=("id", False),
    filters={"id": ID, "status": enum("0", "1")},
)
STOCK_QUERY = ResourceQuerySpec(
    max_limit=200,
    sorts=("id", "product_id", "storage_id", "quantity", "cost", "updated_at"),
    default_sort=("id", False),
    filters=_STOCK_FILTERS,
)
STOCK_PRODUCT_QUERY = ResourceQuerySpec(
    max_limit=200,
    sorts=STOCK_QUERY.sorts,
    default_sort=("storage_id", False),
    filters={"storage_id": ID},
    params={"product_id": ID},
)
# /stock/info, /stock/total, /stock/product-group: figures over the filtered levels
STOCK_SUMMARY_QUERY = ResourceQuerySpec(filters=_STOCK_FILTERS)
LEDGER_QUERY = ResourceQuerySpec(
    max_limit=200,
    sorts=("id", "operated_at", "quantity", "total_cost", "product_id"),
    default_sort=("id", True),
    filters={
        "id": ID,
        "product_id": ID,
        "storage_id": ID,
        "type": _LEDGER_TYPE,
        "operation_id": ID,
        "receipt_id": ID,
        **_VENUE,
    },
    dates=True,
)
LEDGER_SUMMARY_QUERY = ResourceQuerySpec(filters=LEDGER_QUERY.filters, dates=True)
DOCUMENT_QUERY = ResourceQuerySpec(
    max_limit=200,
    sorts=("id", "operated_at", "total_cost", "created_at", "updated_at"),
    default_sort=("operated_at", True),
    filters={
        "id": ID,
        "type": _DOCUMENT_TYPE,
        "status": enum(*(str(s) for s in types.STATUSES)),
        "storage_id": ID,
        "supplier_id": ID,
        **_VENUE,
    },
    dates=True,
)
DOCUMENT_SUMMARY_QUERY = ResourceQuerySpec(filters=DOCUMENT_QUERY.filters, dates=True)
ITEM_QUERY = ResourceQuerySpec(
    max_limit=200,
    sorts=("id", "quantity", "cost", "total_cost"),
    default_sort=("id", False),
    filters={"id": ID, "operation_id": ID, "product_id": ID, **_VENUE},
)
ITEM_SUMMARY_QUERY = ResourceQuerySpec(filters=ITEM_QUERY.filters)
DOCUMENT_ITEMS_QUERY = ResourceQuerySpec(
    max_limit=500, sorts=("id",), default_sort=("id", False), filters={"product_id": ID}
)
