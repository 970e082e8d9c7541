"""``clopos-server``: serve, migrate, import/export a brand, create API clients, load the demo.

Every command that touches the database runs through ``_run``: an operator's mistake (no database there,
not migrated, a misspelt setting, a brand that does not exist, PostgreSQL down) is answered in one or two
lines naming the database and the fix, with exit status 1; the traceback only with ``--debug``. Only
``migrate``, ``serve`` and ``demo`` may create a database (``creates=True``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy import select

from clopos_server import __version__
from clopos_server.commands import access as access_commands
from clopos_server.commands import accounts as account_commands
from clopos_server.commands import finance as finance_commands
from clopos_server.commands import stock as stock_commands
from clopos_server.commands import webhooks as webhook_commands
from clopos_server.commands.errors import (
    check_file,
    describe,
    sqlite_path,
)
from clopos_server.commands.running import explain_and_exit as _explain_and_exit
from clopos_server.commands.running import fail as _fail
from clopos_server.commands.running import options
from clopos_server.commands.running import run as _run
from clopos_server.commands.running import settings_or_exit as _settings
from clopos_server.db.engine import Database
from clopos_server.db.migrate import upgrade
from clopos_server.logs import configure_logging
from clopos_server.settings import Settings, get_settings

app = typer.Typer(help="clopos-server: a self-hostable server for the Clopos Open API.", no_args_is_help=True)
clients_app = typer.Typer(help="API client credentials.", no_args_is_help=True)
app.add_typer(clients_app, name="clients")
integrators_app = typer.Typer(help="v2 integrators.", no_args_is_help=True)
app.add_typer(integrators_app, name="integrators")
stoplist_app = typer.Typer(help="Stop-list limits: portions left of a product.", no_args_is_help=True)
app.add_typer(stoplist_app, name="stoplist")
orders_app = typer.Typer(help="Accept, ignore or deliver an order as the venue does.", no_args_is_help=True)
app.add_typer(orders_app, name="orders")
users_app = typer.Typer(help="Staff users: create, list, disable, board passwords.", no_args_is_help=True)
app.add_typer(users_app, name="users")
brands_app = typer.Typer(help="Brands in this database.", no_args_is_help=True)
app.add_typer(brands_app, name="brands")
account_commands.register(users_app, clients_app, brands_app)
integrators_app.command("scopes")(access_commands.integrators_scopes)  # issue 17
users_app.command("set-role")(access_commands.users_set_role)  # issue 17
app.add_typer(stock_commands.stock_app, name="stock")  # issue 17
app.add_typer(finance_commands.finance_app, name="finance")  # issue 17
app.add_typer(finance_commands.cash_shift_app, name="cash-shift")  # issue 17
app.add_typer(webhook_commands.webhooks_app, name="webhooks")  # issue 13

T = TypeVar("T")


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"clopos-server {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of an error")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version")
    ] = False,
) -> None:
    """clopos-server: a self-hostable server for the Clopos Open API."""
    options["debug"] = debug


@app.command()
def migrate() -> None:
    """Bring the database to the newest schema (creates a SQLite file; safe to run several at once)."""
    settings = _settings()
    _run(lambda db: upgrade(db.engine), settings, creates=True)
    typer.echo(f"{describe(settings.database_url)} is up to date")


@app.command()
def demo(reset: Annotated[bool, typer.Option(help="Delete and reload the demo brands")] = False) -> None:
    """Load the demo brands (openapitest, demo-other); a brand that exists is skipped unless --reset."""
    from clopos_server.demo import load_demo

    async def job(db: Database) -> list[str]:
        await upgrade(db.engine)
        return await load_demo(db, reset=reset)

    for line in _run(job, creates=True):
        typer.echo(line)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A brand document (JSON), or - for standard input")],
    prune: Annotated[bool, typer.Option(help="Deactivate rows the file no longer has")] = False,
) -> None:
    """Import (upsert) a whole brand from one JSON document, in one transaction."""
    from clopos_server.catalog.importer import BrandDocumentError, import_brand

    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
        document = json.loads(text)
    except (OSError, ValueError) as exc:
        _fail(f"cannot read {file}: {exc}")
    if not isinstance(document, dict):
        _fail(f"{file}: the document must be a JSON object")
    try:
        report = _run(lambda db: import_brand(db, document, prune=prune))
    except BrandDocumentError as exc:
        lines = "\n".join(f"  {path}: {message}" for path, message in exc.problems)
        _fail(f"{file}: nothing was imported; {len(exc.problems)} problem(s):\n{lines}")
    typer.echo(import_summary(report))


def import_summary(report: Any) -> str:
    """What ``import`` did, one line per section that changed (an ``ImportReport``)."""
    verb = "created" if report.brand_created else "updated"
    lines = [f"brand {report.brand} {verb}: {report.summary().split(': ', 1)[1]}"]
    kinds = ("created", "updated", "removed", "deactivated")
    sections = sorted({name for kind in kinds for name in getattr(report, kind)})
    for name in sections:
        counts = [
            f"{getattr(report, kind)[name]} {kind}" for kind in kinds if getattr(report, kind).get(name)
        ]
        if counts:
            lines.append(f"  {name}: {', '.join(counts)}")
    return "\n".join(lines)


@app.command()
def export(
    brand: Annotated[str, typer.Argument(help="The brand's slug, e.g. openapitest")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout)")
    ] = None,
) -> None:
    """Export a whole brand as one JSON document (secrets as hashes only)."""
    from clopos_server.catalog.importer import export_brand

    try:
        document = _run(lambda db: export_brand(db, brand))
    except LookupError as exc:
        _fail(f"{exc} in {describe(_settings().database_url)}: see `clopos-server brands list`")
    text = json.dumps(document, ensure_ascii=False, indent=2, default=str)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"wrote {output}")


@clients_app.command("create")
def clients_create(
    brand: Annotated[str, typer.Option(help="The brand's slug")],
    user: Annotated[str, typer.Option(help="The staff user the client acts as: username or id")],
) -> None:
    """Create an API client; its secret is printed once and stored only as a hash."""
    from clopos_server.auth.accounts import resolve_user
    from clopos_server.auth.admin import AdminError, create_client

    async def job(db: Database) -> tuple[str, str]:
        return await create_client(db, brand, await resolve_user(db, brand, user))

    try:
        client_id, secret = _run(job)
    except AdminError as exc:
        _fail(str(exc))
    typer.echo(
        f"client_id:     {client_id}\nclient_secret: {secret}\n(the secret is not stored: keep it now)"
    )


@stoplist_app.command("set")
def stoplist_set(
    brand: Annotated[str, typer.Option(help="The brand's slug")],
    product: Annotated[int, typer.Option(help="The product id")],
    limit: Annotated[int, typer.Option(min=0, help="Portions left (0 = sold out)")],
) -> None:
    """Set a product's stop-list limit; bumps its timestamp and the brand's catalogue version."""
    from clopos_server.catalog.service import StopListError, set_stop_limit

    try:
        stamp = _run(lambda db: set_stop_limit(db, brand, product, limit))
    except StopListError as exc:
        _fail(str(exc))
    typer.echo(f"{brand}: product {product} limit {limit} (timestamp {stamp})")


@stoplist_app.command("clear")
def stoplist_clear(
    brand: Annotated[str, typer.Option(help="The brand's slug")],
    product: Annotated[int, typer.Option(help="The product id")],
) -> None:
    """Remove a product's stop-list limit (it is unlimited again); bumps the brand's catalogue version."""
    from clopos_server.catalog.service import StopListError, clear_stop_limit

    try:
        removed = _run(lambda db: clear_stop_limit(db, brand, product))
    except StopListError as exc:
        _fail(str(exc))
    typer.echo(f"{brand}: product {product} " + ("is unlimited again" if removed else "had no limit"))


@users_app.command("set-password")
def users_set_password(
    brand: Annotated[str, typer.Option(help="The brand's slug")],
    username: Annotated[str, typer.Option(help="The staff user's username")],
    password: Annotated[
        str | None, typer.Option(help="The new password (prompted for, hidden, when not given)")
    ] = None,
) -> None:
    """Set a staff user's order-board password (argon2); their other board sessions end."""
    from clopos_server.board.staff import PasswordError, set_password

    if password is None:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        user_id = _run(lambda db: set_password(db, brand, username, password))
    except PasswordError as exc:
        _fail(str(exc))
    typer.echo(f"{brand}: board password of {username} (user {user_id}) set")


