"""``clopos-server users create|list|disable|enable``, ``clients list``, ``brands list`` (see cli.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from clopos_server.db.engine import Database

BRAND = Annotated[str, typer.Option(help="The brand's slug")]
USER = Annotated[str, typer.Option("--user", help="The staff user: username or id")]


def _table(rows: list[list[str]]) -> str:
    """Columns padded to their widest cell; the first row is the heading."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def users_list(brand: BRAND) -> None:
    """The brand's staff users: id, username, enabled, whether they have a board password, venue, role."""
    from clopos_server.auth.accounts import list_users
    from clopos_server.commands.running import run as _run

    users = _run(lambda db: list_users(db, brand))
    rows = [["id", "username", "enabled", "board password", "venue", "role"]]
    for u in users:
        venue = str(u.venue_id) if u.venue_id is not None else "all"
        rows.append(
            [
                str(u.id),
                u.username,
                "yes" if u.enabled else "no",
                "yes" if u.has_password else "no",
                venue,
                u.role or "",
            ]
        )
    typer.echo(_table(rows))


def users_create(
    brand: BRAND,
    username: Annotated[str, typer.Option(help="The new user's username")],
    venue: Annotated[
        int | None, typer.Option(help="The one venue they work at (default: every venue)")
    ] = None,
    password: Annotated[
        bool, typer.Option("--password/--no-password", help="Prompt for a board password now")
    ] = False,
) -> None:
    """Create a staff user (an API client acts as one; with a password they can use the order board)."""
    from clopos_server.auth.accounts import create_user
    from clopos_server.board.staff import MIN_PASSWORD_LENGTH, set_password
    from clopos_server.commands.running import fail as _fail
    from clopos_server.commands.running import run as _run

    secret = typer.prompt("Board password", hide_input=True, confirmation_prompt=True) if password else None
    if secret is not None and len(secret) < MIN_PASSWORD_LENGTH:
        _fail(f"the password must have at least {MIN_PASSWORD_LENGTH} characters; nothing was created")

    async def job(db: Database) -> int:
        user_id = await create_user(db, brand, username, venue)
        if secret is not None:
            await set_password(db, brand, username, secret)
        return user_id

    user_id = _run(job)
    typer.echo(f"{brand}: staff user {username} created (id {user_id})")


def _set_user_enabled(brand: str, user: str, enabled: bool) -> None:
    from clopos_server.auth.accounts import set_user_enabled
    from clopos_server.commands.running import run as _run

    user_id = _run(lambda db: set_user_enabled(db, brand, user, enabled))
    state = "enabled" if enabled else "disabled: no board sign-in, their board sessions end"
    typer.echo(f"{brand}: staff user {user} (id {user_id}) {state}")


def users_disable(brand: BRAND, user: USER) -> None:
    """Disable a staff user: they cannot sign in to the board, and their open board sessions end."""
    _set_user_enabled(brand, user, False)


def users_enable(brand: BRAND, user: USER) -> None:
    """Enable a disabled staff user again."""
    _set_user_enabled(brand, user, True)


def clients_list(brand: BRAND) -> None:
    """The brand's API clients: client_id, enabled, the staff user they act as (never a secret)."""
    from clopos_server.auth.accounts import list_clients
    from clopos_server.commands.running import run as _run

    clients = _run(lambda db: list_clients(db, brand))
    rows = [["client_id", "enabled", "user", "created"]]
    for c in clients:
        created = c["created_at"].isoformat(timespec="seconds") if c["created_at"] else ""
        rows.append([c["client_id"], "yes" if c["enabled"] else "no", c["username"], created])
    typer.echo(_table(rows))


def brands_list() -> None:
    """Every brand in the database: id, slug, name, test or production."""
    from clopos_server.auth.accounts import list_brands
    from clopos_server.commands.running import run as _run

    brands = _run(list_brands)
    rows = [["id", "slug", "name", "kind"]]
    rows += [[str(b["id"]), b["slug"], b["name"], "test" if b["is_test"] else "production"] for b in brands]
    typer.echo(_table(rows))


def register(users_app: typer.Typer, clients_app: typer.Typer, brands_app: typer.Typer) -> None:
    users_app.command("list")(users_list)
    users_app.command("create")(users_create)
    users_app.command("disable")(users_disable)
    users_app.command("enable")(users_enable)
    clients_app.command("list")(clients_list)
    brands_app.command("list")(brands_list)
