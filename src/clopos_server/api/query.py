"""The one parser for list-endpoint query strings: PHP bracket notation in, a typed :class:`ListQuery` out.

Every list endpoint describes what it accepts with a :class:`ResourceQuerySpec` and calls
:func:`parse_list_query` on the raw query string. Any bad value raises the project's
``invalid_parameter`` error (a 400 naming ``query.<name>``); unknown parameters, filters on fields the
resource does not allow, and unknown relation or column names are ignored (logged at debug). Nothing here
may answer a 500, whatever the input: the query string is bounded in size, pair count, bracket nesting
and list index before any work is done.

Accepted spellings (brackets raw or percent-encoded):

* ``page``, ``limit``; a query key that is a JSON object (``?{"page":1,"limit":50}=``) counts as if its
  members had been sent as parameters;
* ``filters[0][0]=field&filters[0][1]=value`` (``filters[0][1][]=a&filters[0][1][]=b`` means any of),
  ``filters[field][0]=field&filters[field][1]=value``, ``filters[field]=value``, ``filters=<JSON object or
  list of pairs>``, and the misspelling ``filter`` (also for one half of a pair:
  ``filters[0][0]=name&filter[0][1]=x`` is one filter);
* ``sort[0]=field&sort[1]=1|-1`` or ``sort_by=field&sort_order=1|-1|asc|desc``;
* ``with[]=customer``, ``with[0]=receipt:id,status``, ``with=a,b`` (also ``with_``);
* ``selects=id,name`` or ``selects[]=id``;
* ``date[0]=YYYY-MM-DD&date[1]=YYYY-MM-DD`` or ``date_from``/``date_to``.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from clopos_server.errors import ApiError, invalid_parameter
from clopos_server.kit.query import RANGE, Kind, ListQuery, ResourceQuerySpec

logger = logging.getLogger(__name__)

MAX_QUERY_LENGTH = 16 * 1024  # characters of the raw query string
MAX_PAIRS = 500  # key/value pairs
MAX_DEPTH = 5  # bracket segments after the name (and levels of a JSON value)
MAX_INDEX = 1000  # largest list index
MAX_PAGE = 1_000_000_000  # keeps offsets well inside a 64-bit integer

# --------------------------------------------------------------------------------------------------------
# Raw query string -> nested structure

_KEY_RE = re.compile(r"([^\[\]]+)((?:\[[^\[\]]*\])*)")
_SEGMENT_RE = re.compile(r"\[([^\[\]]*)\]")
_INDEX_RE = re.compile(r"0|[1-9][0-9]{0,5}")


def _is_index(key: str) -> bool:
    return _INDEX_RE.fullmatch(key) is not None


def _too_deep(name: str) -> ApiError:
    return invalid_parameter(name, f"{name} is nested deeper than {MAX_DEPTH} levels")


def _index_too_large(name: str) -> ApiError:
    return invalid_parameter(name, f"{name} list indices must be at most {MAX_INDEX}")


def _resolve_segment(container: dict[str, Any], segment: str, name: str) -> str:
    if segment == "":
        indices = [int(key) for key in container if _is_index(key)]
        index = max(indices) + 1 if indices else 0
        if index > MAX_INDEX:
            raise _index_too_large(name)
        return str(index)
    if (
        segment.isascii()
        and segment.isdigit()
        and (len(segment) > 6 or (_is_index(segment) and int(segment) > MAX_INDEX))
    ):
        raise _index_too_large(name)
    return segment


def _merge(container: dict[str, Any], key: str, value: Any) -> None:
    """Set ``container[key]``; a later object is merged into an earlier one, anything else replaces it,
    except that a blank value (a parameter not sent) never hides an earlier one (``limit=x&limit=`` is
    the bad ``x``, not the default)."""
    existing = container.get(key)
    if isinstance(existing, dict) and isinstance(value, dict):
        for child_key, child in value.items():
            _merge(existing, child_key, child)
    elif not (isinstance(value, str) and not value.strip() and existing is not None):
        container[key] = value


_ALIASES = {"filter": "filters"}
"""Misspelt bracketed names read as the real one, so that ``filters[0][0]=name&filter[0][1]=x`` (a
published client's spelling) is one pair; a whole ``filter=<JSON>`` value stays its own parameter."""


def _assign(root: dict[str, Any], key: str, value: Any) -> None:
    match = _KEY_RE.fullmatch(key)
    if match is None:
        logger.debug("ignoring query parameter with a malformed name %r", key[:100])
        return
    name = match.group(1)
    segments: list[str] = _SEGMENT_RE.findall(match.group(2))
    if len(segments) > MAX_DEPTH:
        raise _too_deep(name)
    container = root
    current = _ALIASES.get(name, name) if segments else name
    for segment in segments:
        child = container.get(current)
        if not isinstance(child, dict):
            child = {}
            container[current] = child
        current = _resolve_segment(child, segment, name)
        container = child
    _merge(container, current, value)


def _from_json(value: Any, name: str, depth: int = 0) -> Any:
    """A decoded JSON value as query values: scalars become text, lists become index-keyed objects."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    if depth >= MAX_DEPTH:
        raise _too_deep(name)
    if isinstance(value, list):
        if len(value) > MAX_INDEX + 1:
            raise _index_too_large(name)
        return {str(index): _from_json(item, name, depth + 1) for index, item in enumerate(value)}
    if isinstance(value, dict):
        return {str(key): _from_json(item, name, depth + 1) for key, item in value.items()}
    return str(value)  # pragma: no cover - json.loads yields nothing else


def _load_json(text: str) -> Any:
    """``json.loads``, or None when the text is not JSON (including JSON nested too deeply to decode)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _expand_json_key(root: dict[str, Any], key: str, value: str) -> None:
    decoded = _load_json(key)
    if not isinstance(decoded, dict) and value:
        decoded = _load_json(f"{key}={value}")
    if not isinstance(decoded, dict):
        logger.debug("ignoring query key that looks like JSON but is not an object: %r", key[:100])
        return
    for member, member_value in decoded.items():
        _assign(root, str(member), _from_json(member_value, str(member).split("[", 1)[0]))


def _finalize(node: Any) -> Any:
    """Turn objects whose keys are exactly 0..n-1 into lists, depth first."""
    if not isinstance(node, dict):
        return node
    children = {key: _finalize(child) for key, child in node.items()}
    if children and all(_is_index(key) for key in children):
        indices = sorted(int(key) for key in children)
        if indices == list(range(len(indices))):
            return [children[str(index)] for index in indices]
    return children


def parse_query_string(raw: str) -> dict[str, Any]:
    """Parse a raw query string (PHP bracket notation) into nested dicts, lists and strings.

    ``a[]=x&a[]=y`` and ``a[0]=x&a[1]=y`` both give ``{"a": ["x", "y"]}``; a key that is a JSON object
    contributes its members as parameters. Later values replace earlier ones (objects are merged).
    Raises ``invalid_parameter`` for a query over the size, pair, nesting or index bounds.
    """
    if raw.startswith("?"):
        raw = raw[1:]
    if len(raw) > MAX_QUERY_LENGTH:
        raise invalid_parameter("query", f"query string must be at most {MAX_QUERY_LENGTH} characters")
    if raw.count("&") >= MAX_PAIRS:
        raise invalid_parameter("query", f"query string must have at most {MAX_PAIRS} parameters")
    root: dict[str, Any] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        if key.lstrip().startswith("{"):
            _expand_json_key(root, key.strip(), value)
        else:
            _assign(root, key, value)
    return {key: _finalize(value) for key, value in root.items()}


# --------------------------------------------------------------------------------------------------------
# Values

INT_DIGITS = 18  # an integer parameter without bounds of its own: at most this many digits
_INT_RE = re.compile(rf"[+-]?[0-9]{{1,{INT_DIGITS}}}")
_DATE_RE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[ T][0-9:.]{0,15})?")
_IDENTIFIER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_BOOLS = {"true": True, "1": True, "false": False, "0": False}
_DIRECTIONS = {"1": False, "+1": False, "asc": False, "-1": True, "desc": True}


