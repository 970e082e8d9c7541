"""The order read answers' direct writer (``order_text``) against the dict every other writer of the
order uses (``render_order``): the same bytes for any stored row, so the two cannot drift apart. (With
relations, ``with[]``: tests/orders/test_read.py, through HTTP.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clopos_server import jsonio
from clopos_server.db.types import stored_money
from clopos_server.orders.render import ORDER_COLUMNS, order_text, render_order
from clopos_server.timeutil import ts_iso

_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)
_MOMENTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=0))
_TEXT = st.text(max_size=20)  # quotes, backslashes, control and non-ASCII characters included


def _stored(value: Any, spaced: bool) -> str:
    """A JSON document as a column stores it: as orjson wrote it, or as jsonb printed it (spaces)."""
    return jsonio.dumps_str(value) if not spaced else orjson.dumps(value).decode().replace(",", ", ")


@st.composite
def _rows(draw: st.DrawFn) -> dict[str, Any]:
    created = draw(_MOMENTS)
    spaced = draw(st.booleans())
    keys = st.text(max_size=8).filter(lambda key: key not in _IDENTITY)
    payload_keys = draw(st.dictionaries(keys, _JSON_VALUES))
    return {
        "id": draw(st.integers(1, 2**31 - 1)),
        "brand_id": draw(st.integers(1, 1000)),
        "venue_id": draw(st.integers(1, 2**31 - 1)),
        "customer_id": draw(st.none() | st.integers(1, 2**31 - 1)),
        "sale_type_id": draw(st.integers(1, 100)),
        "api_client_id": draw(st.none() | st.integers(1, 100)),
        "status": draw(st.sampled_from(["PENDING", "ACCEPTED", "IGNORED", "DELIVERED"]) | _TEXT),
        "type": draw(_TEXT),
        "integration": draw(_TEXT),
        "integration_status": draw(_TEXT),
        "payload": _stored(payload_keys, spaced),
        "total": stored_money(draw(st.decimals(-(10**13), 10**13, places=4, allow_nan=False))),
        "pricing": _stored(draw(_JSON_VALUES), spaced),
        "warnings": _stored(draw(st.lists(_JSON_VALUES, max_size=3)), spaced),
        "receipt_id": draw(st.none() | st.integers(1, 2**31 - 1)),
        "created_at": created,
        "updated_at": draw(st.just(created) | st.timedeltas(timedelta(0), timedelta(days=30)).map(
            lambda later: created + later - timedelta(microseconds=later.microseconds)
        )),
    }  # fmt: skip


_IDENTITY = ("id", "venue_id", "created_at", "updated_at")


def _as_read(row: dict[str, Any], total_as_text: bool) -> tuple[Any, ...]:
    """``row`` as the reads select it (orders/reads.py): times in ``ts_iso``'s format, the total as its
    text on PostgreSQL (the database's writing of it is held to the writers' by tests/orders/test_read.py)."""
    read = row | {"created_at": ts_iso(row["created_at"]), "updated_at": ts_iso(row["updated_at"])}
    if total_as_text:
        read["total"] = format(row["total"], "f")
    return tuple(read[name] for name in ORDER_COLUMNS)


@settings(max_examples=300)
@given(_rows(), st.booleans())
def test_the_direct_text_is_the_dicts_bytes(row: dict[str, Any], total_as_text: bool) -> None:
    expected = jsonio.dumps(render_order(SimpleNamespace(**row)))
    written = jsonio.dumps(order_text(_as_read(row, total_as_text)))
    assert orjson.loads(written) == orjson.loads(expected)
    assert written == expected


@pytest.mark.parametrize("payload", ["{}", "{ }", ' {"a": 1} ', '{"a":{"b":[]}}'])
def test_every_stored_payload_shape_gets_the_identity_keys(payload: str) -> None:
    moment = datetime(2026, 12, 6, 7, 0, tzinfo=UTC)
    row = dict.fromkeys(ORDER_COLUMNS)
    row |= {
        "id": 7, "venue_id": 1, "status": "PENDING", "type": "T", "integration": "i",
        "integration_status": "C",
        "payload": payload, "total": Decimal("16.2"), "pricing": "{}", "warnings": "[]",
        "created_at": moment, "updated_at": moment + timedelta(seconds=5),
    }  # fmt: skip
    answer = orjson.loads(jsonio.dumps(order_text(_as_read(row, total_as_text=False))))
    assert answer["payload"] == {
        **orjson.loads(payload),
        "id": 7,
        "venue_id": 1,
        "created_at": "2026-12-06T07:00:00.000000Z",
        "updated_at": "2026-12-06T07:00:05.000000Z",
    }
    assert answer["total"] == 16.2 and answer["customer_id"] is None


def test_a_stored_payload_that_is_not_an_object_is_refused() -> None:
    row = dict.fromkeys(ORDER_COLUMNS) | {"id": 1, "payload": "[]", "created_at": datetime.now(UTC)}
    row["updated_at"] = row["created_at"]
    with pytest.raises(ValueError, match="not a JSON object"):
        order_text(_as_read(row, total_as_text=False))
