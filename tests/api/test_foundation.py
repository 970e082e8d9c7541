"""Envelopes, errors and probes: every answer is JSON in the spec's shape, never HTML or empty."""

from __future__ import annotations

import httpx
import pytest
from tests.support.api import V1Client, assert_error

__all__ = ["assert_error"]  # its home is tests/support/api.py; still importable from here


async def test_healthz_and_readyz(client: httpx.AsyncClient) -> None:
    answer = await client.get("/healthz")
    assert answer.status_code == 200 and answer.json()["success"] is True
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["data"]["status"] == "ready"


async def test_success_envelope_carries_time_stamps(v1: V1Client) -> None:
    body = (await v1.get("/orders")).json()
    assert body["success"] is True and body["data"] == [] and body["total"] == 0
    assert isinstance(body["time"], int) and isinstance(body["unix"], int)
    assert len(body["timestamp"]) == 19 and body["timestamp"][10] == " "
    assert body["sorts"] == ["id", "created_at", "updated_at"]


async def test_unknown_path_is_a_json_404(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/open-api/no-such-thing"), 404, "resource_not_found")
    assert_error(await client.get("/nothing/here"), 404, "resource_not_found")


async def test_wrong_method_is_a_json_405(client: httpx.AsyncClient) -> None:
    assert_error(await client.delete("/open-api/orders"), 405, "method_not_allowed")


async def test_body_over_one_mebibyte_is_a_json_413(v1: V1Client) -> None:
    big = b'{"payload": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    answer = await v1.post("/orders", content=big, headers={"content-type": "application/json"})
    assert_error(answer, 413, "payload_too_large")


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    mine = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert mine.headers["x-request-id"] == "abc-123"
    made = await client.get("/healthz")
    assert len(made.headers["x-request-id"]) == 32


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"[1, 2, 3]", b"", b'"just a string"', b'{"a": NaN}', b"[" * 100_000],
    ids=["malformed", "array", "empty", "scalar", "nan", "deep"],
)
async def test_bad_json_bodies_are_400_naming_the_body(v1: V1Client, raw: bytes) -> None:
    answer = await v1.post("/orders", content=raw, headers={"content-type": "application/json"})
    body = assert_error(answer, 400, "validation_failed")
    assert body["error"][0]["field"] == "body"


async def test_documented_error_format_setting(db_url: str) -> None:
    from clopos_server.app import create_app
    from clopos_server.settings import Settings

    app = create_app(Settings(database_url=db_url, error_format="documented", secret_key="k" * 32))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            answer = await http.get("/open-api/orders")
    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthorized"


async def test_database_outage_is_a_503_in_the_error_shape(app, client: httpx.AsyncClient) -> None:
    services = app.state.services
    await services.db.dispose()
    original = services.db.engine
    from clopos_server.db.engine import create_engine

    dialect = services.db.dialect
    broken = (
        "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"
        if dialect == "postgresql"
        else "sqlite+aiosqlite:////nonexistent-dir/x/y.sqlite3"
    )
    services.db.engine = create_engine(broken) if dialect == "postgresql" else _unopenable_sqlite()
    try:
        answer = await client.get("/readyz")
    finally:
        await services.db.engine.dispose()
        services.db.engine = original
    assert_error(answer, 503, "unavailable")
    assert "Traceback" not in answer.text and "SELECT" not in answer.text


def _unopenable_sqlite():
    from sqlalchemy.ext.asyncio import create_async_engine

    return create_async_engine("sqlite+aiosqlite:////proc/no/such/dir/db.sqlite3")
