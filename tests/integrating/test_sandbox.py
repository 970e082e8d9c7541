"""``clopos-server sandbox``: one line of JSON with the base URL and credentials, a working server, and
nothing left behind after SIGTERM or SIGINT."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_sandbox_prints_json_serves_and_cleans_up(signum: int, tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "clopos_server.cli", "sandbox"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=tmp_path,  # works from any directory
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        sandbox = json.loads(line)
        base = sandbox["base_url"]
        assert base.startswith("http://127.0.0.1:")
        database = Path(make_url(sandbox["database"]).database or "")
        assert database.exists()
        assert httpx.get(f"{base}/readyz", timeout=10).status_code == 200
        for generation in ("v1", "v2"):
            login = sandbox[generation]
            answer = httpx.post(f"{base}{login['prefix']}/auth", json=login["auth"], timeout=10)
            assert answer.status_code == 200 and answer.json()["token"], answer.text
        process.send_signal(signum)
        assert process.wait(timeout=30) in (0, -signum, 128 + signum)
        assert not database.parent.exists()
        assert list(tmp_path.iterdir()) == []  # nothing written where it was started
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
