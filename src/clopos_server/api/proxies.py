"""Trusted proxies: the client's address and scheme as the proxy in front of us saw them.

Behind nginx every request comes from nginx's address, over plain HTTP. When the direct peer is one of
``CLOPOS_TRUSTED_PROXIES``, ``X-Forwarded-For`` names the client (read from the right, skipping further
trusted proxies: the entries left of the first untrusted one could have been written by the client
itself) and ``X-Forwarded-Proto`` the scheme (so the board's cookie is ``Secure`` behind TLS). From any
other peer both headers are ignored: anyone can send them. The per-IP rate limits, the board's sign-in
limit and the access log all read the address this rewrites (``scope["client"]``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

from clopos_server.settings import IPNetwork


class TrustedProxyMiddleware:
    def __init__(self, app: ASGIApp, networks: Sequence[IPNetwork]) -> None:
        self.app = app
        self.networks = list(networks)

    def trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            peer = scope.get("client")
            if peer and self.trusted(peer[0]):
                self._rewrite(scope, peer)
        await self.app(scope, receive, send)

    def _rewrite(self, scope: Scope, peer: tuple[str, int]) -> None:
        headers = dict(scope["headers"])
        forwarded_for = headers.get(b"x-forwarded-for")
        if forwarded_for:
            hops = [hop.strip() for hop in forwarded_for.decode("latin-1").split(",") if hop.strip()]
            client = next((hop for hop in reversed(hops) if not self.trusted(hop)), hops[0] if hops else None)
            if client:
                scope["client"] = (client, 0)
        proto = headers.get(b"x-forwarded-proto")
        if proto:
            scheme = proto.decode("latin-1").split(",")[-1].strip().lower()
            if scheme in ("http", "https"):
                scope["scheme"] = scheme