def _parse_int(text: str) -> int | None:
    """An integer in ASCII digits (a ``str`` pattern's ``[0-9]`` is ASCII only, unlike ``isdigit``)."""
    text = text.strip()
    return int(text) if _INT_RE.fullmatch(text) else None


def _bounded_int(text: str, kind: Kind, name: str, message: str) -> int:
    """An integer of ``kind`` from its text, or a 400: ``message`` when it is none, the bounds when it is
    outside them."""
    number = _parse_int(text)
    if number is None:
        raise invalid_parameter(name, message)
    if kind.bounds is not None and not kind.bounds[0] <= number <= kind.bounds[1]:
        raise invalid_parameter(name, f"{message} from {kind.bounds[0]} to {kind.bounds[1]}")
    return number


def _kind_message(kind: Kind, label: str) -> str:
    if kind.type == "int":
        return f"{label} must be an integer"
    if kind.type == "bool":
        return f"{label} must be true or false"
    if kind.type == "enum":
        return f"{label} must be one of {', '.join(kind.choices)}"
    if kind.type == "range":
        return f"{label} must be a [from, to] range of integers"
    if kind.stored:
        return f"{label} must be text without NUL characters"
    return f"{label} must be text"


def _convert(kind: Kind, text: str, name: str, label: str) -> Any:
    """One value of ``kind`` from its text; ``name`` is the parameter the error names."""
    if kind.type == "int":
        return _bounded_int(text, kind, name, _kind_message(kind, label))
    if kind.type == "bool":
        flag = _BOOLS.get(text.strip().lower())
        if flag is None:
            raise invalid_parameter(name, _kind_message(kind, label))
        return flag
    if kind.type == "enum":
        if text.strip() not in kind.choices:
            raise invalid_parameter(name, _kind_message(kind, label))
        return text.strip()
    if kind.stored and "\x00" in text:
        raise invalid_parameter(name, _kind_message(kind, label))
    return text


