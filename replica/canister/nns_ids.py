"""The fixed canister ids of the NNS canisters: the one place they are declared.

The NNS subnet's canisters have the first canister ids of the first routing
range (IC `rs/nns/constants/src/lib.rs`, `*_CANISTER_INDEX_IN_NNS_SUBNET`):
registry 0 (`rwlgt-iiaaa-aaaaa-aaaaa-cai`), governance 1 (`rrkah-…`), ledger 2
(`ryjl3-…`), root 3 (`r7inp-…`), cycles minting 4 (`rkp4c-…`), lifeline 5
(`rno2w-…`). Canisters call each other by these ids, so the canister SDK holds
them; genesis creates the canisters at them (`nns.genesis`).
"""

from __future__ import annotations

from typing import Final

from replica.types import Principal

REGISTRY_CANISTER_ID: Final = Principal.from_canister_id(0)
GOVERNANCE_CANISTER_ID: Final = Principal.from_canister_id(1)
LEDGER_CANISTER_ID: Final = Principal.from_canister_id(2)
ROOT_CANISTER_ID: Final = Principal.from_canister_id(3)
CYCLES_MINTING_CANISTER_ID: Final = Principal.from_canister_id(4)
LIFELINE_CANISTER_ID: Final = Principal.from_canister_id(5)
