"""The SSRF guard: a webhook goes only to an https URL whose host resolves to public addresses.

Checked when an endpoint is created or changed, and again right before every attempt (DNS can
change between two attempts); the sender then connects to the very address checked here, never
resolving the name a second time, so a name cannot point elsewhere between check and connect.
Every address the name resolves to must be public: one private answer refuses the URL.

``allow_private`` (``U22A8_WEBHOOKS_ALLOW_PRIVATE``, development and tests) also accepts http and
loopback, private and link-local addresses.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["UnsafeUrl", "Target", "Resolver", "check_url_shape", "is_public", "resolve_target", "system_resolver"]

# host, port -> the addresses it resolves to
Resolver = Callable[[str, int], Sequence[str]]

_PORTS = {"https": 443, "http": 80}
# Ranges that are not "global" by ipaddress's reckoning but are refused by name too, so the rule
# reads plainly: cloud metadata, carrier-grade NAT, and IPv4 reached through IPv6.
_ALSO_REFUSED = tuple(ipaddress.ip_network(n) for n in (
    "169.254.0.0/16", "100.64.0.0/10", "0.0.0.0/8", "fd00::/8", "fe80::/10", "::ffff:0:0/96", "64:ff9b::/96",
))


class UnsafeUrl(ValueError):
    """The URL may not receive webhooks; the message says why."""


@dataclass(frozen=True)
class Target:
    """Where one attempt connects: ``address`` as checked, with ``host`` for TLS and ``Host:``."""

    scheme: str
    host: str
    port: int
    address: str
    path: str

    @property
    def connect_url(self) -> str:
        """The URL with the checked address in place of the name."""
        ip = ipaddress.ip_address(self.address)
        netloc = f"[{ip}]" if ip.version == 6 else str(ip)
        return f"{self.scheme}://{netloc}:{self.port}{self.path}"

    @property
    def host_header(self) -> str:
        default = _PORTS[self.scheme]
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_url_shape(url: str, *, allow_private: bool) -> tuple[str, str, int, str]:
    """``(scheme, host, port, path)`` of a URL that may be used, before any resolution."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl(f"not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if allow_private else ("https",)
    if scheme not in allowed:
        raise UnsafeUrl("webhook URLs must use https")
    if not parts.hostname:
        raise UnsafeUrl("the URL has no host")
    if parts.username or parts.password:
        raise UnsafeUrl("the URL may not carry credentials")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, parts.hostname, port or _PORTS[scheme], path


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if any(ip in net for net in _ALSO_REFUSED if net.version == ip.version):
        return False
    return ip.is_global and not ip.is_multicast


def resolve_target(url: str, *, allow_private: bool, resolver: Resolver = system_resolver) -> Target:
    """The address an attempt at ``url`` connects to; :class:`UnsafeUrl` if any is not public."""
    scheme, host, port, path = check_url_shape(url, allow_private=allow_private)
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        try:
            addresses = list(resolver(host, port))
        except OSError as exc:
            raise UnsafeUrl(f"{host} does not resolve: {exc}") from None
    if not addresses:
        raise UnsafeUrl(f"{host} does not resolve")
    if not allow_private:
        refused = [a for a in addresses if not is_public(a)]
        if refused:
            raise UnsafeUrl(f"{host} resolves to {refused[0]}, which is not a public address")
    return Target(scheme, host, port, addresses[0], path)
