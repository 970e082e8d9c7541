"""The one JSON body parser and the one typed reader of the API's request bodies.

:func:`parse_json` is the only way a body becomes Python values (orders, calculate, customers, receipts,
auth, test helpers). Before anything else looks at the body it guarantees:

* nesting at most ``MAX_DEPTH`` levels (else 400 naming ``body``): every later walk, hash and writer of
  the body stays far from any recursion limit (orjson stops at 255);
* no lone surrogate anywhere, in a value or in a key, even one the server ignores (else 400 naming the
  path): no UTF-8 writer, hash or database driver can take one;
* numbers as ``int`` or ``Decimal`` (never a float), finite, below ``10**NUMBER_DIGITS`` in size and with
  at most ``NUMBER_DIGITS`` decimal places (else 400 naming the path). The bound is refused here rather
  than left to each consumer because a number such as ``1E+999999999`` is a valid JSON number that prints
  as a billion digits and overflows the decimal context, so every consumer would have to guard against
  it; the bound is far above any id, count or amount (those have their own, smaller bounds in
  :class:`BodyReader`), so no legitimate body is refused. Integers beyond 64 bits below the bound are
  kept: the readers refuse them where a column must hold them, and the idempotency fingerprint writes
  them exactly.

NUL characters are not refused here (a NUL in a key the server ignores harms nothing): every string that
reaches the database is read by :meth:`BodyReader.string` or :meth:`BodyReader.free_form` (``/auth``'s
fields by ``auth.service.require_fields``), which refuse them.

:class:`BodyReader` reads typed values out of a parsed body, collecting every problem with the field path
the client sent, so that one 400 ``validation_failed`` names them all.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, localcontext
from typing import Any, Final, overload

from starlette.requests import Request

from clopos_server import jsonio
from clopos_server.errors import ApiError, Problem
from clopos_server.kit.values import (
    MAX_ID,
    UNSTORABLE,
    is_uuid,
    parse_moment,
    storable,
    to_decimal,
    utf8,
)

MAX_DEPTH = 64
NUMBER_DIGITS = 100
_NUMBER_LIMIT: int = 10**NUMBER_DIGITS
_KEY_IN_PATH = 100  # characters of a key repeated in a field path
FREE_FORM_EXPONENT = 100  # a Decimal such as 1E+999999999 would print as a billion digits


class _Missing(enum.Enum):
    MISSING = enum.auto()


MISSING: Final = _Missing.MISSING  # a key that was not sent (as opposed to a ``null`` that was)


# ------------------------------------------------------------------------------ parsing


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _integer(text: str) -> int | Decimal:
    """Long integers come back as a Decimal, which the number check refuses: ``int()`` of a 5,000-digit
    literal raises (Python's digit limit) and would only say "not valid JSON"."""
    return int(text) if len(text) <= NUMBER_DIGITS + 1 else Decimal(text)


@dataclass
class _Flaw:
    message: str
    segments: list[str | int] = field(default_factory=list)  # innermost first
    whole_body: bool = False


_SURROGATE = "holds a lone surrogate (text that is not valid Unicode)"
_SURROGATE_KEY = "has a key holding a lone surrogate (text that is not valid Unicode)"
_OUT_OF_RANGE = (
    f"must be a number below 1E+{NUMBER_DIGITS} in size with at most {NUMBER_DIGITS} decimal places"
)
_TOO_DEEP = f"The request body is nested more than {MAX_DEPTH} levels deep"


def _number_ok(value: int | Decimal) -> bool:
    if isinstance(value, int):
        return -_NUMBER_LIMIT < value < _NUMBER_LIMIT
    exponent = value.as_tuple().exponent
    if not value.is_finite() or not isinstance(exponent, int) or exponent < -NUMBER_DIGITS:
        return False
    return value.is_zero() or value.adjusted() < NUMBER_DIGITS


def _flaw(value: Any, depth: int) -> _Flaw | None:
    """The first thing in a parsed JSON value that breaks the parser's guarantees, or None."""
    if isinstance(value, str):
        return None if utf8(value) else _Flaw(_SURROGATE)
    if isinstance(value, dict):
        if depth > MAX_DEPTH:
            return _Flaw(_TOO_DEEP, whole_body=True)
        for key, item in value.items():
            if not utf8(key):
                return _Flaw(_SURROGATE_KEY)
            flaw = _flaw(item, depth + 1)
            if flaw is not None:
                flaw.segments.append(key)
                return flaw
        return None
    if isinstance(value, list):
        if depth > MAX_DEPTH:
            return _Flaw(_TOO_DEEP, whole_body=True)
        for index, item in enumerate(value):
            flaw = _flaw(item, depth + 1)
            if flaw is not None:
                flaw.segments.append(index)
                return flaw
        return None
    if isinstance(value, int | Decimal) and not isinstance(value, bool) and not _number_ok(value):
        return _Flaw(_OUT_OF_RANGE)
    return None


def _path(segments: list[str | int]) -> str:
    """``payload.products[0].note`` from innermost-first segments; ``body`` for the body itself."""
    path = ""
    for segment in reversed(segments):
        if isinstance(segment, int):
            path = f"{path or 'body'}[{segment}]"
        else:
            name = segment[:_KEY_IN_PATH]
            path = f"{path}.{name}" if path else name
    return path or "body"


class _Numbers:
    """``json.loads``' number hooks, noting whether any number is out of range (the walk then names it)."""

    __slots__ = ("out_of_range",)

    def __init__(self) -> None:
        self.out_of_range = False

    def integer(self, text: str) -> int | Decimal:
        value = _integer(text)
        if not _number_ok(value):
            self.out_of_range = True
        return value

    def decimal(self, text: str) -> Decimal:
        value = Decimal(text)
        if not _number_ok(value):
            self.out_of_range = True
        return value


def _may_have_flaw(raw: bytes, numbers: _Numbers) -> bool:
    """Whether :func:`_flaw` must walk the parsed body: skipped only when it cannot find anything. A lone
    surrogate can only come from a ``\\u`` escape in a UTF-8 body (the strict decoder refuses encoded
    ones; other encodings are always walked), and a body with at most ``MAX_DEPTH`` brackets cannot nest
    deeper. The walk was a tenth of a replay's CPU (docs/performance.md)."""
    return (
        numbers.out_of_range
        or b"\\u" in raw
        or raw.count(b"[") + raw.count(b"{") > MAX_DEPTH
        or json.detect_encoding(raw) != "utf-8"
    )


def parse_json(raw: bytes) -> Any:
    """Parse a request body with numbers as ``int`` or ``Decimal``, checked as the module says, or raise
    a 400 ``validation_failed``."""
    if not raw.strip():
        raise body_problem("The request body is empty: send a JSON object")
    numbers = _Numbers()
    try:
        value = json.loads(
            raw, parse_float=numbers.decimal, parse_int=numbers.integer, parse_constant=_no_constants
        )
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "not valid JSON"
        raise body_problem(f"Malformed JSON body: {reason}") from None
    flaw = _flaw(value, 1) if _may_have_flaw(raw, numbers) else None
    if flaw is not None:
        if flaw.whole_body:
            raise body_problem(flaw.message)
        path = _path(flaw.segments)
        message = f"{path} {flaw.message}"
        raise ApiError("validation_failed", message, [Problem(message, path)])
    return value


def body_problem(message: str) -> ApiError:
    """A 400 about the body as a whole."""
    return ApiError("validation_failed", message, [Problem(message, "body")])


async def read_no_body(request: Request) -> None:
    """Nothing, or an empty JSON object (what the document's ``NoBody`` says): anything else is a 400 (a
    client sending fields here expects them to do something, and they would not)."""
    raw = await request.body()
    if raw.strip() and parse_json(raw) != {}:
        raise body_problem("This operation takes no body (or an empty JSON object)")


async def read_json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object; an array or scalar is a 400 naming ``body``."""
    value = parse_json(await request.body())
    if not isinstance(value, dict):
        raise body_problem("The request body must be a JSON object")
    return value


# ------------------------------------------------------------------------------ free-form JSON


def free_form_issue(value: Any, max_depth: int, depth: int = 0) -> str | None:
    """Why a free-form value (a ``meta`` the server keeps as sent) cannot be stored as JSON, or None."""
    if depth > max_depth:
        return f"is nested more than {max_depth} levels deep"
    if isinstance(value, dict):
        for key, item in value.items():
            issue = free_form_issue(key, max_depth, depth + 1) or free_form_issue(item, max_depth, depth + 1)
            if issue:
                return issue
    elif isinstance(value, list):
        for item in value:
            issue = free_form_issue(item, max_depth, depth + 1)
            if issue:
                return issue
    elif isinstance(value, str):
        if not storable(value):
            return UNSTORABLE
    elif isinstance(value, bool) or value is None:
        return None
    elif isinstance(value, int):
        if not -jsonio.JSON_INT <= value < jsonio.JSON_INT:
            return "holds an integer outside the 64-bit range"
    elif isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        if not isinstance(exponent, int) or abs(exponent) > FREE_FORM_EXPONENT:
            return "holds a number too large or too precise to store"
    return None


# ------------------------------------------------------------------------------ the typed reader

_INTEGER_TEXT = re.compile(r"[0-9]+")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class BodyReader:
    """Reads typed values out of a parsed body and collects problems under the paths the client sent.

    A value that is absent or ``null`` is "not sent": ``None`` comes back, and a problem only when the
    read is ``required``. ``origin`` maps a path (or a prefix of one) as the server reads it to where that
    value sat in the body as sent (the orders' flat shape is read in the nested form); empty, paths are
    the client's already. ``subject`` and ``message`` word the 400's top-level message.
    """

    def __init__(self, *, subject: str = "order", message: str | None = None) -> None:
        self.problems: list[Problem] = []
        self.origin: dict[str, str] = {}
        self.subject = subject
        self.message = message

    # -------------------------------------------------------------------------- problems

    def sent(self, path: str) -> str:
        end = len(path)
        while end > 0:
            prefix = path[:end]
            if prefix in self.origin:
                return self.origin[prefix] + path[end:]
            end = max(path.rfind(".", 0, end), path.rfind("[", 0, end))
        return path

    def fail(self, path: str, message: str) -> None:
        problem = Problem(message, self.sent(path))
        if problem not in self.problems:  # one value read twice (the flat customer id) is one problem
            self.problems.append(problem)

    def bad(self, path: str, what: str) -> None:
        self.fail(path, f"{self.sent(path)} {what}")

    def error(self) -> ApiError:
        """The 400 naming every problem found so far."""
        count = len(self.problems)
        message = self.message
        if message is None:
            message = self.problems[0].message if count == 1 else f"{count} problems in the {self.subject}"
        if not self.problems:
            message = self.message or f"The {self.subject} is not valid"
        return ApiError("validation_failed", message, list(self.problems))

    def done(self) -> None:
        """Raise the 400 when anything was wrong."""
        if self.problems:
            raise self.error()

    def _present(self, value: Any, path: str, required: bool) -> bool:
        if value is MISSING or value is None:
            if required:
                self.bad(path, "is required")
            return False
        return True

    # -------------------------------------------------------------------------- containers

    def mapping(self, value: Any, path: str, *, required: bool = False) -> dict[str, Any] | None:
        if not self._present(value, path, required):
            return None
        if not isinstance(value, dict):
            self.bad(path, "must be an object")
            return None
        return value

    def array(
        self, value: Any, path: str, *, required: bool = False, max_items: int | None = None
    ) -> list[Any] | None:
        if not self._present(value, path, required):
            return None
        if not isinstance(value, list):
            self.bad(path, "must be a list")
            return None
        if max_items is not None and len(value) > max_items:
            self.bad(path, f"must hold at most {max_items} items, got {len(value)}")
            return None
        return value

    def free_form(self, value: Any, path: str, *, max_depth: int, max_bytes: int | None = None) -> bool:
        """A value kept as sent (``meta``): storable JSON, nested at most ``max_depth``, small enough."""
        issue = free_form_issue(value, max_depth)
        if issue is None and max_bytes is not None:
            size = len(jsonio.dumps(value))
            if size > max_bytes:
                issue = f"is too large: {size} bytes, at most {max_bytes}"
        if issue is not None:
            self.bad(path, issue)
            return False
        return True

    # -------------------------------------------------------------------------- scalars

    def string(
        self, value: Any, path: str, *, limit: int, required: bool = False, numbers: bool = False
    ) -> str | None:
        """Text of at most ``limit`` characters without NUL or lone surrogates. ``numbers`` also takes an
        integer as its digits (phones and order numbers sent as numbers)."""
        if not self._present(value, path, required):
            return None
        if numbers and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.bad(path, "must be a string")
            return None
        if len(value) > limit:
            self.bad(path, f"must be at most {limit} characters long")
            return None
        if not storable(value):
            self.bad(path, UNSTORABLE)
            return None
        return value

    def integer(
        self, value: Any, path: str, *, low: int = 1, high: int = MAX_ID, required: bool = False
    ) -> int | None:
        """An integer within ``low..high`` (ids by default): a JSON integer, a number with no fraction, or
        ASCII digits as text (as integrators send ids), no more of them than ``high`` has."""
        if not self._present(value, path, required):
            return None
        in_range = f"must be an integer from {low} to {high}"
        if isinstance(value, str):
            text = value.strip()
            if _INTEGER_TEXT.fullmatch(text) is None:
                self.bad(path, "must be an integer")
                return None
            if len(text) > len(str(high)):
                self.bad(path, in_range)
                return None
            number: Decimal | None = Decimal(text)
        else:
            number = to_decimal(value)
        if number is None or number != number.to_integral_value():
            self.bad(path, "must be an integer")
            return None
        if not low <= number <= high:  # compared as a Decimal: int() of 1E+99 would be a 100-digit int
            self.bad(path, in_range)
            return None
        return int(number)

    def decimal(
        self,
        value: Any,
        path: str,
        *,
        high: Decimal,
        places: int,
        positive: bool = False,
        required: bool = False,
    ) -> Decimal | None:
        """A finite number (or numeric string), non-negative or positive, at most ``high``, with at most
        ``places`` decimals. A value with more (zero) places is rescaled, so that it always prints short."""
        if not self._present(value, path, required):
            return None
        number = to_decimal(value)
        if number is None:
            self.bad(path, "must be a number")
            return None
        if positive and number <= 0:
            self.bad(path, "must be greater than 0")
            return None
        if number < 0:
            self.bad(path, "must not be negative")
            return None
        if number > high:
            self.bad(path, f"must be at most {high}")
            return None
        with localcontext() as ctx:
            ctx.prec = 64  # high < 1E+40 and places <= 20: every step below is exact at this precision
            rescaled = number.quantize(Decimal(1).scaleb(-places))
            if rescaled != number:
                self.bad(path, f"must have at most {places} decimal places")
                return None
            exponent = number.as_tuple().exponent
            if isinstance(exponent, int) and exponent < -places:  # 0E-999999999 would print a GB of zeros
                number = rescaled.normalize()
            return number + 0  # -0 becomes 0

    def boolean(self, value: Any, path: str, *, required: bool = False) -> bool | None:
        """``true``/``false``, or the integers 1 and 0 that older clients send."""
        if not self._present(value, path, required):
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        self.bad(path, "must be true or false")
        return None

    @overload
    def choice(
        self, value: Any, path: str, choices: tuple[int, ...], *, required: bool = False
    ) -> int | None: ...

    @overload
    def choice(
        self, value: Any, path: str, choices: tuple[str, ...], *, required: bool = False
    ) -> str | None: ...

    def choice(
        self, value: Any, path: str, choices: tuple[int, ...] | tuple[str, ...], *, required: bool = False
    ) -> int | str | None:
        """One of ``choices``: text exactly, or a number (also as a numeric string) equal to one."""
        if not self._present(value, path, required):
            return None
        if all(isinstance(item, str) for item in choices):
            if isinstance(value, str) and value in choices:
                return value
        else:
            number = to_decimal(value)
            if number is not None and number in choices:
                return int(number)
        self.bad(path, f"must be one of {', '.join(map(str, choices))}")
        return None

    def moment(self, value: Any, path: str, *, required: bool = False) -> datetime | None:
        """``2026-01-13 20:04:05``, ISO 8601 (``...T...Z`` or with an offset), or epoch milliseconds."""
        if not self._present(value, path, required):
            return None
        moment = parse_moment(value)
        if moment is None:
            self.bad(path, "must be a time as YYYY-MM-DD HH:MM:SS, ISO 8601 or epoch milliseconds")
        return moment

    def day(self, value: Any, path: str, *, required: bool = False) -> date | None:
        """A calendar date as ``YYYY-MM-DD``."""
        if not self._present(value, path, required):
            return None
        if isinstance(value, str) and _DAY.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.bad(path, "must be a date in YYYY-MM-DD format")
        return None

    def uuid(self, value: Any, path: str, *, required: bool = False) -> str | None:
        """A UUID (36 characters with hyphens), lower-cased."""
        if not self._present(value, path, required):
            return None
        if not isinstance(value, str) or not is_uuid(value):
            self.bad(path, "must be a UUID")
            return None
        return value.lower()