def _set_enabled(kind: str, ident: str, enabled: bool) -> None:
    from clopos_server.auth.admin import AdminError, set_client_enabled, set_integrator_enabled

    setter = set_client_enabled if kind == "client" else set_integrator_enabled
    try:
        _run(lambda db: setter(db, ident, enabled))
    except AdminError as exc:
        _fail(str(exc))
    done = "enabled" if enabled else "disabled: its live tokens stop within seconds on every instance"
    typer.echo(f"{kind} {ident} {done}")


@clients_app.command("disable")
def clients_disable(client_id: Annotated[str, typer.Argument(help="The public client_id")]) -> None:
    """Disable an API client: /auth refuses it and its live tokens stop within seconds."""
    _set_enabled("client", client_id, False)


@clients_app.command("enable")
def clients_enable(client_id: Annotated[str, typer.Argument(help="The public client_id")]) -> None:
    """Enable a disabled API client again."""
    _set_enabled("client", client_id, True)


@integrators_app.command("disable")
def integrators_disable(integrator_id: Annotated[str, typer.Argument(help="The integrator id")]) -> None:
    """Disable a v2 integrator: /v2/auth refuses it and its live tokens stop within seconds."""
    _set_enabled("integrator", integrator_id, False)


@integrators_app.command("enable")
def integrators_enable(integrator_id: Annotated[str, typer.Argument(help="The integrator id")]) -> None:
    """Enable a disabled v2 integrator again."""
    _set_enabled("integrator", integrator_id, True)


