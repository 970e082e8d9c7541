"""``POST /open-api/v2/auth`` and v2 calls: JWT, integrators, x-venue, revocation, generations apart."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx
import jwt
import pytest
from sqlalchemy import update
from tests.support.api import (
    DEMO_LOGIN,
    DEMO_V2_LOGIN,
    OTHER_BRAND_V2_LOGIN,
    PROD_INTEGRATOR,
    TEST_INTEGRATOR,
    ApiClient,
    assert_error,
    example,
)
from tests.support.cli import run_cli

from clopos_server.auth.admin import set_client_enabled, set_integrator_enabled
from clopos_server.db.models import Brand, Integrator

TEST_MODE_ON_PRODUCTION = "Integrator is in test mode. But brand is not in test mode"
PRODUCTION_ON_TEST_BRAND = "Integrator is not in test mode. But brand is in test mode"


async def v2_login(client: httpx.AsyncClient, **change: object) -> httpx.Response:
    return await client.post("/open-api/v2/auth", json={**DEMO_V2_LOGIN, **change})


async def test_auth_answers_a_jwt_with_the_documented_fields(client: httpx.AsyncClient) -> None:
    before = int(time.time())
    answer = await v2_login(client)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["success"] is True and body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["message"] and "data" not in body
    assert (
        isinstance(body["expires_at"], int) and before + 3600 <= body["expires_at"] <= int(time.time()) + 3600
    )
    claims = jwt.decode(body["token"], options={"verify_signature": False})
    assert jwt.get_unverified_header(body["token"])["alg"] == "HS256"
    assert claims["integrator"] == TEST_INTEGRATOR and claims["venue"] == 1  # the brand's main venue
    assert isinstance(claims["brand"], int) and isinstance(claims["client"], int) and claims["user"] == 1
    assert claims["exp"] == body["expires_at"] and claims["iat"] >= before and claims["jti"]
    assert not body["token"].startswith("oauth_")


async def test_ids_may_be_numeric_strings_and_x_token_alone_authenticates(client: httpx.AsyncClient) -> None:
    token = (await v2_login(client)).json()["token"]
    answer = await client.get("/open-api/v2/orders", headers={"x-token": token})
    assert answer.status_code == 200 and answer.json()["total"] == 0


async def test_sale_types_with_only_x_token(client: httpx.AsyncClient) -> None:
    token = (await v2_login(client)).json()["token"]
    v1_token = (await client.post("/open-api/auth", json=DEMO_LOGIN)).json()["token"]
    v2 = await client.get("/open-api/v2/sale-types", headers={"x-token": token})
    v1 = await client.get(
        "/open-api/sale-types", headers={"x-token": v1_token, "x-brand": "openapitest", "x-venue": "1"}
    )
    assert v2.status_code == 200, v2.text
    assert v2.json()["data"] and v2.json()["data"] == v1.json()["data"]  # same handler, same rows


@pytest.mark.parametrize("missing", ["client_id", "client_secret", "brand", "integrator_id"])
async def test_missing_field_is_400(client: httpx.AsyncClient, missing: str) -> None:
    body = {k: v for k, v in DEMO_V2_LOGIN.items() if k != missing}
    answer = await client.post("/open-api/v2/auth", json=body)
    payload = assert_error(answer, 400, "validation_failed")
    assert payload["message"] == "Missing client_id, client_secret, brand, or integrator_id"


async def test_the_v1_body_is_not_enough_for_v2(client: httpx.AsyncClient) -> None:
    answer = await client.post("/open-api/v2/auth", json=DEMO_LOGIN)
    assert assert_error(answer, 400, "validation_failed")["message"].endswith("or integrator_id")


async def test_unknown_or_disabled_integrator_is_400(app, client: httpx.AsyncClient) -> None:
    unknown = assert_error(await v2_login(client, integrator_id="nobody"), 400, "validation_failed")
    assert unknown["message"] == "Invalid integrator_id"
    await set_integrator_enabled(app.state.services.db, TEST_INTEGRATOR, False)
    disabled = assert_error(await v2_login(client), 400, "validation_failed")
    assert disabled["message"] == "Invalid integrator_id"


@pytest.mark.parametrize(
    "change",
    [{"client_secret": "wrong"}, {"client_id": "nobody"}, {"brand": "demo-other"}, {"brand": "nope"}],
    ids=["secret", "client", "foreign-brand", "unknown-brand"],
)
async def test_wrong_credentials_are_401(client: httpx.AsyncClient, change: dict) -> None:
    payload = assert_error(await v2_login(client, **change), 401, "authentication_failed")
    assert payload["message"] == "Invalid credentials"


async def test_disabled_client_is_401_at_auth(app, client: httpx.AsyncClient) -> None:
    await set_client_enabled(app.state.services.db, DEMO_LOGIN["client_id"], False)
    payload = assert_error(await v2_login(client), 401, "authentication_failed")
    assert payload["message"] == "Client is disabled"


async def test_test_integrator_on_a_production_brand_is_200_success_false(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/open-api/v2/auth", json={**OTHER_BRAND_V2_LOGIN, "integrator_id": TEST_INTEGRATOR}
    )
    assert answer.status_code == 200
    assert answer.json() == {"success": False, "message": TEST_MODE_ON_PRODUCTION}


async def test_production_integrator_on_a_test_brand_is_200_success_false(client: httpx.AsyncClient) -> None:
    answer = await v2_login(client, integrator_id=PROD_INTEGRATOR)
    assert answer.status_code == 200
    assert answer.json() == {"success": False, "message": PRODUCTION_ON_TEST_BRAND}


async def test_a_mode_mismatch_is_401_on_every_later_call(app, client: httpx.AsyncClient) -> None:
    services = app.state.services
    token = (await v2_login(client)).json()["token"]
    async with services.db.write() as conn:  # the brand goes to production under the live token
        await conn.execute(update(Brand).where(Brand.slug == "openapitest").values(is_test=False))
    await services.directory.refresh(services.db)
    for method, path in [("GET", "/orders"), ("POST", "/orders"), ("GET", "/sale-types")]:
        answer = await client.request(
            method, f"/open-api/v2{path}", headers={"x-token": token}, json={} if method == "POST" else None
        )
        assert assert_error(answer, 401, "unauthorized")["message"] == TEST_MODE_ON_PRODUCTION
    async with services.db.write() as conn:  # and the reverse: a production integrator, a test brand
        await conn.execute(update(Brand).where(Brand.slug == "openapitest").values(is_test=True))
        await conn.execute(update(Integrator).where(Integrator.id == TEST_INTEGRATOR).values(is_test=False))
    await services.directory.refresh(services.db)
    answer = await client.get("/open-api/v2/orders", headers={"x-token": token})
    assert assert_error(answer, 401, "unauthorized")["message"] == PRODUCTION_ON_TEST_BRAND


async def test_missing_x_token_is_401(client: httpx.AsyncClient) -> None:
    answer = await client.get("/open-api/v2/orders", headers={"x-venue": "1"})
    assert assert_error(answer, 401, "unauthorized")["message"] == "Missing authentication headers"


async def test_x_venue_overrides_the_token_venue(client: httpx.AsyncClient) -> None:
    api = await ApiClient.login(client, "v2")
    assert (await api.post("/orders", json=example("create-order.v1.request.json"))).status_code == 201
    api.venue_override = 2
    assert (await api.get("/orders")).json()["total"] == 0  # venue 2's orders: none
    body = example("create-order.v1.request.json")
    body["payload"]["service"].update(venue_id=2, venue_name="Baku")
    assert (await api.post("/orders", json=body)).status_code == 201
    assert (await api.get("/orders")).json()["total"] == 1
    api.venue_override = None
    assert (await api.get("/orders")).json()["total"] == 1  # the token's venue (1) again


@pytest.mark.parametrize("venue", ["42", "abc", "-1"])
async def test_x_venue_not_of_the_brand_is_404(client: httpx.AsyncClient, venue: str) -> None:
    token = (await v2_login(client)).json()["token"]
    answer = await client.get("/open-api/v2/orders", headers={"x-token": token, "x-venue": venue})
    assert_error(answer, 404, "resource_not_found")


async def test_x_venue_of_another_brand_is_404(client: httpx.AsyncClient) -> None:
    """demo-other has venue 1 only; venue 2 is openapitest's."""
    other = await ApiClient.login(client, "v2", brand="demo-other", **_other_secrets())
    other.venue_override = 2
    assert_error(await other.get("/orders"), 404, "resource_not_found")


