"""Idempotency keys for every POST and PATCH of the API (spec/orders.md, "Idempotency").

The key row is claimed with ``INSERT ... ON CONFLICT DO NOTHING`` inside the same transaction as the
work and the stored answer, so a crash leaves all three or none. A second request with the same key
waits on that insert (PostgreSQL row lock, SQLite's write lock) until the first commits or rolls back,
then replays the stored answer or, if the first rolled back, runs itself: never a second order.

``run_idempotent`` is that, for every POST and PATCH. The create path on PostgreSQL does the same in
fewer round trips (orders/service.py, docs/decisions/0006): it reads the key with its other reads, and
claims it, with the answer already in the row, in the one statement that writes the order. On SQLite it
reads the key with its other reads too, and inserts the key's row with its answer after the order, in the
same BEGIN IMMEDIATE transaction (docs/decisions/0003). Both use the pieces below: ``KeyClaim``,
``KEY_ROW_COLUMNS``, ``answer_owed`` and ``store_rejection``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import MAX_EMAX, MIN_EMIN, Decimal, localcontext
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

import orjson
from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response

from clopos_server import metrics
from clopos_server.auth.context import AuthContext
from clopos_server.db.engine import Database, dialect_of
from clopos_server.db.models import Base, IdempotencyKey
from clopos_server.db.types import stored_time
from clopos_server.errors import ApiError, Problem
from clopos_server.kit.responses import error_response
from clopos_server.kit.values import utf8
from clopos_server.services import services_of

if TYPE_CHECKING:
    from clopos_server.events.outbox import Outbox

HEADER = "idempotency-key"
REPLAYED_HEADER = "Idempotent-Replayed"
_STORED_ERROR_CODES = {"validation_failed", "invalid_parameter", "resource_not_found", "not_found"}
_KEPT_HEADERS = ("content-type", "location")
_PLAIN_EXPONENT = 100  # the parser's bound (kit.body.NUMBER_DIGITS): every number it accepts prints plain

Work = Callable[[AsyncConnection], Awaitable[Response]]

# The claim and the stored answer of every keyed POST and PATCH on SQLAlchemy's connection, written once in
# Core; the create path's statements on the driver build on the same table and conditions (orders/).
KEYS = Base.metadata.tables[IdempotencyKey.__tablename__]


def _claim_statement(insert: Callable[[Table], Any]) -> Any:
    """The key's row, unless it is there already (the dialect's ``INSERT ... ON CONFLICT DO NOTHING``)."""
    return (
        insert(KEYS)
        .values(
            brand_id=bindparam("brand_id"),
            client_ref=bindparam("client_ref"),
            key=bindparam("the_key"),
            fingerprint=bindparam("fingerprint"),
            created_at=bindparam("created"),
            expires_at=bindparam("expires"),
        )
        .on_conflict_do_nothing(index_elements=["brand_id", "client_ref", "key"])
        .returning(KEYS.c.id)
    )


_CLAIMS = {"sqlite": _claim_statement(sqlite_insert), "postgresql": _claim_statement(pg_insert)}
_SAVE = (
    update(KEYS)
    .where(KEYS.c.id == bindparam("row_id"))
    .values(
        response_status=bindparam("status"),
        response_body=bindparam("body"),
        response_headers=bindparam("headers"),
    )
)
THIS_KEY = (
    (KEYS.c.brand_id == bindparam("brand"))
    & (KEYS.c.client_ref == bindparam("client"))
    & (KEYS.c.key == bindparam("the_key"))
)
_FIND = select(KEYS).where(THIS_KEY)
_FORGET = delete(KEYS).where(THIS_KEY)
# What ``answer_owed`` reads of a key row.
KEY_ROW_COLUMNS = (
    KEYS.c.fingerprint,
    KEYS.c.expires_at,
    KEYS.c.response_status,
    KEYS.c.response_body,
    KEYS.c.response_headers,
)


def read_key(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= 255 or not all(" " <= ch <= "~" for ch in key):
        message = "Idempotency-Key must be 1 to 255 printable ASCII characters"
        raise ApiError("validation_failed", message, [Problem(message, "header.Idempotency-Key")])
    return key


def _canonical_number(value: Any) -> Any:
    """orjson's ``default`` for the fingerprint: 1, 1.0 and 1.00 are one number; only Decimals get here."""
    if isinstance(value, Decimal):
        plain = plain_canonical(value)
        return normalised(value) if plain is None else plain
    raise TypeError(f"{type(value).__name__} is not JSON")


