"""Who is one client: the key every throttle of resetkit's endpoints counts by.

``REMOTE_ADDR``, or the entry DRF's ``NUM_PROXIES`` designates, never a header the client alone
sets; IPv6 addresses grouped by ``IPV6_PREFIX_LENGTH`` (one /64 by default), an IPv4-mapped
address counted as its IPv4 address. Importable from :mod:`resetkit.throttling` too.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

__all__ = ["client_ident", "group_address", "ipv6_prefix_length", "parse_address"]


def ipv6_prefix_length() -> int:
    """``IPV6_PREFIX_LENGTH``, checked: a whole number from 0 to 128."""
    from resetkit.conf import resetkit_settings

    value = resetkit_settings.IPV6_PREFIX_LENGTH
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 128:
        raise ImproperlyConfigured(
            f"{resetkit_settings.source_of('IPV6_PREFIX_LENGTH')} must be a whole number from "
            f"0 to 128 (64: one subscriber's network), not {value!r}."
        )
    return value


def parse_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address in ``text`` as proxies write it: bare, ``IPv4:port``, ``[IPv6]``,
    ``[IPv6]:port`` or ``address/prefix``; ``None`` if there is none.

    Some proxies put the client's port in ``X-Forwarded-For``: keyed as written, every new
    connection of one client would be a new client with a fresh budget.
    """
    text = text.strip()
    if text.startswith("["):  # [IPv6] or [IPv6]:port
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # IPv4:port (an IPv6 address has at least two colons)
        text = text.partition(":")[0]
    text = text.partition("/")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def group_address(address: str, prefix_length: int | None = None) -> str:
    """The key of the client at ``address``: an IPv4 address as it is, an IPv6 address as its
    network of ``prefix_length`` bits (``IPV6_PREFIX_LENGTH`` by default), e.g.
    ``2001:db8:1:2::/64``; an IPv4-mapped IPv6 address (``::ffff:192.0.2.1``) as its IPv4
    address; a port or a prefix written with the address is ignored. Anything that is not an
    IP address is kept as it is, lower-cased."""
    ip = parse_address(address)
    if ip is None:
        return address.strip().lower()
    if isinstance(ip, ipaddress.IPv4Address):
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    length = ipv6_prefix_length() if prefix_length is None else prefix_length
    # int() drops a zone (``fe80::1%eth0``): one interface's zone is not another client.
    return ipaddress.IPv6Network((int(ip), length), strict=False).with_prefixlen


def client_ident(request: Any) -> str:
    """The client the throttles count by: ``REMOTE_ADDR``, or the entry DRF's ``NUM_PROXIES``
    designates, never a header the client alone sets; grouped by :func:`group_address`."""
    if api_settings.NUM_PROXIES is None:
        address = request.META.get("REMOTE_ADDR")
    else:
        address = BaseThrottle().get_ident(request)
    return group_address(str(address or ""))
