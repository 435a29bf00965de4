"""Identifiers and amounts shared by every layer.

A principal is the identity of a user, a canister, a node or a subnet: a short
byte string (at most 29 bytes) whose last byte tells its class. Its textual form
is the CRC-32 of the bytes followed by the bytes, in lowercase base32 without
padding, cut into groups of five letters by dashes (IC interface spec,
"Textual representation of principals").
"""

from __future__ import annotations

import base64
import functools
import hashlib
import zlib
from dataclasses import dataclass
from typing import Final, NewType, Self

E8s = NewType("E8s", int)
"""An amount of ICP (or of an ICRC token) in its smallest unit, 10^-8."""

Cycles = NewType("Cycles", int)

E8S_PER_TOKEN: Final = 100_000_000
MAX_PRINCIPAL_BYTES: Final = 29

_OPAQUE_CLASS: Final = 0x01
_SELF_AUTHENTICATING_CLASS: Final = 0x02
_DERIVED_CLASS: Final = 0x03
_ANONYMOUS_CLASS: Final = 0x04


class PrincipalError(ValueError):
    """A byte string or text that is not a valid principal."""


class RawBytesKey:
    """Equality, hash and order on the `raw` bytes alone: what `dataclass(order=True)` makes of a
    one-field class, without a one-element tuple per comparison. Such values (principals,
    account identifiers) key every queue, canister table and balance."""

    __slots__ = ()
    raw: bytes

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self.raw == other.raw
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.raw)

    def __lt__(self, other: Self) -> bool:
        if other.__class__ is self.__class__:
            return self.raw < other.raw
        return NotImplemented

    def __le__(self, other: Self) -> bool:
        if other.__class__ is self.__class__:
            return self.raw <= other.raw
        return NotImplemented

    def __gt__(self, other: Self) -> bool:
        if other.__class__ is self.__class__:
            return self.raw > other.raw
        return NotImplemented

    def __ge__(self, other: Self) -> bool:
        if other.__class__ is self.__class__:
            return self.raw >= other.raw
        return NotImplemented


@dataclass(frozen=True, slots=True, eq=False)
class Principal(RawBytesKey):
    """A principal, held as its raw bytes."""

    raw: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.raw, bytes):
            raise PrincipalError("a principal is made of bytes")
        if len(self.raw) > MAX_PRINCIPAL_BYTES:
            raise PrincipalError(
                f"a principal has at most {MAX_PRINCIPAL_BYTES} bytes, got {len(self.raw)}"
            )

    @classmethod
    def from_text(cls, text: str) -> Principal:
        """Parse the dashed base32 form, checking its CRC-32 and its grouping."""
        return cls(_raw_of(text))

    @classmethod
    def _parse_text(cls, text: str) -> Principal:
        compact = text.replace("-", "").upper()
        if not compact or not compact.isalnum():
            raise PrincipalError(f"not a textual principal: {text!r}")
        padded = compact + "=" * (-len(compact) % 8)
        try:
            decoded = base64.b32decode(padded)
        except ValueError as error:
            raise PrincipalError(f"not a textual principal: {text!r}") from error
        if len(decoded) < 4:
            raise PrincipalError(f"not a textual principal: {text!r}")
        principal = cls(decoded[4:])
        if principal.to_text() != text:
            raise PrincipalError(f"principal {text!r} has a wrong checksum or grouping")
        return principal

    @classmethod
    def from_canister_id(cls, index: int) -> Principal:
        """The opaque id of the canister with this index: 8 bytes big endian, then 0x01 0x01."""
        if not 0 <= index < 2**64:
            raise PrincipalError(f"canister index out of range: {index}")
        return cls(index.to_bytes(8, "big") + bytes([_OPAQUE_CLASS, _OPAQUE_CLASS]))

    @classmethod
    def self_authenticating(cls, der_public_key: bytes) -> Principal:
        """The principal of a DER-encoded public key: SHA-224 of the key, then 0x02."""
        return cls(hashlib.sha224(der_public_key).digest() + bytes([_SELF_AUTHENTICATING_CLASS]))

    @classmethod
    def derived(cls, registering: Principal, nonce: bytes) -> Principal:
        """A derived id: SHA-224 of the registering principal's length-prefixed bytes and a
        nonce."""
        prefix = bytes([len(registering.raw)]) + registering.raw
        return cls(hashlib.sha224(prefix + nonce).digest() + bytes([_DERIVED_CLASS]))

    @classmethod
    def anonymous(cls) -> Principal:
        return cls(bytes([_ANONYMOUS_CLASS]))

    @classmethod
    def management_canister(cls) -> Principal:
        """`aaaaa-aa`, the empty principal that addresses the management canister."""
        return cls(b"")

    def to_text(self) -> str:
        return _text_of(self.raw)

    def canister_index(self) -> int | None:
        """The index of an opaque canister id of the standard 10-byte form, else None."""
        if len(self.raw) == 10 and self.raw[8] == _OPAQUE_CLASS and self.raw[9] == _OPAQUE_CLASS:
            return int.from_bytes(self.raw[:8], "big")
        return None

    @property
    def is_anonymous(self) -> bool:
        return self.raw == bytes([_ANONYMOUS_CLASS])

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"Principal({self.to_text()!r})"


@functools.lru_cache(maxsize=1 << 16)
def _text_of(raw: bytes) -> str:
    checksum = zlib.crc32(raw).to_bytes(4, "big")
    encoded = base64.b32encode(checksum + raw).decode("ascii").rstrip("=").lower()
    return "-".join(encoded[i : i + 5] for i in range(0, len(encoded), 5))


@functools.lru_cache(maxsize=1 << 16)
def _raw_of(text: str) -> bytes:
    """Textual form to raw bytes (cached: ids recur in registry keys and logs)."""
    return Principal._parse_text(text).raw
