"""The stored shape of a created order: each line as ``payload.products`` keeps it, and the ``pricing``
object the answer shows and the order stores (what its receipt is built from when it is accepted)."""

from __future__ import annotations

import base64
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from clopos_server.orders.intake.bounds import (
    DEFAULT_LINE_STATUS,
)
from clopos_server.orders.intake.records import (
    Line,
)


def product_hash(product_id: int, modifiers: Collection[tuple[int, int]]) -> str:
    """The line's hash when the client sent none: base64 of ``"1,187x1,201x1"`` (product, then each
    modifier ``id x count`` sorted by id).

    Clopos' own hashes glue the numbers together (the docs' ``MTExODcsMTEyMDE=`` is ``"11187,11201"``),
    which is ambiguous (product 1 with modifier 187 reads like product 11 with modifier 87); ours is not.
    """
    parts = [str(product_id), *(f"{mid}x{count}" for mid, count in sorted(modifiers))]
    return base64.b64encode(",".join(parts).encode()).decode()


def stored_line(line: Line, unit_price: Decimal) -> dict[str, Any]:
    """A validated line as the order stores it (``payload.products[i]``), priced at ``unit_price``."""
    product = line.product
    modifiers = [{"modificator_id": pick.modifier.id, "count": pick.count} for pick in line.modifiers]
    stored: dict[str, Any] = {"product_id": product.id, "count": line.count, "portion_size": line.portion}
    if line.note is not None:
        stored["note"] = line.note
    stored["product_modificators"] = modifiers
    stored["meta"] = {
        "price": line.price_sent if line.price_sent is not None else unit_price,
        "order_product": {
            "product": {
                "id": product.id,
                "name": product.name,
                "price": unit_price,
                "category_id": product.category_id,
                "station_id": product.station_id,
            },
            "count": line.count,
            "status": line.status if line.status is not None else DEFAULT_LINE_STATUS,
            "product_modificators": [dict(m) for m in modifiers],
            "product_hash": line.product_hash
            if line.product_hash is not None
            else product_hash(product.id, [(p.modifier.id, p.count) for p in line.modifiers]),
        },
    }
    return stored
