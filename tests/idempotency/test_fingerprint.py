"""The request fingerprint stored with every key: stable across releases, and total over JSON."""

from __future__ import annotations

from decimal import Decimal

import orjson
from hypothesis import given
from hypothesis import strategies as st
from tests.support.api import ApiClient, example

from clopos_server.idempotency.service import fingerprint, normalised, plain_canonical

BODY = {
    "payload": {
        "products": [
            {
                "product_id": 1,
                "count": Decimal("1.0"),
                "price": Decimal("5.50"),
                "modifiers": [{"modifier_id": 3, "count": 2}],
            }
        ],
        "meta": {"note": "ǅ ünï", "discount": Decimal("0.0000001"), "big": Decimal("1E+5")},
        "customer_id": 9,
        "flag": True,
        "none": None,
    },
    "venue_id": 1,
}


def test_the_fingerprint_of_a_known_request_never_changes() -> None:
    """Keys outlive an upgrade (24 h by default): a retry after it must still match its stored fingerprint.

    The digest was computed by the first implementation (recursive canonical form, then orjson); the
    current one (orjson with sorted keys and a number default) must give the same bytes.
    """
    digest = "02f5aac65b9c3a4e50e1a50c280e587106b7b7dec0da836d5764e6b148d9d86e"
    assert fingerprint("post", "/open-api/orders", "b=2&a=1", BODY) == digest


def test_spelling_of_numbers_and_order_of_keys_and_query_do_not_matter() -> None:
    respelled = {
        "venue_id": Decimal("1.00"),
        "payload": {
            **BODY["payload"],  # type: ignore[dict-item]
            "meta": {"big": 100000, "discount": Decimal("1E-7"), "note": "ǅ ünï"},
        },
    }
    assert fingerprint("POST", "/open-api/orders", "a=1&b=2", respelled) == fingerprint(
        "post", "/open-api/orders", "b=2&a=1", BODY
    )
    assert fingerprint("POST", "/open-api/orders", "", {"count": 2}) != fingerprint(
        "POST", "/open-api/orders", "", {"count": "2"}
    )


def test_integers_beyond_64_bits_are_fingerprinted_exactly() -> None:
    big = 10**30
    assert fingerprint("POST", "/x", "", {"n": big}) == fingerprint("POST", "/x", "", {"n": Decimal(big)})
    assert fingerprint("POST", "/x", "", {"n": big}) != fingerprint("POST", "/x", "", {"n": big + 1})


async def test_a_huge_integer_in_a_keyed_request_is_answered_not_a_500(api: ApiClient) -> None:
    body = example("create-order.v1.request.json")
    body["payload"]["meta"] = {"loyalty_card": 10**30}
    headers = {"Idempotency-Key": "big-int-0001"}
    first = await api.post("/orders", json=body, headers=headers)
    assert first.status_code in (201, 400), first.text
    again = await api.post("/orders", json=body, headers=headers)
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"


def _encoded(canonical: object) -> bytes:
    return orjson.dumps([canonical])


@given(
    st.one_of(
        st.decimals(allow_nan=True, allow_infinity=True),
        st.integers(0, 40).flatmap(lambda places: st.decimals(places=places, allow_nan=False)),
        st.from_regex(r"-?[0-9]{1,40}\.[0-9]{1,60}", fullmatch=True).map(Decimal),
        st.from_regex(r"-?[0-9]{1,3}(\.[0-9]{0,4})?[eE][-+]?[0-9]{1,3}", fullmatch=True).map(Decimal),
    )
)
def test_a_number_in_plain_digits_is_trimmed_to_what_normalising_gives(value: Decimal) -> None:
    """The fingerprint's fast path for plain digits gives the bytes of the full normalisation, or leaves
    the number to it: a stored key's fingerprint still matches after the change."""
    plain = plain_canonical(value)
    if plain is not None:
        assert _encoded(plain) == _encoded(normalised(value)), value


def test_plain_digits_take_the_fast_path() -> None:
    assert _encoded(plain_canonical(Decimal("5.50"))) == b"[5.5]"
    assert plain_canonical(Decimal("-0.00")) == 0
    assert plain_canonical(Decimal("12.000")) == 12
    assert plain_canonical(Decimal("1E+5")) is None  # exponent notation: the full normalisation
    assert plain_canonical(Decimal("NaN")) is None