def _order_command(action: str) -> Callable[..., None]:
    def command(
        order_id: Annotated[int, typer.Argument(help="The order's id")],
        brand: Annotated[str, typer.Option(help="The brand's slug")],
    ) -> None:
        from clopos_server.errors import ApiError
        from clopos_server.orders.lifecycle import act_as_venue

        try:
            order = _run(lambda db: act_as_venue(db, brand, order_id, action))
        except (ApiError, LookupError) as exc:
            _fail(f"{brand}: {exc}")
        receipt = f", receipt {order['receipt_id']}" if order.get("receipt_id") else ""
        typer.echo(f"{brand}: order {order_id} is {order['status']}{receipt}")

    return command


for _action, _help in (
    ("accept", "Accept a PENDING order: RECEIVED, with its open receipt (spends the stop list)."),
    ("ignore", "Ignore a PENDING order."),
    ("deliver", "Mark a RECEIVED order DELIVERED."),
):
    orders_app.command(_action, help=_help)(_order_command(_action))


@app.command()
def serve(
    demo: Annotated[bool, typer.Option("--demo", help="Load the demo brands first (if absent)")] = False,
    host: Annotated[str | None, typer.Option(help="Overrides CLOPOS_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="Overrides CLOPOS_PORT")] = None,
    workers: Annotated[int | None, typer.Option(help="Overrides CLOPOS_WORKERS")] = None,
) -> None:
    """Migrate, optionally load the demo, and serve the API (docs/deploy.md)."""
    import os

    from clopos_server import serving

    if demo:  # local development: webhooks may reach a receiver on this machine unless set otherwise
        os.environ.setdefault("CLOPOS_WEBHOOK_ALLOW_HTTP", "true")
        os.environ.setdefault("CLOPOS_WEBHOOK_ALLOW_PRIVATE", "true")
        get_settings.cache_clear()
    overrides: dict[str, Any] = {
        k: v for k, v in {"host": host, "port": port, "workers": workers}.items() if v
    }
    settings = _settings().model_copy(update=overrides)
    try:
        settings.check_workers()
    except ValueError as exc:
        _fail(str(exc))
    configure_logging(settings.log_level, settings.log_format)

    async def prepare(db: Database) -> int:
        await upgrade(db.engine)
        if demo:
            from clopos_server.demo import load_demo

            for line in await load_demo(db):
                typer.echo(line)
            await _print_demo_help(db, settings)
        return await serving.fit_pool(db, settings)

    try:
        pool_size = _run(prepare, settings, creates=True)
    except serving.PoolDoesNotFit as exc:
        _fail(f"{describe(settings.database_url)}: {exc}")
    overrides["db_pool_size"] = pool_size
    serving.export_for_workers(overrides)  # the workers re-read settings from the environment
    serving.run(settings.model_copy(update={"db_pool_size": pool_size}))


@app.command()
def backup(
    file: Annotated[Path, typer.Argument(help="The copy to write (a new file)")],
) -> None:
    """Copy the SQLite database to FILE while the server runs (SQLite's online backup: a consistent
    copy, writers wait only for each step). On PostgreSQL use pg_dump (docs/deploy.md, Backups)."""
    import sqlite3
    from contextlib import closing

    settings = _settings()
    source = sqlite_path(settings.database_url)
    if source is None:
        _fail(f"{describe(settings.database_url)}: back it up with pg_dump (docs/deploy.md, Backups).")
        return
    if file.exists():
        _fail(f"{file} exists already: name a new file (a backup never overwrites).")
    try:
        check_file(settings.database_url)
        with (
            closing(sqlite3.connect(source, timeout=settings.db_statement_timeout)) as live,
            closing(sqlite3.connect(file)) as copy,
        ):
            live.backup(copy, pages=256)
    except Exception as exc:
        file.unlink(missing_ok=True)
        _explain_and_exit(exc, settings.database_url)
    typer.echo(f"backed up {describe(settings.database_url)} to {file} ({file.stat().st_size} bytes)")


EXAMPLE_NAMES = {
    "create-order": "create-order.v1.request.json",
    "create-order-v2": "create-order.v2.request.json",
}


@app.command()
def example(
    name: Annotated[str, typer.Argument(help="create-order, create-order-v2, or a file name of examples/")],
) -> None:
    """Print a request body of the package's examples: curl -d "$(clopos-server example create-order)"."""
    from clopos_server.api.openapi import example as load_example

    try:
        body = load_example(EXAMPLE_NAMES.get(name, name))
    except (OSError, ValueError):
        _fail(f"no example {name!r}: try {', '.join(EXAMPLE_NAMES)}")
    typer.echo(json.dumps(body, ensure_ascii=False, indent=2))


@app.command()
def sandbox(
    brand_file: Annotated[
        list[Path] | None,
        typer.Option("--brand", help="A brand document to load instead of the demo (repeatable)"),
    ] = None,
) -> None:
    """Serve a throw-away copy of the demo on a free port of 127.0.0.1: prints the base URL and the
    credentials as JSON on one line, and deletes everything on SIGTERM or SIGINT (Ctrl-C)."""
    import signal
    import threading

    from clopos_server.sandbox import start_sandbox

    documents = []
    for file in brand_file or []:
        try:
            documents.append(json.loads(file.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            _fail(f"cannot read {file}: {exc}")
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)  # on standard error: stdout is the JSON
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    running = start_sandbox(documents=documents)
    try:
        typer.echo(json.dumps(running.credentials, separators=(",", ":")))
        sys.stdout.flush()
        while not stop.wait(3600):
            pass
    finally:
        running.stop()


async def _print_demo_help(db: Database, settings: Settings) -> None:
    from clopos_server.db.models import Brand
    from clopos_server.demo import DEMO_BRAND

    async with db.read() as conn:
        exists = (await conn.execute(select(Brand.id).where(Brand.slug == DEMO_BRAND))).first()
    if exists is None:
        return
    typer.echo(demo_help(f"http://{settings.host}:{settings.port}"))


def demo_help(base: str) -> str:
    """What ``serve --demo`` prints: where things are, and two commands that work from any directory
    (the example order's body is inline, the token is taken from the first answer)."""
    import shlex

    from clopos_server.api.openapi import example
    from clopos_server.demo.credentials import demo_credentials

    demo = demo_credentials(base)
    login = demo["v1"]["auth"]
    body = json.dumps(example("create-order.v1.request.json"), ensure_ascii=False, separators=(",", ":"))
    logins = "     ".join(f"{user} / {password}" for user, password in demo["board"]["logins"].items())
    json_field = "python3 -c 'import json,sys; print(json.load(sys.stdin)[\"token\"])'"
    return f"""
clopos-server demo is ready at {base}  (docs: {base}/docs, guide: {base}/guide)

  API client       client_id     {login["client_id"]}
                   client_secret {login["client_secret"]}
                   brand {demo["brand"]}, venue 1, v2 integrator {demo["v2"]["auth"]["integrator_id"]}
  Order board      {demo["board"]["url"]}
  Board logins     {logins}

Get a token:
  TOKEN=$(curl -s {base}/open-api/auth -H 'Content-Type: application/json' \\
    -d {shlex.quote(json.dumps(login, separators=(",", ":")))} | {json_field})

Then create the documented example order:
  curl -s {base}/open-api/orders -H 'Content-Type: application/json' \\
    -H "x-token: $TOKEN" -H 'x-brand: {demo["brand"]}' -H 'x-venue: 1' \\
    -H 'Idempotency-Key: 0fe7bc1e-9972-4c2f-bf03-4e0f09ba9d9d' \\
    -d {shlex.quote(body)}
"""


def _database_url() -> str | None:
    """The configured database, if the settings can be read at all (else explain names the setting)."""
    try:
        return get_settings().database_url
    except ValueError:
        return None


def main() -> None:
    """The ``clopos-server`` command: ``app`` with every error it did not answer itself said in plain
    words (a traceback only with --debug)."""
    try:
        app()
    except Exception as exc:
        try:
            _explain_and_exit(exc, _database_url())
        except typer.Exit as done:  # outside the app now: say it as the process's exit status
            sys.exit(done.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
