"""``GET /``: a small page for a person who opens the server in a browser (where the docs, the board and
the demo's credentials are), and ``GET /guide``: the integrator's guide, shipped in the package. Neither is
part of the API, so neither is in the OpenAPI document."""

from __future__ import annotations

import html
from importlib import resources

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from clopos_server.demo.credentials import demo_credentials

router = APIRouter(include_in_schema=False)
GUIDE = resources.files("clopos_server") / "guide" / "integrating.md"


def _row(name: str, value: object) -> str:
    return f"<tr><th>{html.escape(name)}</th><td><code>{html.escape(str(value))}</code></td></tr>"


@router.get("/")
async def landing(request: Request) -> Response:
    base = str(request.base_url).rstrip("/")
    demo = demo_credentials(base)
    v1, v2 = demo["v1"]["auth"], demo["v2"]["auth"]
    rows = [
        _row("base URL", base),
        _row("brand", demo["brand"]),
        _row("venue_id", demo["venue_id"]),
        _row("client_id", v1["client_id"]),
        _row("client_secret", v1["client_secret"]),
        _row("v2 integrator_id", v2["integrator_id"]),
        *(_row(f"board login: {user}", password) for user, password in demo["board"]["logins"].items()),
    ]
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>clopos-server</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}}
th{{text-align:left;padding-right:1rem;font-weight:600}}code{{word-break:break-all}}</style></head>
<body><h1>clopos-server</h1>
<p>A self-hostable server for the Clopos Open API: point your integration here instead of the real API.</p>
<ul>
<li><a href="/docs">API reference</a> (<a href="/openapi.json">openapi.json</a>)</li>
<li><a href="{html.escape(demo["board"]["url"])}">Order board</a>: accept and deliver orders as a venue</li>
<li><a href="/guide">Integrator's guide</a>: base URL, test helpers, failure rehearsal, pytest, CI</li>
</ul>
<h2>Demo credentials</h2>
<p>Present when the server runs the demo (<code>make run</code>, <code>clopos-server sandbox</code>).
Log in at <code>POST /open-api/auth</code> (v1) or <code>POST /open-api/v2/auth</code> (v2).</p>
<table>{"".join(rows)}</table>
</body></html>
"""
    return HTMLResponse(page)


@router.get("/guide")
async def guide() -> Response:
    return PlainTextResponse(GUIDE.read_text(encoding="utf-8"), media_type="text/markdown; charset=utf-8")
