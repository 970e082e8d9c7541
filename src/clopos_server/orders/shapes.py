"""The JSON shapes of the order endpoints, for the OpenAPI document: both create bodies, the ignore body and
the order as answered.

The bounds come from the reader's own constants (``orders.intake``), and every text of an order may also
come as a number (the intake reads it as its digits); what JSON Schema cannot say (a product
of the catalogue, a modifier of that product, the stop list) the intake checks and answers with a 400
naming the field.
"""

from __future__ import annotations

from clopos_server.kit.schema import (
    BLANK,
    DECIMAL_TEXT,
    INT_OUT,
    ISO_TIME,
    MONEY_OUT,
    STR_OUT,
    Schema,
    amount,
    array,
    boolean,
    choice,
    identifier,
    integer,
    maybe,
    nullable,
    obj,
    out,
    text,
)
from clopos_server.kit.values import NUMBER_TEXT_LIMIT
from clopos_server.orders.intake.bounds import (
    ADDRESS_LENGTH,
    COUNT_PLACES,
    MAX_COUNT,
    MAX_LINES,
    MAX_MONEY,
    MONEY_PLACES,
    NAME_LENGTH,
    ORDER_NUMBER_LENGTH,
    TEXT_LENGTH,
)

_COUNT = amount(MAX_COUNT, places=COUNT_PLACES, positive=True)
_MONEY = amount(MAX_MONEY, places=MONEY_PLACES)
# The client's own total: compared with the server's (a warning when it differs, or a 400 under the brand's
# price_check "reject"), never used; any finite number, as a number or as text, or blank.
_ORDER_TOTAL: Schema = {
    "anyOf": [
        {"type": "number"},
        {"type": "string", "maxLength": NUMBER_TEXT_LIMIT, "pattern": DECIMAL_TEXT},
        BLANK,
        {"type": "null"},
    ]
}
_DISCOUNT = obj(
    {"discount_type": nullable(choice([0, 1, 2])), "discount_value": nullable(_MONEY)},
    description="0 none, 1 percent (0-100) of the discountable subtotal, 2 a fixed amount",
)
_CUSTOMER = obj(
    {
        "id": nullable(integer(0)),
        "name": nullable(text(NAME_LENGTH, numbers=True)),
        "phone": nullable(text(NAME_LENGTH, numbers=True)),
        "address": nullable(text(ADDRESS_LENGTH, numbers=True)),
        "customer_discount_type": nullable(choice([0, 1, 2])),
    }
)
_EXTRAS: dict[str, Schema] = {
    "delivery_fee": nullable(_MONEY),
    "order_number": nullable(text(ORDER_NUMBER_LENGTH, numbers=True)),
    "auto_order_accept": nullable(boolean()),
    "auto_order_sent_to_station": nullable(boolean()),
    "auto_accept_terminal": nullable(integer(0, 2**31 - 1)),
}

NESTED_MODIFIER = obj(
    {"modificator_id": identifier(), "count": nullable(_COUNT)}, required=["modificator_id"]
)
# What a line of either shape says the same way.
_LINE: dict[str, Schema] = {
    "product_id": identifier(),
    "count": _COUNT,
    "portion_size": nullable(_COUNT),
    "note": nullable(text(TEXT_LENGTH, numbers=True)),
}
NESTED_LINE = obj(
    {
        **_LINE,
        "product_modificators": nullable(array(NESTED_MODIFIER, max_items=MAX_LINES)),
        "meta": nullable(
            obj(
                {
                    "price": nullable(_MONEY),
                    "order_product": nullable(
                        obj(
                            {
                                "product": nullable(obj({"id": nullable(identifier())})),
                                "status": nullable(text(NAME_LENGTH, numbers=True)),
                                "product_hash": nullable(text(NAME_LENGTH, numbers=True)),
                            }
                        )
                    ),
                }
            )
        ),
    },
    required=["product_id", "count"],
)
_META = obj(
    {
        "comment": nullable(text(TEXT_LENGTH, numbers=True)),
        "discount": nullable(_DISCOUNT),
        "orderTotal": _ORDER_TOTAL,
        "apply_service_charge": nullable(boolean()),
        "service_charge_value": nullable(_MONEY),
        "customer_discount_type": nullable(choice([0, 1, 2])),
    },
    description="Free-form beyond these keys; stored as sent (bounded in size and depth)",
)

