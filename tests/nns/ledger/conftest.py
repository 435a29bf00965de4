from __future__ import annotations

from dataclasses import dataclass

import pytest

from nns.ledger.accounts import Account, AccountIdentifier
from nns.ledger.canister import Ledger
from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID
from replica.environment import ManualEnvironment
from replica.types import Principal

GOVERNANCE = GOVERNANCE_CANISTER_ID
ALICE = Principal.self_authenticating(b"alice-key")
BOB = Principal.self_authenticating(b"bob-key")
CAROL = Principal.self_authenticating(b"carol-key")
START_NS = 1_700_000_000 * 1_000_000_000


@dataclass
class LedgerWorld:
    environment: ManualEnvironment
    ledger: Ledger

    def balance(self, principal: Principal, subaccount: bytes | None = None) -> int:
        return self.ledger.balances().get(AccountIdentifier.of(principal, subaccount), 0)


def make_ledger(**balances_icp: int) -> LedgerWorld:
    environment = ManualEnvironment(now_ns=START_NS, seed=3)
    owners = {"alice": ALICE, "bob": BOB, "carol": CAROL}
    ledger = Ledger(
        environment,
        minting_account=Account.of(GOVERNANCE),
        initial_balances={
            AccountIdentifier.of(owners[name]): amount * 100_000_000
            for name, amount in balances_icp.items()
        },
    )
    return LedgerWorld(environment, ledger)


@pytest.fixture
def world() -> LedgerWorld:
    return make_ledger(alice=100, bob=5)
