"""The shell examples of docs/integrating.md, run as written against a sandbox server (only the base URL
changed), from an empty directory."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from clopos_server.sandbox import Sandbox, start_sandbox

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "integrating.md"
pytestmark = pytest.mark.slow


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    running = start_sandbox(template_dir=tmp_path)
    yield running
    running.stop()


def test_the_guides_shell_examples(sandbox: Sandbox, tmp_path: Path) -> None:
    blocks = re.findall(r"```sh\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.DOTALL)
    api_blocks = [block for block in blocks if re.search(r"\$BASE\b", block)]
    assert len(api_blocks) == 3
    one_answer_per_line = 'curl() { command curl "$@"; echo; }\n'
    script = "set -e\n" + one_answer_per_line + "\n".join(api_blocks)
    script = script.replace("http://127.0.0.1:8000", sandbox.base_url)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    done = subprocess.run(
        ["bash", "-c", script], cwd=empty, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert all(answer["success"] for answer in answers), answers
    products, accepted, *armed, listed, cleared = answers
    assert len(products["data"]) == 2
    assert accepted["message"] == "Order accepted" and accepted["data"]["status"] == "RECEIVED"
    assert [rule["message"] for rule in armed] == ["Fault armed"] * 3
    assert [rule["action"] for rule in listed["data"]] == ["lose_answer", "fail", "delay_ms"]
    assert cleared["data"] == {"cleared": 3}
