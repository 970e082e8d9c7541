"""Slow salted hashes (argon2id) for client secrets and staff passwords; plain values are never stored."""

from __future__ import annotations

import os
import secrets

from anyio import CapacityLimiter, to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Parameters from argon2-cffi's RFC 9106 "low memory" profile, trimmed in time cost: an /auth call
# costs ~10 ms, and the per-IP /auth rate limit keeps guessing slow.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_secret(plain: str) -> str:
    return _hasher.hash(plain)


# Each argon2 check takes ~19 MiB and a core for ~10 ms. Without a cap, a burst of /auth calls or sign-ins
# runs one per thread-pool thread at once (40 by default): hundreds of MiB per worker, no faster.
_HASHING_SLOTS = CapacityLimiter(os.cpu_count() or 2)


async def verify_secret_async(stored_hash: str, plain: str) -> bool:
    """``verify_secret`` off the event loop, at most one check per core at a time."""
    return await to_thread.run_sync(verify_secret, stored_hash, plain, limiter=_HASHING_SLOTS)


async def hash_secret_async(plain: str) -> str:
    """``hash_secret`` off the event loop, sharing the same cap."""
    return await to_thread.run_sync(hash_secret, plain, limiter=_HASHING_SLOTS)


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
