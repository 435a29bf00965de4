"""The NNS canister ids are the IC's (rs/nns/constants/src/lib.rs), declared once."""

from __future__ import annotations

from replica.canister.nns_ids import (
    CYCLES_MINTING_CANISTER_ID,
    GOVERNANCE_CANISTER_ID,
    LEDGER_CANISTER_ID,
    LIFELINE_CANISTER_ID,
    REGISTRY_CANISTER_ID,
    ROOT_CANISTER_ID,
)


def test_nns_canister_ids_are_the_mainnet_ones() -> None:
    assert {
        REGISTRY_CANISTER_ID.to_text(): "registry",
        GOVERNANCE_CANISTER_ID.to_text(): "governance",
        LEDGER_CANISTER_ID.to_text(): "ledger",
        ROOT_CANISTER_ID.to_text(): "root",
        CYCLES_MINTING_CANISTER_ID.to_text(): "cycles minting",
        LIFELINE_CANISTER_ID.to_text(): "lifeline",
    } == {
        "rwlgt-iiaaa-aaaaa-aaaaa-cai": "registry",
        "rrkah-fqaaa-aaaaa-aaaaq-cai": "governance",
        "ryjl3-tyaaa-aaaaa-aaaba-cai": "ledger",
        "r7inp-6aaaa-aaaaa-aaabq-cai": "root",
        "rkp4c-7iaaa-aaaaa-aaaca-cai": "cycles minting",
        "rno2w-sqaaa-aaaaa-aaacq-cai": "lifeline",
    }
