"""The JSON shapes of the receipt endpoints, for the OpenAPI document: the bodies that ``receipts.input`` and
``receipts.closing``, ``patching`` and ``v1_writes`` read (v1 create and update, PATCH, v2 close) and a
receipt as answered."""

from __future__ import annotations

from clopos_server.db.types import MONEY_MAX
from clopos_server.kit.schema import (
    BOOL_OUT,
    INT_OUT,
    MONEY_OUT,
    PLAIN_TIME,
    STR_OUT,
    UUID,
    Schema,
    amount,
    array,
    boolean,
    choice,
    identifier,
    integer,
    maybe,
    moment,
    nullable,
    obj,
    out,
    text,
)
from clopos_server.receipts.input import (
    ADDRESS_LENGTH,
    FISCAL_ID_LENGTH,
    MAX_LINES,
    MONEY_FIGURES,
    MONEY_PLACES,
    ORDER_NUMBER_LENGTH,
    PATCHABLE,
    RECEIPT_ORDER_STATUSES,
    TEXT_LENGTH,
)

MONEY = amount(MONEY_MAX, places=MONEY_PLACES)
PAYMENT = obj(
    {"id": identifier(), "name": nullable(text(255)), "amount": MONEY},
    required=["id", "amount"],
    description="A payment method of the venue and the amount paid with it",
)
PAYMENTS = array(PAYMENT, min_items=1, max_items=50)
_STATUS = choice(RECEIPT_ORDER_STATUSES)

CLOSE: Schema = obj(
    {
        "payment_methods": PAYMENTS,
        "closed_at": nullable(moment()),
        "id": nullable(integer(1, 2**63 - 1)),
        "cid": nullable(UUID),
    },
    required=["payment_methods"],
    title="CloseReceipt",
    description="Payments must add up to the receipt's total exactly; `closed_at` (after `created_at`) "
    "defaults to now. `id` and `cid`, when sent, must be the receipt's own.",
)
TEST_CLOSE: Schema = {
    **obj(CLOSE["properties"], title="TestCloseReceipt"),
    "description": "Optional: without a body the whole total is paid with the venue's first payment method",
}

PATCH: Schema = {
    **obj(
        {
            "order_status": _STATUS,
            "order_number": nullable(text(ORDER_NUMBER_LENGTH)),
            "fiscal_id": nullable(text(FISCAL_ID_LENGTH)),
            "lock": boolean(),
        },
        title="PatchReceipt",
        description=f"At least one of {', '.join(PATCHABLE)}; any other key is refused (400), except `id` "
        "when it is the receipt's own",
        additional=False,
    ),
    "anyOf": [{"required": [name]} for name in PATCHABLE],
}

_LINE = obj(
    {
        "product_id": identifier(),
        "count": nullable(integer(1, 10_000)),
        "portion_size": nullable(MONEY),
        "price": nullable(MONEY),
        "subtotal": nullable(MONEY),
        "total": nullable(MONEY),
        "cid": nullable(UUID),
        "is_gift": nullable(boolean()),
    },
    required=["product_id"],
)
NEW_RECEIPT: Schema = obj(
    {
        "cid": UUID,
        "payment_methods": PAYMENTS,
        "subtotal": MONEY,
        "total": MONEY,
        "created_at": nullable(moment()),
        "closed_at": nullable(moment()),
        "user_id": nullable(identifier()),
        "customer_id": nullable(identifier()),
        "sale_type_id": nullable(identifier()),
        "receipt_products": nullable(array(_LINE, max_items=MAX_LINES)),
        "discount_type": nullable(choice([0, 1, 2])),
        "order_status": nullable(_STATUS),
        "guests": nullable(integer(0, 10_000)),
        "order_number": nullable(text(ORDER_NUMBER_LENGTH)),
        "fiscal_id": nullable(text(FISCAL_ID_LENGTH)),
        "description": nullable(text(TEXT_LENGTH)),
        "address": nullable(text(ADDRESS_LENGTH)),
    },
    required=["cid", "payment_methods", "subtotal", "total"],
    title="NewReceipt",
    description="v1: a sale closed elsewhere, stored closed at the request's venue (a known `cid` is a 409)",
)
UPDATE: Schema = obj(
    {
        "order_status": _STATUS,
        "order_number": nullable(text(ORDER_NUMBER_LENGTH)),
        "fiscal_id": nullable(text(FISCAL_ID_LENGTH)),
        "lock": nullable(boolean()),
        "description": nullable(text(TEXT_LENGTH)),
        "address": nullable(text(ADDRESS_LENGTH)),
        "guests": nullable(integer(0, 10_000)),
        "customer_id": nullable(identifier()),
        "sale_type_id": nullable(identifier()),
        "payment_methods": nullable(PAYMENTS),
        "closed_at": nullable(moment()),
        "discount_type": nullable(choice([0, 1, 2])),
        **{figure: nullable(MONEY) for figure in MONEY_FIGURES},
    },
    title="UpdateReceipt",
    description="v1: editable fields; payments on an open receipt close it. Money fields equal to the "
    "stored ones are ignored, different ones are a 409 (money changes on the POS); a null figure says "
    "nothing, and discount_type 0 equals a receipt stored with none.",
)

# ---------------------------------------------------------------------------------------------- answers

RECEIPT: Schema = out(
    {
        "id": INT_OUT,
        "cid": STR_OUT,
        "venue_id": INT_OUT,
        "customer_id": maybe(INT_OUT),
        "sale_type_id": maybe(INT_OUT),
        "status": INT_OUT,
        "order_status": STR_OUT,
        "order_number": maybe(STR_OUT),
        "fiscal_id": maybe(STR_OUT),
        "lock": BOOL_OUT,
        "subtotal": MONEY_OUT,
        "total": MONEY_OUT,
        "remaining": MONEY_OUT,
        "payment_methods": {
            "type": "array",
            "items": out(
                {"id": INT_OUT, "name": maybe(STR_OUT), "amount": MONEY_OUT}, required=["id", "amount"]
            ),
        },
        "created_at": PLAIN_TIME,
        "updated_at": PLAIN_TIME,
        "closed_at": maybe(PLAIN_TIME),
        "shift_date": STR_OUT,
    },
    title="Receipt",
    description="`status` 1 open, 2 closed. One receipt (by id or cid) also carries `receipt_products`.",
)
STOCK_OPERATION: Schema = {"type": "object", "title": "StockOperation"}