def _scalar(node: Any, name: str, message: str) -> str | None:
    """A single-valued parameter's text, or None when absent or blank; a list or object is a bad value."""
    if node is None:
        return None
    if not isinstance(node, str):
        raise invalid_parameter(name, message)
    return node if node.strip() else None


def _range(node: Any, label: str, kind: Kind = RANGE) -> tuple[int | None, int | None] | None:
    """A ``range`` filter value: ``[from, to]`` (either blank), or a single value meaning exactly it."""
    message = _kind_message(kind, label)
    if isinstance(node, str):
        bounds: list[Any] = [node, node]
    elif isinstance(node, list) and len(node) <= 2:
        bounds = [*node, None, None][:2]
    elif isinstance(node, dict) and set(node) <= {"0", "1"}:
        bounds = [node.get("0"), node.get("1")]
    else:
        raise invalid_parameter("filters", message)
    parsed: list[int | None] = []
    for bound in bounds:
        text = _scalar(bound, "filters", message)
        if text is None:
            parsed.append(None)
            continue
        parsed.append(_bounded_int(text, kind, "filters", message))
    if parsed[0] is None and parsed[1] is None:
        return None
    return parsed[0], parsed[1]


def _date(node: Any, name: str) -> datetime.date | None:
    message = f"{name} must be a date in YYYY-MM-DD format"
    text = _scalar(node, name, message)
    if text is None:
        return None
    match = _DATE_RE.fullmatch(text.strip())
    if match is None:
        raise invalid_parameter(name, message)
    try:
        return datetime.date.fromisoformat(match.group(1))
    except ValueError:
        raise invalid_parameter(name, message) from None


