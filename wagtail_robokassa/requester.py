"""Who is asking: the client address of a request, and the key that groups its neighbours.

By default the address is the peer's (``REMOTE_ADDR``): a header can be forged by anyone. Behind
a reverse proxy, list the proxy's addresses or networks in ``ROBOKASSA_TRUSTED_PROXIES``; the
client address is then read from ``X-Forwarded-For`` (or ``ROBOKASSA_CLIENT_IP_HEADER``), from the
right, skipping the trusted proxies. The rate limit, the storage caps and every stored client
address use this one answer.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from .conf import setting

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: IPv6 addresses are grouped by network: one subscriber usually holds a whole /64.
IPV6_GROUP_PREFIX = 64


@lru_cache(maxsize=1024)  # the same few peers (ROBOKASSA's, a proxy's) on every request
def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


@lru_cache(maxsize=16)
def _networks(trusted: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in trusted)


def trusted_networks() -> tuple[IPNetwork, ...]:
    """``ROBOKASSA_TRUSTED_PROXIES`` as networks (checked at start-up by the system checks)."""
    trusted = setting("ROBOKASSA_TRUSTED_PROXIES")
    if isinstance(trusted, str):
        trusted = (trusted,)
    return _networks(tuple(trusted))


def _is_trusted(address: Any, networks: tuple[IPNetwork, ...]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_ip(request: Any) -> str | None:
    """The client's address, or None when it cannot be told (never a header's word unless the
    peer is a trusted proxy)."""
    peer = _address(request.META.get("REMOTE_ADDR", ""))
    networks = trusted_networks()
    if peer is None or not networks or not _is_trusted(peer, networks):
        return str(peer) if peer is not None else None
    header = request.META.get(setting("ROBOKASSA_CLIENT_IP_HEADER"), "")
    for hop in reversed(header.split(",")):
        address = _address(hop)
        if address is None:
            return None  # a proxy we trust wrote something we cannot read
        if not _is_trusted(address, networks):
            return str(address)
    return str(peer)  # every hop is a trusted proxy


def client_group(address: str | None) -> str:
    """The key that groups an address with its neighbours: itself for IPv4, its /64 for IPv6."""
    parsed = _address(address or "")
    if parsed is None:
        return "unknown"
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_GROUP_PREFIX}", strict=False))
    return str(parsed)
