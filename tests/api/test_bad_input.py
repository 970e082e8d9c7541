"""The classes of bad input of issue 11, against every endpoint that takes that kind of input.

1. digits that ``str.isdigit`` accepts but ``int`` refuses (``²``, ``①``) in path ids, ``x-venue``,
   ``/auth``'s ``venue_id`` and the board's query and form fields;
2. non-ASCII text where a secret is compared (v1 token, v2 token, board cookie, CSRF header);
3. bodies the fingerprint used to fail on (deep nesting, ``1E+999999999``, a lone surrogate in a key the
   server ignores), sent with an ``Idempotency-Key``;
4. lone surrogates in values that reach the database or a hash;
5. NUL characters in text that reaches the database;
6. integers beyond 32 bits in path ids, filters, headers and bodies.

Every case is one request answered with a JSON 4xx naming the field, on SQLite and PostgreSQL. A refused
write leaves every table as it was, the idempotency keys included, except for the one row that keeps a
keyed 400 of an endpoint's own reader for its retries (spec orders.md, "Idempotency": deterministic
rejections are stored); what the parser refuses is refused before the key is looked at.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from tests.conftest import fresh_database
from tests.support.api import DEMO_LOGIN, DEMO_V2_LOGIN, EXAMPLES, PREFIXES, TEST_INTEGRATOR, assert_error
from tests.support.board import BoardUser
from tests.support.databases import BACKENDS

from clopos_server.app import create_app
from clopos_server.db.models import ApiClient, Base, Customer, IdempotencyKey, Order, Receipt
from clopos_server.settings import Settings

SECRET = "test-secret-key-0123456789-abcdefgh"
BIG = 2**31  # one past the largest INTEGER
SUPER_TWO = "²"  # str.isdigit() says yes, int() says no
CIRCLED_ONE = "①"


def raw(value: Any) -> bytes:
    """JSON with every non-ASCII character escaped, so that lone surrogates and NUL travel as sent."""
    return json.dumps(value, ensure_ascii=True).encode()


def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Case:
    """One request of a caller (``v1``, ``v2``, or ``anonymous-v1``/``anonymous-v2`` for no credentials)."""

    name: str
    caller: str
    method: str
    path: str
    status: int
    code: str
    field: str | None
    body: bytes | None = None
    query: str = ""
    headers: dict[str, bytes] = field(default_factory=dict)
    key: bool = False  # with an Idempotency-Key
    kept: bool = False  # the 400 is stored under the key (a rejection of the endpoint's own reader)

    @property
    def prefix(self) -> str:
        return PREFIXES[self.caller.removeprefix("anonymous-")]

    @property
    def writes(self) -> bool:
        return self.method != "GET"


# ------------------------------------------------------------------------------------------ the endpoints

# (generations, method, path, route parameter) of every route with an id in its path
PATH_IDS: list[tuple[tuple[str, ...], str, str, str]] = [
    (("v1", "v2"), "GET", "/orders/{}", "order_id"),
    (("v1", "v2"), "PUT", "/orders/{}", "order_id"),
    (("v1", "v2"), "GET", "/receipts/{}", "receipt_id"),
    (("v1", "v2"), "PATCH", "/receipts/{}", "receipt_id"),
    (("v1",), "PUT", "/receipts/{}", "receipt_id"),
    (("v1",), "DELETE", "/receipts/{}", "receipt_id"),
    (("v2",), "POST", "/receipts/{}/close", "receipt_id"),
    (("v2",), "GET", "/receipts/{}/stock-operations", "receipt_id"),
    (("v1", "v2"), "GET", "/customers/{}", "customer_id"),
    (("v1", "v2"), "GET", "/products/{}", "product_id"),
    (("v1", "v2"), "GET", "/categories/{}", "category_id"),
    (("v1", "v2"), "GET", "/stations/{}", "station_id"),
    (("v1", "v2"), "GET", "/users/{}", "user_id"),
    (("v1", "v2"), "POST", "/test-helpers/orders/{}/accept", "order_id"),
    (("v1", "v2"), "POST", "/test-helpers/orders/{}/ignore", "order_id"),
    (("v1", "v2"), "POST", "/test-helpers/orders/{}/deliver", "order_id"),
    (("v1", "v2"), "POST", "/test-helpers/receipts/{}/close", "receipt_id"),
    (("v2",), "GET", "/storages/{}", "storage_id"),
    (("v2",), "GET", "/suppliers/{}", "supplier_id"),
    (("v2",), "GET", "/stock/{}", "stock_id"),
    (("v2",), "GET", "/stock-operations/{}", "operation_id"),
    (("v2",), "GET", "/operations/{}", "operation_id"),
    (("v2",), "GET", "/operations/{}/items", "operation_id"),
]

# (generations, method, path, keyed) of every endpoint that reads a JSON body
JSON_BODIES: list[tuple[tuple[str, ...], str, str, bool]] = [
    (("v1", "v2"), "POST", "/orders", True),
    (("v1", "v2"), "POST", "/orders/calculate", True),
    (("v1", "v2"), "PUT", "/orders/1", False),
    (("v1", "v2"), "POST", "/customers", True),
    (("v1", "v2"), "PATCH", "/receipts/1", True),
    (("v1",), "POST", "/receipts", True),
    (("v1",), "PUT", "/receipts/1", False),
    (("v2",), "POST", "/receipts/1/close", True),
    (("v1", "v2"), "POST", "/test-helpers/orders/1/accept", True),
    (("v1", "v2"), "POST", "/test-helpers/receipts/1/close", True),
    (("v2",), "POST", "/waiter-call", False),
    (("anonymous-v1", "anonymous-v2"), "POST", "/auth", False),
]

# bodies the parser refuses, whatever the endpoint: (name, body, field)
PARSER_REFUSALS: list[tuple[str, bytes, str]] = [
    ("deep", b'{"a": ' + b"[" * 300 + b"]" * 300 + b"}", "body"),
    ("huge-exponent", b'{"a": {"b": 1E+999999999}}', "a.b"),
    ("negative-overflow", b'{"a": [1, -1e400]}', "a[1]"),
    ("121-decimal-places", b'{"a": 0.' + b"0" * 120 + b"1}", "a"),
    ("5000-digit-integer", b'{"a": 1' + b"0" * 5000 + b"}", "a"),
    ("surrogate-in-ignored-key", b'{"ignored\\ud800": 1}', "body"),
    ("surrogate-in-ignored-value", b'{"x": {"y": ["\\udc00"]}}', "x.y[0]"),
]


def _path_id_cases() -> list[Case]:
    cases = []
    for generations, method, path, name in PATH_IDS:
        for generation in generations:
            for label, value in (("superscript", SUPER_TWO), ("circled", CIRCLED_ONE), ("int32+1", str(BIG))):
                cases.append(
                    Case(
                        f"{generation}-{method}-{path.format(label)}",
                        generation,
                        method,
                        path.format(value),
                        400,
                        "invalid_parameter",
                        f"path.{name}",
                        body=b"{}" if method in ("POST", "PUT", "PATCH") else None,
                    )
                )
    for value in (SUPER_TWO, "not-a-uuid", "①" * 36):
        cases.append(
            Case(
                f"v2-receipt-cid-{value}",
                "v2",
                "GET",
                f"/receipts/cid/{value}",
                400,
                "invalid_parameter",
                "path.cid",
            )
        )
    return cases


def _parser_cases() -> list[Case]:
    cases = []
    for generations, method, path, keyed in JSON_BODIES:
        for caller in generations:
            for name, body, where in PARSER_REFUSALS:
                cases.append(
                    Case(
                        f"{caller}-{method}-{path}-{name}",
                        caller,
                        method,
                        path,
                        400,
                        "validation_failed",
                        where,
                        body=body,
                        key=keyed,
                    )
                )
    return cases


def _order_with(**line: Any) -> bytes:
    body = example("create-order.v1.request.json")
    body["payload"]["products"][0].update(line)
    return raw(body)


def _flat_order_with(**line: Any) -> bytes:
    body = example("create-order.v2.request.json")
    body["products"][0].update(line)
    return raw(body)


def _sale(**changes: Any) -> bytes:
    """A v1 closed sale of Fanta x2 in cash, with ``changes``."""
    body: dict[str, Any] = {
        "cid": str(uuid.uuid4()),
        "payment_methods": [{"id": 1, "name": "Cash", "amount": 4}],
        "subtotal": 4,
        "total": 4,
        "receipt_products": [{"product_id": 111, "count": 2, "price": 2, "subtotal": 4, "total": 4}],
    }
    body.update(changes)
    return raw(body)


def _auth(generation: str, **changes: Any) -> bytes:
    return raw({**(DEMO_LOGIN if generation == "v1" else DEMO_V2_LOGIN), **changes})


def _body_case(
    name: str,
    callers: tuple[str, ...],
    method: str,
    path: str,
    where: str,
    body: bytes,
    *,
    kept: bool = False,
) -> list[Case]:
    """A body refused with 400 ``validation_failed`` naming ``where``. ``kept``: refused by the endpoint's
    reader inside the keyed work, so that the 400 is stored under the Idempotency-Key as the spec wants
    (orders.md, "Idempotency"); otherwise the request is keyed only when the endpoint takes keys."""
    keyed = kept or path in KEYED
    return [
        Case(f"{c}-{name}", c, method, path, 400, "validation_failed", where, body=body, key=keyed, kept=kept)
        for c in callers
    ]


KEYED = {"/orders", "/orders/calculate", "/customers", "/receipts", "/receipts/1", "/receipts/1/close"}
BOTH = ("v1", "v2")


def _text_cases() -> list[Case]:
    """Classes 4 and 5: a lone surrogate (the parser refuses it wherever it is) and a NUL (the reader refuses
    it in text that is stored) in every kind of stored text."""
    cases: list[Case] = []
    for label, text in (("surrogate", "a\ud800b"), ("nul", "a\x00b")):
        kept = label == "nul"
        meta = "receipt_products[0].meta" + (".x" if label == "surrogate" else "")
        taxes = "receipt_products[0].taxes" + ("[0].n" if label == "surrogate" else "")
        line_meta = [{"product_id": 111, "count": 2, "meta": {"x": text}}]
        line_taxes = [{"product_id": 111, "count": 2, "taxes": [{"n": text}]}]
        payment = {"payment_methods": [{"id": 1, "name": text, "amount": "8.5"}]}
        for args in [
            (f"customer-name-{label}", BOTH, "POST", "/customers", "name", raw({"name": text})),
            (
                f"customer-phone-{label}",
                BOTH,
                "POST",
                "/customers",
                "phone",
                raw({"name": "A", "phone": text}),
            ),
            (
                f"order-note-{label}",
                BOTH,
                "POST",
                "/orders",
                "payload.products[0].note",
                _order_with(note=text),
            ),
            (f"flat-note-{label}", BOTH, "POST", "/orders", "products[0].note", _flat_order_with(note=text)),
            (f"patch-fiscal-id-{label}", BOTH, "PATCH", "/receipts/1", "fiscal_id", raw({"fiscal_id": text})),
            (
                f"sale-line-meta-{label}",
                ("v1",),
                "POST",
                "/receipts",
                meta,
                _sale(receipt_products=line_meta),
            ),
            (f"sale-taxes-{label}", ("v1",), "POST", "/receipts", taxes, _sale(receipt_products=line_taxes)),
            (
                f"close-payment-name-{label}",
                ("v2",),
                "POST",
                "/receipts/1/close",
                "payment_methods[0].name",
                raw(payment),
            ),
        ]:
            cases += _body_case(*args, kept=kept)
        # PUT /receipts/{id} takes no key; /auth takes no credentials
        cases += _body_case(
            f"put-description-{label}",
            ("v1",),
            "PUT",
            "/receipts/1",
            "description",
            raw({"description": text}),
        )
        for generation in BOTH:
            fields = ["client_id", "client_secret", "brand"] + (
                ["integrator_id"] if generation == "v2" else []
            )
            for name in fields:
                body = _auth(generation, **{name: text})
                cases += _body_case(
                    f"auth-{name}-{label}", (f"anonymous-{generation}",), "POST", "/auth", name, body
                )
    for name, value in (("name", "a%00b"), ("phones", "%2B994%00"), ("phone", "%00")):
        for caller in BOTH:
            query = f"filters[0][0]={name}&filters[0][1]={value}"
            cases.append(
                Case(
                    f"{caller}-customer-filter-{name}-nul",
                    caller,
                    "GET",
                    "/customers",
                    400,
                    "invalid_parameter",
                    "query.filters",
                    query=query,
                )
            )
    return cases


def _number_cases() -> list[Case]:
    """Class 6 (and 1 where a number is text): integers beyond 32 bits in bodies, filters and headers."""
    cases: list[Case] = []
    sale_line = [{"product_id": BIG}]
    loyalty = [{"product_id": 111, "count": 2, "loyalty_type": BIG}]
    too_big_payment = {"payment_methods": [{"id": BIG, "amount": "8.5"}]}
    for args in [
        (
            "order-product-id",
            BOTH,
            "POST",
            "/orders",
            "payload.products[0].product_id",
            _order_with(product_id=BIG),
        ),
        (
            "order-product-id-70-bits",
            BOTH,
            "POST",
            "/orders",
            "payload.products[0].product_id",
            _order_with(product_id=2**70),
        ),
        (
            "order-product-id-text",
            BOTH,
            "POST",
            "/orders",
            "payload.products[0].product_id",
            _order_with(product_id=str(BIG)),
        ),
        (
            "order-product-id-superscript",
            BOTH,
            "POST",
            "/orders",
            "payload.products[0].product_id",
            _order_with(product_id=SUPER_TWO),
        ),
        (
            "flat-product-id",
            BOTH,
            "POST",
            "/orders",
            "products[0].product_id",
            _flat_order_with(product_id=BIG),
        ),
        (
            "calculate-product-id",
            BOTH,
            "POST",
            "/orders/calculate",
            "payload.products[0].product_id",
            _order_with(product_id=BIG),
        ),
        ("customer-group-id", BOTH, "POST", "/customers", "group_id", raw({"name": "A", "group_id": BIG})),
        (
            "customer-group-id-circled",
            BOTH,
            "POST",
            "/customers",
            "group_id",
            raw({"name": "A", "group_id": CIRCLED_ONE}),
        ),
        ("sale-customer-id", ("v1",), "POST", "/receipts", "customer_id", _sale(customer_id=BIG)),
        (
            "sale-line-product-id",
            ("v1",),
            "POST",
            "/receipts",
            "receipt_products[0].product_id",
            _sale(receipt_products=sale_line),
        ),
        (
            "sale-loyalty-type",
            ("v1",),
            "POST",
            "/receipts",
            "receipt_products[0].loyalty_type",
            _sale(receipt_products=loyalty),
        ),
        ("patch-id", BOTH, "PATCH", "/receipts/1", "id", raw({"id": 2**40, "lock": True})),
        (
            "close-payment-id",
            ("v2",),
            "POST",
            "/receipts/1/close",
            "payment_methods[0].id",
            raw(too_big_payment),
        ),
    ]:
        cases += _body_case(*args, kept=True)
    cases += _body_case(
        "put-customer-id", ("v1",), "PUT", "/receipts/1", "customer_id", raw({"customer_id": BIG})
    )
    filters = [
        ("/orders", "customer_id"),
        ("/orders", "venue_id"),
        ("/orders", "sale_type_id"),
        ("/receipts", "customer_id"),
        ("/receipts", "venue_id"),
        ("/receipts", "sale_type_id"),
        ("/customers", "group_id"),
        ("/products", "category_id"),
        ("/products", "station_id"),
        ("/products/stop-list", "id"),
    ]
    for path, name in filters:
        for value in (str(BIG), "99999999999", SUPER_TWO):
            for caller in BOTH:
                query = f"filters[0][0]={name}&filters[0][1]={quote(value)}"
                cases.append(
                    Case(
                        f"{caller}-filter-{path}-{name}-{value}",
                        caller,
                        "GET",
                        path,
                        400,
                        "invalid_parameter",
                        "query.filters",
                        query=query,
                    )
                )
    for caller in BOTH:
        limit = f"filters[0][0]=limit&filters[0][1][0]=0&filters[0][1][1]={BIG}"
        cases.append(
            Case(
                f"{caller}-stop-list-limit-range",
                caller,
                "GET",
                "/products/stop-list",
                400,
                "invalid_parameter",
                "query.filters",
                query=limit,
            )
        )
        cases.append(
            Case(
                f"{caller}-category-parent-id",
                caller,
                "GET",
                "/categories",
                400,
                "invalid_parameter",
                "query.parent_id",
                query=f"parent_id={BIG}",
            )
        )
    # x-venue and /auth's venue_id: a venue that is not the brand's (v1 401, v2 404), as before
    for venue in (b"\xb2", str(BIG).encode(), b"99999999999"):  # b"\xb2" is "²" in latin-1
        cases.append(
            Case(
                f"v1-x-venue-{venue!r}",
                "v1",
                "GET",
                "/orders",
                401,
                "unauthorized",
                None,
                headers={"x-venue": venue},
            )
        )
        cases.append(
            Case(
                f"v2-x-venue-{venue!r}",
                "v2",
                "GET",
                "/orders",
                404,
                "resource_not_found",
                None,
                headers={"x-venue": venue},
            )
        )
    for venue_id in (SUPER_TWO, CIRCLED_ONE, str(BIG)):
        cases.append(
            Case(
                f"auth-venue-id-{venue_id}",
                "anonymous-v1",
                "POST",
                "/auth",
                401,
                "authentication_failed",
                None,
                body=_auth("v1", venue_id=venue_id),
            )
        )
    return cases


def _token_cases() -> list[Case]:
    """Class 2: non-ASCII where a token is compared; no credentials needed."""
    v1_token = {"x-token": b"oauth_\xc3\xa9t\xc3\xa9.\xe9\xe9", "x-brand": b"openapitest", "x-venue": b"1"}
    return [
        Case(
            "v1-token-non-ascii",
            "anonymous-v1",
            "GET",
            "/orders",
            401,
            "unauthorized",
            None,
            headers=v1_token,
        ),
        Case(
            "v2-token-non-ascii",
            "anonymous-v2",
            "GET",
            "/orders",
            401,
            "unauthorized",
            None,
            headers={"x-token": b"\xe9.\xe9.\xe9"},
        ),
    ]


CASES = _path_id_cases() + _parser_cases() + _text_cases() + _number_cases() + _token_cases()


# ------------------------------------------------------------------------------------------ the callers


@dataclass
class Shared:
    """One app per database for the whole table: every case is refused, so none can disturb the next (and
    the state each case checks before and after is the whole database's)."""

    app: FastAPI
    client: httpx.AsyncClient
    credentials: dict[str, dict[str, bytes]]


@pytest.fixture(scope="module", params=BACKENDS)
async def shared(request: pytest.FixtureRequest, tmp_root: Path) -> AsyncIterator[Shared]:
    async with fresh_database(request.param, tmp_root) as url:
        app = create_app(Settings(database_url=url, rate_limits="off", secret_key=SECRET))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                yield Shared(app, client, await _credentials(app))


async def _credentials(app: FastAPI) -> dict[str, dict[str, bytes]]:
    """Headers of the demo integrator under each generation, signed directly (no argon2 per test)."""
    services = app.state.services
    brand = services.directory.brands_by_slug[DEMO_LOGIN["brand"]]
    async with services.db.read() as conn:
        client = (
            await conn.execute(select(ApiClient).where(ApiClient.client_id == DEMO_LOGIN["client_id"]))
        ).one()
    v1, _ = services.signer.issue_v1(client=client.id, user=client.user_id, brand=brand.id, venue=1, ttl=600)
    v2, _ = services.signer.issue_v2(
        client=client.id, user=client.user_id, brand=brand.id, venue=1, integrator=TEST_INTEGRATOR, ttl=600
    )
    return {
        "v1": {"x-token": v1.encode(), "x-brand": brand.slug.encode(), "x-venue": b"1"},
        "v2": {"x-token": v2.encode()},
    }


async def _state(app: FastAPI) -> dict[str, Any]:
    """Rows per table, and the latest change of the rows a refused request could have updated."""
    tables = Base.metadata.sorted_tables
    counts = [select(func.count()).select_from(table).scalar_subquery() for table in tables]
    models = (Order, Receipt, Customer)
    latest = [select(func.max(model.updated_at)).scalar_subquery() for model in models]
    async with app.state.services.db.read() as conn:
        row = (await conn.execute(select(*counts, *latest))).one()
    names = [table.name for table in tables] + [f"{model.__tablename__}.updated_at" for model in models]
    return dict(zip(names, row, strict=True))


async def _kept_status(app: FastAPI, key: str) -> int | None:
    async with app.state.services.db.read() as conn:
        status: int | None = (
            await conn.execute(select(IdempotencyKey.response_status).where(IdempotencyKey.key == key))
        ).scalar_one_or_none()
    return status


def _fields(body: dict[str, Any]) -> list[str | None]:
    return [entry.get("field") for entry in body["error"]]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_bad_input_is_a_json_4xx_naming_the_field(shared: Shared, case: Case) -> None:
    app, client = shared.app, shared.client
    headers: dict[str, bytes] = {}
    if not case.caller.startswith("anonymous"):
        headers.update(shared.credentials[case.caller])
    headers.update(case.headers)
    if case.body is not None:
        headers["content-type"] = b"application/json"
    key = f"bad-input-{uuid.uuid4()}"
    if case.key:
        headers["idempotency-key"] = key.encode()
    before = await _state(app) if case.writes else None
    url = httpx.URL(f"{case.prefix}{case.path}", query=case.query.encode())  # the query exactly as written
    answer = await client.request(case.method, url, content=case.body, headers=headers)
    body = assert_error(answer, case.status, case.code)
    if case.field is not None:
        assert case.field in _fields(body), (case.field, body)
    if before is not None:
        after = await _state(app)
        if case.kept:  # the one row written: the 400 itself, stored to be replayed to a retry
            before["idempotency_keys"] += 1
            assert await _kept_status(app, key) == case.status
        assert after == before


# ------------------------------------------------------------------------------------------ the board


@pytest.fixture
async def board(client: httpx.AsyncClient) -> BoardUser:
    return await BoardUser.signed_in(client)


BOARD_CASES: list[tuple[str, str, dict[str, str], int]] = [
    ("order-superscript", f"/orders/{SUPER_TWO}/accept", {}, 404),
    ("order-circled", f"/orders/{CIRCLED_ONE}/deliver", {}, 404),
    ("order-int32+1", f"/orders/{BIG}/accept", {}, 404),
    ("receipt-superscript", f"/receipts/{SUPER_TWO}/close", {"pm_1": "1"}, 404),
    ("payment-method-superscript", "/receipts/1/close", {f"pm_{SUPER_TWO}": "8.5"}, 400),
    ("stop-product-superscript", "/stop-list", {"product_id": SUPER_TWO, "limit": "1"}, 404),
    ("stop-product-int32+1", "/stop-list", {"product_id": str(BIG), "limit": "1"}, 404),
    ("stop-limit-superscript", "/stop-list", {"product_id": "1", "limit": SUPER_TWO}, 400),
    ("stop-limit-int32+1", "/stop-list", {"product_id": "1", "limit": str(BIG)}, 400),
    ("clear-product-circled", "/stop-list/clear", {"product_id": CIRCLED_ONE}, 404),
]


@pytest.mark.parametrize(
    ("path", "form", "status"), [case[1:] for case in BOARD_CASES], ids=[case[0] for case in BOARD_CASES]
)
async def test_board_fields_take_ascii_digits_only(
    app: FastAPI, board: BoardUser, path: str, form: dict[str, str], status: int
) -> None:
    before = await _state(app)
    answer = await board.act(path, **form)
    assert answer.status_code == status, answer.text
    assert answer.json()["ok"] is False
    assert await _state(app) == before


@pytest.mark.parametrize("venue", [SUPER_TWO, CIRCLED_ONE, str(BIG)])
async def test_a_venue_the_board_cannot_read_is_the_first_venue(board: BoardUser, venue: str) -> None:
    page = await board.http.get("/board", params={"venue": venue})
    assert page.status_code == 200 and 'data-venue="1"' in page.text


async def test_a_non_ascii_board_cookie_is_a_401(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/board/orders/1/accept",
        headers={"cookie": b"clopos_board=\xe9t\xe9.\xe9\xe9", "accept": b"application/json"},
    )
    assert answer.status_code == 401 and answer.json()["ok"] is False
    login = await client.post(
        "/board/login",
        headers={"cookie": b"clopos_board=\xe9.\xe9", "content-type": b"application/x-www-form-urlencoded"},
        content=b"brand=openapitest&username=owner&password=x&csrf=x",
    )
    assert login.status_code == 403 and "text/html" in login.headers["content-type"]


async def test_a_non_ascii_csrf_header_is_a_403(app: FastAPI, board: BoardUser) -> None:
    before = await _state(app)
    answer = await board.http.post(
        "/board/orders/1/accept",
        headers={"x-csrf-token": b"\xe9\xe9\xe9", "accept": b"application/json"},
    )
    assert answer.status_code == 403 and answer.json()["ok"] is False
    assert await _state(app) == before


async def test_a_nul_in_the_board_sign_in_is_a_wrong_password(client: httpx.AsyncClient) -> None:
    form = await client.get("/board/login")
    csrf = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    answer = await client.post(
        "/board/login", data={"brand": "openapitest", "username": "own\x00er", "password": "x", "csrf": csrf}
    )
    assert answer.status_code == 401 and "text/html" in answer.headers["content-type"]
