"""A governance core with a few neurons, for the rule tests."""

from __future__ import annotations

import copy
import pickle

from replica.types import Principal
from sns.governance.core import Mode, SnsGovernanceCore
from sns.governance.neuron import Neuron, staking_subaccount
from sns.governance.parameters import ONE_YEAR_SECONDS, NervousSystemParameters

GOVERNANCE = Principal.from_canister_id(200)
LEDGER = Principal.from_canister_id(201)
ROOT = Principal.from_canister_id(202)
SWAP = Principal.from_canister_id(203)
DAPP = Principal.from_canister_id(210)
T0 = 1_700_000_000
E8S = 100_000_000


def principal(name: str) -> Principal:
    return Principal.self_authenticating(name.encode())


def make_core(
    *, mode: Mode = Mode.NORMAL, parameters: NervousSystemParameters | None = None
) -> SnsGovernanceCore:
    core = SnsGovernanceCore(
        parameters=parameters or NervousSystemParameters(),
        governance_id=GOVERNANCE,
        ledger_id=LEDGER,
        root_id=ROOT,
        swap_id=SWAP,
        genesis_timestamp_seconds=T0,
        mode=mode,
    )
    core.dapp_canisters.append(DAPP)
    return core


def add_neuron(
    core: SnsGovernanceCore,
    owner: str,
    stake_tokens: int,
    *,
    memo: int = 0,
    dissolve_delay_seconds: int = ONE_YEAR_SECONDS,
) -> bytes:
    controller = principal(owner)
    neuron_id = staking_subaccount(controller, memo)
    core.add_neuron(
        Neuron(
            id=neuron_id,
            permissions={controller: core.claimer_permissions()},
            cached_neuron_stake_e8s=stake_tokens * E8S,
            created_timestamp_seconds=T0,
            aging_since_timestamp_seconds=T0,
            dissolve_delay_seconds=dissolve_delay_seconds,
        )
    )
    return neuron_id


def snapshot(core: SnsGovernanceCore) -> bytes:
    """The whole state as bytes, to check that a refused command changed nothing."""
    return pickle.dumps(copy.deepcopy(core))
