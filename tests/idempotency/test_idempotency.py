"""Idempotency-Key on POST: replay byte for byte, 422 on reuse, stored rejections, no duplicates."""

from __future__ import annotations

import asyncio

import pytest
from tests.support.api import ApiClient, assert_error, example

KEY = "0fe7bc1e-9972-4c2f-bf03-4e0f09ba9d9d"


async def test_replay_is_the_same_bytes_and_creates_nothing(api: ApiClient) -> None:
    body = example("create-order.v1.request.json")
    first = await api.post("/orders", json=body, headers={"Idempotency-Key": KEY})
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    second = await api.post("/orders", json=body, headers={"Idempotency-Key": KEY})
    assert second.status_code == 201
    assert second.content == first.content
    assert second.headers["idempotent-replayed"] == "true"
    assert (await api.get("/orders")).json()["total"] == 1


async def test_key_order_and_number_spelling_do_not_change_the_fingerprint(api: ApiClient) -> None:
    body = example("create-order.v1.request.json")
    first = await api.post("/orders", json=body, headers={"Idempotency-Key": KEY})
    respelled = first.request.content.decode().replace('"count": 1', '"count": 1.0')
    again = await api.post(
        "/orders", content=respelled, headers={"Idempotency-Key": KEY, "content-type": "application/json"}
    )
    assert again.status_code == 201 and again.headers.get("idempotent-replayed") == "true"


async def test_same_key_other_body_is_422(api: ApiClient) -> None:
    body = example("create-order.v1.request.json")
    assert (await api.post("/orders", json=body, headers={"Idempotency-Key": KEY})).status_code == 201
    body["payload"]["products"][0]["count"] = 2
    answer = await api.post("/orders", json=body, headers={"Idempotency-Key": KEY})
    assert_error(answer, 422, "idempotency_key_reused")
    assert (await api.get("/orders")).json()["total"] == 1


async def test_keys_are_scoped_to_the_client(api: ApiClient, other_api: ApiClient) -> None:
    body = example("create-order.v1.request.json")
    assert (await api.post("/orders", json=body, headers={"Idempotency-Key": KEY})).status_code == 201
    foreign = await other_api.post("/orders", json=body, headers={"Idempotency-Key": KEY})
    assert foreign.status_code == 400 and "idempotent-replayed" not in foreign.headers


async def test_a_validation_rejection_is_stored_and_replayed(api: ApiClient) -> None:
    body = example("create-order.v1.request.json")
    body["payload"]["products"][0]["product_id"] = 77
    first = await api.post("/orders", json=body, headers={"Idempotency-Key": KEY})
    assert_error(first, 400, "validation_failed")
    again = await api.post("/orders", json=body, headers={"Idempotency-Key": KEY})
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"


@pytest.mark.parametrize(
    "key", ["", "x" * 256, "tab\there", "é"], ids=["empty", "too-long", "control", "non-ascii"]
)
async def test_bad_keys_are_400(api: ApiClient, key: str) -> None:
    headers = {"Idempotency-Key": key.encode("latin-1")}
    answer = await api.post("/orders", json=example("create-order.v1.request.json"), headers=headers)
    assert_error(answer, 400, "validation_failed")
    assert (await api.get("/orders")).json()["total"] == 0


async def test_concurrent_identical_requests_make_one_order(api: ApiClient) -> None:
    body = example("create-order.v1.request.json")
    answers = await asyncio.gather(
        *(api.post("/orders", json=body, headers={"Idempotency-Key": KEY}) for _ in range(10))
    )
    statuses = {a.status_code for a in answers}
    assert statuses <= {201, 409}, [a.text for a in answers if a.status_code not in (201, 409)]
    firsts = [a for a in answers if a.status_code == 201 and "idempotent-replayed" not in a.headers]
    assert len(firsts) == 1
    assert all(a.content == firsts[0].content for a in answers if a.status_code == 201)
    assert (await api.get("/orders")).json()["total"] == 1


async def test_expired_key_is_a_new_request(app, api: ApiClient) -> None:
    from sqlalchemy import update

    from clopos_server.db.models import IdempotencyKey
    from clopos_server.timeutil import utcnow

    body = example("create-order.v1.request.json")
    assert (await api.post("/orders", json=body, headers={"Idempotency-Key": KEY})).status_code == 201
    async with app.state.services.db.write() as conn:
        await conn.execute(update(IdempotencyKey).values(expires_at=utcnow()))
    again = await api.post("/orders", json=body, headers={"Idempotency-Key": KEY})
    assert again.status_code == 201 and "idempotent-replayed" not in again.headers
    assert (await api.get("/orders")).json()["total"] == 2


async def test_only_the_committed_request_is_announced_on_the_venue_channel(app, api: ApiClient) -> None:
    """A replay runs nothing, so it publishes nothing: one order, one ``order.created`` event."""
    from clopos_server.events.bus import channel_name

    services = app.state.services
    brand_id = services.directory.brands_by_slug["openapitest"].id
    events = services.events.subscribe(channel_name(brand_id, 1))
    body = example("create-order.v1.request.json")
    for _ in range(2):
        assert (await api.post("/orders", json=body, headers={"Idempotency-Key": KEY})).status_code == 201
    kinds = []
    while not events.empty():
        kinds.append(events.get_nowait()["type"])
    assert kinds == ["order.created"]
