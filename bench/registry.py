"""A mainnet-sized registry: replication, paging, invariant checks and old topologies.

Builds a registry of N nodes (default 1,500) in S subnets (default 40) and grows
its history to V versions (default 20,000) with varied churn drawn from a seeded
generator: node replacements in subnets, subnet configuration changes (several
fields), node endpoint moves, node operator allowance changes and newly elected
replica versions, so the history spreads over many keys of every kind, as a
network's does. History is written through the store's raw append, as a replay
would, so that building it stays quick (each write keeps the invariants); every
mutation that is timed goes through the full checked path. It prints:

- full replication of the log from version 0 by a registry client (pages of 1,000);
- one `get_changes_since` page;
- invariant checking per mutation, and the whole checked mutation (medians), at 1,000 and at
  V versions of history (the ratio shows it does not grow with history);
- one full invariant pass over the whole registry (what genesis pays);
- the topology view at an old version;

with, as a baseline in the same run, reading every latest record from memory.
Times are this process's CPU time (user and system), so that other work on a
shared machine does not inflate them.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _report import print_figures

from registry.canister import Registry
from registry.client import RegistryClient
from registry.dkg import SeededInitialDkg
from registry.genesis import NetworkDescription, SubnetSpec, build_genesis
from registry.invariants import check_global_invariants
from registry.records import (
    NODE_OPERATOR_RECORD_PREFIX,
    SUBNET_LIST_KEY,
    NodeOperatorRecord,
    NodeRecord,
    ReplicaVersionRecord,
    SubnetType,
    node_record_key,
    replica_version_key,
    subnet_record_key,
)
from registry.requests import ChangeSubnetMembershipPayload, UpdateSubnetPayload
from registry.store import RegistryView
from registry.topology import topology_at
from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID
from replica.environment import ManualEnvironment

SEED = b"registry-bench"


def build(nodes: int, subnets: int) -> Registry:
    size = max(1, min(13, nodes // (subnets + 1)))
    description = NetworkDescription(
        subnets=tuple(
            SubnetSpec(
                size=size, subnet_type=SubnetType.SYSTEM if i == 0 else SubnetType.APPLICATION
            )
            for i in range(subnets)
        ),
        unassigned_nodes=nodes - size * subnets,
        node_operators=max(1, nodes // 20),
        node_allowance=100,
    )
    dkg = SeededInitialDkg(SEED)
    registry = Registry(ManualEnvironment(), initial_dkg=dkg)
    registry.apply_genesis(build_genesis(description, SEED, dkg))
    return registry


HISTORY_KINDS: Final = (
    "replace_node",
    "subnet_config",
    "node_endpoint",
    "operator_allowance",
    "replica_version",
)


def grow_history(registry: Registry, target_version: int) -> dict[str, int]:
    """Append varied mutations straight to the log until it has `target_version` versions.

    Returns how many of each kind were written.
    """
    store = registry.registry
    rng = random.Random(store.latest_version)
    subnet_ids = store.get(SUBNET_LIST_KEY).subnets
    members = {n for s in subnet_ids for n in registry._subnet(s).membership}
    spare = sorted(set(registry.node_ids()) - members)
    nodes = sorted(registry.node_ids())
    operators = sorted(store.keys(NODE_OPERATOR_RECORD_PREFIX))
    written = dict.fromkeys(HISTORY_KINDS, 0)
    with registry.store.transaction() as session:
        while store.latest_version < target_version:
            kind = rng.choice(HISTORY_KINDS)
            if kind == "replace_node" and not spare:
                kind = "subnet_config"
            overlay: dict[str, object] = {}
            if kind == "replace_node":
                subnet_id = rng.choice(subnet_ids)
                record = registry._subnet(subnet_id)
                leaving = rng.choice(record.membership)
                joining = spare.pop(rng.randrange(len(spare)))
                spare.append(leaving)
                membership = tuple(
                    joining if node == leaving else node for node in record.membership
                )
                overlay[subnet_record_key(subnet_id)] = replace(record, membership=membership)
            elif kind == "subnet_config":
                subnet_id = rng.choice(subnet_ids)
                record = registry._subnet(subnet_id)
                field, value = rng.choice(
                    (
                        ("max_number_of_canisters", rng.randrange(1, 100_000)),
                        ("max_ingress_messages_per_block", rng.randrange(100, 2_000)),
                        ("max_ingress_bytes_per_message", rng.randrange(1 << 20, 4 << 20)),
                        ("max_block_payload_size", rng.randrange(2 << 20, 8 << 20)),
                        ("dkg_interval_length", rng.randrange(20, 500)),
                    )
                )
                changes: dict[str, Any] = {field: value}
                overlay[subnet_record_key(subnet_id)] = replace(record, **changes)
            elif kind == "node_endpoint":
                # Each node moves between its genesis port and one 10,000 above: no two nodes
                # collide.
                node_id = rng.choice(nodes)
                key = node_record_key(node_id)
                node: NodeRecord = store.get(key)
                port = (
                    node.http.port + 10_000 if node.http.port < 50_000 else node.http.port - 10_000
                )
                overlay[key] = replace(node, http=replace(node.http, port=port))
            elif kind == "operator_allowance":
                key = rng.choice(operators)
                operator: NodeOperatorRecord = store.get(key)
                overlay[key] = replace(operator, node_allowance=rng.randrange(0, 200))
            else:
                version_id = f"0.{store.latest_version}.{rng.randrange(1_000)}"
                overlay[replica_version_key(version_id)] = ReplicaVersionRecord(
                    release_package_sha256_hex=f"{rng.getrandbits(256):064x}",
                    release_package_urls=(f"http://localhost/releases/{version_id}.tar.gz",),
                )
            store._write(session, overlay)
            written[kind] += 1
    return written


def time_checked_mutations(registry: Registry, count: int) -> tuple[float, float]:
    """Median ms per checked mutation (alternating node replacements and subnet updates),
    and the median ms of its invariant check alone (medians: the machine may be shared)."""
    spent: list[float] = []
    mutations: list[float] = []

    def timed_check(view: RegistryView) -> None:
        began = time.process_time()
        check_global_invariants(view)
        spent.append(time.process_time() - began)

    registry.check_invariants = timed_check
    subnet_ids = registry.registry.get(SUBNET_LIST_KEY).subnets
    spare = sorted(
        set(registry.node_ids()) - {n for s in subnet_ids for n in registry._subnet(s).membership}
    )
    for index in range(count):
        began = time.process_time()
        subnet_id = subnet_ids[1 + index % (len(subnet_ids) - 1)]
        if index % 2 == 0:
            record = registry._subnet(subnet_id)
            registry.change_subnet_membership(
                GOVERNANCE_CANISTER_ID,
                ChangeSubnetMembershipPayload(
                    subnet_id=subnet_id,
                    node_ids_add=(spare[index],),
                    node_ids_remove=(record.membership[-1],),
                ),
            )
            spare[index] = record.membership[-1]
        else:
            registry.update_subnet(
                GOVERNANCE_CANISTER_ID,
                UpdateSubnetPayload(subnet_id=subnet_id, max_number_of_canisters=index + 1),
            )
        mutations.append(time.process_time() - began)
    registry.check_invariants = check_global_invariants
    return statistics.median(mutations) * 1_000, statistics.median(spent) * 1_000


def run(nodes: int, subnets: int, versions: int, samples: int) -> dict[str, float | int]:
    began = time.process_time()
    registry = build(nodes, subnets)
    genesis_s = time.process_time() - began
    written = grow_history(registry, min(1_000, versions))
    mutation_early_ms, check_early_ms = time_checked_mutations(registry, samples)
    for kind, count in grow_history(registry, versions).items():
        written[kind] += count
    mutation_late_ms, check_late_ms = time_checked_mutations(registry, samples)
    registry_keys = len(registry.registry.keys(""))
    began = time.process_time()
    check_global_invariants(registry.registry.view(), everything=True)
    full_check_ms = (time.process_time() - began) * 1_000

    def fetch(version: int) -> tuple[list, int]:  # type: ignore[type-arg]
        return registry.get_changes_since(GOVERNANCE_CANISTER_ID, version)

    client = RegistryClient(fetch)
    began = time.process_time()
    client.sync()
    full_sync_s = time.process_time() - began
    began = time.process_time()
    page = registry.registry.get_changes_since(registry.registry.latest_version // 2)
    changes_page_s = time.process_time() - began
    began = time.process_time()
    old = topology_at(client, 1)
    topology_s = time.process_time() - began
    began = time.process_time()
    for key in registry.registry.keys(""):
        registry.registry.get(key)
    baseline_s = time.process_time() - began
    return {
        "nodes": nodes,
        "subnets": subnets,
        "versions": registry.registry.latest_version,
        "genesis_s": round(genesis_s, 3),
        "full_sync_s": round(full_sync_s, 3),
        "changes_page_s": round(changes_page_s, 4),
        "changes_page_keys": len(page),
        "invariant_check_ms": round(check_late_ms, 3),
        "invariant_check_ms_at_1k_versions": round(check_early_ms, 3),
        "invariant_check_growth_ratio": round(check_late_ms / check_early_ms, 2),
        **{f"history_{kind}_versions": count for kind, count in written.items()},
        "registry_keys": registry_keys,
        "checked_mutation_ms": round(mutation_late_ms, 3),
        "checked_mutation_ms_at_1k_versions": round(mutation_early_ms, 3),
        "full_invariant_pass_ms": round(full_check_ms, 3),
        "topology_at_old_version_s": round(topology_s, 4),
        "topology_old_version_subnets": len(old["subnets"]),
        "baseline_read_latest_s": round(baseline_s, 4),
        "topology_vs_baseline_ratio": round(topology_s / baseline_s, 2) if baseline_s else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1_500)
    parser.add_argument("--subnets", type=int, default=40)
    parser.add_argument("--versions", type=int, default=20_000)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--smoke", action="store_true", help="a small run")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.smoke:
        figures = run(120, 6, 1_500, 10)
    else:
        figures = run(args.nodes, args.subnets, args.versions, args.samples)
    print_figures(figures, as_json=args.json)


if __name__ == "__main__":
    main()
