"""JSON Schema pieces for the values the body reader accepts, so the OpenAPI document says what it reads.

Each builder mirrors one typed read of :mod:`clopos_server.kit.body` and takes its bound from the same
named constant the reader uses: an id is an integer or a string of ASCII digits, an amount a number or a
numeric string, a text has a length limit. The document is built from these pieces by each domain's
``shapes`` module; the schemathesis run in the test suite sends what they allow (and what they refuse)
to the real server, which is what keeps the two from drifting apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from clopos_server.kit.body import MAX_DEPTH, NUMBER_DIGITS
from clopos_server.kit.values import MAX_EPOCH_MS, MAX_ID, NUMBER_TEXT_LIMIT

Schema = dict[str, Any]

ID_MAX = MAX_ID
DIGITS = r"^[0-9]+$"
NUMERIC_TEXT = r"^[0-9]+(\.[0-9]+)?$"
# what kit.values.to_decimal reads (it also strips surrounding blanks, which this leaves out)
DECIMAL_TEXT = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"


BLANK: Schema = {"type": "string", "maxLength": 0, "description": "blank: as if not sent"}

# Any JSON value the body reader takes where a body holds keys it does not read (kit.body.parse_json bounds
# every number, read or not): registered once as the component ``AnyValue``, which refers to itself.
ANY_VALUE = "AnyValue"
_NUMBER_BOUND = float(f"1E+{NUMBER_DIGITS}")  # a float: the document is JSON, 1E+100 has no int64
ANY_VALUE_SCHEMA: Schema = {
    "title": ANY_VALUE,
    "description": f"any JSON value; numbers below 1E+{NUMBER_DIGITS} in size, at most {NUMBER_DIGITS} "
    f"decimal places, at most {MAX_DEPTH} levels of nesting",
    "anyOf": [
        {"type": ["string", "boolean", "null"]},
        {"type": "number", "exclusiveMinimum": -_NUMBER_BOUND, "exclusiveMaximum": _NUMBER_BOUND},
        {"type": "array", "items": {"$ref": f"#/components/schemas/{ANY_VALUE}"}},
        {"type": "object", "additionalProperties": {"$ref": f"#/components/schemas/{ANY_VALUE}"}},
    ],
}


def or_blank(schema: Schema) -> Schema:
    """``schema``, ``null`` or ``""``: readers that treat a blank string as "not sent" (customers' bodies,
    a list query's parameters: ``limit=``, ``sort[1]=``; in a query string ``null`` can only be blank)."""
    return {"anyOf": [schema, {"type": "null"}, BLANK]}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    """``schema`` or ``null`` (a ``null`` the reader treats as "not sent")."""
    if "type" not in schema:  # a $ref, an enum, a oneOf/anyOf
        return {"anyOf": [schema, {"type": "null"}]}
    kinds = schema.get("type", [])
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    out = dict(schema, type=[*kinds, "null"])
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    return out


def integer(low: int = 1, high: int = ID_MAX, *, digits_as_text: bool = True) -> Schema:
    """An integer within ``low..high``; ids may also come as ASCII-digit strings (``"venue_id": "1"``).

    The text form is described in its canonical spelling (no leading zeros), exactly within the range."""
    number: Schema = {"type": "integer", "minimum": low, "maximum": high}
    if not digits_as_text or low not in (0, 1):
        return number
    return {"anyOf": [number, {"type": "string", "pattern": digits_within(low, high)}]}


def digits_within(low: int, high: int) -> str:
    """A regular expression for the integers ``low..high`` (``low`` 0 or 1) written in decimal without
    leading zeros: shorter numbers than ``high`` freely, and ones as long as ``high`` digit by digit."""
    top = str(high)
    branches = []
    if len(top) > 1:  # 1 .. 10**(len-1) - 1
        branches.append("[1-9]" + (f"[0-9]{{0,{len(top) - 2}}}" if len(top) > 2 else ""))
    for i, digit in enumerate(top):
        smallest = 1 if i == 0 else 0
        if int(digit) > smallest:
            rest = len(top) - i - 1
            below = f"[{smallest}-{int(digit) - 1}]"
            branches.append(top[:i] + below + (f"[0-9]{{{rest}}}" if rest else ""))
    branches.append(top)
    if low == 0:
        branches.append("0")
    return "^(" + "|".join(branches) + ")$"


def identifier(description: str | None = None) -> Schema:
    schema = integer(1, ID_MAX)
    return {**schema, "description": description} if description else schema


def amount(high: Decimal, *, places: int, positive: bool = False) -> Schema:
    """A non-negative (or positive) amount with at most ``places`` decimals, as a number or numeric text."""
    number: Schema = {
        "type": "number",
        "maximum": float(high),
        "multipleOf": float(Decimal(1).scaleb(-places)),
    }
    if positive:
        number["exclusiveMinimum"] = 0
    else:
        number["minimum"] = 0
    text: Schema = {"type": "string", "pattern": NUMERIC_TEXT, "maxLength": NUMBER_TEXT_LIMIT}
    return {"anyOf": [number, text]}


def text(limit: int, *, min_length: int = 0, numbers: bool = False, description: str | None = None) -> Schema:
    """A string of at most ``limit`` characters (no NUL, no lone surrogate: JSON Schema cannot say so).
    With ``numbers`` an integer is taken too, as its digits (phones and order numbers sent as numbers)."""
    schema: Schema = {"type": "string", "maxLength": limit}
    if min_length:
        schema["minLength"] = min_length
    if numbers:  # the integer's text must fit the limit too
        schema = {
            "anyOf": [schema, {"type": "integer", "minimum": 1 - 10 ** (limit - 1), "maximum": 10**limit - 1}]
        }
    if description:
        schema["description"] = description
    return schema


def boolean() -> Schema:
    """``true``/``false``, and the integers 1 and 0 that older clients send."""
    return {"anyOf": [{"type": "boolean"}, {"type": "integer", "enum": [0, 1]}]}


def choice(values: Iterable[Any]) -> Schema:
    return {"enum": list(values)}


def array(items: Schema, *, max_items: int, min_items: int = 0) -> Schema:
    schema: Schema = {"type": "array", "items": items, "maxItems": max_items}
    if min_items:
        schema["minItems"] = min_items
    return schema


def obj(
    properties: Mapping[str, Schema],
    *,
    required: Iterable[str] = (),
    description: str | None = None,
    title: str | None = None,
    additional: bool = True,
) -> Schema:
    """An object; other keys are allowed (clients send more than the server reads, and it ignores them)
    unless ``additional`` is false (where a client has nothing else to send)."""
    schema: Schema = {"type": "object", "properties": dict(properties)}
    schema["additionalProperties"] = ref(ANY_VALUE) if additional else False
    names = list(required)
    if names:
        schema["required"] = names
    if description:
        schema["description"] = description
    if title:
        schema["title"] = title
    return schema


def moment() -> Schema:
    """``2026-01-13 20:04:05``, ISO 8601, or epoch milliseconds (``kit.values.parse_moment``)."""
    return {
        "anyOf": [
            {"type": "string", "maxLength": 64, "examples": ["2026-01-13 20:04:05", "2026-01-13T20:04:05Z"]},
            {"type": "integer", "minimum": 0, "maximum": MAX_EPOCH_MS},
        ]
    }


# The patterns say what the server takes as exactly as a pattern can (``kit.values.is_uuid``, ``read.day``),
# so that almost every string they match is one the format admits too: schemathesis draws from the
# pattern and discards what the format refuses, and the looser ``^[0-9a-fA-F-]{36}$`` and
# ``^[0-9]{4}-[0-9]{2}-[0-9]{2}$`` starved it (``POST /v2/customers``' coverage phase: 10.6 s, now 3.7 s).
_HEX = "[0-9a-fA-F]"
UUID: Schema = {
    "type": "string",
    "format": "uuid",
    "pattern": f"^{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}$",
}
DAY: Schema = {
    "type": "string",
    "format": "date",
    # years 0001 to 9999, as Python's dates: 0000 matches the loose pattern and the format, not the server
    "pattern": r"^([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})"
    r"-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
}

# ---------------------------------------------------------------------------------------------- answers
# What the server writes: exact types, so that a client generated from the document parses every answer.

MONEY_OUT: Schema = {"type": "number", "description": "Exact decimal, written without a float round trip"}
INT_OUT: Schema = {"type": "integer"}
STR_OUT: Schema = {"type": "string"}
BOOL_OUT: Schema = {"type": "boolean"}
ISO_TIME: Schema = {"type": "string", "examples": ["2026-02-02T13:45:53.000000Z"]}
PLAIN_TIME: Schema = {"type": "string", "examples": ["2026-01-13 20:04:05"]}


def out(properties: Mapping[str, Schema], *, required: Iterable[str] | None = None, **extra: Any) -> Schema:
    """An answer object: every listed property is always present unless ``required`` says otherwise."""
    names = list(properties) if required is None else list(required)
    return {"type": "object", "properties": dict(properties), "required": names, **extra}


def query_parameter(name: str, schema: Schema, description: str, **extra: Any) -> dict[str, Any]:
    """An optional query parameter of an operation (``extra``: ``style``, ``explode``, ...)."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
        **extra,
    }


def maybe(schema: Schema) -> Schema:
    """An answer value that may be ``null``."""
    return nullable(schema)
