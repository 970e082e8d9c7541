"""Schemathesis against the app's own ``/openapi.json``: every operation of both prefixes, authenticated,
against real server processes (the transport included), one on SQLite and one on PostgreSQL.

Every check schemathesis has runs: server errors, content types, status codes, response schemas and
headers, negative-data rejection, positive-data acceptance, missing required headers, unsupported methods
and ``Allow``. The run is seeded and bounded (``CLOPOS_FUZZ_EXAMPLES`` examples per operation and phase, 6 by
default), its operations dealt into ``CLOPOS_FUZZ_SHARDS`` tests (4) that xdist's workers share; ``make
fuzz`` runs a longer one.

The cases are generated once and sent to both databases' servers: the engine runs against the SQLite
server, and every request it sends is sent again, byte for byte (the tokens swapped for the other
server's), to the PostgreSQL server, whose answer goes through the same checks (``Mirror``). An engine
run per database generated the same cases twice (the run is seeded); once is 14% less of the fuzz run's
CPU (docs/testing.md).

Positive-data acceptance expects a 2xx (or 401/403/404/409) for every request the document allows. Where the
server refuses a well-formed request for a business rule that JSON Schema cannot express, the operation is
listed in ``BUSINESS_RULES`` with the rule, and that one check is off for it; every other check still runs.
"""

from __future__ import annotations

import copy
import functools
import math
import os
import re
import uuid
import warnings
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
import schemathesis.engine
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.engine import Status, events
from schemathesis.specs.openapi.checks import ignored_auth
from tests.conftest import fresh_database
from tests.support.api import DEMO_LOGIN, DEMO_V2_LOGIN
from tests.support.servers import ServerProcess, running_servers

from clopos_server.kit.body import NUMBER_DIGITS

EXAMPLES = int(os.environ.get("CLOPOS_FUZZ_EXAMPLES", "6"))
# The operations are dealt into this many tests per database, so that pytest-xdist's workers share the run
# (one test per database was the suite's tail: 440 s of a 785 s run).
SHARDS = int(os.environ.get("CLOPOS_FUZZ_SHARDS", "4"))
SEED = int(os.environ.get("CLOPOS_FUZZ_SEED", "20261205"))

# Operations whose well-formed requests the server may refuse with a 400, and why: a regular expression
# over the operation's label ("METHOD path"; one filter, since separate include keys would be OR-ed).
BUSINESS_RULES: list[tuple[str, str]] = [
    (
        r"^POST /open-api(/v2)?/auth$",
        "credentials the fuzzer cannot know: 401, or 400 for an unknown integrator",
    ),
    (
        r"^POST /open-api(/v2)?/orders(/calculate)?$",
        "products, modifiers, venues and sale types of the catalogue",
    ),
    (r"^POST /open-api/receipts$", "payments must add up to the total; ids must be the brand's"),
    (r"^PUT /open-api/receipts/\{receipt_id\}$", "money fields must equal the stored ones"),
    (
        r"^POST /open-api(/v2)?/(test-helpers/)?receipts/\{receipt_id\}/close$",
        "payments must add up to the total",
    ),
    (r"^POST /open-api(/v2)?/customers$", "group_id must be a customer group of the brand"),
    (
        r"^(POST|PATCH) /open-api/v2/webhook-endpoints(/\{endpoint_id\})?$",
        "at most 20 endpoints per brand; no private address; `*` stands alone (422)",
    ),
    (r"^POST /open-api/v2/webhook-endpoints/\{endpoint_id\}/redeliver$", "since must be before until (422)"),
    (r"^POST /open-api/v2/waiter-call$", "the table must be the brand's; PAY needs the venue's cash or card"),
    (r"^GET /open-api/v2/stock/product$", "product_id is required (a list query's parameter cannot say so)"),
]


VALID_KEY = re.compile(r"[ -~]{1,255}")
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATE_RANGES = (("date[0]", "date[1]"), ("date_from", "date_to"))


