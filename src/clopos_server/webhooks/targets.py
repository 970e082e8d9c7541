"""Which URLs an endpoint may have, and which addresses a delivery may reach.

At creation (and on PATCH) a URL must be ``https://`` (``http://`` only with
``CLOPOS_WEBHOOK_ALLOW_HTTP``), without user name or password, at most ``MAX_URL`` characters, and not a
literal loopback/private address or ``localhost`` (unless ``CLOPOS_WEBHOOK_ALLOW_PRIVATE``). A name is
not resolved then: what it resolves to can change, so every attempt resolves it again and refuses a
private answer (:func:`resolve_public`); the attempt then connects to the very address it checked.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

MAX_URL = 2048
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Shared address space (carrier-grade NAT) and the cloud metadata addresses some providers use.
_EXTRA_FORBIDDEN = (
    ipaddress.ip_network("100.64.0.0/10"),
    ipaddress.ip_network("fd00:ec2::254/128"),
)
_LOCAL_NAMES = ("localhost", "localhost.localdomain")


@dataclass(frozen=True)
class Target:
    """A URL as the dispatcher uses it: scheme, host name, port, and the path with its query."""

    scheme: str
    host: str
    port: int
    path: str


def forbidden_address(address: IPAddress) -> bool:
    """Loopback, private, link-local (cloud metadata at 169.254.169.254), multicast, reserved or
    unspecified; an IPv4 address mapped into IPv6 is judged as itself."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or any(address in network for network in _EXTRA_FORBIDDEN)
    )


@functools.lru_cache(maxsize=1024)
def _literal(host: str) -> IPAddress | None:
    """``host`` as an IP address, or None for a name (parsed once per host: every attempt asks)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _local_name(host: str) -> bool:
    return host in _LOCAL_NAMES or host.endswith(".localhost")


def url_problem(url: str, *, allow_http: bool, allow_private: bool) -> str | None:
    """Why ``url`` cannot be an endpoint's, or None."""
    if len(url) > MAX_URL:
        return f"must be at most {MAX_URL} characters long"
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return "must not contain spaces or control characters"
    if not url.isascii():
        return "must be ASCII: an international name in punycode (xn--...), other characters %-encoded"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "must be a valid URL"
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "must be an absolute https:// URL"
    if parts.scheme == "http" and not allow_http:
        return "must use https:// (http:// needs CLOPOS_WEBHOOK_ALLOW_HTTP=true on the server)"
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return "must not hold a user name or password"
    host = (parts.hostname or "").rstrip(".")
    if not host or port == 0:
        return "must name a host (and a port from 1 to 65535, if any)"
    literal = _literal(host)
    private = _local_name(host) if literal is None else forbidden_address(literal)
    if private and not allow_private:
        return "must not point to a loopback, private or link-local address"
    return None


@functools.lru_cache(maxsize=1024)
def target_of(url: str) -> Target:
    """The parts of a URL that :func:`url_problem` accepted (worked out once per URL: every attempt asks)."""
    parts: SplitResult = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, (parts.hostname or "").rstrip("."), port, path)


class RefusedAddress(Exception):
    """The name resolved to an address deliveries may not reach (or to none)."""


async def resolve_public(host: str, port: int, *, allow_private: bool) -> IPAddress:
    """The address to connect to, resolved now; refused when any answer is private (a name that
    resolves to a public and a private address would otherwise pick either) unless allowed."""
    literal = _literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
            )
        except OSError as exc:
            raise RefusedAddress(f"cannot resolve {host}: {exc}") from exc
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses:
        raise RefusedAddress(f"{host} resolves to no address")
    if not allow_private:
        bad = [str(a) for a in addresses if forbidden_address(a)]
        if bad or _local_name(host):
            shown = ", ".join(bad) or host
            raise RefusedAddress(f"{host} resolves to a private or loopback address ({shown})")
    return addresses[0]
