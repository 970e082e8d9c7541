"""Slow salted hashes (argon2id) for client secrets and staff passwords; plain values are never stored.

``CLOPOS_PASSWORD_HASHING`` picks the parameters of new hashes and of the stand-in hash that unknown ids
are checked against: ``standard`` (the default) or ``cheapest``, argon2-cffi's profile for test suites (a
check in microseconds instead of ~10 ms, and no protection at all). A stored hash is always checked with
the parameters it records, whatever the setting. The suite runs with ``cheapest`` (tests/conftest.py):
logins, sign-ins and the schemathesis run's ``/auth`` cases spent minutes of CPU on argon2.
"""

from __future__ import annotations

import functools
import os
import secrets

from anyio import CapacityLimiter, to_thread
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

HASHING_ENV = "CLOPOS_PASSWORD_HASHING"
PROFILES = {
    # argon2-cffi's RFC 9106 "low memory" profile, trimmed in time cost: an /auth call costs ~10 ms, and
    # the per-IP /auth rate limit keeps guessing slow.
    "standard": PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1),
    "cheapest": PasswordHasher.from_parameters(profiles.CHEAPEST),
}


def hashing_profile() -> str:
    """The profile ``CLOPOS_PASSWORD_HASHING`` names; a ValueError that lists the choices otherwise."""
    name = os.environ.get(HASHING_ENV, "standard").strip().lower() or "standard"
    if name not in PROFILES:
        raise ValueError(f"{HASHING_ENV}={name!r}: expected one of {', '.join(PROFILES)}")
    return name


@functools.cache
def _hasher() -> PasswordHasher:
    return PROFILES[hashing_profile()]


def hash_secret(plain: str) -> str:
    return _hasher().hash(plain)


@functools.cache
def dummy_hash() -> str:
    """A real hash to check against when the id is unknown, so that timing does not reveal which ids exist.
    Made on first use: most processes (the CLI's commands) never check a secret."""
    return _hasher().hash("no-such-client")


# Each argon2 check takes ~19 MiB and a core for ~10 ms. Without a cap, a burst of /auth calls or sign-ins
# runs one per thread-pool thread at once (40 by default): hundreds of MiB per worker, no faster.
_HASHING_SLOTS = CapacityLimiter(os.cpu_count() or 2)


async def verify_secret_async(stored_hash: str | None, plain: str) -> bool:
    """``verify_secret`` off the event loop, at most one check per core at a time. With no stored hash
    (an unknown id, a user without a password) the check runs against :func:`dummy_hash` and fails."""
    if stored_hash is None:
        await to_thread.run_sync(verify_secret, dummy_hash(), plain, limiter=_HASHING_SLOTS)
        return False
    return await to_thread.run_sync(verify_secret, stored_hash, plain, limiter=_HASHING_SLOTS)


async def hash_secret_async(plain: str) -> str:
    """``hash_secret`` off the event loop, sharing the same cap."""
    return await to_thread.run_sync(hash_secret, plain, limiter=_HASHING_SLOTS)


def verify_secret(stored_hash: str, plain: str) -> bool:
    try:
        return _hasher().verify(stored_hash, plain)
    except (VerificationError, InvalidHashError):
        return False


def new_secret(length: int = 48) -> str:
    """A fresh random secret of URL-safe characters."""
    return secrets.token_urlsafe(length)[:length]
