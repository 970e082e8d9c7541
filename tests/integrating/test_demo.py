"""The demo works anywhere: the commands ``serve --demo`` prints run from any directory, and ``GET /`` is a
landing page pointing at the docs, the board, the demo's credentials and the guide."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest

from clopos_server.cli import demo_help
from clopos_server.demo import DEMO_CLIENT_SECRET
from clopos_server.sandbox import Sandbox


def _commands(text: str) -> str:
    """The shell lines of the help (those after "Get a token:"), continuation lines joined."""
    lines = text.split("Get a token:", 1)[1].splitlines()
    shell = [line.strip() for line in lines if line.startswith("  ")]
    return "\n".join(shell).replace("\\\n", " ")


@pytest.mark.slow
def test_the_printed_commands_work_from_an_empty_directory(sandbox: Sandbox, tmp_path: Path) -> None:
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    script = "set -e\n" + _commands(demo_help(sandbox.base_url))
    done = subprocess.run(["bash", "-c", script], cwd=empty, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["success"] is True and answer["message"] == "Order created", answer
    assert answer["data"]["status"] == "PENDING" and answer["data"]["venue_id"] == 1


async def test_the_landing_page(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for link in ('href="/docs"', 'href="/guide"', 'href="http://testserver/board/login?brand=openapitest"'):
        assert link in page.text
    assert DEMO_CLIENT_SECRET in page.text and "owner-demo-1" in page.text
    guide = await client.get("/guide")
    assert guide.status_code == 200 and guide.headers["content-type"].startswith("text/markdown")
    assert guide.text == (Path(__file__).parents[2] / "docs" / "integrating.md").read_text(encoding="utf-8")
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/" not in paths and "/guide" not in paths