def _other_secrets() -> dict[str, str]:
    return {k: v for k, v in OTHER_BRAND_V2_LOGIN.items() if k in ("client_id", "client_secret")}


async def test_tokens_are_not_interchangeable_between_generations(client: httpx.AsyncClient) -> None:
    v1 = await ApiClient.login(client, "v1")
    v2 = await ApiClient.login(client, "v2")
    v1_on_v2 = await client.get("/open-api/v2/orders", headers={"x-token": v1.token})
    assert assert_error(v1_on_v2, 401, "unauthorized")["message"] == "Invalid token"
    v2_on_v1 = await client.get("/open-api/orders", headers={**v1.headers(), "x-token": v2.token})
    assert assert_error(v2_on_v1, 401, "unauthorized")["message"] == "Invalid token"


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "a.b.c",
        jwt.encode({"brand": 1, "exp": int(time.time()) + 60}, "another-key-of-32-bytes-or-more!!", "HS256"),
        jwt.encode({"brand": 1, "exp": int(time.time()) + 60}, None, "none"),
    ],
    ids=["garbage", "three-parts", "other-key", "alg-none"],
)
async def test_bad_token_is_401_invalid_token(client: httpx.AsyncClient, token: str) -> None:
    answer = await client.get("/open-api/v2/orders", headers={"x-token": token})
    assert assert_error(answer, 401, "unauthorized")["message"] == "Invalid token"


