"""A mainnet-sized registry: replication, paging, invariant checks and old topologies.

Builds a registry of N nodes (default 1,500) in S subnets (default 40) and grows
its history to V versions (default 20,000) with realistic churn (subnet updates
and node replacements). History is written through the store's raw append, as
a replay would, so that building it stays quick; every mutation that is timed
goes through the full checked path. It prints:

- full replication of the log from version 0 by a registry client (pages of 1,000);
- one `get_changes_since` page;
- invariant checking per mutation, and the whole checked mutation, at 1,000 and at
  V versions of history (the ratio shows it does not grow with history);
- one full invariant pass over the whole registry (what genesis pays);
- the topology view at an old version;

with, as a baseline in the same run, reading every latest record from memory.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _report import print_figures

from registry.canister import Registry
from registry.client import RegistryClient
from registry.dkg import SeededInitialDkg
from registry.genesis import NetworkDescription, SubnetSpec, build_genesis
from registry.invariants import check_global_invariants
from registry.records import SUBNET_LIST_KEY, SubnetType, subnet_record_key
from registry.requests import ChangeSubnetMembershipPayload, UpdateSubnetPayload
from registry.store import RegistryView
from registry.topology import topology_at
from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID
from replica.environment import ManualEnvironment

SEED = b"registry-bench"


def build(nodes: int, subnets: int) -> Registry:
    size = max(1, min(13, nodes // (subnets + 1)))
    description = NetworkDescription(
        subnets=tuple(SubnetSpec(size=size, subnet_type=SubnetType.SYSTEM if i == 0 else SubnetType.APPLICATION) for i in range(subnets)),
        unassigned_nodes=nodes - size * subnets,
        node_operators=max(1, nodes // 20),
        node_allowance=100,
    )
    dkg = SeededInitialDkg(SEED)
    registry = Registry(ManualEnvironment(), initial_dkg=dkg)
    registry.apply_genesis(build_genesis(description, SEED, dkg))
    return registry


def grow_history(registry: Registry, target_version: int) -> None:
    """Append subnet updates straight to the log until it has `target_version` versions."""
    subnet_ids = registry.registry.get(SUBNET_LIST_KEY).subnets
    step = 0
    with registry.store.transaction() as session:
        while registry.registry.latest_version < target_version:
            subnet_id = subnet_ids[step % len(subnet_ids)]
            key = subnet_record_key(subnet_id)
            record = registry.registry.get(key)
            registry.registry._write(session, {key: replace(record, max_number_of_canisters=step)})
            step += 1


def time_checked_mutations(registry: Registry, count: int) -> tuple[float, float]:
    """Mean ms per checked mutation (alternating node replacements and subnet updates),
    and the mean ms of its invariant check alone."""
    spent: list[float] = []

    def timed_check(view: RegistryView) -> None:
        began = time.perf_counter()
        check_global_invariants(view)
        spent.append(time.perf_counter() - began)

    registry.check_invariants = timed_check
    subnet_ids = registry.registry.get(SUBNET_LIST_KEY).subnets
    spare = sorted(set(registry.node_ids()) - {n for s in subnet_ids for n in registry._subnet(s).membership})
    began = time.perf_counter()
    for index in range(count):
        subnet_id = subnet_ids[1 + index % (len(subnet_ids) - 1)]
        if index % 2 == 0:
            record = registry._subnet(subnet_id)
            registry.change_subnet_membership(
                GOVERNANCE_CANISTER_ID,
                ChangeSubnetMembershipPayload(subnet_id=subnet_id, node_ids_add=(spare[index],), node_ids_remove=(record.membership[-1],)),
            )
            spare[index] = record.membership[-1]
        else:
            registry.update_subnet(GOVERNANCE_CANISTER_ID, UpdateSubnetPayload(subnet_id=subnet_id, max_number_of_canisters=index + 1))
    mutation_ms = (time.perf_counter() - began) / count * 1_000
    registry.check_invariants = check_global_invariants
    return mutation_ms, sum(spent) / len(spent) * 1_000


def run(nodes: int, subnets: int, versions: int, samples: int) -> dict[str, float | int]:
    began = time.perf_counter()
    registry = build(nodes, subnets)
    genesis_s = time.perf_counter() - began
    grow_history(registry, min(1_000, versions))
    mutation_early_ms, check_early_ms = time_checked_mutations(registry, samples)
    grow_history(registry, versions)
    mutation_late_ms, check_late_ms = time_checked_mutations(registry, samples)
    began = time.perf_counter()
    check_global_invariants(registry.registry.view(), everything=True)
    full_check_ms = (time.perf_counter() - began) * 1_000

    def fetch(version: int) -> tuple[list, int]:  # type: ignore[type-arg]
        return registry.get_changes_since(GOVERNANCE_CANISTER_ID, version)

    client = RegistryClient(fetch)
    began = time.perf_counter()
    client.sync()
    full_sync_s = time.perf_counter() - began
    began = time.perf_counter()
    page = registry.registry.get_changes_since(registry.registry.latest_version // 2)
    changes_page_s = time.perf_counter() - began
    began = time.perf_counter()
    old = topology_at(client, 1)
    topology_s = time.perf_counter() - began
    began = time.perf_counter()
    for key in registry.registry.keys(""):
        registry.registry.get(key)
    baseline_s = time.perf_counter() - began
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
