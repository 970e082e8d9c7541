"""GET /metrics: Prometheus text counting a create, a replay and a 429; off, or behind a token."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.operations.conftest import app_client
from tests.ratelimit.conftest import clear_of_window_edge
from tests.support.api import V1Client, example

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def samples(http: httpx.AsyncClient) -> Samples:
    answer = await http.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def delta(before: Samples, after: Samples) -> Callable[..., float]:
    def of(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    return of


async def test_metrics_count_a_create_a_replay_and_a_429(db_url: str) -> None:
    await clear_of_window_edge()
    async with app_client(db_url, rate_limits="on", rate_v1_per_minute=3) as http:
        v1 = await V1Client.login(http)
        before = await samples(http)
        key = {"Idempotency-Key": str(uuid.uuid4())}
        body = example("create-order.v1.request.json")
        assert (await v1.post("/orders", json=body, headers=key)).status_code == 201
        replay = await v1.post("/orders", json=body, headers=key)
        assert replay.headers["idempotent-replayed"] == "true"
        assert (await v1.get("/orders")).status_code == 200
        assert (await v1.get("/orders")).status_code == 429
        of = delta(before, await samples(http))
    assert of("clopos_orders_created_total", api="v1") == 1
    assert of("clopos_idempotency_answers_total", outcome="replayed") == 1
    assert of("clopos_rate_limited_total", tier="v1-minute") == 1
    posted = {"route": "/open-api/orders", "method": "POST"}
    assert of("clopos_http_requests_total", **posted, status="201") == 2  # the create and its replay
    assert of("clopos_http_requests_total", route="/open-api/orders", method="GET", status="429") == 1
    assert of("clopos_http_request_duration_seconds_count", **posted) == 2


async def test_a_path_with_an_id_is_counted_under_its_template(db_url: str) -> None:
    async with app_client(db_url) as http:
        v1 = await V1Client.login(http)
        before = await samples(http)
        assert (await v1.get("/orders/999999")).status_code == 404
        assert (await http.get("/no/such/path")).status_code == 404
        of = delta(before, await samples(http))
    assert (
        of("clopos_http_requests_total", route="/open-api/orders/{order_id}", method="GET", status="404") == 1
    )
    assert of("clopos_http_requests_total", route="unmatched", method="GET", status="404") == 1


async def test_metrics_off_or_behind_a_token(db_url: str) -> None:
    async with app_client(db_url, metrics="off") as http:
        answer = await http.get("/metrics")
        assert answer.status_code == 404 and answer.json()["success"] is False
    async with app_client(db_url, metrics_token="let-me-see-0123") as http:
        refused = await http.get("/metrics")
        assert refused.status_code == 401 and refused.json()["code"] == "unauthorized"
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        shown = await http.get("/metrics", headers={"Authorization": "Bearer let-me-see-0123"})
        assert shown.status_code == 200 and "clopos_http_requests_total" in shown.text
