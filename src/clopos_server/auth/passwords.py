"""Slow salted hashes (argon2id) for client secrets and staff passwords; plain values are never stored."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Parameters from argon2-cffi's RFC 9106 "low memory" profile, trimmed in time cost: an /auth call
# costs ~10 ms, and the per-IP /auth rate limit keeps guessing slow.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_secret(plain: str) -> str:
    return _hasher.hash(plain)


def verify_secret(stored_hash: str, plain: str) -> bool:
    try:
        return _hasher.verify(stored_hash, plain)
    except (VerificationError, InvalidHashError):
        return False


def new_secret(length: int = 48) -> str:
    """A fresh random secret of URL-safe characters."""
    return secrets.token_urlsafe(length)[:length]


# A real hash to verify against when the client id is unknown, so timing does not reveal which ids exist.
DUMMY_HASH = _hasher.hash("no-such-client")
