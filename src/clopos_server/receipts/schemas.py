"""What the receipt endpoints accept in their query strings."""

from __future__ import annotations

from clopos_server.kit.query import ID, ResourceQuerySpec, enum
from clopos_server.receipts.input import RECEIPT_ORDER_STATUSES

# ``receipt_products.modificators`` (the real API's spelling for lines with their modifiers) is accepted
# as a synonym: lines always carry ``receipt_product_modificators``.
RECEIPT_INCLUDES = frozenset({"receipt_products", "receipt_products.modificators"})

RECEIPT_LIST_QUERY = ResourceQuerySpec(
    default_limit=50,
    max_limit=200,
    sorts=("id", "created_at", "updated_at", "closed_at", "total"),
    default_sort=("created_at", True),
    filters={
        "status": enum("1", "2"),
        "sale_type_id": ID,
        "order_status": enum(*RECEIPT_ORDER_STATUSES),
        "venue_id": ID,
        "customer_id": ID,
    },
    includes=RECEIPT_INCLUDES,
    dates=True,
)

RECEIPT_READ_QUERY = ResourceQuerySpec(includes=RECEIPT_INCLUDES)
