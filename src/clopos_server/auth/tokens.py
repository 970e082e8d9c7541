"""Access tokens that verify without a database round trip.

v1: ``oauth_`` + base64url(JSON claims) + ``.`` + base64url(HMAC-SHA256 of the claims part).
The claims: ``c`` API client row id, ``u`` staff user, ``b`` brand id, ``v`` venue, ``exp``, ``jti``.

v2: a JWT (HS256, the same signing key) with the claims ``brand`` (brand id), ``venue`` (the brand's
main venue when issued), ``integrator``, ``client`` (API client row id), ``user``, ``iat``, ``exp``,
``jti``. The two shapes cannot be mistaken for each other: a v1 token is not a JWT, a JWT has no
``oauth_`` prefix, so a token of one generation is an ``Invalid token`` under the other.

A token that verified is remembered until its expiry (``_Verified``): integrators send the same token
with every request, and checking a JWT's signature again cost more CPU than the rest of the token check.
Only the signature and the claims are remembered; whether the client, the integrator or the brand may
still call is asked of the directory on every request (auth/context.py), so a revocation is still
honoured within the directory's refresh interval.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import jwt
import orjson

from clopos_server.errors import unauthorized
from clopos_server.kit.values import same_secret

log = logging.getLogger(__name__)

V1_PREFIX = "oauth_"
V2_ALGORITHM = "HS256"
V2_REQUIRED_CLAIMS = ("brand", "integrator", "client", "user", "iat", "exp", "jti")
MIN_KEY_BYTES = 32  # RFC 7518 3.2: an HS256 key of at least the hash size

# PyJWT warns on every encode/decode with a short key; the signer says it once at start-up instead.
warnings.filterwarnings("ignore", category=jwt.InsecureKeyLengthWarning)


@dataclass(frozen=True, slots=True)
class TokenClaims:
    client: int
    user: int
    brand: int
    venue: int
    exp: int
    jti: str
    integrator: str | None = None
    venue_known: bool = True  # v2: False when the brand had no venue at all when the token was issued


class _Verified:
    """Tokens that verified, with their claims, until they expire; at most ``size`` (the oldest go first)."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._claims: dict[str, TokenClaims] = {}

    def get(self, token: str, verify: Callable[[str], TokenClaims]) -> TokenClaims:
        claims = self._claims.get(token)
        if claims is None:
            claims = verify(token)  # raises for a bad token: nothing is remembered
            if len(self._claims) >= self.size:
                del self._claims[next(iter(self._claims))]
            self._claims[token] = claims
        elif claims.exp < time.time():
            del self._claims[token]
            raise unauthorized("Token expired")
        return claims


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    def __init__(self, key: bytes) -> None:
        self._key = key
        self._verified_v1 = _Verified()
        self._verified_v2 = _Verified()
        if len(key) < MIN_KEY_BYTES:
            log.warning(
                "CLOPOS_SECRET_KEY is shorter than %d bytes; HS256 (v2) tokens want a longer key",
                MIN_KEY_BYTES,
            )

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    def derive_key(self, purpose: str) -> bytes:
        """A key of its own for another use of the server secret (the board's session cookie)."""
        return hmac.new(self._key, f"clopos-derive:{purpose}".encode(), hashlib.sha256).digest()

    def issue_v1(self, *, client: int, user: int, brand: int, venue: int, ttl: int) -> tuple[str, int]:
        exp = int(time.time()) + ttl
        claims = {"c": client, "u": user, "b": brand, "v": venue, "exp": exp, "jti": secrets.token_hex(8)}
        body = _b64(orjson.dumps(claims))
        return f"{V1_PREFIX}{body}.{self._mac(body)}", exp

    def verify_v1(self, token: str) -> TokenClaims:
        return self._verified_v1.get(token, self._verify_v1)

    def _verify_v1(self, token: str) -> TokenClaims:
        if not token.startswith(V1_PREFIX) or token.count(".") != 1 or len(token) > 2048:
            raise unauthorized("Invalid token")
        body, mac = token[len(V1_PREFIX) :].split(".")
        if not same_secret(mac, self._mac(body)):
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

    def issue_v2(
        self, *, client: int, user: int, brand: int, venue: int | None, integrator: str, ttl: int
    ) -> tuple[str, int]:
        now = int(time.time())
        exp = now + ttl
        claims = {
            "brand": brand,
            "venue": venue,
            "integrator": integrator,
            "client": client,
            "user": user,
            "iat": now,
            "exp": exp,
            "jti": secrets.token_hex(8),
        }
        return jwt.encode(claims, self._key, algorithm=V2_ALGORITHM), exp

    def verify_v2(self, token: str) -> TokenClaims:
        return self._verified_v2.get(token, self._verify_v2)

    def _verify_v2(self, token: str) -> TokenClaims:
        if token.startswith(V1_PREFIX) or token.count(".") != 2 or len(token) > 4096:
            raise unauthorized("Invalid token")
        try:
            raw = jwt.decode(
                token,
                self._key,
                algorithms=[V2_ALGORITHM],
                # iat is informational: an instance whose clock runs a second behind the issuer's must
                # not refuse a fresh token as "not yet valid"
                options={"require": list(V2_REQUIRED_CLAIMS), "verify_iat": False},
                leeway=0,
            )
        except jwt.ExpiredSignatureError:
            raise unauthorized("Token expired") from None
        except jwt.InvalidTokenError:
            raise unauthorized("Invalid token") from None
        try:
            venue = raw.get("venue")
            integrator = raw["integrator"]
            if not isinstance(integrator, str) or isinstance(venue, bool):
                raise TypeError("integrator must be a string")
            return TokenClaims(
                client=int(raw["client"]),
                user=int(raw["user"]),
                brand=int(raw["brand"]),
                venue=int(venue) if venue is not None else 0,
                exp=int(raw["exp"]),
                jti=str(raw["jti"]),
                integrator=integrator,
                venue_known=venue is not None,
            )
        except (ValueError, KeyError, TypeError):
            raise unauthorized("Invalid token") from None
