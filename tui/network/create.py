"""Building a new local network in a directory: keys, the genesis registry, node directories.

The network's description (subnet sizes, unassigned nodes, preset, ports) and
a fresh random seed give the genesis registry and each node's encrypted shares
of its subnet's initial threshold keys (`registry.genesis.deal_genesis`); the
NNS registry canister starts from the same records. The seed is used here, in
this process, and never written: every node gets a directory with its
`node.json`, its local copy of the registry, and only its own secrets
(`replica.crypto.keystore`); every NNS replica
gets the same NNS genesis arguments: the default identity's ledger balance and
a neuron big enough to pass any proposal alone (it is the only neuron).
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import time
from dataclasses import dataclass
from typing import Any, Final

from nns.governance.neuron import compute_neuron_staking_subaccount
from nns.ledger.accounts import AccountIdentifier
from registry.genesis import deal_genesis
from registry.records import (
    SUBNET_LIST_KEY,
    SubnetRecord,
    SubnetType,
    subnet_record_key,
    threshold_public_key_key,
)
from registry.store import TABLES, RegistryStore
from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID
from replica.canister.stable import StableStore
from replica.crypto.keys import NodeSecretKeys
from replica.crypto.keystore import write_node_directory
from replica.live.layout import (
    KEYS_DIRECTORY,
    REGISTRY_FILE,
    NodeSettings,
    write_json_atomically,
    write_settings,
)
from replica.presets import get_preset
from replica.types import Principal
from tui.network.genesis import description_from_json
from tui.network.identity import create_identity
from tui.network.paths import NetworkPaths

E8S: Final = 100_000_000
IDENTITY_BALANCE_E8S: Final = 1_000_000 * E8S
NEURON_STAKE_E8S: Final = 100_000_000 * E8S
DEFAULT_NEURON_ID: Final = 1
EIGHT_YEARS_SECONDS: Final = 8 * 365 * 86_400 + 2 * 86_400


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkOptions:
    nns_nodes: int = 4
    application_subnets: tuple[int, ...] = (4,)
    unassigned_nodes: int = 3
    preset: str = "local"
    base_port: int | None = None
    """The first of 2 x nodes consecutive ports (P2P, HTTP per node); None: chosen free."""
    base_ip: str = "127.0.0"

    @property
    def node_count(self) -> int:
        return self.nns_nodes + sum(self.application_subnets) + self.unassigned_nodes


class NetworkError(Exception):
    """The network cannot be built or started as asked."""


def node_host(base_ip: str, index: int) -> str:
    return f"{base_ip}.{1 + index % 250}"


def are_ports_free(base_ip: str, base_port: int, nodes: int) -> bool:
    for index in range(nodes):
        for port in (base_port + 2 * index, base_port + 2 * index + 1):
            with socket.socket() as probe:
                try:
                    probe.bind((node_host(base_ip, index), port))
                except OSError:
                    return False
    return True


def choose_base_port(base_ip: str, nodes: int, attempts: int = 50) -> int:
    chooser = random.Random(os.urandom(8))
    for _ in range(attempts):
        base = chooser.randrange(20_000, 60_000 - 2 * nodes)
        if are_ports_free(base_ip, base, nodes):
            return base
    raise NetworkError(f"found no {2 * nodes} free consecutive ports")


def create_network(paths: NetworkPaths, options: NetworkOptions) -> dict[str, Any]:
    """Write a new network under `paths.root`; the contents of `network.json`."""
    get_preset(options.preset)  # an unknown preset fails before anything is written
    nodes = options.node_count
    if options.base_port is None:
        base_port = choose_base_port(options.base_ip, nodes)
    else:
        base_port = options.base_port
        if not are_ports_free(options.base_ip, base_port, nodes):
            raise NetworkError(f"ports {base_port}..{base_port + 2 * nodes - 1} are not all free")
    seed = os.urandom(32)
    description_json = {
        "subnet_sizes": [options.nns_nodes, *options.application_subnets],
        "unassigned_nodes": options.unassigned_nodes,
        "base_ip": options.base_ip,
        "base_port": base_port,
        "preset": options.preset,
    }
    description = description_from_json(description_json)
    paths.root.mkdir(parents=True, exist_ok=True)
    paths.logs.mkdir(parents=True, exist_ok=True)
    principal = create_identity(paths.identity)
    now_s = int(time.time())

    template = paths.root / "genesis-registry.sqlite"
    template.unlink(missing_ok=True)
    stable = StableStore(list(TABLES), str(template))
    store = RegistryStore(stable)
    genesis = deal_genesis(description, seed)
    for batch in genesis.batches:
        with stable.transaction() as session:
            store.apply(session, batch)
    subnet_ids = store.get(SUBNET_LIST_KEY).subnets
    nns_subnet_id = subnet_ids[0]
    root_key_der: bytes = store.get(threshold_public_key_key(nns_subnet_id)).public_key_der
    member_of: dict[Principal, int] = {}
    subnets_json = []
    for number, subnet_id in enumerate(subnet_ids):
        record: SubnetRecord = store.get(subnet_record_key(subnet_id))
        for node_id in record.membership:
            member_of[node_id] = number
        subnets_json.append(
            {
                "subnet_id": str(subnet_id),
                "type": "system" if record.subnet_type == SubnetType.SYSTEM else "application",
                "nodes": [str(node_id) for node_id in record.membership],
                "public_key_der": store.get(
                    threshold_public_key_key(subnet_id)
                ).public_key_der.hex(),
            }
        )
    stable.dispose()

    neuron_subaccount = compute_neuron_staking_subaccount(principal, 0)
    nns_arguments = {
        "description": description_json,
        "balances": {
            AccountIdentifier.of(principal).to_hex(): IDENTITY_BALANCE_E8S,
            AccountIdentifier.of(
                GOVERNANCE_CANISTER_ID, neuron_subaccount
            ).to_hex(): NEURON_STAKE_E8S,
        },
        "neurons": [
            {
                "id": DEFAULT_NEURON_ID,
                "controller": str(principal),
                "subaccount": neuron_subaccount.hex(),
                "stake_e8s": NEURON_STAKE_E8S,
                "dissolve_delay_seconds": EIGHT_YEARS_SECONDS,
                "created_timestamp_seconds": now_s,
            }
        ],
        "genesis_timestamp_seconds": now_s,
    }
    nodes_json: list[dict[str, Any]] = []
    for genesis_node in genesis.nodes:
        index = len(nodes_json)
        subnet_number = member_of.get(genesis_node.node_id)
        directory = paths.node_dir(index)
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir(parents=True)
        shutil.copyfile(template, directory / REGISTRY_FILE)
        # The node's own secrets only: its keys and its shares of the initial threshold keys.
        write_node_directory(
            directory / KEYS_DIRECTORY,
            NodeSecretKeys.from_seed(seed, index),
            genesis.shares_of(genesis_node.node_id),
        )
        subnet_id = None if subnet_number is None else subnet_ids[subnet_number]
        settings = NodeSettings(
            node_id=str(genesis_node.node_id),
            node_index=index,
            subnet_id=None if subnet_id is None else str(subnet_id),
            p2p_host=genesis_node.xnet.ip_addr,
            p2p_port=genesis_node.xnet.port,
            http_host=genesis_node.http.ip_addr,
            http_port=genesis_node.http.port,
            log_file=str(paths.log_file(index)),
            genesis=None
            if subnet_number is None
            else (
                "tui.network.genesis:nns_subnet"
                if subnet_number == 0
                else "tui.network.genesis:application_subnet"
            ),
            genesis_arguments=nns_arguments if subnet_number == 0 else {},
            replica_version=description.replica_version_id,
            root_key_hex=root_key_der.hex(),
            nns_subnet_id=str(nns_subnet_id),
            application_genesis="tui.network.genesis:application_subnet",
            idle_block_delay_ms=get_preset(options.preset).idle_block_delay_ms,
        )
        write_settings(directory, settings)
        nodes_json.append(
            {
                "index": index,
                "node_id": str(genesis_node.node_id),
                "subnet_id": settings.subnet_id,
                "directory": str(directory),
                "p2p": f"{settings.p2p_host}:{settings.p2p_port}",
                "http": f"http://{settings.http_host}:{settings.http_port}",
                "log": settings.log_file,
            }
        )
    template.unlink(missing_ok=True)
    network = {
        "preset": options.preset,
        "created_s": now_s,
        "root_key": root_key_der.hex(),
        "nns_subnet_id": str(nns_subnet_id),
        "subnets": subnets_json,
        "nodes": nodes_json,
        "identity": {
            "pem": str(paths.identity),
            "principal": str(principal),
            "account": AccountIdentifier.of(principal).to_hex(),
            "balance_e8s": IDENTITY_BALANCE_E8S,
            "neuron_id": DEFAULT_NEURON_ID,
            "neuron_stake_e8s": NEURON_STAKE_E8S,
        },
        "replica_version": description.replica_version_id,
    }
    write_json_atomically(paths.network_file, network, durable=True)
    return network
