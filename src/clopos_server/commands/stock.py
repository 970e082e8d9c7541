"""``clopos-server stock receive|waste|transfer|count|produce|publish``: stock documents from the shell.

Each records a document at a venue (``--brand``, ``--venue``; ``--storage`` defaults to the venue's
default storage), publishes it unless ``--draft``, and prints it with its lines as JSON. Lines are
``--item PRODUCT:QUANTITY`` (``PRODUCT:QUANTITY:COST`` for a supply); bad input prints every problem with
its field and exits 1, having written nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from clopos_server import jsonio
from clopos_server.errors import ApiError
from clopos_server.inventory import types

stock_app = typer.Typer(
    help="Stock documents: supplies, waste, transfers, counts, production.", no_args_is_help=True
)

Brand = Annotated[str, typer.Option(help="The brand's slug")]
VenueOpt = Annotated[int, typer.Option("--venue", help="The venue's id")]
Items = Annotated[list[str], typer.Option("--item", help="PRODUCT:QUANTITY[:COST] (repeatable)")]
StorageOpt = Annotated[int | None, typer.Option(help="The storage (default: the venue's default one)")]
Draft = Annotated[bool, typer.Option("--draft", help="Record a draft: nothing moves until published")]
Description = Annotated[str | None, typer.Option(help="A note kept with the document")]


def _item(text: str) -> dict[str, Any]:
    """``5:10`` or ``5:10:0.8`` as a line; the values are checked by the document's rules."""
    parts = text.split(":")
    line: dict[str, Any] = {"product_id": parts[0], "quantity": parts[1] if len(parts) > 1 else None}
    if len(parts) > 2:
        line["cost"] = parts[2]
    return line


def _record(brand: str, venue: int, body: dict[str, Any], *, draft: bool) -> None:
    from clopos_server.commands.running import fail as _fail
    from clopos_server.commands.running import run as _run
    from clopos_server.inventory.operator import record_at_venue

    try:
        document = _run(lambda db: record_at_venue(db, brand, venue, body, publish=not draft))
    except ApiError as exc:
        _fail(_explain(exc))
    typer.echo(jsonio.dumps_str(document))


def _explain(exc: ApiError) -> str:
    lines = [f"refused: {exc.message}"]
    lines += [
        f"  {p.field}: {p.message}" for p in exc.problems if p.field is not None and len(exc.problems) > 1
    ]
    return "\n".join(lines)


def _body(
    kind: int, items: list[str], storage: int | None, description: str | None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": kind, "items": [_item(i) for i in items], "description": description}
    if storage is not None:
        body["storage_id"] = storage
    return {**body, **{k: v for k, v in extra.items() if v is not None}}


@stock_app.command("receive")
def receive(
    brand: Brand,
    venue: VenueOpt,
    item: Items,
    supplier: Annotated[int | None, typer.Option(help="The supplier's id")] = None,
    storage: StorageOpt = None,
    description: Description = None,
    draft: Draft = False,
) -> None:
    """A supply (type 1 IN): the quantities come in at their cost, moving the average cost."""
    _record(brand, venue, _body(types.IN, item, storage, description, supplier_id=supplier), draft=draft)


@stock_app.command("transfer")
def transfer(
    brand: Brand,
    venue: VenueOpt,
    item: Items,
    to: Annotated[int, typer.Option("--to", help="The target storage")],
    storage: StorageOpt = None,
    description: Description = None,
    draft: Draft = False,
) -> None:
    """A transfer (type 3) to another storage, at the source's average cost."""
    body = _body(types.TRANSFER, item, storage, description, target_storage_id=to)
    _record(brand, venue, body, draft=draft)


def _lines_only(kind: int) -> Callable[..., None]:
    """A command whose document is its lines at a storage of the venue (waste, count, produce)."""

    def command(
        brand: Brand,
        venue: VenueOpt,
        item: Items,
        storage: StorageOpt = None,
        description: Description = None,
        draft: Draft = False,
    ) -> None:
        _record(brand, venue, _body(kind, item, storage, description), draft=draft)

    return command


for _name, _kind, _help in (
    ("waste", types.WASTE, "Waste (type 4): the quantities go out at the average cost."),
    (
        "count",
        types.INVENTORY_CHECK,
        "An inventory check (type 9): each line is the counted quantity; the ledger writes the difference.",
    ),
    (
        "produce",
        types.MAKE,
        "Production (type 7 MAKE): spends each product's recipe and brings the product in at that cost.",
    ),
):
    stock_app.command(_name, help=_help)(_lines_only(_kind))


@stock_app.command("publish")
def publish(brand: Brand, document_id: Annotated[int, typer.Argument(help="The draft's id")]) -> None:
    """Publish a draft (once: a second publish is refused)."""
    from clopos_server.commands.running import fail as _fail
    from clopos_server.commands.running import run as _run
    from clopos_server.inventory.operator import publish_at_brand

    try:
        document = _run(lambda db: publish_at_brand(db, brand, document_id))
    except ApiError as exc:
        _fail(_explain(exc))
    typer.echo(jsonio.dumps_str(document))
