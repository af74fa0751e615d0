"""Destination guard for webhook delivery (docs/api.md §16(h)): SSRF rules checked after DNS resolution.

The guard resolves the URL host, checks **every** resolved address and returns the one address the connection must
be pinned to. A refused destination raises :class:`BlockedDestination` before any connection is opened; a name that
does not resolve raises :class:`ResolutionFailed`.

Errors::

    DestinationError
    ├── BlockedDestination   policy refuses the URL or one of its addresses
    └── ResolutionFailed     DNS gave no usable address
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field

import httpx

__all__ = [
    "REFUSED_NETWORKS",
    "AddressPolicy",
    "BlockedDestination",
    "DestinationError",
    "ResolutionFailed",
    "Resolver",
    "ResolvedDestination",
    "resolve_destination",
    "system_resolver",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# (host, port) -> IP address strings, in the order the connection should prefer them.
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

_net = ipaddress.ip_network

REFUSED_NETWORKS: tuple[IPNetwork, ...] = (
    # IPv4
    _net("0.0.0.0/8"),  # "this" network
    _net("10.0.0.0/8"),  # private
    _net("100.64.0.0/10"),  # carrier-grade NAT
    _net("127.0.0.0/8"),  # loopback
    _net("169.254.0.0/16"),  # link-local, cloud metadata (169.254.169.254)
    _net("172.16.0.0/12"),  # private
    _net("192.0.0.0/24"),  # IETF protocol assignments
    _net("192.0.2.0/24"),  # TEST-NET-1
    _net("192.88.99.0/24"),  # 6to4 relay anycast
    _net("192.168.0.0/16"),  # private
    _net("198.18.0.0/15"),  # benchmarking
    _net("198.51.100.0/24"),  # TEST-NET-2
    _net("203.0.113.0/24"),  # TEST-NET-3
    _net("224.0.0.0/4"),  # multicast
    _net("240.0.0.0/4"),  # reserved + broadcast
    # IPv6 (IPv4-mapped ::ffff:0:0/96 and NAT64 64:ff9b::/96 are unwrapped and checked as IPv4 first)
    _net("::/128"),  # unspecified
    _net("::1/128"),  # loopback
    _net("::/96"),  # deprecated IPv4-compatible
    _net("64:ff9b:1::/48"),  # local-use NAT64
    _net("100::/64"),  # discard-only
    _net("2001:db8::/32"),  # documentation
    _net("fc00::/7"),  # unique local
    _net("fec0::/10"),  # deprecated site-local
    _net("fe80::/10"),  # link-local
    _net("ff00::/8"),  # multicast
)

_LOOPBACK = (_net("127.0.0.0/8"), _net("::1/128"))
_NAT64 = _net("64:ff9b::/96")


class DestinationError(Exception):
    """Base of the guard's errors."""


class BlockedDestination(DestinationError):
    """The policy refuses this destination; no connection was opened."""


class ResolutionFailed(DestinationError):
    """The host name did not resolve to any address."""


def _embedded_ipv4(addr: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(addr, ipaddress.IPv4Address):
        return None
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr in _NAT64:
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    if addr.sixtofour is not None:
        return addr.sixtofour
    return None


def _parse_allow(entries: Iterable[str]) -> tuple[tuple[IPNetwork, ...], frozenset[str]]:
    networks: list[IPNetwork] = []
    hosts: set[str] = set()
    for raw in entries:
        entry = raw.strip()
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            hosts.add(entry.lower().rstrip("."))
    return tuple(networks), frozenset(hosts)


@dataclass(frozen=True)
class AddressPolicy:
    """Which destinations webhook delivery may reach.

    ``allow`` lists networks (``"10.1.0.0/16"``), single addresses (``"10.1.2.3"``) or host names
    (``"hooks.internal"``) the operator lets through even though they resolve into a refused range.
    ``allow_loopback`` lets 127.0.0.0/8 and ::1 through (the embedded dev default).
    """

    allow: Sequence[str] = field(default=())
    allow_loopback: bool = False
    _networks: tuple[IPNetwork, ...] = field(init=False, repr=False, compare=False, default=())
    _hosts: frozenset[str] = field(init=False, repr=False, compare=False, default=frozenset())

    def __post_init__(self) -> None:
        networks, hosts = _parse_allow(self.allow)
        object.__setattr__(self, "allow", tuple(self.allow))
        object.__setattr__(self, "_networks", networks)
        object.__setattr__(self, "_hosts", hosts)

    @classmethod
    def embedded_default(cls) -> AddressPolicy:
        """The single-process dev default: loopback receivers are allowed."""
        return cls(allow_loopback=True)

    def host_allowed(self, host: str) -> bool:
        return host.lower().rstrip(".") in self._hosts

    def is_refused(self, address: str | IPAddress) -> bool:
        """True when ``address`` falls in a refused range and nothing in the policy lets it through."""
        addr = ipaddress.ip_address(address) if isinstance(address, str) else address
        if isinstance(addr, ipaddress.IPv6Address) and addr.scope_id:
            addr = ipaddress.IPv6Address(str(addr).split("%", 1)[0])
        candidates: list[IPAddress] = [addr]
        inner = _embedded_ipv4(addr)
        if inner is not None:
            candidates.append(inner)
        for cand in candidates:
            if any(cand in net for net in self._networks):
                return False
        for cand in candidates:
            if self.allow_loopback and any(cand in net for net in _LOOPBACK):
                continue
            if any(cand.version == net.version and cand in net for net in REFUSED_NETWORKS):
                return True
        return False


@dataclass(frozen=True)
class ResolvedDestination:
    """A checked destination: connect to ``ip`` while speaking HTTP/TLS to ``host``."""

    host: str
    port: int
    ip: str


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the event loop's ``getaddrinfo`` (runs in the default executor)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        ip = str(sockaddr[0])
        if ip not in seen:
            seen.append(ip)
    return seen


async def resolve_destination(
    url: str | httpx.URL, policy: AddressPolicy, *, resolver: Resolver | None = None
) -> ResolvedDestination:
    """Resolve ``url``'s host and check every address against ``policy``.

    Raises :class:`BlockedDestination` if the scheme is not http(s) or any resolved address is refused (a name
    that mixes public and private answers is refused whole), :class:`ResolutionFailed` if nothing resolves.
    """
    try:
        parsed = httpx.URL(url) if isinstance(url, str) else url
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise BlockedDestination(f"invalid URL: {exc}") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise BlockedDestination("only absolute http and https URLs are delivered to")
    host = parsed.raw_host.decode("ascii")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)

    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        if policy.is_refused(literal):
            raise BlockedDestination(f"address {literal} is not allowed")
        return ResolvedDestination(host=host, port=port, ip=str(literal))

    try:
        addresses = list(await (resolver or system_resolver)(host, port))
    except (OSError, UnicodeError) as exc:
        raise ResolutionFailed(f"could not resolve {host}: {exc}") from exc
    if not addresses:
        raise ResolutionFailed(f"could not resolve {host}")
    if not policy.host_allowed(host):
        for ip in addresses:
            try:
                refused = policy.is_refused(ip)
            except ValueError as exc:
                raise ResolutionFailed(f"resolver returned a non-address {ip!r}") from exc
            if refused:
                raise BlockedDestination(f"{host} resolves to {ip}, which is not allowed")
    return ResolvedDestination(host=host, port=port, ip=addresses[0].split("%", 1)[0])
