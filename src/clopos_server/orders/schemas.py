"""What the order endpoints accept in their query strings."""

from __future__ import annotations

from clopos_server.kit.query import ID, ORDER_STATUSES, ResourceQuerySpec, enum

ORDER_INCLUDES = frozenset({"customer", "receipt", "history"})

ORDER_LIST_QUERY = ResourceQuerySpec(
    default_limit=50,
    max_limit=100,
    sorts=("id", "created_at", "updated_at"),
    default_sort=("created_at", True),
    filters={"venue_id": ID, "customer_id": ID, "sale_type_id": ID, "status": enum(*ORDER_STATUSES)},
    includes=ORDER_INCLUDES,
    params={"status": enum(*ORDER_STATUSES)},
    dates=True,
)

ORDER_READ_QUERY = ResourceQuerySpec(includes=ORDER_INCLUDES)
