"""``POST /customers``: defaults, uniqueness per brand (409, nothing written), validation, idempotency."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from clopos_server.db.models import Balance, Customer, IdempotencyKey
from tests.support.api import V1Client, assert_error

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ISO_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z")


async def row_counts(app: FastAPI) -> tuple[int, int, int]:
    """Customers, balances and idempotency keys in the whole database."""
    async with app.state.services.db.read() as conn:
        counts = [
            (await conn.execute(select(func.count()).select_from(model))).scalar_one()
            for model in (Customer, Balance, IdempotencyKey)
        ]
    return counts[0], counts[1], counts[2]


async def test_create_with_defaults(v1: V1Client) -> None:
    answer = await v1.post("/customers", json={"name": "Leyla Huseynova", "phone": "+994559998877"})
    body = answer.json()
    assert answer.status_code == 200 and body["success"] is True and body["message"] == "Customer created"
    created = body["data"]
    assert created["name"] == "Leyla Huseynova" and created["group_id"] == 1  # the brand's my_customers group
    assert created["phone"] == "+994559998877" and created["phones"] == ["+994559998877"]
    assert isinstance(created["id"], int) and isinstance(created["balance_id"], int)
    assert UUID_RE.fullmatch(created["cid"]) and ISO_RE.fullmatch(created["created_at"])
    assert created["venue_id"] == 1 and created["status"] is True and created["discount"] == 0
    assert created["spent"] == 0 and created["receipt_count"] == 0 and created["address_data"] == []
    again = (await v1.get(f"/customers/{created['id']}", params={"with[]": ["balance", "group"]})).json()[
        "data"
    ]
    assert again["balance"]["id"] == created["balance_id"] and again["balance"]["type"] == "CUSTOMER"
    assert again["balance"]["amount"] == 0 and again["group"]["system_type"] == "my_customers"
    assert (await v1.get("/customers")).json()["total"] == 5


async def test_create_with_every_field(v1: V1Client) -> None:
    body = {
        "name": "  Elvin Mammadli ",
        "email": "elvin@example.com",
        "phone": "+994501234567",
        "code": "CARD-0001",
        "cid": "0B3F5B0A-1C2D-4E5F-8A9B-0C1D2E3F4A5B",
        "description": "prefers the terrace",
        "group_id": "5",
        "gender": 1,
        "date_of_birth": "1990-04-30",
    }
    created = (await v1.post("/customers", json=body)).json()["data"]
    assert created["name"] == "Elvin Mammadli" and created["email"] == "elvin@example.com"
    assert created["code"] == "CARD-0001" and created["cid"] == "0b3f5b0a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
    assert created["group_id"] == 5 and created["gender"] == 1 and created["date_of_birth"] == "1990-04-30"
    assert created["description"] == "prefers the terrace"


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        (None, {"name": "Copy", "phone": "+994705401040"}, "Customer with this phone number already exists"),
        (
            {"name": "A", "code": "C-1"},
            {"name": "B", "code": "C-1"},
            "Customer with this code already exists",
        ),
        (
            None,
            {"name": "B", "cid": "9f92f99e-8515-5207-9466-c2b0b55750f8"},
            "Customer with this cid already exists",
        ),
    ],
    ids=["phone", "code", "cid"],
)
async def test_a_repeat_is_409_and_writes_nothing(
    app: FastAPI, v1: V1Client, first: dict[str, Any] | None, second: dict[str, Any], message: str
) -> None:
    if first is not None:
        assert (await v1.post("/customers", json=first)).status_code == 200
    before = await row_counts(app)
    body = assert_error(await v1.post("/customers", json=second), 409, "conflict")
    assert body["message"] == message
    assert await row_counts(app) == before


async def test_uniqueness_is_per_brand(v1: V1Client) -> None:
    answer = await v1.post("/customers", json={"name": "Same phone elsewhere", "phone": "+994700000001"})
    assert answer.status_code == 200, answer.text


async def test_the_409_is_not_stored_under_the_idempotency_key(app: FastAPI, v1: V1Client) -> None:
    key = {"Idempotency-Key": "customer-create-1"}
    taken = {"name": "Copy", "phone": "+994705401040"}
    before = await row_counts(app)
    for _ in range(2):  # the key was not kept: the same request is answered afresh, not replayed
        answer = await v1.post("/customers", json=taken, headers=key)
        assert_error(answer, 409, "conflict")
        assert "Idempotent-Replayed" not in answer.headers
    assert await row_counts(app) == before
    fixed = await v1.post("/customers", json={"name": "Copy", "phone": "+994551110000"}, headers=key)
    assert fixed.status_code == 200, fixed.text
    replay = await v1.post("/customers", json={"name": "Copy", "phone": "+994551110000"}, headers=key)
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.content == fixed.content
    assert (await v1.get("/customers")).json()["total"] == 5


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": "   "}, "name"),
        ({"name": 12}, "name"),
        ({"name": "x" * 256}, "name"),
        ({"name": "A", "phone": ["+994"]}, "phone"),
        ({"name": "A", "cid": "not-a-uuid"}, "cid"),
        ({"name": "A", "gender": 3}, "gender"),
        ({"name": "A", "date_of_birth": "1990-13-01"}, "date_of_birth"),
        ({"name": "A", "date_of_birth": "30.04.1990"}, "date_of_birth"),
        ({"name": "A", "group_id": "five"}, "group_id"),
        ({"name": "A", "group_id": 10000}, "group_id"),  # demo-other's group
        ({"name": "A", "group_id": 77}, "group_id"),
        ({"name": "A", "description": "d" * 1001}, "description"),
    ],
    ids=[
        "no-name",
        "blank-name",
        "number-name",
        "long-name",
        "list-phone",
        "bad-cid",
        "gender",
        "bad-date",
        "date-format",
        "group-text",
        "foreign-group",
        "unknown-group",
        "long-description",
    ],
)
async def test_bad_bodies_are_400(app: FastAPI, v1: V1Client, body: dict[str, Any], field: str) -> None:
    before = await row_counts(app)
    answer = assert_error(await v1.post("/customers", json=body), 400, "validation_failed")
    assert field in [entry["field"] for entry in answer["error"]]
    assert await row_counts(app) == before


async def test_every_problem_is_named_at_once(v1: V1Client) -> None:
    answer = assert_error(
        await v1.post("/customers", json={"gender": 5, "cid": "x"}), 400, "validation_failed"
    )
    assert [entry["field"] for entry in answer["error"]] == ["name", "cid", "gender"]


async def test_not_an_object_is_400(v1: V1Client) -> None:
    assert_error(await v1.post("/customers", content=b"[1, 2]"), 400, "validation_failed")
    assert_error(await v1.post("/customers", content=b"{nope"), 400, "validation_failed")


async def test_no_token_is_401(client: httpx.AsyncClient) -> None:
    assert_error(await client.post("/open-api/customers", json={"name": "A"}), 401, "unauthorized")
