"""Endpoint secrets: made, sealed for storage, and used to sign (Standard Webhooks).

A secret is ``whsec_`` + base64 of 24 random bytes; the HMAC key is those 24 bytes. The server has to
compute HMACs with it on every attempt, so it cannot be stored as a hash the way API client secrets are.
It is stored sealed instead: AES-256-GCM under a key derived (``TokenSigner.derive_key``: HMAC-SHA256
with a fixed purpose) from the server's secret key (``CLOPOS_SECRET_KEY``, or the one generated once and
kept in ``server_secrets``). A copy of the webhook tables alone then reveals no secret; with
``CLOPOS_SECRET_KEY`` set, neither does a copy of the whole database. Changing ``CLOPOS_SECRET_KEY``
makes the stored secrets unreadable: their attempts are recorded with that error until the secret is
rotated (docs/webhooks.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as random
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "whsec_"
SECRET_BYTES = 24
_NONCE_BYTES = 12
SEALING_PURPOSE = "webhook-endpoint-secrets-v1"  # what TokenSigner.derive_key is given for the key


class SecretUnreadable(Exception):
    """A sealed secret that this server's key does not open (the server's secret key changed)."""


def new_secret() -> str:
    return PREFIX + base64.b64encode(random.token_bytes(SECRET_BYTES)).decode()


def key_of(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret: its base64-decoded bytes."""
    return base64.b64decode(secret.removeprefix(PREFIX))


class Sealer:
    """Seals and opens endpoint secrets with a 32-byte key derived from the server's secret key.

    Every attempt signs with its endpoint's secret: a box opened once is kept (up to ``OPENED_KEPT``
    boxes, then forgotten all at once), since opening one (AES-GCM, a new cipher context) cost 2.5-3.5% of
    a sending worker's CPU. A box is sealed once and never changes (a rotation writes a new one), so a
    kept secret is never stale; it is no more exposed than while it signs."""

    OPENED_KEPT = 1024

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)
        self._opened: dict[str, str] = {}

    def seal(self, secret: str) -> str:
        nonce = random.token_bytes(_NONCE_BYTES)
        return base64.b64encode(nonce + self._aead.encrypt(nonce, secret.encode(), None)).decode()

    def open(self, box: str) -> str:
        secret = self._opened.get(box)
        if secret is None:
            raw = base64.b64decode(box)
            try:
                secret = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], None).decode()
            except InvalidTag as exc:
                raise SecretUnreadable("the endpoint's secret was sealed under another server key") from exc
            if len(self._opened) >= self.OPENED_KEPT:
                self._opened.clear()
            self._opened[box] = secret
        return secret


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,`` + base64 HMAC-SHA256 of ``{id}.{timestamp}.{body}`` (Standard Webhooks)."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key_of(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets: Iterable[str], message_id: str, timestamp: int, body: bytes) -> str:
    """Every secret's signature, space-separated: during a rotation's overlap both verify."""
    return " ".join(signature(secret, message_id, timestamp, body) for secret in secrets)


def signed_headers(secrets: Iterable[str], message_id: str, body: bytes, timestamp: int) -> dict[str, str]:
    """The three Standard Webhooks headers of one attempt."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets, message_id, timestamp, body),
    }
