"""Access tokens that verify without a database round trip.

v1: ``oauth_`` + base64url(JSON claims) + ``.`` + base64url(HMAC-SHA256 of the claims part).
The claims: ``c`` API client row id, ``u`` staff user, ``b`` brand id, ``v`` venue, ``exp``, ``jti``
(and ``i``, the integrator, on v2 tokens).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import orjson

from clopos_server.api.errors import unauthorized

V1_PREFIX = "oauth_"


@dataclass(frozen=True, slots=True)
class TokenClaims:
    client: int
    user: int
    brand: int
    venue: int
    exp: int
    jti: str
    integrator: str | None = None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    def issue_v1(self, *, client: int, user: int, brand: int, venue: int, ttl: int) -> tuple[str, int]:
        exp = int(time.time()) + ttl
        claims = {"c": client, "u": user, "b": brand, "v": venue, "exp": exp, "jti": secrets.token_hex(8)}
        body = _b64(orjson.dumps(claims))
        return f"{V1_PREFIX}{body}.{self._mac(body)}", exp

    def verify_v1(self, token: str) -> TokenClaims:
        if not token.startswith(V1_PREFIX) or token.count(".") != 1 or len(token) > 2048:
            raise unauthorized("Invalid token")
        body, mac = token[len(V1_PREFIX) :].split(".")
        if not hmac.compare_digest(mac, self._mac(body)):
            raise unauthorized("Invalid token")
        try:
            raw = orjson.loads(_unb64(body))
            claims = TokenClaims(
                client=int(raw["c"]),
                user=int(raw["u"]),
                brand=int(raw["b"]),
                venue=int(raw["v"]),
                exp=int(raw["exp"]),
                jti=str(raw["jti"]),
            )
        except (ValueError, KeyError, TypeError):
            raise unauthorized("Invalid token") from None
        if claims.exp < time.time():
            raise unauthorized("Token expired")
        return claims
