"""How the cache store packs what it keeps: small, because a cache holds it in memory.

Hex strings and addresses are stored as the bytes they spell whenever that round-trips exactly,
a UUID primary key as its 16 bytes, a digest as the first 128 bits of the HMAC in URL-safe
base64. The revocation stamp is a random integer, which Redis keeps inside the key's record.
"""

from __future__ import annotations

import base64
import ipaddress
import secrets
import uuid
from typing import Any

__all__ = [
    "compact_digest",
    "new_stamp",
    "pack_hex",
    "pack_ip",
    "pack_pk",
    "unpack_hex",
    "unpack_ip",
    "unpack_pk",
]


def new_stamp() -> int:
    """A random revocation stamp. An integer, which Redis keeps inside the key's own record."""
    return secrets.randbits(63)


def pack_pk(pk: Any) -> Any:
    """An integer as it is, a UUID as its 16 bytes, anything else as text."""
    if isinstance(pk, int):
        return pk
    if isinstance(pk, uuid.UUID):
        return pk.bytes
    return str(pk)


def unpack_pk(value: Any) -> Any:
    return uuid.UUID(bytes=value) if isinstance(value, bytes) else value


def compact_digest(hexdigest: str) -> str:
    """The first 128 bits of a hex digest in URL-safe base64: 22 characters instead of 64."""
    return base64.urlsafe_b64encode(bytes.fromhex(hexdigest)[:16]).rstrip(b"=").decode()


def pack_hex(text: str) -> bytes | str:
    """The bytes a lowercase hex string spells (half its size); other text as it is."""
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        return text
    return raw if raw.hex() == text else text


def unpack_hex(value: bytes | str) -> str:
    return value.hex() if isinstance(value, bytes) else value


def pack_ip(address: str | None) -> bytes | str | None:
    """The 4 or 16 bytes of an address written in canonical form; anything else as it is."""
    if address is None:
        return None
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    return parsed.packed if str(parsed) == address else address


def unpack_ip(value: bytes | str | None) -> str | None:
    return str(ipaddress.ip_address(value)) if isinstance(value, bytes) else value
