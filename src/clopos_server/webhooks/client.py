"""One delivery attempt over HTTP, under the spec's limits.

Connect within 5 s, the whole attempt (name resolution included) within 15 s, redirects not followed (a
3xx is a failed attempt), and at most 1 KiB of the answer read before the connection is dropped (a
receiver streaming 100 MiB costs 1 KiB). The name is resolved on every attempt and the request goes to
the address that was checked (:func:`targets.resolve_public`), with the name in ``Host`` and, for https,
in SNI and the certificate check.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from clopos_server import __version__
from clopos_server.webhooks.targets import RefusedAddress, resolve_public, target_of

CONNECT_TIMEOUT = 5.0
ATTEMPT_TIMEOUT = 15.0
BODY_LIMIT = 1024
ERROR_LIMIT = 500
USER_AGENT = f"clopos-server-webhooks/{__version__}"


@dataclass(frozen=True)
class Outcome:
    """What came of one attempt: a status and the start of the answer, or an error."""

    status: int | None
    body: str | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _host_header(host: str, port: int, scheme: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    default = 443 if scheme == "https" else 80
    return shown if port == default else f"{shown}:{port}"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        kind = "connect" if isinstance(exc, httpx.ConnectTimeout) else "attempt"
        limit = CONNECT_TIMEOUT if kind == "connect" else ATTEMPT_TIMEOUT
        return f"timed out ({kind} limit {limit:g} s)"
    if isinstance(exc, httpx.ReadError | httpx.RemoteProtocolError | httpx.WriteError):
        what = "the connection was closed or reset before an answer"
    elif isinstance(exc, httpx.ConnectError):
        what = "cannot connect"
    else:
        what = "request failed"
    detail = str(exc).strip()
    return f"{what} ({type(exc).__name__}{': ' + detail if detail else ''})"[:ERROR_LIMIT]


async def _read_start(response: httpx.Response) -> str:
    """At most ``BODY_LIMIT`` bytes of the answer, as text; the rest is never read."""
    taken = bytearray()
    async for chunk in response.aiter_raw():
        taken += chunk
        if len(taken) >= BODY_LIMIT:
            break
    return bytes(taken[:BODY_LIMIT]).decode("utf-8", errors="replace")


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The certificate check every sender uses (httpx's default: certifi's CA bundle), made once per
    process: reading the bundle costs ~25 ms of CPU, paid per sender and so per app start (every test)."""
    return httpx.create_ssl_context(trust_env=False)


class Sender:
    """Sends attempts. The process's shared one keeps no connection alive (a connection opened for one
    name is never reused for another name at the same address); an endpoint's sender has its own, which
    keeps up to ``keep_alive`` connections to that endpoint's one URL (``EndpointRunner``)."""

    def __init__(self, *, allow_private: bool, keep_alive: int = 0) -> None:
        self.allow_private = allow_private
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(ATTEMPT_TIMEOUT, connect=CONNECT_TIMEOUT),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=keep_alive),
            trust_env=False,
            verify=_tls_context(),
        )

    async def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> Outcome:
        started = time.monotonic()
        status: int | None = None
        text: str | None = None
        error: str | None = None
        try:
            async with asyncio.timeout(ATTEMPT_TIMEOUT):
                status, text = await self._request(url, body, headers)
        except RefusedAddress as exc:
            error = str(exc)[:ERROR_LIMIT]
        except (httpx.HTTPError, OSError, TimeoutError) as exc:
            error = _describe(exc)
        duration = int((time.monotonic() - started) * 1000)
        return Outcome(status, text, error, duration)

    async def _request(self, url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, str]:
        target = target_of(url)
        address = await resolve_public(target.host, target.port, allow_private=self.allow_private)
        shown = f"[{address}]" if isinstance(address, ipaddress.IPv6Address) else str(address)
        request = self._client.build_request(
            "POST",
            f"{target.scheme}://{shown}:{target.port}{target.path}",
            content=body,
            headers={
                **headers,
                "host": _host_header(target.host, target.port, target.scheme),
                "content-type": "application/json",
                "user-agent": USER_AGENT,
            },
            extensions={"sni_hostname": target.host} if target.scheme == "https" else {},
        )
        response = await self._client.send(request, stream=True)
        try:
            return response.status_code, await _read_start(response)
        finally:
            await response.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()
