"""The JSON shapes of ``{prefix}/test-helpers/faults``, for the OpenAPI document, from the reader's bounds
(``faults.rules``): one body shape per action, and a rule as answered."""

from __future__ import annotations

from clopos_server.faults.rules import (
    ACTIONS,
    FAIL_STATUSES,
    LOSE_AS,
    MAX_DELAY_MS,
    MAX_RETRY_AFTER,
    MAX_TIMES,
    METHODS,
    PATH_LENGTH,
)
from clopos_server.kit.schema import (
    INT_OUT,
    ISO_TIME,
    STR_OUT,
    Schema,
    choice,
    integer,
    nullable,
    obj,
    out,
)

MATCH = obj(
    {
        "method": nullable(choice([*METHODS, *(m.lower() for m in METHODS if m != "*")])),
        "path": {"type": "string", "minLength": 1, "maxLength": PATH_LENGTH, "pattern": r"^[/*]"},
    },
    required=["path"],
    additional=False,
    description="Which requests: an HTTP method (default `*`, any) and a glob on the path, matched "
    "against the whole path or the path after the API prefix (`/orders`, `/orders/*`, `*`)",
)
_TIMES = nullable(integer(1, MAX_TIMES))


def _rule(action: str, title: str, description: str, **fields: Schema) -> Schema:
    """One action's body. Keys beyond these are ignored by the reader, but the document lists none: a
    client has nothing else to send, and a fuzzer's extra keys would meet the body-wide limits that JSON
    Schema cannot state (docs/api/bad-input.md)."""
    return obj(
        {"match": MATCH, "action": {"const": action}, "times": _TIMES, **fields},
        required=["match", "action", *(name for name in fields if name in ("status", "delay_ms"))],
        title=title,
        description=description + " `times` (default 1): how many matching requests it affects.",
        additional=False,
    )


LOSE_ANSWER = _rule(
    "lose_answer",
    "FaultLoseAnswer",
    "The request does its work and commits; its answer is lost: a 502 `bad_gateway` "
    "(`lose_as: bad_gateway`, the default) or the connection closed mid-answer (`closed_connection`).",
    lose_as=nullable(choice(LOSE_AS)),
)
FAIL = _rule(
    "fail",
    "FaultFail",
    "The request answers `status` in the error envelope at once, doing nothing; 429 and 503 carry "
    "`Retry-After` (`retry_after` seconds, default 1).",
    status=choice(FAIL_STATUSES),
    retry_after=nullable(integer(0, MAX_RETRY_AFTER)),
)
DELAY = _rule(
    "delay_ms",
    "FaultDelay",
    "The request waits `delay_ms` milliseconds, then runs as usual.",
    delay_ms=integer(1, MAX_DELAY_MS),
)
FAULT: Schema = out(
    {
        "id": INT_OUT,
        "match": out({"method": STR_OUT, "path": STR_OUT}),
        "action": {"enum": list(ACTIONS)},
        "times": {"type": "integer", "description": "matching requests it will still affect"},
        "status": INT_OUT,
        "retry_after": INT_OUT,
        "delay_ms": INT_OUT,
        "lose_as": STR_OUT,
        "created_at": ISO_TIME,
    },
    required=["id", "match", "action", "times", "created_at"],
    title="FaultRule",
    description="An armed rule (its action's fields only).",
)
CLEARED: Schema = out({"cleared": INT_OUT}, title="FaultsCleared")
