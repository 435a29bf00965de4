"""Ledger accounts: ICRC-1 accounts and legacy ICP account identifiers.

An ICRC-1 account is an owner principal plus an optional 32-byte subaccount
(absent means 32 zero bytes). The ICP ledger keys balances by the account
identifier: `h = SHA-224(b"\\x0Aaccount-id" || owner || subaccount)` and the
identifier is `CRC32(h)` big-endian followed by `h`, 32 bytes, shown as 64 hex
characters (ICP ledger `account_identifier.rs`).

The textual form of an ICRC-1 account is the owner's text for the default
subaccount, otherwise `<owner>-<checksum>.<subaccount hex without leading
zeros>` where the checksum is the CRC-32 of owner bytes and subaccount in
lowercase base32, 7 characters (ICRC-1 standard, "Textual encoding").
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from dataclasses import dataclass
from typing import Final

from replica.types import Principal, PrincipalError, RawBytesKey

SUBACCOUNT_BYTES: Final = 32
DEFAULT_SUBACCOUNT: Final = bytes(SUBACCOUNT_BYTES)
_ACCOUNT_ID_DOMAIN: Final = b"\x0aaccount-id"


class AccountError(ValueError):
    """A malformed account, subaccount or account identifier."""


def validate_subaccount(subaccount: bytes | None) -> bytes:
    """The 32-byte subaccount (zeros for None), or AccountError."""
    if subaccount is None:
        return DEFAULT_SUBACCOUNT
    if len(subaccount) != SUBACCOUNT_BYTES:
        raise AccountError(f"a subaccount has {SUBACCOUNT_BYTES} bytes, got {len(subaccount)}")
    return bytes(subaccount)


@dataclass(frozen=True, slots=True, eq=False)
class AccountIdentifier(RawBytesKey):
    """The 32-byte legacy ICP account identifier (checksum included)."""

    raw: bytes

    def __post_init__(self) -> None:
        if len(self.raw) != 32:
            raise AccountError(f"an account identifier has 32 bytes, got {len(self.raw)}")
        if zlib.crc32(self.raw[4:]).to_bytes(4, "big") != self.raw[:4]:
            raise AccountError("account identifier checksum mismatch")

    @classmethod
    def of(cls, owner: Principal, subaccount: bytes | None = None) -> AccountIdentifier:
        subaccount = validate_subaccount(subaccount)
        # a subaccount has a fixed length, so subaccount + owner names one pair
        key = subaccount + owner.raw
        identifier = _IDENTIFIERS.get(key)
        if identifier is None or type(identifier) is not cls:
            digest = hashlib.sha224(_ACCOUNT_ID_DOMAIN + owner.raw + subaccount).digest()
            # built here, so its checksum is right: no need to check it again (`__post_init__`)
            identifier = object.__new__(cls)
            object.__setattr__(identifier, "raw", zlib.crc32(digest).to_bytes(4, "big") + digest)
            if len(_IDENTIFIERS) >= _MAX_REMEMBERED_IDENTIFIERS:
                _IDENTIFIERS.clear()
            _IDENTIFIERS[key] = identifier
        return identifier

    @classmethod
    def from_bytes(cls, data: bytes) -> AccountIdentifier:
        """Parse 32 bytes (checksum verified) or the bare 28-byte hash."""
        if len(data) == 28:
            return cls(zlib.crc32(data).to_bytes(4, "big") + bytes(data))
        return cls(bytes(data))

    @classmethod
    def from_hex(cls, text: str) -> AccountIdentifier:
        try:
            data = bytes.fromhex(text)
        except ValueError as error:
            raise AccountError(f"not a hex account identifier: {text!r}") from error
        return cls.from_bytes(data)

    def to_hex(self) -> str:
        return self.raw.hex()

    def __str__(self) -> str:
        return self.to_hex()


_MAX_REMEMBERED_IDENTIFIERS: Final = 4_096
_IDENTIFIERS: dict[bytes, AccountIdentifier] = {}
"""The identifiers computed lately, by subaccount + owner: a ledger meets the same accounts again
(the source and destination of each transfer, the accounts it remembers), and identifiers are
immutable."""


@dataclass(frozen=True, slots=True, order=True)
class Account:
    """An ICRC-1 account: an owner and a 32-byte subaccount (zeros by default)."""

    owner: Principal
    subaccount: bytes = DEFAULT_SUBACCOUNT

    # as the dataclass would make them, on the bytes of both fields
    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self.subaccount == other.subaccount and self.owner == other.owner
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.owner.raw, self.subaccount))

    def __post_init__(self) -> None:
        validate_subaccount(self.subaccount)

    @classmethod
    def of(cls, owner: Principal, subaccount: bytes | None = None) -> Account:
        # the subaccount is checked here, so `__post_init__` need not check it again
        account = object.__new__(cls)
        object.__setattr__(account, "owner", owner)
        object.__setattr__(account, "subaccount", validate_subaccount(subaccount))
        return account

    @property
    def is_default_subaccount(self) -> bool:
        return self.subaccount == DEFAULT_SUBACCOUNT

    def identifier(self) -> AccountIdentifier:
        return AccountIdentifier.of(self.owner, self.subaccount)

    def to_text(self) -> str:
        if self.is_default_subaccount:
            return self.owner.to_text()
        checksum = zlib.crc32(self.owner.raw + self.subaccount).to_bytes(4, "big")
        check_text = base64.b32encode(checksum).decode().rstrip("=").lower()
        return f"{self.owner.to_text()}-{check_text}.{self.subaccount.hex().lstrip('0')}"

    @classmethod
    def from_text(cls, text: str) -> Account:
        if "." not in text:
            try:
                return cls(Principal.from_text(text))
            except PrincipalError as error:
                raise AccountError(str(error)) from error
        head, _, hex_part = text.rpartition(".")
        owner_text, _, _checksum = head.rpartition("-")
        if not hex_part or hex_part.startswith("0") or len(hex_part) > 64:
            raise AccountError(f"not an ICRC-1 account: {text!r}")
        try:
            owner = Principal.from_text(owner_text)
            subaccount = bytes.fromhex(hex_part.rjust(64, "0"))
        except (PrincipalError, ValueError) as error:
            raise AccountError(f"not an ICRC-1 account: {text!r}") from error
        account = cls(owner, subaccount)
        if account.to_text() != text:
            raise AccountError(f"ICRC-1 account {text!r} has a wrong checksum")
        return account

    def __str__(self) -> str:
        return self.to_text()
