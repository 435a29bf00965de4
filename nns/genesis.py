"""The NNS of a new network, installed on its NNS subnet's execution engine.

Canisters keep their mainnet ids: registry 0, governance 1, ledger 2, root 3,
cycles minting 4 (lifeline 5 controls root), SNS-W 10 (SNS-W may install the
SNS canisters it deploys, found by name in the same factory table). Root controls the other NNS
canisters; only root may install system canisters through the management
canister. Genesis creates the canisters at those ids, installs each by name,
funds ledger accounts, loads genesis neurons and writes the initial registry.
The replica finds the NNS canisters only through the factory table built here.

The registry canister's genesis records are public; a node process that runs
the NNS gets them as `NnsConfig.registry_genesis` (the batches of
`registry.genesis.deal_genesis`, made once by the network's creator) and never
the network seed, from which every node's keys derive. The registry canister
has no dealer: the keys of subnets created or recovered later come from the
NNS subnet's remote DKG (`setup_initial_dkg`, `replica.consensus.remote_dkg`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from nns.cycles_minting import CyclesMinting
from nns.governance.canister import Governance
from nns.governance.interface import governance_interface
from nns.governance.neuron import Neuron
from nns.ledger.accounts import Account, AccountIdentifier
from nns.ledger.canister import Ledger
from nns.ledger.interface import ledger_interface
from nns.root import Root
from nns.sns_wasm import SNS_WASM_CANISTER_ID, SnsWasm
from registry.canister import Registry
from registry.dkg import SeededInitialDkg
from registry.genesis import NetworkDescription, build_genesis
from registry.interface import registry_interface
from registry.store import Mutation
from replica.canister.nns_ids import (
    CYCLES_MINTING_CANISTER_ID,
    GOVERNANCE_CANISTER_ID,
    LEDGER_CANISTER_ID,
    LIFELINE_CANISTER_ID,
    REGISTRY_CANISTER_ID,
    ROOT_CANISTER_ID,
)
from replica.canister.sdk import interface_of
from replica.execution.engine import ExecutionEngine, SystemCanister
from replica.presets import LOCAL, Preset
from sns.factories import sns_factories

NNS_CANISTERS: Final = (
    (REGISTRY_CANISTER_ID, "registry"),
    (GOVERNANCE_CANISTER_ID, "governance"),
    (LEDGER_CANISTER_ID, "ledger"),
    (ROOT_CANISTER_ID, "root"),
    (CYCLES_MINTING_CANISTER_ID, "cycles-minting"),
    (SNS_WASM_CANISTER_ID, "sns-wasm"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class NnsConfig:
    """What a new NNS starts with."""

    seed: bytes = b"icbox"
    preset: Preset = LOCAL
    ledger_balances: Mapping[AccountIdentifier, int] = field(default_factory=dict)
    neurons: Sequence[Neuron] = ()
    network: NetworkDescription = field(default_factory=NetworkDescription)
    genesis_timestamp_seconds: int | None = None
    registry_genesis: Sequence[Sequence[Mutation]] | None = None
    """The registry's genesis batches (public records) from `deal_genesis`; None: built here from
    `seed`."""


def nns_engine_options() -> dict[str, Any]:
    """The NNS subnet's engine options: root installs system canisters, the CMC mints cycles."""
    return {
        "system_installers": [ROOT_CANISTER_ID, SNS_WASM_CANISTER_ID],
        "cycles_minters": [CYCLES_MINTING_CANISTER_ID],
    }


def nns_factories(config: NnsConfig) -> dict[str, SystemCanister]:
    """The system canisters of the NNS by name, built for this network's configuration."""

    def ledger(environment: Any, path: str | None, init: Any) -> Ledger:
        balances = dict(config.ledger_balances) if init == "genesis" else {}
        return Ledger(
            environment,
            minting_account=Account.of(GOVERNANCE_CANISTER_ID),
            initial_balances=balances,
            path=path,
        )

    def governance(environment: Any, path: str | None, init: Any) -> Governance:
        return Governance(
            environment,
            preset=config.preset,
            path=path,
            genesis_timestamp_seconds=config.genesis_timestamp_seconds,
        )

    def registry(environment: Any, path: str | None, init: Any) -> Registry:
        return Registry(environment, governance_id=GOVERNANCE_CANISTER_ID, path=path)

    return {
        "ledger": SystemCanister(create=ledger, interface=ledger_interface),
        "governance": SystemCanister(create=governance, interface=governance_interface),
        "registry": SystemCanister(create=registry, interface=registry_interface),
        "root": SystemCanister(
            create=Root, interface=lambda instance: interface_of(type(instance))
        ),
        "cycles-minting": SystemCanister(
            create=CyclesMinting, interface=lambda instance: interface_of(type(instance))
        ),
        "sns-wasm": SystemCanister(
            create=SnsWasm, interface=lambda instance: interface_of(type(instance))
        ),
        **sns_factories(),
    }


def install_nns(engine: ExecutionEngine, config: NnsConfig) -> None:
    """Create the NNS canisters at their mainnet ids and fill them with the genesis state."""
    for canister_id, name in NNS_CANISTERS:
        controller = LIFELINE_CANISTER_ID if canister_id == ROOT_CANISTER_ID else ROOT_CANISTER_ID
        engine.create_canister([controller], canister_id=canister_id)
        engine.install(canister_id, name, "genesis")
    registry = engine.canisters[REGISTRY_CANISTER_ID].instance
    if isinstance(registry, Registry) and registry.registry.latest_version == 0:
        if config.registry_genesis is not None:
            registry.apply_genesis(config.registry_genesis)
        else:
            registry.apply_genesis(
                build_genesis(config.network, config.seed, SeededInitialDkg(config.seed))
            )
    if isinstance(registry, Registry):
        # Outside a message: the chain head of the genesis registry becomes certified data here.
        engine.canisters[REGISTRY_CANISTER_ID].certified_data = registry.certified_head()
    governance = engine.canisters[GOVERNANCE_CANISTER_ID].instance
    if isinstance(governance, Governance) and config.neurons:
        governance.load_genesis_neurons(config.neurons)
