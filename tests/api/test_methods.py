"""405 with every method of the path in ``Allow`` (before any path parameter is read), ``OPTIONS``, 415 for
a body that is not JSON, and the headers every answer carries."""

from __future__ import annotations

import json

import httpx
from tests.support.api import DEMO_LOGIN, DEMO_V2_LOGIN, PREFIXES, ApiClient, assert_error, example
from tests.support.board import sign_in

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# path under the prefix -> the methods each prefix serves there (absent: the prefix does not serve it)
SERVED: dict[str, dict[str, set[str]]] = {
    "/auth": {"v1": {"POST"}, "v2": {"POST"}},
    "/orders": {"v1": {"GET", "POST"}, "v2": {"GET", "POST"}},
    "/orders/calculate": {"v1": {"POST"}, "v2": {"POST"}},
    "/orders/7": {"v1": {"GET", "PUT"}, "v2": {"GET", "PUT"}},
    "/orders/not-an-id": {"v1": {"GET", "PUT"}, "v2": {"GET", "PUT"}},
    "/customers": {"v1": {"GET", "POST"}, "v2": {"GET", "POST"}},
    "/products/stop-list": {"v1": {"GET"}, "v2": {"GET"}},
    "/products/3": {"v1": {"GET"}, "v2": {"GET"}},
    "/receipts": {"v1": {"GET", "POST"}, "v2": {"GET"}},
    "/receipts/5": {"v1": {"GET", "PUT", "PATCH", "DELETE"}, "v2": {"GET", "PATCH"}},
    "/receipts/5/close": {"v2": {"POST"}},
    "/receipts/5/stock-operations": {"v2": {"GET"}},
    "/receipts/cid/0f8fad5b-d9cb-469f-a165-70867728950e": {"v2": {"GET"}},
    "/test-helpers/orders/7/accept": {"v1": {"POST"}, "v2": {"POST"}},
}


def allow_of(answer: httpx.Response) -> set[str]:
    return set(answer.headers["allow"].split(", "))


async def test_options_lists_every_method_the_prefix_serves(
    client: httpx.AsyncClient, generation: str
) -> None:
    prefix = PREFIXES[generation]
    for path, served in SERVED.items():
        answer = await client.options(prefix + path)
        if generation not in served:
            assert_error(answer, 404, "resource_not_found")
            continue
        assert answer.status_code == 200, (path, answer.text)
        assert allow_of(answer) == served[generation] | {"OPTIONS"}, path
        body = answer.json()
        assert body["success"] is True and set(body["data"]["allow"]) == allow_of(answer)
        assert answer.headers["x-content-type-options"] == "nosniff"


async def test_a_wrong_method_is_405_before_the_path_or_the_token_is_read(
    client: httpx.AsyncClient, generation: str
) -> None:
    """No credentials and ids that would not parse: the method alone decides, and ``Allow`` is whole."""
    prefix = PREFIXES[generation]
    for path, served in SERVED.items():
        if generation not in served:
            continue
        for method in set(METHODS) - served[generation]:
            answer = await client.request(method, prefix + path, json={"a": 1})
            body = assert_error(answer, 405, "method_not_allowed")
            assert allow_of(answer) == served[generation] | {"OPTIONS"}, (method, path)
            assert "field" not in body["error"][0]


async def test_put_on_calculate_is_405_not_a_bad_order_id(api: ApiClient) -> None:
    answer = await api.put("/orders/calculate", json={"status": "READY"})
    body = assert_error(answer, 405, "method_not_allowed")
    assert answer.headers["allow"] == "POST, OPTIONS"
    assert "id" not in body["message"]
    assert (await api.put("/orders/abc", json={"status": "READY"})).status_code == 400  # a real bad id


async def test_a_body_that_is_not_json_is_415_and_nothing_is_written(api: ApiClient) -> None:
    order = json.dumps(example("create-order.v1.request.json")).encode()
    for content_type in (
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin-1",
        "application/jsonx",
        "text/json",
    ):
        answer = await api.post(
            "/orders", content=order, headers={"Content-Type": content_type, "Idempotency-Key": "k-415"}
        )
        body = assert_error(answer, 415, "unsupported_media_type")
        assert body["error"][0]["field"] == "header.content-type", content_type
    assert (await api.get("/orders")).json()["total"] == 0
    for method, path in (("PUT", "/orders/1"), ("PATCH", "/receipts/1"), ("POST", "/customers")):
        answer = await api.request(method, path, content=b"{}", headers={"Content-Type": "text/plain"})
        assert_error(answer, 415, "unsupported_media_type")


async def test_json_content_types_that_are_accepted(api: ApiClient) -> None:
    order = json.dumps(example("create-order.v1.request.json")).encode()
    for content_type in (
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON; Charset=UTF-8",
        'application/json;charset="utf-8"',
        "application/json; something=else",
        None,  # no Content-Type: the body parses as JSON, so it is JSON
    ):
        headers = {} if content_type is None else {"Content-Type": content_type}
        answer = await api.post("/orders", content=order, headers=headers)
        assert answer.status_code in (200, 201), (content_type, answer.text)
    assert (await api.get("/orders")).json()["total"] == 6
    # a GET or DELETE that carries the JSON type and no body, as one published client always does
    answer = await api.get("/orders", headers={"Content-Type": "application/json"})
    assert answer.status_code == 200
    # a body-less write with some other type is not refused for it (it has no body to be wrong)
    empty = await api.post("/orders", content=b"", headers={"Content-Type": "text/plain"})
    assert empty.status_code == 400 and empty.json()["code"] == "validation_failed"


async def test_token_answers_are_not_stored_by_caches(client: httpx.AsyncClient, generation: str) -> None:
    login = DEMO_LOGIN if generation == "v1" else DEMO_V2_LOGIN
    good = await client.post(f"{PREFIXES[generation]}/auth", json=login)
    bad = await client.post(f"{PREFIXES[generation]}/auth", json={"client_id": "x"})
    for answer in (good, bad):
        assert answer.headers["cache-control"] == "no-store", answer.text
        assert answer.headers["x-content-type-options"] == "nosniff"
    assert good.status_code == 200 and good.json()["token"] and bad.status_code == 400


async def test_every_answer_says_nosniff_and_no_other_caching_changes(
    client: httpx.AsyncClient, api: ApiClient
) -> None:
    answers = [
        await api.get("/orders"),
        await api.get("/orders/999999"),
        await client.get("/open-api/nowhere"),
        await client.get("/healthz"),
        await client.get("/board/login"),
        await sign_in(client),
        await client.get("/board"),
    ]
    for answer in answers:
        assert answer.headers.get_list("x-content-type-options") == ["nosniff"], answer.url
        assert "server" not in answer.headers
    assert "cache-control" not in answers[0].headers  # only token answers are marked no-store
