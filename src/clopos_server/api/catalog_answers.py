"""The catalogue routes' one way to answer from the page cache (decision 0004).

Every catalogue read (products, categories, sale types, payment methods; a list or one item) hands the
same five things to ``catalog.service.answer``: the brand and its catalogue version from the caller, the
raw query string (a repeat needs no parsing), how to parse it, and how to render from the snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request

from clopos_server.api.query import parse_list_query
from clopos_server.auth.context import AuthContext
from clopos_server.catalog import service
from clopos_server.catalog.memory import CatalogRows
from clopos_server.catalog.pages import Answer
from clopos_server.kit.query import ListQuery, ResourceQuerySpec
from clopos_server.services import Services

__all__ = ["catalog_answer"]


async def catalog_answer(
    request: Request,
    context: AuthContext,
    services: Services,
    resource: str,
    spec: ResourceQuerySpec,
    render_from: Callable[[CatalogRows, ListQuery], tuple[Any, int | None]],
) -> Answer:
    """``resource``'s answer (``products``, ``categories/7``, ...) to this request's query string."""
    raw = request.url.query
    brand = context.brand
    return await service.answer(
        services.snapshots,
        services.db,
        brand.id,
        brand.catalog_version,
        resource,
        raw,
        lambda: parse_list_query(raw, spec),
        render_from,
    )
