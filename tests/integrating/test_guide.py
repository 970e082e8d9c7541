"""The shell examples of docs/integrating.md, run as written against a sandbox server (only the base URL
changed), from an empty directory."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from clopos_server.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "integrating.md"
pytestmark = pytest.mark.slow


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


def test_the_readme_walkthrough(sandbox: Sandbox) -> None:
    """README's walkthrough, run twice from the checkout: 201 with the order as the page says, then the
    same answer replayed."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (walkthrough,) = [
        block for block in re.findall(r"```sh\n(.*?)```", readme, re.DOTALL) if "TOKEN=" in block
    ]
    script = "set -e\n" + walkthrough.replace("http://127.0.0.1:8000", sandbox.base_url)
    answers = []
    for _ in range(2):
        done = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        head, _, body = done.stdout.replace("\r\n", "\n").partition("\n\n")
        answers.append((head, json.loads(body)))
    (first_head, first), (second_head, second) = answers
    assert first_head.startswith("HTTP/1.1 201 Created") and "idempotent-replayed" not in first_head.lower()
    order = first["data"]
    assert (order["status"], order["total"], order["warnings"]) == ("PENDING", 16.2, [])
    assert order["payload"]["meta"]["orderTotal"] == "16.2000" and "pricing" in order
    assert "idempotent-replayed: true" in second_head.lower() and second == first