def _places_within_bound(value: Any) -> Any:
    """``value`` with every drawn number of more than ``NUMBER_DIGITS`` decimal places rounded to that many:
    the body reader refuses more (400 naming the field; docs/api/bad-input.md), which JSON Schema cannot say
    of a float (the document states the magnitude bound, ``AnyValue``)."""
    if isinstance(value, dict):
        return {key: _places_within_bound(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_places_within_bound(item) for item in value]
    if isinstance(value, float) and math.isfinite(value):
        exact = Decimal(repr(value))
        exponent = exact.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -NUMBER_DIGITS:
            with localcontext(prec=4 * NUMBER_DIGITS):
                return float(round(exact, NUMBER_DIGITS))
    return value


def _dates_in_order(query: dict[str, Any]) -> None:
    """A drawn date range that starts after it ends is put in order: the server refuses it (400 naming
    ``query.date``), a rule JSON Schema cannot say; every other check of the request still runs."""
    for first, last in DATE_RANGES:
        start, end = query.get(first), query.get(last)
        if isinstance(start, str) and isinstance(end, str) and DAY.match(start) and DAY.match(end):
            if start[:10] > end[:10]:
                query[first], query[last] = end, start


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Dates in order and numbers within the reader's decimal places (the two helpers above), and a
    fresh Idempotency-Key for every request that sends a valid one: the fuzzer draws the same few keys for
    different bodies, and the server answers such a reuse 422, as it must (tests/idempotency covers that);
    an invalid key is left as drawn, for the negative cases."""
    if case.query:
        _dates_in_order(case.query)
    if isinstance(case.body, dict | list):
        case.body = _places_within_bound(case.body)
    headers = case.headers or {}
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and VALID_KEY.fullmatch(key):
        headers["Idempotency-Key"] = uuid.uuid4().hex


@functools.cache
def _plain_session() -> requests.Session:
    """One session for the hook's own requests (the mirror's, the fault rules' clearing: a new client per
    request built its TLS context each time, about 40 ms of CPU), with no proxy from the environment."""
    session = requests.Session()
    session.trust_env = False
    return session


def _clear_armed_fault(case: Any, status: int, request: requests.PreparedRequest) -> None:
    """A fault rule the fuzzer armed (a valid ``POST .../test-helpers/faults``) is cleared at once: it would
    otherwise fail the next requests of other operations on purpose (tests/api/test_faults.py covers it)."""
    if case.method.upper() == "POST" and case.path.endswith("/test-helpers/faults") and status == 201:
        headers = {name: value for name, value in request.headers.items() if name.lower().startswith("x-")}
        cleared = _plain_session().delete(str(request.url), headers=headers, timeout=30)
        assert cleared.status_code == 200, cleared.text


@dataclass
class Mirror:
    """The PostgreSQL server, sent every request the engine sends to the SQLite one.

    The request goes again as it was sent (method, path, query, headers, body bytes), with the first
    server's tokens swapped for this one's; its answer is checked by ``Case.validate_response``, which runs
    the checks the configuration enables for the case's operation and phase, as the engine's run does
    (probes such as the ignored-auth one go to this server). Failures are kept here, one per operation and
    kind of failure, as the engine's are reported.
    """

    server: ServerProcess
    tokens: dict[str, str]
    failures: dict[str, str] = field(default_factory=dict)
    auth_enforced: set[str] = field(default_factory=set)
    replayed: int = 0
    checked: int = 0

    @classmethod
    def between(cls, primary: FuzzTarget, other: FuzzTarget) -> Mirror:
        """A new mirror (no failures, nothing replayed) from ``primary``'s server to ``other``'s."""
        tokens = {primary.v1_token: other.v1_token, primary.v2_token: other.v2_token}
        return cls(other.server, tokens)

    def replay(self, case: Any, first: Any) -> None:
        """Send the request that got ``first`` (the SQLite server's answer) to this server, and check its
        answer unless it is the same as ``first``."""
        sent: requests.PreparedRequest = first.request
        request = sent.copy()
        request.url = self.server.base_url + sent.path_url
        for name, value in list(request.headers.items()):
            if value in self.tokens:
                request.headers[name] = self.tokens[value]
        answer = _plain_session().send(request, timeout=30, allow_redirects=False)
        self.replayed += 1
        _clear_armed_fault(case, answer.status_code, request)
        label = case.operation.label
        if label in self.auth_enforced or not 200 <= answer.status_code < 300:
            if same_answer(first, answer):
                return
        self.checked += 1
        # checked as a copy, its metadata too: checking leaves state in a case's metadata, and the engine
        # checks this very case after this hook (checked here first, it failed a check it passes alone)
        twin = case.derive(keep_auth=True)
        object.__setattr__(twin, "_meta", copy.deepcopy(case.meta))
        # ignored_auth probes an operation without and with wrong credentials; the engine does it once per
        # operation and run (its auth_enforced_operations), which Case.validate_response cannot be told:
        # here too once, on the first 2xx of the operation that passes every check
        skip = [ignored_auth] if label in self.auth_enforced else None
        try:
            twin.validate_response(
                answer,
                headers=dict(request.headers),
                transport_kwargs={"base_url": self.server.base_url},
                excluded_checks=skip,
            )
        except FailureGroup as group:
            for failure in group.exceptions:
                key = f"{label} (PostgreSQL): {failure.title}"
                self.failures.setdefault(key, f"{key}\n{failure.message}\n{request.method} {request.url}")
        else:
            if 200 <= answer.status_code < 300:
                self.auth_enforced.add(label)


# Headers that differ between two answers to the same request whatever the database: when a request was
# answered and which request it was (docs/api/README.md).
PER_REQUEST_HEADERS = frozenset({"date", "x-request-id"})


def same_answer(first: Any, answer: requests.Response) -> bool:
    """Whether ``answer`` (PostgreSQL's) is ``first`` (SQLite's, a schemathesis ``Response``) byte for byte:
    the status, the body and every header but ``PER_REQUEST_HEADERS``, names and values."""
    if answer.status_code != first.status_code or first.content_size != len(answer.content):
        return False
    if answer.content != first.content:
        return False
    theirs = {name.lower(): [value] for name, value in answer.headers.items()}
    ours = {name.lower(): values for name, values in first.headers.items()}
    for name in PER_REQUEST_HEADERS:
        theirs.pop(name, None)
        ours.pop(name, None)
    return theirs == ours


@dataclass
class _Run:
    """The running test's mirror, and the requests the engine sent (the hook runs on the engine's thread)."""

    mirror: Mirror | None = None
    calls: int = 0


_RUN = _Run()


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    """Clear what the fuzzer armed, and send the same request to the PostgreSQL server (``Mirror``)."""
    _clear_armed_fault(case, response.status_code, response.request)
    _RUN.calls += 1
    if _RUN.mirror is not None:
        _RUN.mirror.replay(case, response)


@dataclass
class FuzzTarget:
    server: ServerProcess
    v1_token: str
    v2_token: str


def _config(target: FuzzTarget, labels: list[str]) -> SchemathesisConfig:
    """The run's configuration for the operations ``labels`` (every other one is disabled: a schema's own
    ``include()`` is not applied once a configuration is given)."""
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            # Text the fuzzer draws is valid UTF-8 without NUL: the server refuses a lone surrogate anywhere
            # in a body and a NUL wherever text is stored, which JSON Schema cannot say; the class table of
            # tests/api/test_bad_input.py sends both to every endpoint instead.
            "generation": {
                "max-examples": EXAMPLES,
                "deterministic": True,
                "database": "none",
                "codec": "utf-8",
                "allow-x00": False,
            },
            "phases": {"stateful": {"enabled": False}},
            "auth": {
                "auto-signup": False,
                "openapi": {
                    "v1Token": {"api_key": target.v1_token},
                    "v1Brand": {"api_key": DEMO_LOGIN["brand"]},
                    "v1Venue": {"api_key": str(DEMO_LOGIN["venue_id"])},
                    "v2Token": {"api_key": target.v2_token},
                },
            },
            "operations": [
                {"exclude-name": labels, "enabled": False},
                *(
                    {
                        "include-name-regex": label,
                        "checks": {"positive_data_acceptance": {"enabled": False}},
                    }
                    for label, _why in BUSINESS_RULES
                ),
                # One handler and one body reader serve create and calculate under both prefixes: the coverage
                # phase of v1 create (about 1,000 cases) covers that reader, and the other three keep the
                # examples and fuzzing phases (v2's prefix, token and x-venue are covered on every other
                # v2 operation). This keeps both databases' runs under two minutes.
                {
                    "include-name-regex": r"^POST /open-api(/v2/orders|(/v2)?/orders/calculate)$",
                    "phases": {"coverage": {"enabled": False}},
                },
            ],
        }
    )


def _target(server: ServerProcess) -> FuzzTarget:
    v1 = httpx.post(f"{server.base_url}/open-api/auth", json=DEMO_LOGIN, timeout=30).json()
    v2 = httpx.post(f"{server.base_url}/open-api/v2/auth", json=DEMO_V2_LOGIN, timeout=30).json()
    return FuzzTarget(server, v1["token"], v2["token"])


@pytest.fixture(scope="module")
async def fuzz_targets(tmp_root: Path) -> AsyncIterator[tuple[FuzzTarget, FuzzTarget | None]]:
    """The SQLite server the engine runs against, and the PostgreSQL one its requests are mirrored to
    (None where PostgreSQL is unreachable outside CI: the run says so in a warning; under CI=true the
    fixture fails instead, as every PostgreSQL test's does)."""
    async with AsyncExitStack() as stack:
        sqlite_url = await stack.enter_async_context(fresh_database("sqlite", tmp_root))
        (first,) = stack.enter_context(running_servers(sqlite_url))
        try:
            pg_url = await stack.enter_async_context(fresh_database("postgres", tmp_root))
        except pytest.skip.Exception as skipped:
            warnings.warn(f"the fuzz run reaches SQLite only: {skipped}", stacklevel=1)
            yield _target(first), None
            return
        (second,) = stack.enter_context(running_servers(pg_url))
        yield _target(first), _target(second)


def shard_of(document: dict[str, Any], shard: int) -> list[str]:
    """The labels ("METHOD path") of the document's operations dealt to ``shard``: sorted, then every
    ``SHARDS``-th, so that the two prefixes' twins (and a path's methods) land in different shards."""
    labels = sorted(
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    )
    return labels[shard::SHARDS]


def _failures(target: FuzzTarget, shard: int) -> tuple[list[str], int]:
    """Run every phase of schemathesis' engine on the shard's operations; the failed checks
    (deduplicated), and the cases run."""
    url = f"{target.server.base_url}/openapi.json"
    labels = shard_of(httpx.get(url, timeout=30).json(), shard)
    schema = schemathesis.openapi.from_url(url, config=_config(target, labels))
    assert sorted(operation.ok().label for operation in schema.get_all_operations()) == labels
    found: dict[str, str] = {}
    cases = 0
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            cases += len(event.recorder.cases)
            for checks in event.recorder.checks.values():
                for check in checks:
                    info = check.failure_info
                    if check.status == Status.FAILURE and info is not None:
                        key = f"{event.recorder.label}: {check.name}: {info.failure.title}"
                        found.setdefault(key, f"{key}\n{info.failure.message}\n{info.code_sample}")
        elif isinstance(event, events.NonFatalError | events.FatalError):
            found.setdefault(repr(event), f"engine error: {event!r}")
    return list(found.values()), cases


@pytest.mark.parametrize("shard", range(SHARDS))
def test_contract(fuzz_targets: tuple[FuzzTarget, FuzzTarget | None], shard: int) -> None:
    target, other = fuzz_targets
    mirror = None if other is None else Mirror.between(target, other)
    _RUN.mirror, _RUN.calls = mirror, 0
    try:
        failures, cases = _failures(target, shard)
    finally:
        _RUN.mirror = None
    assert cases > 100, f"schemathesis ran only {cases} cases"
    if mirror is not None:
        assert mirror.replayed == _RUN.calls > 100, "every request sent to SQLite goes to PostgreSQL"
        assert mirror.checked > 0, "the PostgreSQL answers unlike SQLite's are checked"
        failures += mirror.failures.values()
    assert not failures, f"{len(failures)} failed checks:\n\n" + "\n\n".join(failures)
