"""A token that verified is remembered until its expiry (auth/tokens.py): it is still refused once it
expires, and the directory's checks (a disabled client) still apply to it on every request."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from tests.support.api import DEMO_LOGIN, TEST_INTEGRATOR, V1Client, assert_error

from clopos_server.auth.admin import set_client_enabled


@pytest.mark.parametrize("generation", ["v1", "v2"])
async def test_a_remembered_token_expires(
    app, client: httpx.AsyncClient, v1: V1Client, generation: str
) -> None:
    signer = app.state.services.signer
    claims = signer.verify_v1(v1.token)
    if generation == "v1":
        token, exp = signer.issue_v1(
            client=claims.client, user=claims.user, brand=claims.brand, venue=claims.venue, ttl=2
        )
        path, headers = "/open-api/orders", {**v1.headers(), "x-token": token}
    else:
        token, exp = signer.issue_v2(
            client=claims.client,
            user=claims.user,
            brand=claims.brand,
            venue=1,
            integrator=TEST_INTEGRATOR,
            ttl=2,
        )
        path, headers = "/open-api/v2/orders", {"x-token": token}
    assert (await client.get(path, headers=headers)).status_code == 200  # verified, now remembered
    assert (await client.get(path, headers=headers)).status_code == 200
    await asyncio.sleep(max(0.0, exp - time.time()) + 0.2)
    answer = await client.get(path, headers=headers)
    assert assert_error(answer, 401, "unauthorized")["message"] == "Token expired"


async def test_a_remembered_token_of_a_disabled_client_is_refused(app, v1: V1Client) -> None:
    services = app.state.services
    assert (await v1.get("/orders")).status_code == 200  # verified, now remembered
    await set_client_enabled(services.db, DEMO_LOGIN["client_id"], False)
    await services.directory.refresh(services.db)  # what the background refresh does every few seconds
    assert assert_error(await v1.get("/orders"), 401, "unauthorized")["message"] == "Client is disabled"
    await set_client_enabled(services.db, DEMO_LOGIN["client_id"], True)
    await services.directory.refresh(services.db)
    assert (await v1.get("/orders")).status_code == 200


def test_a_forged_token_is_never_remembered(app) -> None:
    signer = app.state.services.signer
    for _ in range(2):
        with pytest.raises(Exception, match="Invalid token"):
            signer.verify_v1("oauth_e30.bm90LWEtbWFj")