def plain_canonical(value: Decimal) -> Any:
    """:func:`normalised`'s answer for a number written in plain digits ("5.50", "-0.125": how a body's
    prices and counts come), found by trimming its text instead of normalising it in a context of its own
    (four times the CPU: a keyed create's ten prices cost 42 us of fingerprint). None for any other number.

    ``str`` writes a finite Decimal in plain digits when its exponent is at most 0 and it is not tiny;
    trimming the fraction's trailing zeros is then exactly ``normalize`` with enough precision.
    """
    if not value.is_finite():
        return None
    text = str(value)
    if "E" in text:
        return None
    if "." in text:
        text = text.rstrip("0").rstrip(".")
        if "." in text:
            return orjson.Fragment(text.encode())
    number = int(text)
    return number if -(2**63) <= number < 2**64 else None


def normalised(value: Decimal) -> Any:
    """Any Decimal in its canonical form: an int when it is a whole number within 64 bits, else its
    normalised digits. Normalised in a context wide enough that nothing rounds or overflows (the default
    context would round a 29-digit number and raise on 1E+999999); an exponent beyond ``_PLAIN_EXPONENT``
    is written in scientific form, which no plain form can equal, instead of as that many digits."""
    if not value.is_finite():
        return str(value)
    with localcontext() as ctx:
        ctx.prec = max(28, len(value.as_tuple().digits))
        ctx.Emax, ctx.Emin = MAX_EMAX, MIN_EMIN
        normal = value.normalize()
        exponent = normal.as_tuple().exponent
        if isinstance(exponent, int) and abs(exponent) > _PLAIN_EXPONENT:
            return orjson.Fragment(str(normal).encode())
        if normal == normal.to_integral_value() and -(2**63) <= normal < 2**64:
            return int(normal)
        return orjson.Fragment(format(normal, "f").encode())


