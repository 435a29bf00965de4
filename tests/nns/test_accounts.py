"""Account identifiers and ICRC-1 accounts, byte-exact (spec section 8)."""

from __future__ import annotations

import hashlib
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nns.ledger.accounts import Account, AccountError, AccountIdentifier
from replica.types import Principal

GOVERNANCE = Principal.from_text("rrkah-fqaaa-aaaaa-aaaaq-cai")


def test_crc32_of_28_zero_bytes() -> None:
    assert zlib.crc32(bytes(28)).to_bytes(4, "big").hex() == "807077e9"
    assert AccountIdentifier.from_bytes(bytes(28)).to_hex().startswith("807077e9")


def test_governance_default_account_is_the_minting_account() -> None:
    assert (
        AccountIdentifier.of(GOVERNANCE).to_hex()
        == "082ecf2e3f647ac600f43f38a68342fba5b8e68b085f02592b77f39808a8d2b5"
    )
    assert Account.of(GOVERNANCE).identifier() == AccountIdentifier.of(GOVERNANCE)


def test_identifier_checksum_is_verified() -> None:
    good = AccountIdentifier.of(GOVERNANCE).raw
    with pytest.raises(AccountError, match="checksum"):
        AccountIdentifier(bytes([good[0] ^ 1]) + good[1:])
    with pytest.raises(AccountError):
        AccountIdentifier.from_hex("zz")


def test_icrc1_text_round_trip() -> None:
    assert Account.of(GOVERNANCE).to_text() == "rrkah-fqaaa-aaaaa-aaaaq-cai"
    account = Account.of(GOVERNANCE, bytes(31) + b"\x01")
    text = account.to_text()
    assert text.endswith(".1")
    assert Account.from_text(text) == account
    with pytest.raises(AccountError):
        Account.from_text(text[:-1] + "2")
    with pytest.raises(AccountError):
        Account.of(GOVERNANCE, b"short")


@given(
    owners=st.lists(st.binary(max_size=29), min_size=1, max_size=6),
    subaccounts=st.lists(st.one_of(st.none(), st.binary(min_size=32, max_size=32)), max_size=6),
)
def test_identifiers_and_accounts_built_fast_are_the_plain_ones(
    owners: list[bytes], subaccounts: list[bytes | None]
) -> None:
    """`AccountIdentifier.of` remembers what it computed and `Account.of` checks its subaccount
    once: each is still the definition (`h = SHA-224(0x0A "account-id" owner subaccount)`,
    CRC-32 of h, then h), asked once or again."""
    for _ in range(2):
        for raw in owners:
            owner = Principal(raw)
            for subaccount in [*subaccounts, None]:
                padded = subaccount or bytes(32)
                digest = hashlib.sha224(b"\x0aaccount-id" + raw + padded).digest()
                expected = AccountIdentifier(zlib.crc32(digest).to_bytes(4, "big") + digest)
                identifier = AccountIdentifier.of(owner, subaccount)
                assert identifier == expected and type(identifier) is AccountIdentifier
                account = Account.of(owner, subaccount)
                assert account == Account(owner, padded) and account.identifier() == expected
    with pytest.raises(AccountError):
        Account.of(Principal(owners[0]), b"short")
    with pytest.raises(AccountError):
        AccountIdentifier.of(Principal(owners[0]), b"short")


def test_principals_and_accounts_compare_and_hash_by_their_bytes() -> None:
    """Principals, identifiers and accounts define equality and hash on their bytes (no tuple per
    call): equal values hash alike, a different class is never equal, and order is unchanged."""
    a, b, c = Principal(b"\x01"), Principal(b"\x01"), Principal(b"\x02")
    assert a == b and hash(a) == hash(b) and a != c and sorted([c, a]) == [a, c]
    assert a < c and a <= b and c > a and b >= a and not a < b and not c <= a
    assert Principal(b"") < Principal(b"\x00") < Principal(b"\x00\x00") < Principal(b"\x01")
    with pytest.raises(TypeError):
        assert a < b"\x02"  # type: ignore[operator]
    assert a != b"\x01" and a.__eq__(AccountIdentifier.of(a)) is NotImplemented
    first, again = Account.of(a, bytes(31) + b"\x05"), Account.of(b, bytes(31) + b"\x05")
    assert first == again and hash(first) == hash(again) and {first: 1}[again] == 1
    assert first != Account.of(a) and first != Account.of(c, bytes(31) + b"\x05")
    ids = AccountIdentifier.of(a), AccountIdentifier.of(b), AccountIdentifier.of(c)
    assert ids[0] == ids[1] and hash(ids[0]) == hash(ids[1]) and ids[0] != ids[2]
    assert len({*ids}) == 2 and ids[0] != ids[0].raw
