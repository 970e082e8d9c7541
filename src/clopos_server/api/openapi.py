"""The OpenAPI document: what each operation takes and answers, as served.

Handlers read their bodies and query strings themselves (one body reader, one query parser), so FastAPI
cannot see what they accept. Each route therefore declares it with :func:`operation`, from the same
definitions the readers use: the body shapes of each domain's ``shapes`` module (built from the reader's
own bounds), the :class:`ResourceQuerySpec` the query parser is given, the statuses it can answer.
:func:`install_openapi` then adds what every operation shares: the security scheme of its API generation,
typed path ids, the ``Idempotency-Key`` header, the error envelope, and the named schemas.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from clopos_server.api.query import INT_DIGITS, MAX_PAGE
from clopos_server.kit.query import Kind, ResourceQuerySpec
from clopos_server.kit.schema import ANY_VALUE, ANY_VALUE_SCHEMA, BLANK, ID_MAX, UUID, Schema, or_blank
from clopos_server.kit.schema import query_parameter as _query
from clopos_server.webhooks.shapes import openapi_webhooks

V1_PREFIX = "/open-api"
V2_PREFIX = "/open-api/v2"


ERROR_ENVELOPE: Schema = {
    "type": "object",
    "title": "ErrorEnvelope",
    "properties": {
        "success": {"const": False},
        "code": {
            "type": "string",
            "description": "the machine code (`validation_failed`, `unauthorized`, ...)",
        },
        "message": {"type": "string"},
        "error": {
            "description": "one entry per problem (a string, the code, under CLOPOS_ERROR_FORMAT=documented)",
            "anyOf": [
                {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "properties": {
                            "message": {"type": "string"},
                            "type": {"type": "string"},
                            "exception": {"type": "string"},
                            "code": {"type": "integer"},
                            "http_code": {"type": "integer"},
                            "field": {
                                "type": "string",
                                "description": "`payload.products[0].count`, `query.limit`",
                            },
                        },
                        "required": ["message", "type", "exception", "code", "http_code"],
                    },
                },
                {"type": "string"},
            ],
        },
    },
    "required": ["success", "code", "message", "error"],
}
ERROR_DESCRIPTIONS = {
    400: "Bad input: `validation_failed` (body or header) or `invalid_parameter` (query or path), naming "
    "the field",
    401: "Missing, invalid or expired credentials (`unauthorized`; `authentication_failed` at /auth)",
    403: "`forbidden`: not allowed for this brand",
    404: "Not found (a foreign brand's id is not found either)",
    405: "Method not allowed: `Allow` lists the methods of the path",
    409: "Conflict: a duplicate, an illegal state change, or the idempotency key in use",
    413: "Body over the size limit",
    415: "`unsupported_media_type`: the body is not `application/json`",
    422: "`idempotency_key_reused`: the key was used with another request; or, for webhook endpoints, "
    "`validation_failed`: a URL, event type or venue refused, or a 21st endpoint (naming the field)",
    429: "Rate limited (see `Retry-After`)",
    500: "Server error (quote the request id)",
    503: "The database is unavailable; nothing was written (see `Retry-After`)",
}
# What any API operation can answer, whatever it does (a probe of the process itself: only a 503).
COMMON_ERRORS = (400, 405, 429, 500, 503)
AUTHENTICATED_ERRORS = (*COMMON_ERRORS, 401)
PROBE_ERRORS = (500, 503)
BODY_ERRORS = (413, 415)
IDEMPOTENT_ERRORS = (409, 422)

ERROR_REF: Schema = {"$ref": "#/components/schemas/ErrorEnvelope"}

# Named schemas, registered by :func:`operation` as it meets them (by their ``title``).
_COMPONENTS: dict[str, Schema] = {}
_EXAMPLES = resources.files("clopos_server") / "examples"


def _named(schema: Schema) -> Schema:
    """A ``$ref`` to the schema, registered under its title; an untitled schema stays inline."""
    title = schema.get("title")
    if title is None:
        return schema
    known = _COMPONENTS.setdefault(title, schema)
    if known is not schema and known != schema:
        raise ValueError(f"two different schemas are titled {title!r}")
    return {"$ref": f"#/components/schemas/{title}"}


def example(name: str) -> Any:
    """A body from the package's ``examples/`` (the spec's examples, also used by the tests)."""
    return json.loads((_EXAMPLES / name).read_text(encoding="utf-8"))


def _envelope(data: Schema, *, many: bool, message: bool, sortable: bool) -> Schema:
    properties: dict[str, Schema] = {
        "success": {"const": True},
        "data": {"type": "array", "items": data} if many else data,
        "time": {"type": "integer", "description": "milliseconds the server spent"},
        "timestamp": {"type": "string", "description": "UTC, YYYY-MM-DD HH:MM:SS"},
        "unix": {"type": "integer", "description": "epoch seconds"},
    }
    required = ["success", "data", "time", "timestamp", "unix"]
    if many:
        properties["total"] = {"type": "integer", "description": "rows matching the filters"}
        required.append("total")
    if sortable:
        properties["sorts"] = {
            "type": "array",
            "items": {"type": "string"},
            "description": "what sort[0] takes",
        }
        required.append("sorts")
    if message:
        properties["message"] = {"type": "string"}
        required.append("message")
    return {"type": "object", "properties": properties, "required": required}


def _json(schema: Schema, examples: Mapping[str, Any] | None = None) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": schema}
    if examples:
        media["examples"] = {name: {"value": value} for name, value in examples.items()}
    return {"content": {"application/json": media}}


def operation(
    *,
    answer: Schema | None = None,
    many: bool = False,
    message: bool = False,
    unwrapped: bool = False,
    created: bool = False,
    also_ok: bool = False,
    body: Sequence[Schema] = (),
    body_required: bool = True,
    body_examples: Mapping[str, str] | None = None,
    answer_examples: Mapping[str, str] | None = None,
    query: ResourceQuerySpec | None = None,
    idempotent: bool = False,
    errors: Iterable[int] = (),
    public: bool = False,
    probe: bool = False,
) -> dict[str, Any]:
    """Keyword arguments for a route decorator (``responses`` and ``openapi_extra``) that describe one
    operation. ``answer`` is the ``data`` of the success envelope (or the whole answer when ``unwrapped``);
    ``created`` answers 201 (and, with ``also_ok``, 200 too); ``body`` lists the accepted body shapes (one
    of them); ``errors`` adds statuses beyond those every operation of its kind can answer; ``public``
    operations need no token; a ``probe`` (health checks) answers nothing but success, 500 or 503.
    """
    data = _named(answer) if answer is not None else {"type": "object"}
    sortable = many and query is not None
    success = data if unwrapped else _envelope(data, many=many, message=message, sortable=sortable)
    answer_examples = {name: example(file) for name, file in (answer_examples or {}).items()}
    ok = {"description": "Success", **_json(success, answer_examples)}
    responses: dict[int | str, dict[str, Any]] = {201 if created else 200: ok}
    if created and also_ok:
        responses[200] = {"description": "Success (the flat body shape is answered 200)", **_json(success)}
    base = PROBE_ERRORS if probe else COMMON_ERRORS if public else AUTHENTICATED_ERRORS
    statuses = set(base) | set(errors)
    if body:
        statuses |= set(BODY_ERRORS)
    if idempotent:
        statuses |= set(IDEMPOTENT_ERRORS)
    for status in sorted(statuses):
        responses[status] = {
            "description": ERROR_DESCRIPTIONS[status],
            **_json(ERROR_REF),
        }
    extra: dict[str, Any] = {}
    if body:
        shapes = [_named(shape) for shape in body]
        schema = shapes[0] if len(shapes) == 1 else {"oneOf": shapes}
        examples = {name: example(file) for name, file in (body_examples or {}).items()}
        extra["requestBody"] = {"required": body_required, **_json(schema, examples)}
    parameters = query_parameters(query, paged=many) if query is not None else []
    if idempotent:
        parameters.append(IDEMPOTENCY_KEY)
    if parameters:
        extra["parameters"] = parameters
    if public or probe:
        extra["security"] = []
    return {"responses": responses, "openapi_extra": extra}


# ------------------------------------------------------------------------------------------- parameters

IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes a retry safe: the same key with the same body replays the first answer "
    "(`Idempotent-Replayed: true`); with another body it is a 422; while the first is running, a 409",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[ -~]+$"},
}

_KIND_SCHEMAS: dict[str, Schema] = {
    "int": {"type": "integer"},
    "str": {"type": "string"},
    "bool": {"type": "boolean"},
    # one value means exactly it; `filters[name][0]=from&filters[name][1]=to` is a range (either end blank)
    "range": {"type": "integer"},
}
_UNBOUNDED = (-(10**INT_DIGITS) + 1, 10**INT_DIGITS - 1)  # what the parser reads of an integer without bounds


def _kind_schema(kind: Kind) -> Schema:
    if kind.type == "enum":
        return {"type": "string", "enum": list(kind.choices)}
    schema = dict(_KIND_SCHEMAS[kind.type])
    if schema["type"] == "integer":
        schema["minimum"], schema["maximum"] = kind.bounds or _UNBOUNDED
    return schema


def query_parameters(spec: ResourceQuerySpec, *, paged: bool = True) -> list[dict[str, Any]]:
    """The parameters the query parser reads for ``spec``, in their canonical spelling (the parser also
    takes the other documented spellings: ``filters[0][0]=field&filters[0][1]=value``, ``sort_by``, ...).
    A read of one resource (not ``paged``) documents only its relations, columns and own parameters."""
    parameters = (
        []
        if not paged
        else [
            _query("page", or_blank({"type": "integer", "minimum": 1, "maximum": MAX_PAGE}), "Page, from 1"),
            _query(
                "limit",
                {
                    **or_blank({"type": "integer", "minimum": 1, "maximum": spec.max_limit}),
                    "default": spec.default_limit,
                },
                f"Rows per page, 1 to {spec.max_limit}",
            ),
        ]
    )
    if paged and spec.sorts:
        parameters += [
            _query("sort[0]", or_blank({"type": "string", "enum": list(spec.sorts)}), "Sort field"),
            _query(
                "sort[1]",
                or_blank({"type": "string", "enum": ["1", "-1", "asc", "desc"]}),
                "1 ascending, -1 descending",
            ),
        ]
    for name, kind in spec.filters.items() if paged else ():
        parameters.append(
            _query(
                f"filters[{name}]",
                or_blank(_kind_schema(kind)),
                f"Filter on {name} (also `filters[N][0]={name}&filters[N][1]=value`; a list means any of)",
            )
        )
    for name, kind in spec.params.items():
        if name not in spec.filters:
            parameters.append(_query(name, or_blank(_kind_schema(kind)), f"Only rows with this {name}"))
    if spec.includes:
        parameters.append(
            _query(
                "with[]",
                {"type": "array", "items": {"type": "string"}},
                "Relations to include: "
                + ", ".join(f"`{n}`" for n in sorted(spec.includes))
                + " (`name:col1,col2` narrows the columns; unknown names are ignored)",
                style="form",
                explode=True,
            )
        )
    if spec.selects:
        parameters.append(
            _query(
                "selects",
                {"type": "string"},
                "Comma-separated columns to answer (unknown ones are ignored): "
                + ", ".join(f"`{n}`" for n in sorted(spec.selects)),
            )
        )
    if paged and spec.dates:
        for index, what in ((0, "From"), (1, "To")):
            parameters.append(
                _query(
                    f"date[{index}]",
                    {"anyOf": [{"type": "string", "format": "date"}, BLANK]},
                    f"{what} this business day, YYYY-MM-DD (inclusive, the brand's time zone; blank: open)",
                )
            )
    return parameters


# ------------------------------------------------------------------------------------- the whole document

SECURITY_SCHEMES: dict[str, Any] = {
    "v1Token": {
        "type": "apiKey",
        "in": "header",
        "name": "x-token",
        "description": "v1: the `oauth_...` token from `POST /open-api/auth`, with `x-brand` and `x-venue`",
    },
    "v1Brand": {"type": "apiKey", "in": "header", "name": "x-brand", "description": "v1: the brand's slug"},
    "v1Venue": {
        "type": "apiKey",
        "in": "header",
        "name": "x-venue",
        "description": "v1: a venue id of the brand",
    },
    "v2Token": {
        "type": "apiKey",
        "in": "header",
        "name": "x-token",
        "description": "v2: the JWT (HS256) from `POST /open-api/v2/auth`; `x-venue` may override its venue",
    },
}
V1_SECURITY: list[dict[str, list[str]]] = [{"v1Token": [], "v1Brand": [], "v1Venue": []}]
V2_SECURITY: list[dict[str, list[str]]] = [{"v2Token": []}]
V2_VENUE: dict[str, Any] = {
    "name": "x-venue",
    "in": "header",
    "required": False,
    "description": "v2: a venue of the token's brand, instead of the token's own (another brand's is a 404)",
    "schema": {"type": "string", "pattern": r"^[1-9][0-9]{0,9}$"},
}


# Path parameters that are not ids of an INTEGER column, by name (routes add theirs: ``path_schema``).
_PATH_SCHEMAS: dict[str, Schema] = {"cid": UUID}


def path_schema(name: str, schema: Schema) -> None:
    """Describe path parameter ``name`` with ``schema`` instead of as an integer id."""
    _PATH_SCHEMAS[name] = schema


def _path_parameter(parameter: dict[str, Any]) -> None:
    """Path ids are integers of an INTEGER column; a receipt's ``cid`` is a UUID, an event's id text."""
    if parameter.get("in") != "path":
        return
    if parameter["name"] in _PATH_SCHEMAS:
        parameter["schema"] = dict(_PATH_SCHEMAS[parameter["name"]])
    else:
        parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": ID_MAX}


def _finish_operation(path: str, operation_doc: dict[str, Any]) -> None:
    for parameter in operation_doc.get("parameters", []):
        _path_parameter(parameter)
    responses = operation_doc.get("responses", {})
    if "HTTPValidationError" in json.dumps(responses.get("422", {})):  # FastAPI's own: never answered here
        del responses["422"]
    if not path.startswith(V1_PREFIX) or "security" in operation_doc:
        return
    v2 = path.startswith(V2_PREFIX + "/")
    operation_doc["security"] = V2_SECURITY if v2 else V1_SECURITY
    if v2:
        operation_doc.setdefault("parameters", []).append(dict(V2_VENUE))
        responses.setdefault("404", {"description": ERROR_DESCRIPTIONS[404], **_json(ERROR_REF)})


def build_document(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    for path, item in document["paths"].items():
        for operation_doc in item.values():
            _finish_operation(path, operation_doc)
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["ErrorEnvelope"] = ERROR_ENVELOPE
    schemas[ANY_VALUE] = ANY_VALUE_SCHEMA
    schemas.update(_COMPONENTS)
    components["securitySchemes"] = SECURITY_SCHEMES
    document["webhooks"], delivery_schemas = openapi_webhooks()  # what the server sends (docs/webhooks.md)
    schemas.update(delivery_schemas)
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve the document above at ``/openapi.json`` (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
