"""Fault rules: reading one from a request body, storing, listing, clearing, and taking the next one due.

A rule is ``{match: {method, path}, times, action, ...}``: the next ``times`` authenticated API requests
of the brand whose method and path match fail as ``action`` says. ``path`` is a glob (``*`` any run of
characters) matched against the whole path or the path after the API prefix, so ``/orders`` matches a
create under both prefixes and ``/open-api/v2/orders/*`` one order under v2 only.
"""

from __future__ import annotations

import fnmatch
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.db.engine import Database
from clopos_server.db.models import FaultRule
from clopos_server.kit.body import BodyReader
from clopos_server.timeutil import ts_iso, utcnow

ACTIONS = ("lose_answer", "fail", "delay_ms")
METHODS = ("*", "GET", "POST", "PUT", "PATCH", "DELETE")
FAIL_STATUSES = (429, 500, 502, 503, 504)
LOSE_AS = ("bad_gateway", "closed_connection")  # a 502 from the "gateway", or the connection closed
PATH_LENGTH = 255
MAX_TIMES = 1000
MAX_DELAY_MS = 60_000
MAX_RETRY_AFTER = 3600
MAX_RULES = 50  # armed per brand at once
PREFIXES = ("/open-api/v2", "/open-api")
FAULTS_PATH = "/test-helpers/faults"  # never faulted itself: a client must be able to clear its rules


@dataclass(frozen=True)
class Rule:
    """One armed rule as the API answers it (``times``: requests it will still fail)."""

    id: int
    method: str
    path: str
    action: str
    times: int
    status: int | None
    retry_after: int | None
    delay_ms: int | None
    lose_as: str | None
    created_at: datetime

    def render(self) -> dict[str, Any]:
        out = asdict(self)
        out["match"] = {"method": out.pop("method"), "path": out.pop("path")}
        out["created_at"] = ts_iso(self.created_at)
        return {key: value for key, value in out.items() if value is not None}

    def matches(self, method: str, path: str) -> bool:
        if self.method not in ("*", method):
            return False
        return fnmatch.fnmatchcase(path, self.path) or fnmatch.fnmatchcase(api_path(path), self.path)


def api_path(path: str) -> str:
    """The path after its API prefix (``/open-api/v2/orders`` -> ``/orders``)."""
    for prefix in PREFIXES:
        if path.startswith(prefix + "/"):
            return path[len(prefix) :]
    return path


def _given(body: dict[str, Any], key: str, default: Any) -> Any:
    """The value sent, or ``default`` when it is absent or null (a blank or 0 is a value, and checked)."""
    value = body.get(key)
    return default if value is None else value


# The keys each action's rule may carry besides match, action and times: anything else is refused, so that a
# misspelt option (`lose-as`, `delay`) is a 400 rather than a rule that silently does something else.
ACTION_KEYS = {"lose_answer": ("lose_as",), "fail": ("status", "retry_after"), "delay_ms": ("delay_ms",)}
MATCH_KEYS = ("method", "path")


def _refuse_unknown(reader: BodyReader, given: dict[str, Any], known: tuple[str, ...], where: str) -> None:
    for key in given:
        if key not in known:
            name = f"{where}{str(key)[:100]}"
            reader.fail(name, f"{name} is not a field of this rule: {', '.join(known)}")


def read_rule(body: dict[str, Any]) -> dict[str, Any]:
    """The columns of a new rule from a request body, or the 400 naming every bad field."""
    reader = BodyReader(subject="fault rule")
    match = reader.mapping(body.get("match"), "match", required=True) or {}
    _refuse_unknown(reader, match, MATCH_KEYS, "match.")
    method = _given(match, "method", "*")
    method = reader.choice(method.upper() if isinstance(method, str) else method, "match.method", METHODS)
    path = reader.string(match.get("path"), "match.path", limit=PATH_LENGTH, required=True)
    if path is not None and not path.startswith(("/", "*")):
        reader.fail("match.path", "match.path must start with / or *")
    action = reader.choice(body.get("action"), "action", ACTIONS, required=True)
    if action is not None:
        _refuse_unknown(reader, body, ("match", "action", "times", *ACTION_KEYS[action]), "")
    values: dict[str, Any] = {
        "method": method,
        "path": path,
        "action": action,
        "times": reader.integer(_given(body, "times", 1), "times", high=MAX_TIMES),
        "status": None,
        "retry_after": None,
        "delay_ms": None,
        "lose_as": None,
    }
    if action == "fail":
        values["status"] = reader.choice(body.get("status"), "status", FAIL_STATUSES, required=True)
        values["retry_after"] = reader.integer(
            body.get("retry_after"), "retry_after", low=0, high=MAX_RETRY_AFTER
        )
    elif action == "delay_ms":
        values["delay_ms"] = reader.integer(
            body.get("delay_ms"), "delay_ms", high=MAX_DELAY_MS, required=True
        )
    elif action == "lose_answer":
        values["lose_as"] = reader.choice(_given(body, "lose_as", LOSE_AS[0]), "lose_as", LOSE_AS)
    reader.done()
    return values


def _rule(row: Any) -> Rule:
    return Rule(
        id=row.id,
        method=row.method,
        path=row.path,
        action=row.action,
        times=row.times,
        status=row.status,
        retry_after=row.retry_after,
        delay_ms=row.delay_ms,
        lose_as=row.lose_as,
        created_at=row.created_at,
    )


async def armed(conn: AsyncConnection, brand_id: int) -> list[Rule]:
    """The brand's rules that will still fail a request, oldest first (the first to match wins)."""
    rows = await conn.execute(
        select(FaultRule).where(FaultRule.brand_id == brand_id, FaultRule.times > 0).order_by(FaultRule.id)
    )
    return [_rule(row) for row in rows]


async def arm(conn: AsyncConnection, brand_id: int, values: dict[str, Any]) -> Rule | None:
    """Store a rule (spent rules are dropped first); None when the brand already has ``MAX_RULES``."""
    await conn.execute(delete(FaultRule).where(FaultRule.brand_id == brand_id, FaultRule.times <= 0))
    if len(await armed(conn, brand_id)) >= MAX_RULES:
        return None
    new_id = (
        await conn.execute(
            insert(FaultRule).values(brand_id=brand_id, created_at=utcnow(), **values).returning(FaultRule.id)
        )
    ).scalar_one()
    row = (await conn.execute(select(FaultRule).where(FaultRule.id == new_id))).one()
    return _rule(row)


async def clear(conn: AsyncConnection, brand_id: int) -> int:
    """Remove every rule of the brand; how many were still armed."""
    count = len(await armed(conn, brand_id))
    await conn.execute(delete(FaultRule).where(FaultRule.brand_id == brand_id))
    return count


async def take(db: Database, brand_id: int, method: str, path: str) -> Rule | None:
    """The first armed rule matching the request, spending one of its ``times``; None when none matches.

    The spend is one conditional UPDATE, so two instances never both take a rule's last time.
    """
    if api_path(path).startswith(FAULTS_PATH):
        return None
    async with db.read() as conn:
        candidates = [rule for rule in await armed(conn, brand_id) if rule.matches(method, path)]
    for rule in candidates:
        async with db.write() as conn:
            spent = await conn.execute(
                update(FaultRule)
                .where(FaultRule.id == rule.id, FaultRule.times > 0)
                .values(times=FaultRule.times - 1)
            )
        if spent.rowcount:
            return rule
    return None
