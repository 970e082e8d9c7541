"""Reading orders: list filters, sort, paging, includes; one order; the integrator's ignore."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from starlette.routing import Match
from tests.support.api import ApiClient, assert_error, example

from clopos_server.api.routes import orders as orders_routes
from clopos_server.app import create_app
from clopos_server.settings import Settings


async def create(api: ApiClient, **changes: object) -> dict:
    body = example("create-order.v1.request.json")
    body["payload"]["service"].update(changes)
    answer = await api.post("/orders", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]


async def test_list_pages_sorts_and_counts(api: ApiClient) -> None:
    ids = [(await create(api))["id"] for _ in range(3)]
    first = (await api.get("/orders", params={"limit": 2, "sort[0]": "id", "sort[1]": "1"})).json()
    assert [o["id"] for o in first["data"]] == ids[:2] and first["total"] == 3
    second = (
        await api.get("/orders", params={"limit": 2, "page": 2, "sort[0]": "id", "sort[1]": "1"})
    ).json()
    assert [o["id"] for o in second["data"]] == ids[2:]
    newest_first = (await api.get("/orders")).json()
    assert [o["id"] for o in newest_first["data"]] == sorted(ids, reverse=True) or newest_first["total"] == 3


async def test_a_page_far_past_the_end_is_empty_not_an_error(api: ApiClient) -> None:
    """page x limit past 2**31 (found by the fuzz run: the offset was bound as int4 on PostgreSQL)."""
    await create(api)
    for page in ("999999999", "42949673"):
        answer = await api.get("/orders", params={"page": page, "limit": 100})
        assert answer.status_code == 200, answer.text
        assert answer.json()["data"] == [] and answer.json()["total"] == 1


async def test_list_one_and_create_answer_hold_the_same_order_exactly(api: ApiClient) -> None:
    """The list embeds the stored JSON as text: it must say what the create answer and GET /orders/{id}
    say, to the last digit (compared as Decimals, so 16.2 and 16.20 would differ only as spellings)."""
    body = example("create-order.v1.request.json")
    body["payload"]["meta"] = {"comment": "ring twice", "tip": 1.25}
    created = await api.post("/orders", json=body)
    assert created.status_code == 201, created.text

    def order_of(text: str) -> dict:
        data = json.loads(text, parse_float=Decimal)["data"]
        return data[0] if isinstance(data, list) else data

    answer = order_of(created.text)
    listed = order_of((await api.get("/orders")).text)
    one = order_of((await api.get(f"/orders/{answer['id']}")).text)
    assert listed == one == answer
    assert listed["payload"]["meta"]["tip"] == Decimal("1.25") and listed["payload"]["id"] == answer["id"]
    assert listed["total"] == answer["total"] and listed["pricing"] == answer["pricing"]


async def test_reads_spell_every_number_and_time_as_the_writers_do(api: ApiClient) -> None:
    """The reads have the database write the times and, on PostgreSQL, the total as text (reads.py):
    every number and time of the list and of one order must be spelled as the create and accept answers
    spell them (numbers parsed as their text: 16.2 and 16.20 differ here)."""
    body = example("create-order.v1.request.json")
    body["payload"]["products"][0]["count"] = 3
    whole = await create(api)
    tripled = await api.post("/orders", json=body)
    accepted = await api.post(f"/test-helpers/orders/{whole['id']}/accept")
    assert tripled.status_code == 201 and accepted.status_code == 200, (tripled.text, accepted.text)

    def spelled(text: str) -> list[dict]:
        data = json.loads(text, parse_float=str, parse_int=str)["data"]
        return data if isinstance(data, list) else [data]

    written = {order["id"]: order for order in spelled(accepted.text) + spelled(tripled.text)}
    assert written[str(whole["id"])]["status"] == "RECEIVED"  # accepted into its receipt
    assert len({order["total"] for order in written.values()}) == 2
    listed = spelled((await api.get("/orders")).text)
    assert {order["id"]: order for order in listed} == written
    for order_id, order in written.items():
        assert spelled((await api.get(f"/orders/{order_id}")).text) == [order]


async def test_list_defaults_to_the_request_venue_and_widens_by_filter(api: ApiClient) -> None:
    await create(api)
    await create(api, venue_id=2, venue_name="Baku")
    assert (await api.get("/orders")).json()["total"] == 1
    both = await api.get(
        "/orders", params={"filters[0][0]": "venue_id", "filters[0][1][0]": "1", "filters[0][1][1]": "2"}
    )
    assert both.json()["total"] == 2


async def test_status_filter_and_bad_status(api: ApiClient) -> None:
    order = await create(api)
    await api.put(f"/orders/{order['id']}", json={"status": "IGNORE"})
    await create(api)
    assert (await api.get("/orders", params={"status": "PENDING"})).json()["total"] == 1
    assert (await api.get("/orders", params={"status": "IGNORE"})).json()["total"] == 1
    bad = assert_error(await api.get("/orders", params={"status": "NOPE"}), 400, "invalid_parameter")
    assert bad["message"] == "status must be one of PENDING, RECEIVED, IGNORE, DELIVERED"


@pytest.mark.parametrize(
    "params",
    [{"limit": "0"}, {"limit": "1000"}, {"page": "-1"}, {"sort[0]": "total"}, {"sort[1]": "sideways"}],
    ids=["limit-0", "limit-1000", "page-negative", "unknown-sort", "bad-direction"],
)
async def test_bad_list_parameters_are_400(api: ApiClient, params: dict) -> None:
    assert_error(await api.get("/orders", params=params), 400, "invalid_parameter")


async def test_date_range_is_by_business_day(api: ApiClient) -> None:
    await create(api)
    today = (await api.get("/orders")).json()["timestamp"][:10]
    assert (await api.get("/orders", params={"date[0]": "2020-01-01", "date[1]": "2020-01-02"})).json()[
        "total"
    ] == 0
    wide = await api.get("/orders", params={"date_from": "2020-01-01", "date_to": "2099-12-31"})
    assert wide.json()["total"] == 1
    assert today


async def test_one_order_with_receipt_columns_and_history(api: ApiClient) -> None:
    order = await create(api)
    answer = await api.get(
        f"/orders/{order['id']}", params={"with[0]": "receipt:id,service_notification_id,status"}
    )
    assert answer.status_code == 200
    data = answer.json()["data"]
    assert data["receipt"] is None and data["status"] == "PENDING"
    history = (await api.get(f"/orders/{order['id']}", params={"with[]": "history"})).json()["data"][
        "history"
    ]
    assert [h["status"] for h in history] == ["PENDING"] and history[0]["by"].startswith("client:")


async def test_one_order_errors(api: ApiClient) -> None:
    assert (
        assert_error(await api.get("/orders/999999"), 404, "resource_not_found")["message"]
        == "Order not found"
    )
    assert_error(await api.get("/orders/abc"), 400, "invalid_parameter")
    assert_error(await api.http.get(f"{api.prefix}/orders/1"), 401, "unauthorized")


async def test_ignore_then_conflicts(api: ApiClient) -> None:
    order = await create(api)
    answer = await api.put(f"/orders/{order['id']}", json={"status": "IGNORE"})
    assert answer.status_code == 200 and answer.json()["data"]["status"] == "IGNORE"
    again = assert_error(await api.put(f"/orders/{order['id']}", json={"status": "IGNORE"}), 409, "conflict")
    assert "IGNORE" in again["message"]
    other = assert_error(
        await api.put(f"/orders/{order['id']}", json={"status": "RECEIVED"}), 400, "validation_failed"
    )
    assert other["message"] == "Status is not allowed"
    assert_error(await api.put("/orders/999999", json={"status": "IGNORE"}), 404, "resource_not_found")


@pytest.mark.parametrize("action", ["accept", "ignore", "deliver"])
async def test_a_test_helpers_transition_refuses_a_body_with_fields_and_changes_nothing(
    api: ApiClient, action: str
) -> None:
    """The document says these take no body (or ``{}``); fields sent here would do nothing, so they are a
    400 naming ``body``, as on every other operation without a body (a longer fuzz run found this)."""
    order = await create(api)
    refused = assert_error(
        await api.post(f"/test-helpers/orders/{order['id']}/{action}", json={"status": "ACCEPTED"}),
        400,
        "validation_failed",
    )
    assert refused["error"][0]["field"] == "body"
    assert (await api.get(f"/orders/{order['id']}")).json()["data"]["status"] == "PENDING"
    if action != "deliver":  # an empty object is no body (deliver needs an accepted order)
        answer = await api.post(f"/test-helpers/orders/{order['id']}/{action}", json={})
        assert answer.status_code == 200, answer.text


async def test_foreign_brand_cannot_ignore(api: ApiClient, other_api: ApiClient) -> None:
    order = await create(api)
    assert_error(
        await other_api.put(f"/orders/{order['id']}", json={"status": "IGNORE"}), 404, "resource_not_found"
    )
    assert (await api.get(f"/orders/{order['id']}")).json()["data"]["status"] == "PENDING"


async def test_one_order_by_a_plain_route_answers_every_method_as_the_api_does(api: ApiClient) -> None:
    """GET /orders/{id} is served by a plain Starlette route in front of FastAPI's (app.py): the other
    methods on the path still reach the FastAPI routes or their JSON 405, and HEAD stays refused, as for
    every GET of the API."""
    order = await create(api)
    path = f"/orders/{order['id']}"
    served = await api.get(path)
    assert served.status_code == 200 and served.json()["data"]["id"] == order["id"]
    for method in ("HEAD", "DELETE", "PATCH"):
        refused = await api.request(method, path)
        assert refused.status_code == 405, (method, refused.status_code)
        assert set(refused.headers["allow"].replace(" ", "").split(",")) == {"GET", "PUT", "OPTIONS"}, (
            refused.headers
        )
        if method != "HEAD":
            assert_error(refused, 405, "method_not_allowed")
    assert (await api.put(path, json={"status": "IGNORE"})).status_code == 200
    assert_error(await api.get("/orders/0x10"), 400, "invalid_parameter")


def test_the_plain_route_comes_before_fastapis() -> None:
    """The router's walk meets the plain GET /orders/{id} route (and the plain create) before FastAPI's."""
    app = create_app(Settings(database_url="sqlite+aiosqlite:///unused.sqlite3", secret_key="k" * 32))
    for prefix in ("/open-api", "/open-api/v2"):
        for method, path, endpoint in (
            ("GET", f"{prefix}/orders/5", orders_routes.get_order_direct),
            ("POST", f"{prefix}/orders", orders_routes.create_order_direct),
        ):
            scope = {"type": "http", "path": path, "method": method, "root_path": ""}
            first = next(route for route in app.router.routes if route.matches(scope)[0] is Match.FULL)
            assert first.matches(scope)[1].get("endpoint") is endpoint, (method, path, first)
