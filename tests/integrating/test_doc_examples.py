"""The shell examples of the API pages, run in order against a sandbox (base URL changed, nothing else):
every command runs, every ``"key":value`` that the comment under it shows is in its real answer, and a
command shown without an answer succeeds."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from clopos_server.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    "docs/api/catalog.md",
    "docs/api/customers.md",
    "docs/api/v1-to-v2.md",
    "docs/api/inventory.md",
    "docs/api/access.md",
    "docs/api/waiter-call.md",
    "docs/api/finance.md",
]
PAIR = re.compile(r'"(\w+)":("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|null)')
MARK = "@@@command@@@"
pytestmark = pytest.mark.slow


def commands(page: str) -> list[tuple[str, list[str]]]:
    """(command, the comment lines under it) for every command of the page's ``sh`` blocks, in order."""
    found: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```sh\n(.*?)```", (ROOT / page).read_text(encoding="utf-8"), re.DOTALL):
        pending = ""
        for line in block.splitlines():
            if line.startswith("#") and not pending:
                if found:
                    found[-1][1].append(line.lstrip("# "))
            elif line.strip():
                pending += line + "\n"
                if not line.rstrip().endswith("\\") and not _open_quote(pending):
                    found.append((pending, []))
                    pending = ""
    return found


def _open_quote(text: str) -> bool:
    return text.count("'") % 2 == 1


def values(node: Any) -> set[tuple[str, str]]:
    """Every (key, JSON value) pair anywhere in an answer."""
    pairs: set[tuple[str, str]] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if not isinstance(value, dict | list):
                pairs.add((key, json.dumps(value, ensure_ascii=False, separators=(",", ":"))))
            pairs |= values(value)
    elif isinstance(node, list):
        for item in node:
            pairs |= values(item)
    return pairs


@pytest.mark.parametrize("page", PAGES)
def test_the_pages_examples(sandbox: Sandbox, page: str) -> None:
    steps = commands(page)
    if not any("TOKEN=" in command for command, _ in steps):  # the page goes on from the catalogue's setup
        setup = [step for step in commands(PAGES[0]) if not step[0].startswith(("api ", "curl ", "clopos"))]
        steps = setup + steps
    script = "set -e\n" + "".join(f"echo {MARK}\n{command}echo\n" for command, _ in steps)
    script = script.replace("http://127.0.0.1:8000", sandbox.base_url)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "CLOPOS_DATABASE_URL": sandbox.database_url,
    }
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    outputs = done.stdout.split(MARK + "\n")[1:]
    assert len(outputs) == len(steps)
    for (command, shown), output in zip(steps, outputs, strict=True):
        if not output.lstrip().startswith("{"):
            continue
        answer = json.loads(output)
        if not shown:  # a command the page shows no answer for must simply work
            assert answer.get("success") is True, f"{page}: {command.strip()}\n  answer: {output[:600]}"
            continue
        real = values(answer)
        for key, value in PAIR.findall(" ".join(shown)):
            normalised = json.dumps(json.loads(value), ensure_ascii=False, separators=(",", ":"))
            assert (key, normalised) in real, (
                f"{page}: {command.strip()}\n  shows {key}: {value}\n  answer: {output[:600]}"
            )
