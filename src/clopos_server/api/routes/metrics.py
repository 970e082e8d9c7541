"""``GET /metrics``: Prometheus' text format (clopos_server/metrics.py names every metric).

Not an API operation (no envelope, not in /openapi.json). Served only with ``CLOPOS_METRICS=on``; with
``CLOPOS_METRICS_TOKEN`` set it wants ``Authorization: Bearer <token>`` (else a JSON 401), for a
deployment where the port is reachable from outside the monitoring network.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from clopos_server import metrics
from clopos_server.errors import unauthorized
from clopos_server.kit.values import same_secret
from clopos_server.services import services_of

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
async def metrics_text(request: Request) -> Response:
    token = services_of(request).settings.metrics_token
    if token:
        sent = request.headers.get("authorization", "")
        scheme, _, value = sent.partition(" ")
        if scheme.lower() != "bearer" or not same_secret(value.strip(), token):
            raise unauthorized("GET /metrics wants the bearer token of CLOPOS_METRICS_TOKEN")
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)
