"""``clopos-server``: serve, migrate, import/export a brand, create API clients, load the demo."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy import select

from clopos_server.commands import access as access_commands
from clopos_server.commands import finance as finance_commands
from clopos_server.commands import stock as stock_commands
from clopos_server.commands import webhooks as webhook_commands
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
users_app = typer.Typer(help="Staff users: board passwords.", no_args_is_help=True)
app.add_typer(users_app, name="users")
integrators_app.command("scopes")(access_commands.integrators_scopes)  # issue 17
users_app.command("set-role")(access_commands.users_set_role)  # issue 17
app.add_typer(stock_commands.stock_app, name="stock")  # issue 17
app.add_typer(finance_commands.finance_app, name="finance")  # issue 17
app.add_typer(finance_commands.cash_shift_app, name="cash-shift")  # issue 17
app.add_typer(webhook_commands.webhooks_app, name="webhooks")  # issue 13

T = TypeVar("T")


def _run(job: Callable[[Database], Awaitable[T]], settings: Settings | None = None) -> T:
    """Run one async job against the configured database, and close it afterwards."""
    settings = settings or get_settings()

    async def main() -> T:
        db = Database(settings.database_url, pool_size=2)
        try:
            return await job(db)
        finally:
            await db.dispose()

    return asyncio.run(main())


def _fail(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


@app.command()
def migrate() -> None:
    """Bring the database to the newest schema."""
    _run(lambda db: upgrade(db.engine))
    typer.echo("database is up to date")


@app.command()
def demo(reset: Annotated[bool, typer.Option(help="Delete and reload the demo brands")] = False) -> None:
    """Load the demo brands (openapitest, demo-other); a brand that exists is skipped unless --reset."""
    from clopos_server.demo import load_demo

    async def job(db: Database) -> list[str]:
        await upgrade(db.engine)
        return await load_demo(db, reset=reset)

    for line in _run(job):
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
    typer.echo(str(report))


@app.command()
def export(
    brand: Annotated[str, typer.Argument(help="The brand's slug, e.g. openapitest")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout)")
    ] = None,
) -> None:
    """Export a whole brand as one JSON document (secrets as hashes only)."""
    from clopos_server.catalog.importer import export_brand

    document = _run(lambda db: export_brand(db, brand))
    text = json.dumps(document, ensure_ascii=False, indent=2, default=str)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"wrote {output}")


@clients_app.command("create")
def clients_create(
    brand: Annotated[str, typer.Option(help="The brand's slug")],
    user: Annotated[int, typer.Option(help="The staff user the client acts as")],
) -> None:
    """Create an API client; its secret is printed once and stored only as a hash."""
    from clopos_server.auth.admin import AdminError, create_client

    try:
        client_id, secret = _run(lambda db: create_client(db, brand, user))
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
    """Migrate, optionally load the demo, and serve the API."""
    import os

    import uvicorn

    from clopos_server.api.transport import uvicorn_options

    if demo:  # local development: webhooks may reach a receiver on this machine unless set otherwise
        os.environ.setdefault("CLOPOS_WEBHOOK_ALLOW_HTTP", "true")
        os.environ.setdefault("CLOPOS_WEBHOOK_ALLOW_PRIVATE", "true")
        get_settings.cache_clear()
    overrides: dict[str, Any] = {
        k: v for k, v in {"host": host, "port": port, "workers": workers}.items() if v
    }
    settings = get_settings().model_copy(update=overrides)
    try:
        settings.check_workers()
    except ValueError as exc:
        _fail(str(exc))
    configure_logging(settings.log_level, settings.log_format)
    for name, value in overrides.items():  # the workers re-read settings from the environment
        os.environ[f"CLOPOS_{name.upper()}"] = str(value)

    async def prepare(db: Database) -> None:
        await upgrade(db.engine)
        if demo:
            from clopos_server.demo import load_demo

            for line in await load_demo(db):
                typer.echo(line)
            await _print_demo_help(db, settings)

    _run(prepare, settings)
    uvicorn.run(
        "clopos_server.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        log_config=None,
        access_log=False,
        proxy_headers=False,
        timeout_graceful_shutdown=5,  # open board event streams never end by themselves
        **uvicorn_options(),  # httptools, answering unparsable requests in the JSON envelope
    )


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
    from clopos_server.sandbox import demo_credentials

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


if __name__ == "__main__":  # pragma: no cover
    app()
