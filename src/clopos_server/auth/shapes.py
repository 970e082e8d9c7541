"""The JSON shapes of ``POST {prefix}/auth``, for the OpenAPI document: the bodies ``auth.service`` reads
(every field a non-blank value of at most 512 characters; numbers are read as their text) and the token
answers, which are not wrapped in the success envelope."""

from __future__ import annotations

from clopos_server.kit.schema import BOOL_OUT, INT_OUT, STR_OUT, Schema, obj, out

FIELD_LENGTH = 512  # auth.service reads at most this many characters of each field

_FIELD: Schema = {
    "anyOf": [
        {"type": "string", "minLength": 1, "maxLength": FIELD_LENGTH, "pattern": r"\S"},
        {"type": "integer"},
    ]
}
_V1_FIELDS = ("client_id", "client_secret", "brand", "venue_id")
_V2_FIELDS = ("client_id", "client_secret", "brand", "integrator_id")

V1_AUTH: Schema = obj(dict.fromkeys(_V1_FIELDS, _FIELD), required=_V1_FIELDS, title="AuthV1")
V2_AUTH: Schema = obj(dict.fromkeys(_V2_FIELDS, _FIELD), required=_V2_FIELDS, title="AuthV2")

_TOKEN = {
    "success": BOOL_OUT,
    "token": STR_OUT,
    "token_type": {"const": "Bearer"},
    "expires_in": INT_OUT,
    "message": STR_OUT,
}
V1_TOKEN: Schema = out(_TOKEN, title="TokenV1", description="`token` is opaque and starts with `oauth_`")
V2_TOKEN: Schema = out(
    {**_TOKEN, "expires_at": {"type": "integer", "description": "epoch seconds"}},
    title="TokenV2",
    description="`token` is a JWT (HS256). A test integrator with a production brand (or the reverse) is "
    "answered 200 with `success: false` and the reason in `message`, as the real API does.",
)
MODE_MISMATCH: Schema = out({"success": {"const": False}, "message": STR_OUT}, title="IntegratorModeMismatch")
