"""The JSON shapes of the inventory answers, for the OpenAPI document (*ours*: the reference gives paths
and guards only; ``docs/api/inventory.md`` describes each)."""

from __future__ import annotations

from clopos_server.kit.schema import (
    BOOL_OUT,
    INT_OUT,
    MONEY_OUT,
    PLAIN_TIME,
    STR_OUT,
    Schema,
    maybe,
    out,
)

_NAMED: Schema = out({"id": INT_OUT, "name": STR_OUT})

STORAGE = out({"id": INT_OUT, "venue_id": INT_OUT, "name": STR_OUT, "is_default": BOOL_OUT}, title="Storage")
SUPPLIER = out(
    {
        "id": INT_OUT,
        "name": STR_OUT,
        "phone": maybe(STR_OUT),
        "email": maybe(STR_OUT),
        "address": maybe(STR_OUT),
        "tin": maybe(STR_OUT),
        "description": maybe(STR_OUT),
        "status": INT_OUT,
        "created_at": PLAIN_TIME,
        "updated_at": PLAIN_TIME,
    },
    title="Supplier",
)
SUPPLIER_TOTAL = out(
    {"count": INT_OUT, "supplies_count": INT_OUT, "supplies_total_cost": MONEY_OUT}, title="SupplierTotal"
)
STOCK = out(
    {
        "id": INT_OUT,
        "product_id": INT_OUT,
        "storage_id": INT_OUT,
        "quantity": MONEY_OUT,
        "reserved": MONEY_OUT,
        "cost": MONEY_OUT,
        "total_cost": MONEY_OUT,
        "updated_at": maybe(PLAIN_TIME),
        "product": out({"id": INT_OUT, "name": STR_OUT, "category_id": maybe(INT_OUT)}),
        "storage": _NAMED,
    },
    title="Stock",
)
STOCK_GROUP = out(
    {
        "category_id": maybe(INT_OUT),
        "category_name": STR_OUT,
        "products_count": INT_OUT,
        "quantity": MONEY_OUT,
        "total_cost": MONEY_OUT,
    },
    title="StockGroup",
)
STOCK_INFO = out(
    {
        "levels_count": INT_OUT,
        "products_count": INT_OUT,
        "storages_count": INT_OUT,
        "negative_count": INT_OUT,
        "zero_count": INT_OUT,
        "low_stock_count": INT_OUT,
    },
    title="StockInfo",
)
STOCK_TOTAL = out({"count": INT_OUT, "quantity": MONEY_OUT, "total_cost": MONEY_OUT}, title="StockTotal")
LEDGER_ROW = out(
    {
        "id": INT_OUT,
        "type": INT_OUT,
        "type_name": STR_OUT,
        "receipt_id": maybe(INT_OUT),
        "receipt_product_id": maybe(INT_OUT),
        "operation_id": maybe(INT_OUT),
        "operation_item_id": maybe(INT_OUT),
        "product_id": INT_OUT,
        "stock_id": INT_OUT,
        "storage_id": INT_OUT,
        "quantity": MONEY_OUT,
        "before_quantity": MONEY_OUT,
        "after_quantity": MONEY_OUT,
        "cost": MONEY_OUT,
        "before_cost": MONEY_OUT,
        "after_cost": MONEY_OUT,
        "total_cost": MONEY_OUT,
        "operated_at": PLAIN_TIME,
        "product": _NAMED,
        "stock": out({"id": INT_OUT, "storage": _NAMED}),
    },
    title="StockLedgerRow",
)
_SUMS = {
    "count": INT_OUT,
    "in_quantity": MONEY_OUT,
    "out_quantity": MONEY_OUT,
    "net_quantity": MONEY_OUT,
    "in_cost": MONEY_OUT,
    "out_cost": MONEY_OUT,
}
LEDGER_TOTAL = out(_SUMS, title="StockLedgerTotal")
LEDGER_PRODUCT = out({"product_id": INT_OUT, "product_name": STR_OUT, **_SUMS}, title="StockLedgerProduct")
DOCUMENT = out(
    {
        "id": INT_OUT,
        "type": INT_OUT,
        "type_name": STR_OUT,
        "status": INT_OUT,
        "storage_id": INT_OUT,
        "target_storage_id": maybe(INT_OUT),
        "supplier_id": maybe(INT_OUT),
        "number": STR_OUT,
        "description": maybe(STR_OUT),
        "operated_at": PLAIN_TIME,
        "total_cost": MONEY_OUT,
        "items_count": INT_OUT,
        "created_by": maybe(INT_OUT),
        "created_at": PLAIN_TIME,
        "updated_at": PLAIN_TIME,
    },
    title="StockDocument",
)
_VOCABULARY: Schema = {"type": "array", "items": _NAMED}
DOCUMENT_STATUSES = out({"statuses": _VOCABULARY, "types": _VOCABULARY}, title="StockDocumentStatuses")
DOCUMENT_TOTAL = out(
    {"count": INT_OUT, "total_cost": MONEY_OUT, "items_count": INT_OUT}, title="StockDocumentTotal"
)
ITEM = out(
    {
        "id": INT_OUT,
        "operation_id": INT_OUT,
        "product_id": INT_OUT,
        "quantity": MONEY_OUT,
        "cost": MONEY_OUT,
        "total_cost": MONEY_OUT,
        "before_quantity": maybe(MONEY_OUT),
        "after_quantity": maybe(MONEY_OUT),
    },
    title="StockDocumentItem",
)
ITEM_TOTAL = out(
    {"count": INT_OUT, "quantity": MONEY_OUT, "total_cost": MONEY_OUT}, title="StockDocumentItemTotal"
)
