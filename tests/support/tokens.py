"""Tokens for the fixtures' integrators, signed directly rather than earned at ``POST /auth`` each test.

A login costs an argon2 check (~10 ms of CPU with the production parameters) and a request; the suite's
``v1``/``api``/``other_api`` fixtures made one or two per test. ``TokenMint`` logs in for real once per
worker, database and login (so the credentials are still checked the way an integrator's are), keeps
the claims the server put in that token, and from then on signs tokens with the same claims through the
test's own app (its signer, its ``token_ttl``): what ``/auth`` would have answered. The tests of ``/auth``
itself log in with ``ApiClient.login``.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from clopos_server.auth.tokens import TokenClaims
from tests.support.api import ApiClient


class TokenMint:
    def __init__(self) -> None:
        self._claims: dict[tuple[str, str, str], TokenClaims] = {}
        self.logins = 0
        self.minted = 0

    async def client(self, app: FastAPI, http: httpx.AsyncClient, generation: str, **login: Any) -> ApiClient:
        """The demo integrator (``login`` overriding fields, as in ``ApiClient.login``) under
        ``generation``, holding a token the running ``app`` accepts."""
        services = app.state.services
        key = (services.settings.database_url, generation, repr(sorted(login.items())))
        claims = self._claims.get(key)
        if claims is None:
            client = await ApiClient.login(http, generation, **login)
            verify = services.signer.verify_v1 if generation == "v1" else services.signer.verify_v2
            self._claims[key] = verify(client.token)
            self.logins += 1
            return client
        self.minted += 1
        return ApiClient.with_token(http, _sign(app, generation, claims), generation, **login)


def _sign(app: FastAPI, generation: str, claims: TokenClaims) -> str:
    services = app.state.services
    ttl = services.settings.token_ttl
    if generation == "v1":
        token, _ = services.signer.issue_v1(
            client=claims.client, user=claims.user, brand=claims.brand, venue=claims.venue, ttl=ttl
        )
        return token
    assert claims.integrator is not None, "a v2 token names its integrator"
    token, _ = services.signer.issue_v2(
        client=claims.client,
        user=claims.user,
        brand=claims.brand,
        venue=claims.venue if claims.venue_known else None,
        integrator=claims.integrator,
        ttl=ttl,
    )
    return token
