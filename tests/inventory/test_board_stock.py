"""The board's stock page (managers only): the venue's stock per storage and its documents, recording a
document from the form (refusals naming the field, nothing written) and publishing a draft once; on SQLite
and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from clopos_server.board.stock import lines_of
from tests.support.api import ApiClient
from tests.support.board import CASHIER, BoardUser


async def post(board: BoardUser, path: str, **fields: Any) -> httpx.Response:
    data = {"csrf": board.csrf, "venue": "1", **{k: str(v) for k, v in fields.items()}}
    return await board.http.post(f"/board/stock{path}", data=data)


async def test_the_page_shows_stock_and_documents(client: httpx.AsyncClient) -> None:
    board = await BoardUser.signed_in(client)
    page = await client.get("/board/stock?venue=1")
    assert page.status_code == 200, page.text
    for text in ("Main bar storage", "Main storage", "IN-000002", "WASTE-000004", "Test_Tomato", "Publish"):
        assert text in page.text, text
    assert 'name="csrf"' in page.text and board.csrf
    assert (await client.get("/board/stock?venue=99")).status_code == 404


async def test_managers_only(app: FastAPI, client: httpx.AsyncClient) -> None:
    assert (await client.get("/board/stock")).status_code == 303  # not signed in: to the sign-in page
    await BoardUser.signed_in(client, **CASHIER)
    refused = await client.get("/board/stock?venue=1")
    assert refused.status_code == 403 and "Only managers" in refused.text


async def test_recording_from_the_form(client: httpx.AsyncClient, v2: ApiClient) -> None:
    board = await BoardUser.signed_in(client)
    done = await post(board, "/documents", type=4, storage_id=4, lines="54 2\n\n111:1", description="Broken")
    assert done.status_code == 303 and done.headers["location"] == "/board/stock?venue=1"
    (latest,) = (await v2.get("/operations", params={"limit": "1", "sort[0]": "id", "sort[1]": "-1"})).json()[
        "data"
    ]
    assert (latest["type"], latest["storage_id"], latest["items_count"], latest["created_by"]) == (4, 4, 2, 1)
    total = (await v2.get("/operations/total")).json()["data"]["count"]
    negative = await post(board, "/documents", type=1, storage_id=1, lines="54 -1 0.5")
    assert negative.status_code == 400 and "items[0].quantity" in negative.text
    same = await post(board, "/documents", type=3, storage_id=1, target_storage_id=1, lines="54 1")
    assert same.status_code == 400 and "target_storage_id" in same.text
    empty = await post(board, "/documents", type=1, storage_id=1, lines=" ")
    assert empty.status_code == 400 and "items" in empty.text
    foreign = await post(board, "/documents", type=1, storage_id=2, lines="54 1")  # Baku's storage
    assert foreign.status_code == 400 and "storage_id" in foreign.text
    assert (await v2.get("/operations/total")).json()["data"]["count"] == total
    assert (await post(board, "/documents", csrf="wrong", type=1, lines="54 1")).status_code == 403


async def test_publishing_a_draft_once(client: httpx.AsyncClient, v2: ApiClient) -> None:
    board = await BoardUser.signed_in(client)
    assert (await post(board, "/publish", venue=2, document=5)).status_code == 404  # venue 1's draft
    assert (await post(board, "/publish", document=5)).status_code == 303
    assert (await v2.get("/operations/5")).json()["data"]["status"] == 1
    again = await post(board, "/publish", document=5)
    assert again.status_code == 409 and "already published" in again.text
    assert (await post(board, "/publish", document="x")).status_code == 404


def test_lines_as_typed() -> None:
    assert lines_of("54 10 0,60\n301:2\n\n") == [
        {"product_id": "54", "quantity": "10", "cost": "0.60"},
        {"product_id": "301", "quantity": "2"},
    ]
    assert lines_of("7") == [{"product_id": "7", "quantity": None}]
