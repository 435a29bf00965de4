"""Account identifiers and ICRC-1 accounts, byte-exact (spec section 8)."""

from __future__ import annotations

import zlib

import pytest

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
