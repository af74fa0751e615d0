"""AddressPolicy and resolve_destination: the docs/api.md §16(h) ranges, embedded IPv4, allow-lists, resolution."""

from __future__ import annotations

import pytest
from conduit_server.webhooks import AddressPolicy, BlockedDestination, ResolutionFailed, resolve_destination
from conduit_server.webhooks.guard import system_resolver
from webhooks.webhook_receiver import static_resolver

REFUSED = [
    "0.0.0.0",
    "0.1.2.3",
    "10.0.0.1",
    "10.255.255.255",
    "100.64.0.1",
    "100.127.255.254",
    "127.0.0.1",
    "127.9.9.9",
    "169.254.169.254",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "198.18.0.1",
    "198.19.255.255",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.2.10",
    "::",
    "::1",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "ff02::1",
    "ff05::2",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::a00:1",
    "64:ff9b::7f00:1",
    "64:ff9b::a9fe:a9fe",
    "2002:a00:1::",
    "::127.0.0.1",
]
ALLOWED = [
    "8.8.8.8",
    "93.184.216.34",
    "1.1.1.1",
    "172.32.0.1",
    "100.128.0.1",
    "11.0.0.1",
    "2606:4700:4700::1111",
    "2a00:1450:4001::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
]


@pytest.mark.parametrize("address", REFUSED)
def test_refused_ranges(address: str) -> None:
    assert AddressPolicy().is_refused(address)


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_pass(address: str) -> None:
    assert not AddressPolicy().is_refused(address)


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"])
def test_allow_loopback_only_opens_loopback(address: str) -> None:
    policy = AddressPolicy.embedded_default()
    assert policy.allow_loopback and not policy.is_refused(address)
    assert policy.is_refused("10.0.0.1") and policy.is_refused("169.254.169.254") and policy.is_refused("fe80::1")


def test_allow_list_networks_and_addresses() -> None:
    policy = AddressPolicy(allow=["10.1.0.0/16", "192.168.7.7", "[fd00::1]"])
    assert not policy.is_refused("10.1.2.3") and not policy.is_refused("::ffff:10.1.2.3")
    assert not policy.is_refused("192.168.7.7") and not policy.is_refused("fd00::1")
    assert policy.is_refused("10.2.0.1") and policy.is_refused("192.168.7.8") and policy.is_refused("127.0.0.1")


async def test_literal_ip_is_checked_without_resolving() -> None:
    calls: list[str] = []
    resolver = static_resolver({}, calls)
    dest = await resolve_destination("https://93.184.216.34/x", AddressPolicy(), resolver=resolver)
    assert (dest.host, dest.port, dest.ip) == ("93.184.216.34", 443, "93.184.216.34")
    with pytest.raises(BlockedDestination):
        await resolve_destination("http://[::1]:9000/x", AddressPolicy(), resolver=resolver)
    assert calls == []


async def test_hostname_is_checked_after_resolution() -> None:
    resolver = static_resolver({"a.example": ["93.184.216.34"], "b.example": ["8.8.8.8", "fe80::1"]})
    dest = await resolve_destination("http://a.example:8080/", AddressPolicy(), resolver=resolver)
    assert (dest.host, dest.port, dest.ip) == ("a.example", 8080, "93.184.216.34")
    with pytest.raises(BlockedDestination, match="fe80::1"):
        await resolve_destination("http://b.example/", AddressPolicy(), resolver=resolver)


async def test_allow_listed_host_name_skips_the_address_check() -> None:
    resolver = static_resolver({"hooks.internal.": ["10.9.9.9"]})
    dest = await resolve_destination(
        "http://HOOKS.internal./", AddressPolicy(allow=["hooks.internal"]), resolver=resolver
    )
    assert dest.ip == "10.9.9.9"


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "gopher://example.com/", "/relative"])
async def test_non_http_urls_are_blocked(url: str) -> None:
    with pytest.raises(BlockedDestination):
        await resolve_destination(url, AddressPolicy(), resolver=static_resolver({}))


async def test_resolution_failures() -> None:
    with pytest.raises(ResolutionFailed):
        await resolve_destination("http://missing.example/", AddressPolicy(), resolver=static_resolver({}))
    with pytest.raises(ResolutionFailed):
        await resolve_destination(
            "http://empty.example/", AddressPolicy(), resolver=static_resolver({"empty.example": []})
        )


async def test_system_resolver_resolves_localhost_to_loopback() -> None:
    addresses = await system_resolver("localhost", 80)
    assert addresses and all(a in ("127.0.0.1", "::1") for a in addresses)
    with pytest.raises(BlockedDestination):
        await resolve_destination("http://localhost/", AddressPolicy())
    dest = await resolve_destination("http://localhost/", AddressPolicy.embedded_default())
    assert dest.ip in ("127.0.0.1", "::1")