async def test_tampered_token_is_refused(client: httpx.AsyncClient) -> None:
    token = (await v2_login(client)).json()["token"]
    header, _payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode({**claims, "brand": claims["brand"] + 1}, "x" * 32, "HS256").split(".")[1]
    answer = await client.get("/open-api/v2/orders", headers={"x-token": f"{header}.{forged}.{signature}"})
    assert assert_error(answer, 401, "unauthorized")["message"] == "Invalid token"


async def test_expired_token_is_401_token_expired(app, client: httpx.AsyncClient) -> None:
    signer = app.state.services.signer
    claims = signer.verify_v2((await v2_login(client)).json()["token"])
    token, exp = signer.issue_v2(
        client=claims.client,
        user=claims.user,
        brand=claims.brand,
        venue=1,
        integrator=TEST_INTEGRATOR,
        ttl=-10,
    )
    assert exp < time.time()
    answer = await client.get("/open-api/v2/orders", headers={"x-token": token})
    assert assert_error(answer, 401, "unauthorized")["message"] == "Token expired"


async def _within(seconds: float, check: Callable[[], Awaitable[bool]]) -> float:
    """Poll ``check`` until it holds; how long it took (fails after ``seconds``)."""
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < seconds, f"not within {seconds} s"
        await asyncio.sleep(0.1)
    return time.monotonic() - started


@pytest.mark.parametrize("what", ["client", "integrator"])
async def test_disabling_stops_live_tokens_within_five_seconds(
    app, client: httpx.AsyncClient, what: str
) -> None:
    """No manual refresh: the background directory refresh of the running app must see it."""
    db = app.state.services.db
    v2 = await ApiClient.login(client, "v2")
    v1 = await ApiClient.login(client, "v1")
    assert (await v2.get("/orders")).status_code == 200
    if what == "client":
        await set_client_enabled(db, DEMO_LOGIN["client_id"], False)
    else:
        await set_integrator_enabled(db, TEST_INTEGRATOR, False)

    async def refused() -> bool:
        return (await v2.get("/orders")).status_code == 401

    await _within(5, refused)
    message = assert_error(await v2.get("/orders"), 401, "unauthorized")["message"]
    assert message == ("Client is disabled" if what == "client" else "Integrator is disabled")
    # a disabled integrator is a v2 matter: the client's v1 token still works
    assert (await v1.get("/orders")).status_code == (401 if what == "client" else 200)
    if what == "client":
        await set_client_enabled(db, DEMO_LOGIN["client_id"], True)
    else:
        await set_integrator_enabled(db, TEST_INTEGRATOR, True)

    async def accepted() -> bool:
        return (await v2.get("/orders")).status_code == 200

    await _within(5, accepted)


async def test_cli_disables_and_enables(db_url: str, app, client: httpx.AsyncClient) -> None:
    async def invoke(*args: str) -> str:
        done = await run_cli(db_url, *args)
        assert done.returncode == 0, done.output
        return done.stdout

    v2 = await ApiClient.login(client, "v2")
    assert "disabled" in await invoke("integrators", "disable", TEST_INTEGRATOR)
    await _within(5, lambda: _status_is(v2, 401))
    await invoke("integrators", "enable", TEST_INTEGRATOR)
    await invoke("clients", "disable", DEMO_LOGIN["client_id"])
    await _within(5, lambda: _status_is(v2, 401))
    assert (await v2_login(client)).status_code == 401
    await invoke("clients", "enable", DEMO_LOGIN["client_id"])
    await _within(5, lambda: _status_is(v2, 200))
    missing = await run_cli(db_url, "integrators", "disable", "nobody")
    assert missing.returncode == 1 and "no integrator 'nobody'" in missing.output


async def _status_is(api: ApiClient, status: int) -> bool:
    return (await api.get("/orders")).status_code == status


async def test_unknown_v2_path_is_404_json_and_wrong_method_405(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/open-api/v2/nothing-here"), 404, "resource_not_found")
    assert_error(await client.delete("/open-api/v2/auth"), 405, "method_not_allowed")


async def test_every_v1_operation_is_served_under_v2(app) -> None:
    """The resource routers are mounted under both prefixes (v1-only paths, such as the receipts
    writes of orders.md, live outside that list and are allowed to differ)."""
    paths = app.openapi()["paths"]
    v1 = {
        (p.removeprefix("/open-api"), m)
        for p, ops in paths.items()
        for m in ops
        if p.startswith("/open-api/")
    }
    v2 = {
        (p.removeprefix("/open-api/v2"), m)
        for p, ops in paths.items()
        for m in ops
        if p.startswith("/open-api/v2/")
    }
    v1 -= {(p, m) for p, m in v1 if p.startswith("/v2/")}
    assert ("/orders", "post") in v1 and ("/orders", "post") in v2 and ("/auth", "post") in v2
    assert {(p, m) for p, m in v1 - v2 if not p.startswith("/receipts")} == set()  # v1-only writes
