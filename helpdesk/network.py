"""The client's address, the one value the lockout, the rate limits and the request
log key on.

`X-Forwarded-For` is written by whoever sends the request, so it is believed only
when the connection comes from a proxy named in TRUSTED_PROXIES, and then only as
far as the chain of trusted proxies goes: the header is read from the right (the
hop the nearest proxy added) and the first address that is not a trusted proxy is
the client. With TRUSTED_PROXIES empty (the default) the header is ignored.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _trusted_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _parse(value: str) -> Address | None:
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket counts as its IPv4 address.
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def client_address(request) -> str:
    """The address of the client that sent `request` ("" when unknown): the peer
    address, or, when the peer is a trusted proxy, the right-most address in
    X-Forwarded-For that is not itself a trusted proxy."""
    remote = _parse(request.META.get("REMOTE_ADDR") or "")
    if remote is None:
        return ""
    networks = _trusted_networks(tuple(settings.TRUSTED_PROXIES))

    def trusted(address: Address) -> bool:
        return any(address in network for network in networks)

    client = remote
    if networks and trusted(remote):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        for hop in reversed(forwarded.split(",")):
            address = _parse(hop)
            if address is None:
                # Garbage in the chain: keep the hop a trusted proxy vouched for.
                break
            client = address
            if not trusted(address):
                break
    return str(client)


def axes_client_address(request) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the same address, None when unknown."""
    return client_address(request) or None
