"""Turning a raw create-order body into a validated, normalised and priced order (orders.md).

Both body shapes go through one path: the flat (v2) body is first rewritten into the nested (v1) form,
remembering where each value came from, and then validated once, so that the two shapes can never drift
apart and every problem still names the field as the client sent it. All problems are collected and
raised together as one ``validation_failed``. Nothing here writes to the database: the fresh reads that
validation needs (customers, the stop list) come through :class:`IntakeLookups`.

The package: ``flat`` reads the flat body into the nested form, ``validation`` checks and prices it,
``stored`` shapes what the order stores, ``records`` holds the results, ``bounds`` the limits.
"""

from __future__ import annotations

from typing import Any, Literal

from clopos_server.auth.directory import BrandInfo
from clopos_server.catalog.snapshot import CatalogSnapshot
from clopos_server.kit.body import BodyReader, body_problem
from clopos_server.orders.intake.bounds import MAX_LINES
from clopos_server.orders.intake.flat import nest_flat
from clopos_server.orders.intake.records import CustomerInfo, IntakeLookups, ValidatedOrder
from clopos_server.orders.intake.stored import product_hash
from clopos_server.orders.intake.validation import Validation
from clopos_server.orders.stored_pricing import render_pricing

__all__ = [
    "MAX_LINES",
    "CustomerInfo",
    "IntakeLookups",
    "ValidatedOrder",
    "product_hash",
    "render_pricing",
    "validate_order",
]


async def validate_order(
    body: dict[str, Any], *, snapshot: CatalogSnapshot, brand: BrandInfo, lookups: IntakeLookups
) -> ValidatedOrder:
    """Validate, normalise and price a create-order body of either shape, or raise one 400 listing
    every problem. The shapes are told apart by the presence of ``payload``."""
    if not isinstance(body, dict):
        raise body_problem("The request body must be a JSON object")
    reader = BodyReader()
    shape: Literal["nested", "flat"] = "nested" if "payload" in body else "flat"
    nested = body if shape == "nested" else nest_flat(body, reader)
    intake = Validation(reader, shape=shape, snapshot=snapshot, brand=brand, lookups=lookups)
    return await intake.run(nested)
