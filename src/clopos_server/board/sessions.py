"""The board's session cookie and CSRF tokens, signed with HMAC-SHA256 (stdlib only).

The cookie holds ``{sid, user, brand, pw, exp}``: a random session id, the staff user and brand once
signed in (both ``None`` before: the anonymous session that carries the sign-in form's CSRF token), a tag
of the password hash the user signed in with (so that ``users set-password`` ends every other session),
and an expiry. Its MAC key is derived from the server's signing key, so every instance accepts it.

The CSRF token is a MAC of the session id: bound to one session, checked on every POST, never stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import orjson

from clopos_server.kit.values import same_secret

COOKIE_NAME = "clopos_board"
COOKIE_PATH = "/board"
SESSION_SECONDS = 12 * 3600  # one long shift
ANONYMOUS_SECONDS = 3600  # the sign-in form's session


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class BoardSession:
    sid: str
    user_id: int | None
    brand_id: int | None
    password_tag: str
    expires: int

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None and self.brand_id is not None


class SessionCodec:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, purpose: str, text: str) -> str:
        return _b64(hmac.new(self._key, f"{purpose}:{text}".encode(), hashlib.sha256).digest())

    def new_anonymous(self) -> BoardSession:
        return BoardSession(secrets.token_urlsafe(18), None, None, "", int(time.time()) + ANONYMOUS_SECONDS)

    def new_signed_in(self, user_id: int, brand_id: int, password_hash: str) -> BoardSession:
        """A fresh session id at sign-in, so that a session id known before it is worth nothing after."""
        return BoardSession(
            secrets.token_urlsafe(18),
            user_id,
            brand_id,
            self.password_tag(password_hash),
            int(time.time()) + SESSION_SECONDS,
        )

    def encode(self, session: BoardSession) -> str:
        body = _b64(
            orjson.dumps(
                {
                    "sid": session.sid,
                    "u": session.user_id,
                    "b": session.brand_id,
                    "pw": session.password_tag,
                    "exp": session.expires,
                }
            )
        )
        return f"{body}.{self._mac('session', body)}"

    def decode(self, value: str | None) -> BoardSession | None:
        """The session in a cookie value, or ``None`` when it is absent, forged, malformed or expired."""
        if not value or value.count(".") != 1:
            return None
        body, mac = value.split(".")
        if not same_secret(mac, self._mac("session", body)):
            return None
        try:
            data = orjson.loads(_unb64(body))
            session = BoardSession(
                str(data["sid"]),
                None if data["u"] is None else int(data["u"]),
                None if data["b"] is None else int(data["b"]),
                str(data["pw"]),
                int(data["exp"]),
            )
        except (ValueError, KeyError, TypeError):
            return None
        if session.expires < time.time():
            return None
        return session

    def csrf_token(self, session: BoardSession) -> str:
        return self._mac("csrf", session.sid)

    def check_csrf(self, session: BoardSession, token: str | None) -> bool:
        return bool(token) and same_secret(str(token), self.csrf_token(session))

    def password_tag(self, password_hash: str) -> str:
        return self._mac("password", password_hash)[:22]

    def password_matches(self, session: BoardSession, password_hash: str | None) -> bool:
        return password_hash is not None and same_secret(
            session.password_tag, self.password_tag(password_hash)
        )