# --------------------------------------------------------------------------------------------------------
# Parts of a list query


def _page_and_limit(tree: Mapping[str, Any], spec: ResourceQuerySpec) -> tuple[int, int]:
    page_message = "page must be a positive integer"
    text = _scalar(tree.get("page"), "page", page_message)
    page = 1
    if text is not None:
        number = _parse_int(text)
        if number is None or number < 1:
            raise invalid_parameter("page", page_message)
        if number > MAX_PAGE:
            raise invalid_parameter("page", f"page must be at most {MAX_PAGE}")
        page = number
    limit_message = f"limit must be between 1 and {spec.max_limit}"
    text = _scalar(tree.get("limit"), "limit", limit_message)
    limit = spec.default_limit
    if text is not None:
        number = _parse_int(text)
        if number is None or not 1 <= number <= spec.max_limit:
            raise invalid_parameter("limit", limit_message)
        limit = number
    return page, limit


def _sort(tree: Mapping[str, Any], spec: ResourceQuerySpec) -> tuple[str, bool]:
    shape_message = "sort must be [field, direction]"
    field_text: Any = None
    direction_text: Any = None
    field_name = direction_name = "sort"
    node = tree.get("sort")
    if isinstance(node, list) and len(node) == 1 and isinstance(node[0], list | dict):
        node = node[0]  # a JSON list of one [field, direction] pair
    if isinstance(node, str):
        field_text = node
    elif isinstance(node, list):
        if len(node) > 2:
            raise invalid_parameter("sort", shape_message)
        field_text, direction_text = [*node, None][:2]
    elif isinstance(node, dict):
        if set(node) <= {"0", "1"}:
            field_text, direction_text = node.get("0"), node.get("1")
        elif len(node) == 1:
            ((field_text, direction_text),) = node.items()
        else:
            raise invalid_parameter("sort", shape_message)
    if tree.get("sort_by") is not None:
        field_text, field_name = tree["sort_by"], "sort_by"
    if tree.get("sort_order") is not None:
        direction_text, direction_name = tree["sort_order"], "sort_order"

    allowed = f"{field_name} must be one of {', '.join(spec.sorts)}"
    text = _scalar(field_text, field_name, allowed)
    sort_field = spec.default_sort[0] if text is None else text.strip()
    if sort_field not in spec.sorts and sort_field != spec.default_sort[0]:
        raise invalid_parameter(field_name, allowed)

    direction_message = f"{direction_name} direction must be 1, -1, asc or desc"
    if direction_name == "sort_order":
        direction_message = "sort_order must be 1, -1, asc or desc"
    text = _scalar(direction_text, direction_name, direction_message)
    if text is None:
        return sort_field, spec.default_sort[1] if sort_field == spec.default_sort[0] else False
    descending = _DIRECTIONS.get(text.strip().lower())
    if descending is None:
        raise invalid_parameter(direction_name, direction_message)
    return sort_field, descending


_PAIR_MESSAGE = "each filter must be a [field, value] pair"


def _field_name(node: Any) -> str:
    if not isinstance(node, str) or not node.strip():
        raise invalid_parameter("filters", _PAIR_MESSAGE)
    return node.strip()


def _read_filter_entry(entry: Any, key: str | None, out: dict[str, Any]) -> None:
    if key is not None:  # keyed: filters[field][0]=field&filters[field][1]=value, or filters[field]=value
        if isinstance(entry, list) and len(entry) == 2 and entry[0] == key:
            out[key.strip()] = entry[1]
        else:
            out[_field_name(key)] = entry
        return
    if isinstance(entry, dict) and not any(_is_index(child) for child in entry):
        for child_key, child in entry.items():  # a JSON list of objects
            _read_filter_entry(child, child_key, out)
        return
    if not isinstance(entry, list) or len(entry) != 2:
        raise invalid_parameter("filters", _PAIR_MESSAGE)
    out[_field_name(entry[0])] = entry[1]


