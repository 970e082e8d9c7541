"""``POST /open-api/auth`` and the x-token / x-brand / x-venue checks (every row of spec/api.md)."""

from __future__ import annotations

import time

import httpx
import pytest
from tests.support.api import DEMO_LOGIN, V1Client, assert_error


async def test_auth_answers_an_oauth_token(client: httpx.AsyncClient) -> None:
    answer = await client.post("/open-api/auth", json=DEMO_LOGIN)
    assert answer.status_code == 200
    body = answer.json()
    assert body["success"] is True and body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["token"].startswith("oauth_") and "data" not in body


async def test_ids_may_be_numeric_strings(client: httpx.AsyncClient) -> None:
    answer = await client.post("/open-api/auth", json={**DEMO_LOGIN, "venue_id": "1"})
    assert answer.status_code == 200


@pytest.mark.parametrize("missing", ["client_id", "client_secret", "brand", "venue_id"])
async def test_missing_field_is_400(client: httpx.AsyncClient, missing: str) -> None:
    body = {k: v for k, v in DEMO_LOGIN.items() if k != missing}
    answer = await client.post("/open-api/auth", json=body)
    payload = assert_error(answer, 400, "validation_failed")
    assert payload["message"] == "Missing client_id, client_secret, brand, or venue_id"


@pytest.mark.parametrize(
    "change",
    [
        {"client_secret": "wrong"},
        {"client_id": "nobody"},
        {"brand": "demo-other"},
        {"venue_id": 99},
        {"venue_id": "abc"},
    ],
    ids=["secret", "client", "foreign-brand", "foreign-venue", "non-numeric-venue"],
)
async def test_wrong_credentials_are_401(client: httpx.AsyncClient, change: dict) -> None:
    answer = await client.post("/open-api/auth", json={**DEMO_LOGIN, **change})
    payload = assert_error(answer, 401, "authentication_failed")
    assert payload["message"] == "Invalid credentials"


async def test_secret_is_stored_only_as_a_hash(database) -> None:
    from sqlalchemy import select

    from clopos_server.db.models import ApiClient

    async with database.read() as conn:
        stored = (await conn.execute(select(ApiClient.secret_hash))).scalars().all()
    assert stored and all(h.startswith("$argon2") for h in stored)
    assert DEMO_LOGIN["client_secret"] not in stored


async def test_disabled_client_is_refused_at_auth_and_on_calls(
    app, client: httpx.AsyncClient, v1: V1Client
) -> None:
    from sqlalchemy import update

    from clopos_server.db.models import ApiClient

    services = app.state.services
    async with services.db.write() as conn:
        await conn.execute(
            update(ApiClient).where(ApiClient.client_id == DEMO_LOGIN["client_id"]).values(enabled=False)
        )
    answer = await client.post("/open-api/auth", json=DEMO_LOGIN)
    assert assert_error(answer, 401, "authentication_failed")["message"] == "Client is disabled"
    await services.directory.refresh(services.db)  # what the background refresh does every second
    assert assert_error(await v1.get("/orders"), 401, "unauthorized")["message"] == "Client is disabled"


@pytest.mark.parametrize("dropped", ["x-token", "x-brand", "x-venue"])
async def test_missing_header_is_401(v1: V1Client, client: httpx.AsyncClient, dropped: str) -> None:
    headers = {k: v for k, v in v1.headers().items() if k != dropped}
    answer = await client.get("/open-api/orders", headers=headers)
    assert assert_error(answer, 401, "unauthorized")["message"] == "Missing authentication headers"


@pytest.mark.parametrize(
    "headers",
    [{"x-token": "oauth_garbage"}, {"x-token": "Bearer abc"}, {"x-brand": "demo-other"}],
    ids=["malformed", "not-oauth", "other-brand"],
)
async def test_bad_token_is_401_invalid_token(v1: V1Client, client: httpx.AsyncClient, headers: dict) -> None:
    answer = await client.get("/open-api/orders", headers={**v1.headers(), **headers})
    assert assert_error(answer, 401, "unauthorized")["message"] == "Invalid token"


async def test_tampered_token_is_refused(v1: V1Client, client: httpx.AsyncClient) -> None:
    body, mac = v1.token.split(".")
    tampered = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + mac
    answer = await client.get("/open-api/orders", headers={**v1.headers(), "x-token": tampered})
    assert assert_error(answer, 401, "unauthorized")["message"] == "Invalid token"


async def test_expired_token_is_401_token_expired(app, v1: V1Client, client: httpx.AsyncClient) -> None:
    services = app.state.services
    claims = services.signer.verify_v1(v1.token)
    token, exp = services.signer.issue_v1(
        client=claims.client, user=claims.user, brand=claims.brand, venue=claims.venue, ttl=-10
    )
    assert exp < time.time()
    answer = await client.get("/open-api/orders", headers={**v1.headers(), "x-token": token})
    assert assert_error(answer, 401, "unauthorized")["message"] == "Token expired"


async def test_venue_not_of_the_brand_is_401(v1: V1Client, client: httpx.AsyncClient) -> None:
    answer = await client.get("/open-api/orders", headers={**v1.headers(), "x-venue": "42"})
    assert_error(answer, 401, "unauthorized")


async def test_any_venue_of_the_brand_may_be_named(v1: V1Client, client: httpx.AsyncClient) -> None:
    answer = await client.get("/open-api/orders", headers={**v1.headers(), "x-venue": "2"})
    assert answer.status_code == 200
