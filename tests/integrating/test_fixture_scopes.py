"""The plugin's scopes, run by pytest in a subprocess: one server per session by default, one per test on
request (each isolated, each after the first started in well under a second)."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.slow

TESTS = """
import time
from pathlib import Path

import clopos_server as clopos_server_testing

SEEN = []


def test_a(clopos_server):
    SEEN.append(clopos_server.base_url)
    assert clopos_server.request("POST", "/orders", json=clopos_server.example()).status == 201


def test_b(clopos_server):
    SEEN.append(clopos_server.base_url)
    orders = clopos_server.request("GET", "/orders").body["total"]
    assert orders == (1 if SEEN[0] == SEEN[1] else 0)


def test_c(clopos_server_factory):
    started = time.monotonic()
    other = clopos_server_factory()
    assert time.monotonic() - started < 1.0
    assert other.base_url not in SEEN and other.request("GET", "/orders").body["total"] == 0


def test_d(clopos_server_factory):
    document = Path(clopos_server_testing.__file__).parent / "demo" / "demo-other.json"
    server = clopos_server_factory(brands=[document])
    login = {"client_id": "demo-other-client", "client_secret": "demo-other-secret-0123456789",
             "brand": "demo-other", "venue_id": 1}
    production = server.as_client(v1=login)
    assert production.request("GET", "/venues").status == 200
    assert production.request("GET", "/test-helpers/faults").status == 403  # a production brand
    assert server.request("POST", "/auth", json=server.v1, auth=False).status == 401  # no demo here
"""


@pytest.mark.parametrize("scope", ["session", "function"])
def test_scopes(pytester: pytest.Pytester, scope: str) -> None:
    pytester.makepyfile(test_integration=TESTS)
    installed = any(ep.value == "clopos_server.testing" for ep in entry_points(group="pytest11"))
    load = [] if installed else ["-p", "clopos_server.testing"]  # an editable install made before the plugin
    result = pytester.runpytest_subprocess(*load, f"--clopos-server-scope={scope}", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
