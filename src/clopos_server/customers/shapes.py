"""The JSON shapes of the customer endpoints, for the OpenAPI document: the ``POST /customers`` body (as
``customers.schemas.parse_new_customer`` reads it), a customer and a customer group as answered."""

from __future__ import annotations

from clopos_server.customers.schemas import CODE_LENGTH, NAME_LENGTH, TEXT_LENGTH
from clopos_server.kit.schema import (
    BOOL_OUT,
    DAY,
    INT_OUT,
    ISO_TIME,
    MONEY_OUT,
    STR_OUT,
    UUID,
    Schema,
    choice,
    identifier,
    maybe,
    nullable,
    obj,
    or_blank,
    out,
    text,
)

_PHONE_OR_CODE: Schema = text(CODE_LENGTH, numbers=True)

NEW_CUSTOMER: Schema = obj(
    {
        "name": {**text(NAME_LENGTH, min_length=1), "pattern": r"\S"},
        "email": nullable(text(NAME_LENGTH)),
        "phone": nullable(_PHONE_OR_CODE),
        "code": nullable(_PHONE_OR_CODE),
        "cid": or_blank(UUID),
        "description": nullable(text(TEXT_LENGTH)),
        "group_id": or_blank(identifier()),
        "gender": or_blank(choice([1, 2])),
        "date_of_birth": nullable(DAY),
    },
    required=["name"],
    title="NewCustomer",
    description="Phone, code and cid are unique per brand (409 when taken). Blank strings count as not sent.",
)

CUSTOMER: Schema = out(
    {
        "id": INT_OUT,
        "venue_id": maybe(INT_OUT),
        "cid": STR_OUT,
        "group_id": maybe(INT_OUT),
        "balance_id": maybe(INT_OUT),
        "name": STR_OUT,
        "email": maybe(STR_OUT),
        "phone": maybe(STR_OUT),
        "phones": {"type": "array", "items": STR_OUT},
        "description": maybe(STR_OUT),
        "discount": MONEY_OUT,
        "gender": maybe(INT_OUT),
        "date_of_birth": maybe(STR_OUT),
        "code": maybe(STR_OUT),
        "status": BOOL_OUT,
        "created_at": ISO_TIME,
        "updated_at": ISO_TIME,
    },
    title="Customer",
)

CUSTOMER_GROUP: Schema = out(
    {
        "id": INT_OUT,
        "name": STR_OUT,
        "discount_type": maybe(INT_OUT),
        "discount_value": maybe(MONEY_OUT),
        "system_type": maybe(STR_OUT),
        "created_at": ISO_TIME,
        "updated_at": ISO_TIME,
    },
    title="CustomerGroup",
)
