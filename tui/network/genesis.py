"""The canisters the live replicas of each subnet start with, named in their `node.json`.

`nns_subnet` installs the NNS at its mainnet ids with the network's genesis
ledger balances and neurons; `application_subnet` installs the counter
canister (a trivial update method, at the subnet's first canister id). Every
replica of a subnet gets the same arguments, so all build the same state.

The NNS modules are imported by `nns_subnet` only: an application replica
imports this module too, and has no use for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from registry.client import RegistryClient
from registry.genesis import NetworkDescription, SubnetSpec
from registry.records import SubnetType
from registry.store import Mutation, insert
from replica.execution.engine import ExecutionEngine
from replica.live.genesis import SubnetCanisters
from replica.presets import get_preset
from replica.sim.canister import COUNTER_FACTORIES, install_counter
from replica.types import Principal

if TYPE_CHECKING:
    from nns.genesis import NnsConfig


def description_from_json(value: Mapping[str, Any]) -> NetworkDescription:
    sizes = value["subnet_sizes"]
    return NetworkDescription(
        subnets=tuple(
            SubnetSpec(
                size=size, subnet_type=SubnetType.SYSTEM if index == 0 else SubnetType.APPLICATION
            )
            for index, size in enumerate(sizes)
        ),
        unassigned_nodes=value["unassigned_nodes"],
        base_ip=value["base_ip"],
        base_port=value["base_port"],
        preset=get_preset(value["preset"]),
    )


def registry_genesis_of(registry: RegistryClient) -> list[list[Mutation]]:
    """The genesis registry (version 1) as one batch, from a node's copy of it."""
    return [
        [
            insert(key, registry.get(key, 1))
            for key in registry.keys("", 1)
            if registry.get(key, 1) is not None
        ]
    ]


def nns_config_from_json(
    value: Mapping[str, Any], registry: RegistryClient | None = None
) -> NnsConfig:
    from nns.genesis import NnsConfig
    from nns.governance.neuron import Neuron
    from nns.ledger.accounts import AccountIdentifier

    neurons = []
    for neuron in value["neurons"]:
        controller = Principal.from_text(neuron["controller"])
        created = neuron["created_timestamp_seconds"]
        neurons.append(
            Neuron(
                id=neuron["id"],
                subaccount=bytes.fromhex(neuron["subaccount"]),
                controller=controller,
                created_timestamp_seconds=created,
                voting_power_refreshed_timestamp_seconds=created,
                cached_neuron_stake_e8s=neuron["stake_e8s"],
                dissolve_delay_seconds=neuron["dissolve_delay_seconds"],
                aging_since_timestamp_seconds=created,
            )
        )
    return NnsConfig(
        seed=b"",
        registry_genesis=None if registry is None else registry_genesis_of(registry),
        preset=get_preset(value["description"]["preset"]),
        ledger_balances={
            AccountIdentifier.from_hex(account): e8s for account, e8s in value["balances"].items()
        },
        neurons=tuple(neurons),
        network=description_from_json(value["description"]),
        genesis_timestamp_seconds=value["genesis_timestamp_seconds"],
    )


def nns_subnet(arguments: Mapping[str, Any], registry: RegistryClient) -> SubnetCanisters:
    from nns.genesis import install_nns, nns_engine_options, nns_factories

    config = nns_config_from_json(arguments, registry)

    def install(engine: ExecutionEngine) -> None:
        install_nns(engine, config)

    return SubnetCanisters(
        factories=nns_factories(config),
        install_genesis=install,
        engine_options=nns_engine_options(),
    )


def application_subnet(arguments: Mapping[str, Any], registry: RegistryClient) -> SubnetCanisters:
    return SubnetCanisters(factories=COUNTER_FACTORIES, install_genesis=install_counter)
