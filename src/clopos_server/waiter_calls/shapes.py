"""The waiter call's body and answer, for the OpenAPI document (the answer's ``data`` is *ours*)."""

from __future__ import annotations

from clopos_server.kit.schema import (
    INT_OUT,
    PLAIN_TIME,
    STR_OUT,
    choice,
    identifier,
    maybe,
    nullable,
    obj,
    out,
)

TYPES = ("WAITER", "PAY")

CALL_BODY = obj(
    {
        "table_id": identifier("a table of the brand document's halls"),
        "type": {**choice(TYPES), "description": "WAITER calls a waiter; PAY asks for the bill"},
        "payment_method": nullable(
            identifier("PAY only: an enabled cash or card payment method of the table's venue (null: none)")
        ),
    },
    required=["table_id", "type"],
    title="WaiterCallBody",
)
WAITER_CALL = out(
    {
        "id": INT_OUT,
        "venue_id": INT_OUT,
        "table_id": INT_OUT,
        "table_name": STR_OUT,
        "hall_name": STR_OUT,
        "type": STR_OUT,
        "payment_method_id": maybe(INT_OUT),
        "payment_method_name": maybe(STR_OUT),
        "created_at": PLAIN_TIME,
        "acknowledged_at": maybe(PLAIN_TIME),
        "acknowledged_by": maybe(INT_OUT),
    },
    title="WaiterCall",
)
