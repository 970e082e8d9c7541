"""``clopos-server finance ...`` (money accounts, categories, transfers, paying a supply) and
``clopos-server cash-shift open|close|report`` (registered in ``cli.py``). Each prints the object as the
API answers it (JSON); a refusal (a terminal with an open shift, a shift closed already, ...) is printed
in red with exit status 1."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar

import typer

from clopos_server import jsonio
from clopos_server.db.engine import Database
from clopos_server.errors import ApiError
from clopos_server.finance import operations
from clopos_server.finance.accounts import NewAccount, NewCategory

T = TypeVar("T")

finance_app = typer.Typer(
    help="Finance: money accounts, categories, transfers, paid supplies.", no_args_is_help=True
)
cash_shift_app = typer.Typer(
    help="Cash shifts: open, close with the counted cash, report.", no_args_is_help=True
)

Brand = Annotated[str, typer.Option(help="The brand's slug")]
User = Annotated[str | None, typer.Option("--user", help="The staff user's username (who did it)")]


def _call(job: Callable[[Database], Awaitable[T]]) -> T:
    from clopos_server.commands.running import fail as _fail
    from clopos_server.commands.running import run as _run

    try:
        return _run(job)
    except ApiError as exc:
        _fail(exc.message)
        raise  # unreachable: _fail exits


def _show(value: Any) -> None:
    typer.echo(jsonio.dumps_str(value))


def _amount(text: str, name: str) -> Decimal:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise typer.BadParameter(f"{name} must be an amount like 200.00") from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise typer.BadParameter(f"{name} must be an amount from 0 with at most 2 decimals")
    return amount


# ------------------------------------------------------------------------------------------- cash shifts


@cash_shift_app.command("open")
def shift_open(
    brand: Brand,
    venue: Annotated[int, typer.Option(help="The venue id")],
    terminal: Annotated[int, typer.Option(help="The terminal (till) number at the venue")] = 1,
    opening: Annotated[str, typer.Option(help="The cash in the drawer at the start")] = "0",
    user: User = None,
) -> None:
    """Open a cash shift on a terminal (one open shift per terminal)."""
    cash = _amount(opening, "--opening")
    _show(_call(lambda db: operations.open_shift(db, brand, venue, terminal, cash, user)))


@cash_shift_app.command("close")
def shift_close(
    brand: Brand,
    counted: Annotated[str, typer.Option(help="The cash counted in the drawer")],
    shift: Annotated[str | None, typer.Option("--uuid", help="The shift's UUID")] = None,
    venue: Annotated[int | None, typer.Option(help="Or: the venue of the open shift")] = None,
    terminal: Annotated[int, typer.Option(help="... and its terminal")] = 1,
    user: User = None,
) -> None:
    """Close a shift with the counted cash; prints its report (expected cash and the difference)."""
    cash = _amount(counted, "--counted")
    where = (venue, terminal) if venue is not None else None
    _show(_call(lambda db: operations.close_shift(db, brand, _uuid(shift), where, cash, user)))


def _uuid(value: str | None) -> str | None:
    if value is None:
        return None
    from clopos_server.finance.shifts import parse_uuid

    try:
        return parse_uuid(value, "--uuid")
    except ApiError as exc:
        raise typer.BadParameter(exc.message) from None


@cash_shift_app.command("report")
def shift_report(
    brand: Brand, shift: Annotated[str, typer.Option("--uuid", help="The shift's UUID")]
) -> None:
    """A shift's report: receipts, sales and refunds by payment method, cash in/out, expected cash."""
    target = _uuid(shift) or ""
    _show(_call(lambda db: operations.shift_report(db, brand, target)))


# ----------------------------------------------------------------------------------------------- finance


@finance_app.command("account-add")
def account_add(
    brand: Brand,
    name: Annotated[str, typer.Option(help="The account's name")],
    type_: Annotated[str, typer.Option("--type", help="cash, bank or card")],
    opening: Annotated[str, typer.Option(help="The opening amount")] = "0",
    method: Annotated[
        list[int] | None, typer.Option("--method", help="A payment method paying into it (repeatable)")
    ] = None,
    venue: Annotated[int | None, typer.Option(help="Its venue (default: every venue)")] = None,
) -> None:
    """Add a money account, bound to payment methods (their payments go into it when receipts close)."""
    new = NewAccount(name, type_, _amount(opening, "--opening"), tuple(method or ()), venue)
    _show(_call(lambda db: operations.add_account(db, brand, new)))


@finance_app.command("category-add")
def category_add(
    brand: Brand,
    name: Annotated[str, typer.Option(help="The category's name")],
    type_: Annotated[str, typer.Option("--type", help="income or expense")],
    parent: Annotated[int | None, typer.Option(help="The parent category (same type)")] = None,
) -> None:
    """Add an income or expense category."""
    new = NewCategory(name, type_, parent)
    ident = _call(lambda db: operations.add_category(db, brand, new))
    typer.echo(f"{brand}: finance category {ident} ({type_}) {name}")


@finance_app.command("transfer")
def transfer(
    brand: Brand,
    source: Annotated[int, typer.Option("--from", help="The account the money leaves")],
    target: Annotated[int, typer.Option("--to", help="The account it goes into")],
    amount: Annotated[str, typer.Option(help="The amount")],
) -> None:
    """Move money between two accounts (two transfer transactions)."""
    value = _amount(amount, "--amount")
    _show(_call(lambda db: operations.transfer(db, brand, source, target, value)))


@finance_app.command("supply-paid")
def supply_paid(
    brand: Brand,
    operation: Annotated[int, typer.Option(help="The published supply document's id")],
    account: Annotated[int, typer.Option(help="The money account it is paid from")],
) -> None:
    """Mark a published supply (with a supplier) paid: one expense transaction of its total cost."""
    _show(_call(lambda db: operations.pay_supply(db, brand, operation, account)))
