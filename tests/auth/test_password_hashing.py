"""The argon2 parameters: standard unless ``CLOPOS_PASSWORD_HASHING`` says otherwise, and a stored hash is
checked with its own parameters whatever the setting (the suite itself runs with ``cheapest``)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from clopos_server.auth.passwords import HASHING_ENV, PROFILES, hashing_profile, verify_secret

STANDARD_PREFIX = "$argon2id$v=19$m=19456,t=2,p=1$"


def _hashes_in_a_process(**env: str) -> list[str]:
    """A new secret's hash and the stand-in hash for unknown ids, made by a process with ``env``."""
    clean = {name: value for name, value in os.environ.items() if name != HASHING_ENV}
    code = (
        "from clopos_server.auth.passwords import dummy_hash, hash_secret\n"
        "print(hash_secret('a secret'))\nprint(dummy_hash())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=clean | env, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.split()


def test_the_standard_parameters_are_the_default() -> None:
    hashes = _hashes_in_a_process()
    assert len(hashes) == 2 and all(h.startswith(STANDARD_PREFIX) for h in hashes), hashes


def test_the_cheapest_profile_is_only_taken_when_named() -> None:
    hashes = _hashes_in_a_process(**{HASHING_ENV: "cheapest"})
    assert len(hashes) == 2 and all(h.startswith("$argon2id$v=19$m=8,t=1,p=1$") for h in hashes), hashes


def test_an_unknown_profile_is_refused_with_the_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HASHING_ENV, "md5")
    expected = r"CLOPOS_PASSWORD_HASHING='md5': expected one of standard, cheapest"
    with pytest.raises(ValueError, match=expected):
        hashing_profile()


def test_a_stored_hash_is_checked_with_its_own_parameters() -> None:
    stored = PROFILES["standard"].hash("the secret")
    assert stored.startswith(STANDARD_PREFIX)
    assert verify_secret(stored, "the secret")
    assert not verify_secret(stored, "not the secret")
    assert not verify_secret("not a hash", "the secret")