CREATE_NESTED: Schema = obj(
    {
        "customer_id": integer(0),
        "payload": obj(
            {
                "service": obj(
                    {
                        "sale_type_id": identifier(),
                        "sale_type_name": text(NAME_LENGTH, numbers=True),
                        "venue_id": identifier(),
                        "venue_name": text(NAME_LENGTH, numbers=True),
                    },
                    required=["sale_type_id", "sale_type_name", "venue_id", "venue_name"],
                ),
                "customer": nullable(_CUSTOMER),
                "products": array(NESTED_LINE, min_items=1, max_items=MAX_LINES),
                "meta": nullable(_META),
                **_EXTRAS,
            },
            required=["service", "products"],
        ),
        "meta": nullable(_META),
    },
    required=["customer_id", "payload"],
    title="CreateOrderNested",
    description="The documented v1 shape (also accepted under v2). `customer_id` 0 is a guest, who needs "
    "`payload.customer.name` or `.phone`. Answered 201.",
)

FLAT_MODIFIER = obj({"modifier_id": identifier(), "count": nullable(_COUNT)}, required=["modifier_id"])
FLAT_LINE = obj(
    {
        **_LINE,
        "price": nullable(_MONEY),
        "status": nullable(text(NAME_LENGTH, numbers=True)),
        "product_hash": nullable(text(NAME_LENGTH, numbers=True)),
        "modifiers": nullable(array(FLAT_MODIFIER, max_items=MAX_LINES)),
    },
    required=["product_id", "count"],
)
CREATE_FLAT: Schema = obj(
    {
        "sale_type_id": identifier(),
        "venue_id": identifier(),
        "customer": nullable(_CUSTOMER),
        "products": array(FLAT_LINE, min_items=1, max_items=MAX_LINES),
        "comment": nullable(text(TEXT_LENGTH, numbers=True)),
        "discount": nullable(_DISCOUNT),
        "service_charge": nullable(obj({"enabled": nullable(boolean()), "value": nullable(_MONEY)})),
        **_EXTRAS,
    },
    required=["sale_type_id", "venue_id", "products"],
    title="CreateOrderFlat",
    description="The documented v2 shape (also accepted under v1), told apart by the absence of `payload`. "
    "Answered 200, as the real API does.",
)

IGNORE: Schema = obj(
    {"status": choice(["IGNORE"])},
    required=["status"],
    title="IgnoreOrder",
    description="The one change an integrator may make to its order: ignore it while it is PENDING",
)

NO_BODY: Schema = obj(
    {}, title="NoBody", description="Nothing to send: no body, or an empty JSON object", additional=False
)

# ---------------------------------------------------------------------------------------------- answers

_PRICED_LINE = out(
    {
        "product_id": INT_OUT,
        "unit_price": MONEY_OUT,
        "modifiers_amount": MONEY_OUT,
        "subtotal": MONEY_OUT,
        "discount": MONEY_OUT,
        "service_charge": MONEY_OUT,
        "tax": MONEY_OUT,
        "total": MONEY_OUT,
        "count": {"type": "number"},
        "portion_size": {"type": "number"},
    }
)
PRICING = out(
    {
        "subtotal": MONEY_OUT,
        "discount": MONEY_OUT,
        "service_charge": MONEY_OUT,
        "delivery_fee": MONEY_OUT,
        "i_tax": MONEY_OUT,
        "e_tax": MONEY_OUT,
        "total": MONEY_OUT,
        "lines": {"type": "array", "items": _PRICED_LINE},
    },
    description="The server's own pricing of the order (docs/pricing.md)",
)
ORDER: Schema = out(
    {
        "id": INT_OUT,
        "venue_id": INT_OUT,
        "type": STR_OUT,
        "integration": STR_OUT,
        "status": {"enum": ["PENDING", "RECEIVED", "IGNORE", "DELIVERED"]},
        "customer_id": maybe(INT_OUT),
        "receipt_id": maybe(INT_OUT),
        "total": MONEY_OUT,
        "pricing": PRICING,
        "warnings": {"type": "array", "items": {"type": "object"}},
        "payload": {"type": "object", "description": "The order as stored, in the nested shape"},
        "created_at": ISO_TIME,
        "updated_at": ISO_TIME,
    },
    title="Order",
)
ORDER_DRAFT: Schema = {
    **ORDER,
    "title": "OrderDraft",
    "properties": {**ORDER["properties"], "id": {"type": "null"}, "status": {"const": "DRAFT"}},
    "description": "The order as it would be stored by a create; nothing is written",
}
