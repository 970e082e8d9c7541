"""The pytest plugin shipped with the package (entry point ``pytest11``): ``pip install clopos-server`` gives
an integrator's suite a ``clopos_server`` fixture, an isolated server to test against.

Each server has its own SQLite file and a free port on 127.0.0.1, and holds the demo brands (or the brand
documents named by the ``clopos_server_brands`` ini option). By default one server serves the whole
session; ``clopos_server_scope = function`` in the ini file (or ``--clopos-server-scope=function``) gives
each test its own. ``clopos_server_factory`` starts more, e.g. one per brand document.

The fixture is a :class:`CloposServer`: the base URL, the v1 and v2 credentials, ready headers, and
helpers for the venue's side (accept, ignore, deliver, close a receipt) and for failure rehearsal
(faults). It uses only the standard library to talk HTTP, so the suite may use any client it likes.
Nothing here is imported until a test asks for the fixture.
"""

from __future__ import annotations

import copy
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

PREFIXES = {"v1": "/open-api", "v2": "/open-api/v2"}


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: its status, headers (lower-case names) and parsed JSON body (None if not JSON)."""

    status: int
    headers: dict[str, str]
    body: Any

    @property
    def data(self) -> Any:
        """The ``data`` of a success envelope."""
        return self.body["data"]


@dataclass
class CloposServer:
    """A running server and the demo integrator's ways in. ``generation`` is ``"v1"`` or ``"v2"``."""

    base_url: str
    credentials: dict[str, Any]
    _tokens: dict[str, str] = field(default_factory=dict, repr=False)
    _stop: Callable[[], None] | None = field(default=None, repr=False)

    @property
    def brand(self) -> str:
        brand: str = self.credentials["brand"]
        return brand

    @property
    def venue_id(self) -> int:
        venue: int = self.credentials["venue_id"]
        return venue

    @property
    def v1(self) -> dict[str, Any]:
        """The v1 login body (``client_id``, ``client_secret``, ``brand``, ``venue_id``)."""
        login: dict[str, Any] = self.credentials["v1"]["auth"]
        return login

    @property
    def v2(self) -> dict[str, Any]:
        """The v2 login body (``client_id``, ``client_secret``, ``brand``, ``integrator_id``)."""
        login: dict[str, Any] = self.credentials["v2"]["auth"]
        return login

    def as_client(self, v1: dict[str, Any] | None = None, v2: dict[str, Any] | None = None) -> CloposServer:
        """The same server seen by another client: ``v1`` and ``v2`` are its login bodies (a client of a
        brand document you loaded). The original keeps owning the server."""
        credentials = copy.deepcopy(self.credentials)
        for generation, login in (("v1", v1), ("v2", v2)):
            if login is not None:
                credentials[generation]["auth"] = dict(login)
                credentials["brand"] = login["brand"]
                credentials["venue_id"] = int(login.get("venue_id", credentials["venue_id"]))
        return CloposServer(self.base_url, credentials)

    def url(self, path: str, generation: str = "v1") -> str:
        """The full URL of an API path (``/orders``) under the generation's prefix."""
        return f"{self.base_url}{PREFIXES[generation]}{path}"

    def token(self, generation: str = "v1") -> str:
        """A token of the demo integrator (logged in once per server and generation)."""
        if generation not in self._tokens:
            login = self.v1 if generation == "v1" else self.v2
            answer = self.request("POST", "/auth", json=login, generation=generation, auth=False)
            if answer.status != 200:
                raise RuntimeError(f"login failed: {answer.status} {answer.body}")
            self._tokens[generation] = answer.body["token"]
        return self._tokens[generation]

    def headers(self, generation: str = "v1", **extra: str) -> dict[str, str]:
        """Ready headers: v1 sends ``x-token``, ``x-brand`` and ``x-venue``; v2 ``x-token`` only."""
        headers = {"Content-Type": "application/json", "x-token": self.token(generation)}
        if generation == "v1":
            headers.update({"x-brand": self.brand, "x-venue": str(self.venue_id)})
        return {**headers, **extra}

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
        generation: str = "v1",
        auth: bool = True,
    ) -> Answer:
        """Send one request to an API path (``/orders``) and return its answer, whatever its status."""
        sent = {
            **(self.headers(generation) if auth else {"Content-Type": "application/json"}),
            **(headers or {}),
        }
        data = None if json is None else _dumps(json)
        url = self.url(path, generation)
        request = urllib.request.Request(url, data=data, headers=sent, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (our own http URL)
                return _answer(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return _answer(error.code, dict(error.headers), error.read())

    # ------------------------------------------------------------------ the venue's side (test helpers)

    def _helper(self, path: str, body: Any = None, generation: str = "v1") -> Any:
        answer = self.request("POST", f"/test-helpers{path}", json=body, generation=generation)
        if answer.status != 200:
            raise AssertionError(f"test helper {path} answered {answer.status}: {answer.body}")
        return answer.data

    def accept(self, order_id: int, generation: str = "v1") -> dict[str, Any]:
        """Accept a PENDING order as the venue does: RECEIVED, with its open receipt."""
        order: dict[str, Any] = self._helper(f"/orders/{order_id}/accept", generation=generation)
        return order

    def ignore(self, order_id: int, generation: str = "v1") -> dict[str, Any]:
        order: dict[str, Any] = self._helper(f"/orders/{order_id}/ignore", generation=generation)
        return order

    def deliver(self, order_id: int, generation: str = "v1") -> dict[str, Any]:
        order: dict[str, Any] = self._helper(f"/orders/{order_id}/deliver", generation=generation)
        return order

    def close_receipt(
        self, receipt_id: int, body: dict[str, Any] | None = None, generation: str = "v1"
    ) -> dict[str, Any]:
        """Close a receipt (no body: its total in the venue's first payment method)."""
        receipt: dict[str, Any] = self._helper(f"/receipts/{receipt_id}/close", body, generation)
        return receipt

    # ------------------------------------------------------------------------------ failure rehearsal

    def arm_fault(
        self, method: str, path: str, action: str, *, times: int = 1, **fields: Any
    ) -> dict[str, Any]:
        """Arm a fault rule: ``action`` is ``lose_answer``, ``fail`` (with ``status=``, ``retry_after=``)
        or ``delay_ms`` (with ``delay_ms=``); ``path`` is a glob such as ``/orders`` or ``/orders/*``."""
        body = {"match": {"method": method, "path": path}, "times": times, "action": action, **fields}
        answer = self.request("POST", "/test-helpers/faults", json=body)
        if answer.status != 201:
            raise AssertionError(f"arming a fault answered {answer.status}: {answer.body}")
        rule: dict[str, Any] = answer.data
        return rule

    def faults(self) -> list[dict[str, Any]]:
        rules: list[dict[str, Any]] = self.request("GET", "/test-helpers/faults").data
        return rules

    def clear_faults(self) -> int:
        cleared: int = self.request("DELETE", "/test-helpers/faults").data["cleared"]
        return cleared

    # ---------------------------------------------------------------------------------------- examples

    @staticmethod
    def example(name: str = "create-order.v1.request.json") -> Any:
        """A body from the package's examples (the documented create-order request by default)."""
        from clopos_server.api.openapi import example

        return example(name)

    def stop(self) -> None:
        if self._stop is not None:
            self._stop()
            self._stop = None


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def _answer(status: int, headers: dict[str, str], raw: bytes) -> Answer:
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode(errors="replace")
    return Answer(status, {name.lower(): value for name, value in headers.items()}, body)


# -------------------------------------------------------------------------------------------- the plugin


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("clopos-server")
    group.addoption(
        "--clopos-server-scope",
        choices=("session", "function"),
        default=None,
        help="one clopos_server per session (default) or per test",
    )
    parser.addini("clopos_server_scope", "session (default) or function: how long one clopos_server lives")
    parser.addini("clopos_server_brands", "brand documents (JSON) to load instead of the demo", type="paths")


def _scope(fixture_name: str, config: pytest.Config) -> str:
    scope: str = (
        config.getoption("--clopos-server-scope") or config.getini("clopos_server_scope") or "session"
    )
    return scope


def _start(factory: pytest.TempPathFactory, brands: list[Path]) -> CloposServer:
    from clopos_server.sandbox import start_sandbox

    documents = [json.loads(Path(path).read_text(encoding="utf-8")) for path in brands]
    templates = factory.getbasetemp() / "clopos-server-templates"
    templates.mkdir(exist_ok=True)
    running = start_sandbox(template_dir=templates, documents=documents, parent=factory.getbasetemp())
    return CloposServer(running.base_url, running.credentials, _stop=running.stop)


@pytest.fixture(scope=_scope)  # type: ignore[arg-type]
def clopos_server(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CloposServer]:
    """An isolated clopos-server with the demo brands (see the module's docstring)."""
    server = _start(tmp_path_factory, list(pytestconfig.getini("clopos_server_brands")))
    yield server
    server.stop()


@pytest.fixture
def clopos_server_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., CloposServer]]:
    """Start more servers: ``clopos_server_factory(brands=[path])``; each is stopped after the test."""
    started: list[CloposServer] = []

    def start(brands: list[Path] | None = None) -> CloposServer:
        server = _start(tmp_path_factory, list(brands or []))
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