def _exact(value: Any) -> Any:
    """The body with what orjson refuses written exactly instead: integers beyond 64 bits as JSON numbers,
    text with a lone surrogate (keys too) as an escaped JSON string, which no valid text prints as."""
    if isinstance(value, dict):
        return {_exact_key(k): _exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_exact(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**64:
        return orjson.Fragment(str(value).encode())
    if isinstance(value, str) and not utf8(value):
        return orjson.Fragment(json.dumps(value).encode())
    return value


def _exact_key(key: str) -> str:
    return key if utf8(key) else json.dumps(key)


def fingerprint(method: str, path: str, query: str, body: Any) -> str:
    """sha256 of the request in a canonical form: keys sorted, numbers normalised, strings kept.

    Total over what :func:`~clopos_server.kit.body.parse_json` accepts (nesting at most 64, below
    orjson's 255): rare values orjson refuses are rewritten by ``_exact``, only when it refused.
    """
    sorted_query = urlencode(sorted(parse_qsl(query, keep_blank_values=True)))
    request = [method.upper(), path, sorted_query, body]
    try:
        canonical = orjson.dumps(request, default=_canonical_number, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        request[3] = _exact(body)
        canonical = orjson.dumps(request, default=_canonical_number, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


async def run_idempotent(
    request: Request, context: AuthContext, body: Any, work: Work, outbox: Outbox | None = None
) -> Response:
    """Run ``work`` in one write transaction, guarded by the request's Idempotency-Key when it has one.

    ``outbox`` holds the events the work produces; they are published only when the work's own transaction
    committed: never for a replay, nor for a rejection whose work was rolled back.
    """
    services = services_of(request)
    claim = key_claim(request, context, body)
    if claim is None:
        async with services.db.write() as conn:
            response = await work(conn)
        committed = True
    else:
        guard = _Guard(
            request,
            services.db,
            brand_id=claim.brand_id,
            client_ref=claim.client_ref,
            key=claim.key,
            print_=claim.fingerprint,
            ttl=claim.ttl,
        )
        response = await guard.run(work)
        committed = guard.work_committed
    if outbox is not None and committed:
        await outbox.flush(services)
    return response


@dataclass(frozen=True)
class KeyClaim:
    """A keyed request: whose key, and the fingerprint of the request that claims it."""

    brand_id: int
    client_ref: str
    key: str
    fingerprint: str
    ttl: int

    def lookup(self) -> dict[str, Any]:
        """The parameters of ``THIS_KEY``."""
        return {"brand": self.brand_id, "client": self.client_ref, "the_key": self.key}

    def claim(self, now: datetime) -> dict[str, Any]:
        """The parameters of the claim (``_claim_statement``): the row as stored, without its answer."""
        created = stored_time(now)
        return {
            "brand_id": self.brand_id,
            "client_ref": self.client_ref,
            "the_key": self.key,
            "fingerprint": self.fingerprint,
            "created": created,
            "expires": created + timedelta(seconds=self.ttl),
        }


def key_claim(request: Request, context: AuthContext, body: Any) -> KeyClaim | None:
    """The request's claim, None without a key; a 400 for a bad key or a brand that requires one."""
    key = read_key(request)
    if key is None:
        if context.brand.require_idempotency_key:
            message = "This brand requires an Idempotency-Key header on every POST and PATCH"
            raise ApiError("validation_failed", message, [Problem(message, "header.Idempotency-Key")])
        return None
    return KeyClaim(
        brand_id=context.brand.id,
        client_ref=context.credential_ref,
        key=key,
        fingerprint=fingerprint(request.method, request.url.path, request.url.query, body),
        ttl=services_of(request).settings.idempotency_ttl,
    )


def answer_owed(row: Any, print_: str, now: datetime) -> Response | None:
    """What a key used before owes this request (``row``: ``KEY_ROW_COLUMNS``): its stored answer, a 422
    for another request, a 409 while it runs; None when it has expired (the key is a new request now)."""
    if row.expires_at <= now:
        return None
    if row.fingerprint != print_:
        metrics.IDEMPOTENT_ANSWERS.labels(outcome="reused").inc()
        raise ApiError(
            "idempotency_key_reused",
            "This Idempotency-Key was used with a different request; use a new key for a new request",
        )
    if row.response_status is None:
        raise key_in_use()
    headers = dict(row.response_headers or {})
    headers[REPLAYED_HEADER] = "true"
    metrics.IDEMPOTENT_ANSWERS.labels(outcome="replayed").inc()
    return Response(row.response_body or b"", status_code=row.response_status, headers=headers)


def key_in_use() -> ApiError:
    metrics.IDEMPOTENT_ANSWERS.labels(outcome="in_use").inc()
    return ApiError(
        "idempotency_key_in_use",
        "A request with this Idempotency-Key is still running; retry shortly",
        headers={"Retry-After": "1"},
    )


def stored_headers(response: Response) -> dict[str, str]:
    """The headers a replay gives back."""
    return {name: response.headers[name] for name in _KEPT_HEADERS if name in response.headers}


def is_stored_rejection(error: ApiError) -> bool:
    """A deterministic rejection (the same request meets it again): stored under the key and replayed."""
    return error.code in _STORED_ERROR_CODES


async def store_rejection(request: Request, claim: KeyClaim, error: ApiError) -> Response:
    """``error``'s answer, stored under the key in a transaction of its own (or the answer the key owes, if
    a twin got in first)."""
    guard = _Guard(
        request,
        services_of(request).db,
        brand_id=claim.brand_id,
        client_ref=claim.client_ref,
        key=claim.key,
        print_=claim.fingerprint,
        ttl=claim.ttl,
    )
    return await guard._store_rejection(error)


class _NotStored(Exception):
    """Leaves the transaction with a rollback (freeing the key) and carries the answer to send."""

    def __init__(self, response: Response) -> None:
        self.response = response


class _Rejected(Exception):
    """A deterministic rejection: the work rolls back, then the answer is stored under the key."""

    def __init__(self, error: ApiError) -> None:
        self.error = error


class _Guard:
    def __init__(
        self,
        request: Request,
        db: Database,
        *,
        brand_id: int,
        client_ref: str,
        key: str,
        print_: str,
        ttl: int,
    ) -> None:
        self.request = request
        self.db = db
        self.brand_id = brand_id
        self.client_ref = client_ref
        self.key = key
        self.print_ = print_
        self.ttl = ttl
        self.work_committed = False  # true once the work itself ran and committed (not a replay)

    def _this_key(self) -> dict[str, Any]:
        return {"brand": self.brand_id, "client": self.client_ref, "the_key": self.key}

    def _claim_of(self) -> KeyClaim:
        return KeyClaim(self.brand_id, self.client_ref, self.key, self.print_, self.ttl)

    async def run(self, work: Work) -> Response:
        try:
            async with self.db.write() as conn:
                claimed = await self._claim_or_answer(conn)
                if isinstance(claimed, Response):
                    return claimed
                try:
                    response = await work(conn)
                except ApiError as error:
                    if is_stored_rejection(error):
                        raise _Rejected(error) from None
                    raise
                if response.status_code >= 300:
                    raise _NotStored(response)
                await self._save(conn, claimed, response)
            self.work_committed = True
            return response
        except _NotStored as outcome:
            return outcome.response
        except _Rejected as rejected:
            return await self._store_rejection(rejected.error)

    async def _claim_or_answer(self, conn: AsyncConnection) -> int | Response:
        """The id of our freshly claimed key row, or the answer owed for a key used before."""
        now = datetime.now(UTC)
        claimed = await self._claim(conn, now)
        if claimed is not None:
            return claimed
        existing = (await conn.execute(_FIND, self._this_key())).first()
        owed = None if existing is None else answer_owed(existing, self.print_, now)
        if owed is not None:
            return owed
        # expired (or removed meanwhile): the same key is a new request now
        await conn.execute(_FORGET, self._this_key())
        claimed = await self._claim(conn, now)
        if claimed is None:
            raise key_in_use()
        return claimed

    async def _claim(self, conn: AsyncConnection, now: datetime) -> int | None:
        claim = _CLAIMS[dialect_of(self.db)]
        claimed: int | None = (await conn.execute(claim, self._claim_of().claim(now))).scalar_one_or_none()
        return claimed

    async def _save(self, conn: AsyncConnection, row_id: int, response: Response) -> None:
        values = {
            "row_id": row_id,
            "status": response.status_code,
            "body": bytes(response.body),
            "headers": stored_headers(response),
        }
        await conn.execute(_SAVE, values)

    async def _store_rejection(self, error: ApiError) -> Response:
        """Stored in a transaction of its own, after the work rolled back, so nothing the work began
        survives; a concurrent twin that got in between met the same rejection or replays its answer."""
        response = error_response(error, services_of(self.request).settings.error_format)
        async with self.db.write() as conn:
            claimed = await self._claim_or_answer(conn)
            if isinstance(claimed, Response):
                return claimed
            await self._save(conn, claimed, response)
        return response


async def purge_expired(db: Database) -> int:
    """Delete keys past their lifetime; returns how many."""
    async with db.write() as conn:
        result = await conn.execute(
            delete(IdempotencyKey).where(IdempotencyKey.expires_at <= datetime.now(UTC))
        )
    return int(result.rowcount or 0)
