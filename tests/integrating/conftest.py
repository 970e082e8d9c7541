"""The sandbox the guide's and the API pages' examples run against: a server on its own SQLite copy of the
demo, started per test. Its template (migrated and seeded: 0.7 s of CPU to build) is built once per worker
in the session's directory and copied for each test, as a user's sandboxes share theirs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clopos_server.sandbox import Sandbox, start_sandbox


@pytest.fixture
def sandbox(tmp_root: Path) -> Iterator[Sandbox]:
    running = start_sandbox(template_dir=tmp_root)
    yield running
    running.stop()