def _raw_filters(tree: Mapping[str, Any]) -> dict[str, Any]:
    """Field -> raw value (text, list or object) from ``filter`` then ``filters`` (the later wins)."""
    out: dict[str, Any] = {}
    for name in ("filter", "filters"):
        node = tree.get(name)
        if isinstance(node, str):
            if not node.strip():
                continue
            decoded = _load_json(node)
            if not isinstance(decoded, list | dict):
                raise invalid_parameter(
                    "filters", "filters must be a list of [field, value] pairs or a JSON object"
                )
            node = _finalize(_from_json(decoded, "filters"))
        if isinstance(node, list):
            for entry in node:
                _read_filter_entry(entry, None, out)
        elif isinstance(node, dict):
            for key, entry in node.items():
                _read_filter_entry(entry, None if _is_index(key) else key, out)
    return out


def _filters(
    tree: Mapping[str, Any], spec: ResourceQuerySpec
) -> tuple[dict[str, tuple[Any, ...]], dict[str, tuple[Any | None, Any | None]]]:
    filters: dict[str, tuple[Any, ...]] = {}
    ranges: dict[str, tuple[Any | None, Any | None]] = {}
    for name, value in _raw_filters(tree).items():
        kind = spec.filters.get(name)
        if kind is None:
            logger.debug("ignoring filter on %r: not a filter of this resource", name[:100])
            continue
        if kind.type == "range":
            bounds = _range(value, name, kind)
            if bounds is not None:
                ranges[name] = bounds
            continue
        message = _kind_message(kind, name)
        if isinstance(value, str):
            texts: list[Any] = [value]
        elif isinstance(value, list):
            texts = value
        else:
            texts = list(value.values())
        converted: list[Any] = []
        for text in texts:
            if not isinstance(text, str):
                raise invalid_parameter("filters", message)
            if text.strip():
                converted.append(_convert(kind, text, "filters", name))
        if converted:
            filters[name] = tuple(dict.fromkeys(converted))
    return filters, ranges


def _columns(items: Iterable[str]) -> list[str] | None:
    """Valid column names (None = all columns, for ``*`` or none given)."""
    columns: list[str] = []
    for item in items:
        column = item.strip()
        if column == "*":
            return None
        if _IDENTIFIER_RE.fullmatch(column):
            columns.append(column)
        elif column:
            logger.debug("ignoring malformed column name %r", column[:100])
    return columns or None


def _with_text(text: str, known: frozenset[str], whole: bool) -> list[tuple[str, list[str] | None]]:
    """``a,b`` or ``receipt:id,status``. With ``whole`` the text is one relation (a list element)."""
    if whole and ":" in text:
        name, _, columns = text.partition(":")
        return [(name.strip(), _columns(columns.split(",")))]
    found: list[tuple[str, list[str] | None]] = []
    for token in text.split(","):
        name, colon, column = token.partition(":")
        if colon:
            found.append((name.strip(), _columns([column])))
        elif found and found[-1][1] is not None and name.strip() not in known:
            found[-1][1].extend(_columns([name]) or [])  # a further column of the previous relation
        else:
            found.append((name.strip(), None))
    return found


def _includes(tree: Mapping[str, Any], spec: ResourceQuerySpec) -> dict[str, tuple[str, ...] | None]:
    requested: list[tuple[str, list[str] | None]] = []
    for parameter in ("with", "with_"):
        node = tree.get(parameter)
        if isinstance(node, str):
            requested.extend(_with_text(node, spec.includes, whole=False))
            continue
        items = list(enumerate(node)) if isinstance(node, list) else list((node or {}).items())
        for key, item in items:
            if isinstance(key, str) and not _is_index(key):  # with[relation]=id,status
                if isinstance(item, str):
                    requested.append((key, _columns(item.split(","))))
                elif isinstance(item, list) and all(isinstance(column, str) for column in item):
                    requested.append((key, _columns(item)))
            elif isinstance(item, str):
                requested.extend(_with_text(item, spec.includes, whole=True))
            else:
                logger.debug("ignoring malformed %s entry", parameter)
    includes: dict[str, tuple[str, ...] | None] = {}
    for name, columns in requested:
        if name not in spec.includes:
            if name:
                logger.debug("ignoring unknown relation %r", name[:100])
            continue
        if name in includes and (includes[name] is None or columns is None):
            includes[name] = None
        else:
            includes[name] = tuple(dict.fromkeys([*(includes.get(name) or ()), *(columns or ())])) or None
    return includes


