"""The sealer keeps what it opened (every attempt signs with its endpoint's secret), without ever opening
a box that its own key did not seal."""

from __future__ import annotations

import pytest

from clopos_server.webhooks.secrets import Sealer, SecretUnreadable, new_secret


def test_a_box_opens_to_its_secret_again_and_again() -> None:
    sealer = Sealer(b"k" * 32)
    secret = new_secret()
    box = sealer.seal(secret)
    assert sealer.seal(secret) != box  # a fresh nonce each time
    assert [sealer.open(box) for _ in range(3)] == [secret] * 3


def test_another_servers_key_cannot_open_a_box_even_one_opened_before() -> None:
    ours, theirs = Sealer(b"k" * 32), Sealer(b"x" * 32)
    box = ours.seal(new_secret())
    ours.open(box)
    with pytest.raises(SecretUnreadable):
        theirs.open(box)


def test_the_kept_secrets_are_bounded() -> None:
    sealer = Sealer(b"k" * 32)
    secrets = [new_secret() for _ in range(Sealer.OPENED_KEPT + 5)]
    boxes = [sealer.seal(secret) for secret in secrets]
    assert [sealer.open(box) for box in boxes] == secrets
    assert len(sealer._opened) <= Sealer.OPENED_KEPT
    assert [sealer.open(box) for box in boxes[:5]] == secrets[:5]
