"""v2 inventory read paths (``spec/backoffice.md``, "Inventory"; ``docs/api/inventory.md``): storages,
suppliers, stock, the stock ledger (``/stock-operations``), documents (``/operations``) and their lines
(``/operation-items``). Each needs its integrator scope and its staff user's ability
(``clopos_server.auth.access.require``). Fixed paths are declared before ``/{id}`` ones.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response

from clopos_server.api.envelope import success
from clopos_server.api.openapi import operation
from clopos_server.api.params import parse_id
from clopos_server.api.query import parse_list_query
from clopos_server.auth.access import require
from clopos_server.auth.context import AuthContext
from clopos_server.inventory import reads, shapes
from clopos_server.inventory.schemas import (
    DOCUMENT_ITEMS_QUERY,
    DOCUMENT_QUERY,
    DOCUMENT_SUMMARY_QUERY,
    ITEM_QUERY,
    ITEM_SUMMARY_QUERY,
    LEDGER_QUERY,
    LEDGER_SUMMARY_QUERY,
    STOCK_PRODUCT_QUERY,
    STOCK_QUERY,
    STOCK_SUMMARY_QUERY,
    STORAGE_QUERY,
    SUPPLIER_QUERY,
)
from clopos_server.kit.query import ListQuery, ResourceQuerySpec
from clopos_server.services import services_of

router = APIRouter()

STORAGES = Depends(require(scope="storages:read", ability="STOCK_STORAGE_VIEW"))
SUPPLIERS = Depends(require(scope="suppliers:read", ability="STOCK_SUPPLIER_VIEW"))
STOCK = Depends(require(scope="stock:read", ability="STOCK_VIEW"))
LEDGER = Depends(require(scope="stock-operations:read", ability="STOCK_VIEW"))
DOCUMENTS = Depends(require(scope="operations:read", ability="STOCK_VIEW"))
ITEMS = Depends(require(scope="operation-items:read", ability="STOCK_VIEW"))
GUARDED = [403]
BY_ID = [403, 404]

Reader = Callable[[AsyncConnection, AuthContext, ListQuery], Awaitable[Any]]
OneReader = Callable[[AsyncConnection, AuthContext, int], Awaitable[dict[str, Any]]]


async def _page(request: Request, context: AuthContext, spec: ResourceQuerySpec, reader: Reader) -> Response:
    """A list answer: ``data`` and ``total`` (and ``sorts``)."""
    query = parse_list_query(request.url.query, spec)
    async with services_of(request).db.read() as conn:
        data, total = await reader(conn, context, query)
    return success(request, data, total=total, sorts=spec.sorts)


async def _figures(
    request: Request, context: AuthContext, spec: ResourceQuerySpec, reader: Reader
) -> Response:
    """An answer computed over the filtered rows (a total, counts, groups)."""
    query = parse_list_query(request.url.query, spec)
    async with services_of(request).db.read() as conn:
        data = await reader(conn, context, query)
    return success(request, data)


async def _groups(
    request: Request, context: AuthContext, spec: ResourceQuerySpec, reader: Reader
) -> Response:
    """A list computed whole (groups), answered a page at a time."""
    query = parse_list_query(request.url.query, spec)
    async with services_of(request).db.read() as conn:
        data = await reader(conn, context, query)
    return success(
        request, data[query.offset : query.offset + query.limit], total=len(data), sorts=spec.sorts
    )


async def _one(request: Request, context: AuthContext, raw: str, name: str, reader: OneReader) -> Response:
    identifier = parse_id(raw, name)
    async with services_of(request).db.read() as conn:
        data = await reader(conn, context, identifier)
    return success(request, data)


# --------------------------------------------------------------------------------------------- storages


@router.get(
    "/storages",
    summary="Storages of the request's venue (or the venue_id filter's)",
    **operation(answer=shapes.STORAGE, many=True, query=STORAGE_QUERY, errors=GUARDED),
)
async def list_storages(request: Request, context: AuthContext = STORAGES) -> Response:
    return await _page(request, context, STORAGE_QUERY, reads.list_storages)


@router.get("/storages/{storage_id}", summary="One storage", **operation(answer=shapes.STORAGE, errors=BY_ID))
async def get_storage(storage_id: str, request: Request, context: AuthContext = STORAGES) -> Response:
    return await _one(request, context, storage_id, "storage_id", reads.get_storage)


# -------------------------------------------------------------------------------------------- suppliers


@router.get(
    "/suppliers",
    summary="Suppliers of the brand",
    **operation(answer=shapes.SUPPLIER, many=True, query=SUPPLIER_QUERY, errors=GUARDED),
)
async def list_suppliers(request: Request, context: AuthContext = SUPPLIERS) -> Response:
    return await _page(request, context, SUPPLIER_QUERY, reads.list_suppliers)


@router.get(
    "/suppliers/total",
    summary="How many suppliers, and their published supplies (count and value)",
    **operation(answer=shapes.SUPPLIER_TOTAL, query=SUPPLIER_QUERY, errors=GUARDED),
)
async def supplier_totals(request: Request, context: AuthContext = SUPPLIERS) -> Response:
    return await _figures(request, context, SUPPLIER_QUERY, reads.supplier_totals)


@router.get(
    "/suppliers/{supplier_id}", summary="One supplier", **operation(answer=shapes.SUPPLIER, errors=BY_ID)
)
async def get_supplier(supplier_id: str, request: Request, context: AuthContext = SUPPLIERS) -> Response:
    return await _one(request, context, supplier_id, "supplier_id", reads.get_supplier)


# ------------------------------------------------------------------------------------------------ stock


@router.get(
    "/stock",
    summary="On-hand stock per product and storage (the venue's storages)",
    **operation(answer=shapes.STOCK, many=True, query=STOCK_QUERY, errors=GUARDED),
)
async def list_stock(request: Request, context: AuthContext = STOCK) -> Response:
    return await _page(request, context, STOCK_QUERY, reads.list_stock)


@router.get(
    "/stock/product",
    summary="One product's stock in every storage (product_id required)",
    **operation(answer=shapes.STOCK, many=True, query=STOCK_PRODUCT_QUERY, errors=GUARDED),
)
async def stock_of_product(request: Request, context: AuthContext = STOCK) -> Response:
    return await _page(request, context, STOCK_PRODUCT_QUERY, reads.stock_of_product)


@router.get(
    "/stock/product-group",
    summary="Stock summed per product category",
    **operation(answer=shapes.STOCK_GROUP, many=True, query=STOCK_SUMMARY_QUERY, errors=GUARDED),
)
async def stock_by_category(request: Request, context: AuthContext = STOCK) -> Response:
    return await _groups(request, context, STOCK_SUMMARY_QUERY, reads.stock_by_category)


@router.get(
    "/stock/info",
    summary="Counts: levels, products, storages, below zero, at zero, below low_stock",
    **operation(answer=shapes.STOCK_INFO, query=STOCK_SUMMARY_QUERY, errors=GUARDED),
)
async def stock_info(request: Request, context: AuthContext = STOCK) -> Response:
    return await _figures(request, context, STOCK_SUMMARY_QUERY, reads.stock_info)


@router.get(
    "/stock/total",
    summary="Sums of quantity and value of the filtered stock",
    **operation(answer=shapes.STOCK_TOTAL, query=STOCK_SUMMARY_QUERY, errors=GUARDED),
)
async def stock_total(request: Request, context: AuthContext = STOCK) -> Response:
    return await _figures(request, context, STOCK_SUMMARY_QUERY, reads.stock_total)


@router.get("/stock/{stock_id}", summary="One stock level", **operation(answer=shapes.STOCK, errors=BY_ID))
async def get_stock(stock_id: str, request: Request, context: AuthContext = STOCK) -> Response:
    return await _one(request, context, stock_id, "stock_id", reads.get_stock)


# ------------------------------------------------------------------------------------------- the ledger


@router.get(
    "/stock-operations",
    summary="The stock ledger: every movement, from documents and receipts",
    **operation(answer=shapes.LEDGER_ROW, many=True, query=LEDGER_QUERY, errors=GUARDED),
)
async def list_ledger(request: Request, context: AuthContext = LEDGER) -> Response:
    return await _page(request, context, LEDGER_QUERY, reads.list_ledger)


@router.get(
    "/stock-operations/products",
    summary="The ledger per product: quantity and value in and out",
    **operation(answer=shapes.LEDGER_PRODUCT, many=True, query=LEDGER_SUMMARY_QUERY, errors=GUARDED),
)
async def ledger_by_product(request: Request, context: AuthContext = LEDGER) -> Response:
    return await _groups(request, context, LEDGER_SUMMARY_QUERY, reads.ledger_by_product)


@router.get(
    "/stock-operations/total",
    summary="The ledger's totals: rows, quantity and value in and out",
    **operation(answer=shapes.LEDGER_TOTAL, query=LEDGER_SUMMARY_QUERY, errors=GUARDED),
)
async def ledger_total(request: Request, context: AuthContext = LEDGER) -> Response:
    return await _figures(request, context, LEDGER_SUMMARY_QUERY, reads.ledger_total)


@router.get(
    "/stock-operations/{operation_id}",
    summary="One ledger row",
    **operation(answer=shapes.LEDGER_ROW, errors=BY_ID),
)
async def get_ledger_row(operation_id: str, request: Request, context: AuthContext = LEDGER) -> Response:
    return await _one(request, context, operation_id, "operation_id", reads.get_ledger_row)


# -------------------------------------------------------------------------------------------- documents


@router.get(
    "/operations",
    summary="Inventory documents (supplies, transfers, waste, ...)",
    **operation(answer=shapes.DOCUMENT, many=True, query=DOCUMENT_QUERY, errors=GUARDED),
)
async def list_documents(request: Request, context: AuthContext = DOCUMENTS) -> Response:
    return await _page(request, context, DOCUMENT_QUERY, reads.list_documents)


@router.get(
    "/operations/statuses",
    summary="The vocabularies: document statuses and types",
    **operation(answer=shapes.DOCUMENT_STATUSES, errors=GUARDED),
)
async def document_statuses(request: Request, context: AuthContext = DOCUMENTS) -> Response:
    return success(request, reads.document_statuses())


@router.get(
    "/operations/total",
    summary="How many documents, their value and lines",
    **operation(answer=shapes.DOCUMENT_TOTAL, query=DOCUMENT_SUMMARY_QUERY, errors=GUARDED),
)
async def documents_total(request: Request, context: AuthContext = DOCUMENTS) -> Response:
    return await _figures(request, context, DOCUMENT_SUMMARY_QUERY, reads.documents_total)


@router.get(
    "/operations/{operation_id}", summary="One document", **operation(answer=shapes.DOCUMENT, errors=BY_ID)
)
async def get_document(operation_id: str, request: Request, context: AuthContext = DOCUMENTS) -> Response:
    return await _one(request, context, operation_id, "operation_id", reads.get_document)


@router.get(
    "/operations/{operation_id}/items",
    summary="One document's lines",
    **operation(answer=shapes.ITEM, many=True, query=DOCUMENT_ITEMS_QUERY, errors=BY_ID),
)
async def document_items(operation_id: str, request: Request, context: AuthContext = DOCUMENTS) -> Response:
    identifier = parse_id(operation_id, "operation_id")
    query = parse_list_query(request.url.query, DOCUMENT_ITEMS_QUERY)
    async with services_of(request).db.read() as conn:
        data, total = await reads.document_items(conn, context, identifier, query)
    return success(request, data, total=total, sorts=DOCUMENT_ITEMS_QUERY.sorts)


# ------------------------------------------------------------------------------------------- their lines


@router.get(
    "/operation-items",
    summary="Document lines across documents",
    **operation(answer=shapes.ITEM, many=True, query=ITEM_QUERY, errors=GUARDED),
)
async def list_items(request: Request, context: AuthContext = ITEMS) -> Response:
    return await _page(request, context, ITEM_QUERY, reads.list_items)


@router.get(
    "/operation-items/total",
    summary="How many lines, their quantity and value",
    **operation(answer=shapes.ITEM_TOTAL, query=ITEM_SUMMARY_QUERY, errors=GUARDED),
)
async def items_total(request: Request, context: AuthContext = ITEMS) -> Response:
    return await _figures(request, context, ITEM_SUMMARY_QUERY, reads.items_total)
