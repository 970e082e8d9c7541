"""``clopos-server integrators scopes`` and ``clopos-server users set-role`` (registered in ``cli.py``)."""

from __future__ import annotations

from typing import Annotated

import typer

from clopos_server.auth.access import ABILITIES, AccessError, change_scopes, set_role


def integrators_scopes(
    integrator_id: Annotated[str, typer.Argument(help="The integrator id")],
    add: Annotated[list[str] | None, typer.Option("--add", help="A scope to grant (repeatable)")] = None,
    remove: Annotated[
        list[str] | None, typer.Option("--remove", help="A scope to revoke (repeatable)")
    ] = None,
) -> None:
    """Show, grant or revoke an integrator's v2 scopes (seen by every instance within seconds)."""
    from clopos_server.commands.running import fail as _fail
    from clopos_server.commands.running import run as _run

    try:
        scopes = _run(lambda db: change_scopes(db, integrator_id, add or (), remove or ()))
    except AccessError as exc:
        _fail(str(exc))
    typer.echo(f"{integrator_id}: {' '.join(scopes) or '(no scopes)'}")


def users_set_role(
    brand: Annotated[str, typer.Option(help="The brand's slug")],
    username: Annotated[str, typer.Option(help="The staff user's username")],
    role: Annotated[str, typer.Option(help="owner, manager, cashier or a role of the brand document")],
) -> None:
    """Give a staff user a role; their abilities follow from it at once."""
    from clopos_server.commands.running import fail as _fail
    from clopos_server.commands.running import run as _run

    try:
        abilities = _run(lambda db: set_role(db, brand, username, role))
    except AccessError as exc:
        _fail(str(exc))
    shown = " ".join(a for a in ABILITIES if a in abilities) or "(no abilities)"
    typer.echo(f"{brand}: {username} is {role}: {shown}")