def _selects(tree: Mapping[str, Any], spec: ResourceQuerySpec) -> tuple[str, ...] | None:
    node = tree.get("selects")
    if node is None:
        return None
    if isinstance(node, str):
        items: list[Any] = [node]
    elif isinstance(node, list):
        items = node
    else:
        items = list(node.values())
    names: list[str] = []
    for item in items:
        if not isinstance(item, str):
            continue
        for part in item.split(","):
            name = part.strip()
            if name in spec.selects:
                names.append(name)
            elif name:
                logger.debug("ignoring unknown select %r", name[:100])
    return tuple(dict.fromkeys(names)) or None


def _dates(tree: Mapping[str, Any]) -> tuple[datetime.date | None, datetime.date | None]:
    node = tree.get("date")
    date_from = date_to = None
    if isinstance(node, str):
        date_from = date_to = _date(node, "date")
    elif isinstance(node, list) and len(node) <= 2:
        date_from, date_to = (_date(item, "date") for item in [*node, None][:2])
    elif isinstance(node, dict) and set(node) <= {"0", "1"}:
        date_from, date_to = _date(node.get("0"), "date"), _date(node.get("1"), "date")
    elif node is not None:
        raise invalid_parameter("date", "date must be [from, to] dates in YYYY-MM-DD format")
    if tree.get("date_from") is not None:
        date_from = _date(tree["date_from"], "date_from")
    if tree.get("date_to") is not None:
        date_to = _date(tree["date_to"], "date_to")
    if date_from is not None and date_to is not None and date_from > date_to:
        raise invalid_parameter("date", "date range must not start after it ends")
    return date_from, date_to


def _params(tree: Mapping[str, Any], spec: ResourceQuerySpec) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, kind in spec.params.items():
        node = tree.get(name)
        if node is None:
            continue
        if kind.type == "range":
            bounds = _range(node, name, kind)
            if bounds is not None:
                params[name] = bounds
            continue
        text = _scalar(node, name, _kind_message(kind, name))
        if text is not None:
            params[name] = _convert(kind, text, name, name)
    return params


_COMMON = frozenset(
    {"page", "limit", "sort", "sort_by", "sort_order", "filters", "filter", "with", "with_", "selects"}
)


def parse_list_query(raw: str, spec: ResourceQuerySpec) -> ListQuery:
    """Parse a raw query string for a list endpoint described by ``spec``.

    Raises :class:`~clopos_server.errors.ApiError` (``invalid_parameter``) for a bad value; never
    anything else.
    """
    tree = parse_query_string(raw)
    page, limit = _page_and_limit(tree, spec)
    sort, descending = _sort(tree, spec)
    filters, ranges = _filters(tree, spec)
    date_from, date_to = _dates(tree) if spec.dates else (None, None)
    if logger.isEnabledFor(logging.DEBUG):
        known = _COMMON | spec.params.keys() | ({"date", "date_from", "date_to"} if spec.dates else set())
        for name in tree.keys() - known:
            logger.debug("ignoring unknown query parameter %r", name[:100])
    return ListQuery(
        page=page,
        limit=limit,
        sort=sort,
        descending=descending,
        filters=filters,
        ranges=ranges,
        includes=_includes(tree, spec),
        selects=_selects(tree, spec),
        date_from=date_from,
        date_to=date_to,
        params=_params(tree, spec),
    )
