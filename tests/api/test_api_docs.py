"""docs/api/README.md lists every operation of /openapi.json, and nothing else; no page refers outside the
repository."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/[^`]*)` \| (yes|—) \| (yes|—) \|", re.MULTILINE)
PREFIXES = {2: "/open-api", 3: "/open-api/v2"}


def documented() -> set[tuple[str, str]]:
    operations: set[tuple[str, str]] = set()
    for match in ROW.finditer((ROOT / "docs" / "api" / "README.md").read_text(encoding="utf-8")):
        method, path = match.group(1), match.group(2)
        prefixes = [PREFIXES[i] for i in (2, 3) if match.group(i + 1) == "yes"]
        operations |= {(method, prefix + path) for prefix in prefixes} if prefixes else {(method, path)}
    return operations


async def test_the_reference_lists_every_operation(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    served = {
        (method.upper(), path) for path, item in paths.items() for method in item if method != "parameters"
    }
    listed = documented()
    assert served - listed == set(), "operations missing from docs/api/README.md"
    assert listed - served == set(), "docs/api/README.md lists operations the server does not have"


def test_no_file_refers_outside_the_repository() -> None:
    tracked = [
        *ROOT.glob("*.md"),
        *ROOT.glob("docs/**/*.md"),
        *ROOT.glob("src/**/*.py"),
        *ROOT.glob("src/**/*.md"),
    ]
    tracked += [*ROOT.glob("tests/**/*.py"), ROOT / "pyproject.toml", ROOT / "Makefile"]
    needle = "../" + "shared"
    offenders = [
        str(path.relative_to(ROOT)) for path in tracked if needle in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
