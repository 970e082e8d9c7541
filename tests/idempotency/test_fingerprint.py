"""The request fingerprint stored with every key: stable across releases, and total over JSON."""

from __future__ import annotations

from decimal import Decimal

from tests.support.api import ApiClient, example

from clopos_server.idempotency.service import fingerprint

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
