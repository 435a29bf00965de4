"""Consensus in simulation: rounds per CPU second, a threshold signature round, finality latency.

Runs whole subnets of real replicas (`replica.consensus.ReplicaNode`) in one
process under the simulator, in virtual time, with no faults, and prints:

- rounds finalized per CPU second (`time.process_time`, every replica of the
  subnet in this process) for n = 4, 13 and 40, after genesis (with the test
  preset's DKG every 5 heights, and for n = 13 and 40 also with the local
  preset's DKG interval of 20 heights);
- the cost of one threshold signature round per replica at n = 13, timed as
  one round: sign its own share, combine it with the n − f − 1 shares it
  received by Lagrange interpolation, verify the result against the group key
  once (the IC's combine-first path), and, beside it, the round that verifies
  every share before combining (the fallback); the per-message BLS memos are
  emptied before each round, untimed;
- finality latency in virtual time at n = 13: from a block's time (its maker's
  clock when it proposed) to the first replica that finalized it, against the
  spec's delay formula (D.2): a rank-0 block gets notarization shares once
  `initial_notary_delay` has passed, then two network hops (notarization
  shares, finalization shares) finalize it; the model is that delay plus two
  mean link latencies of the simulated network;
- as the baseline, measured in the same run: the very same n = 4 run (same
  seed, same heights) with every BLS memo disabled (hashing to G1, point
  decoding and the verification memo: every replica pays every hash, decoding
  and pairing itself, as separate processes would), and the ratio of the two
  rates;
- `sweep_seeds_per_cpu_min`: seeds of the simulator's default sweep plan
  (`replica.sim.sweep.check_seed`: mixed faults, 12 heights, ingress, every
  checker and the audit on) per CPU minute.

The rounds figures measure the replicas: they run with the simulator's generic
checks but without its audit (`WorldConfig.audit`), which the sweep figure has.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _report import print_figures

from replica.consensus.artifacts import Block
from replica.crypto import bls, threshold
from replica.presets import LOCAL, TEST, Preset
from replica.sim.consensus import ConsensusReplicas
from replica.sim.network import NetworkConfig
from replica.sim.sweep import check_seed
from replica.sim.world import SECOND_NS, World, WorldConfig

SEED = 20_260_201


# The test preset runs a DKG every 5 heights; `icbox up` (the local preset) every 20.
LOCAL_INTERVAL: Final = replace(TEST, dkg_interval_length=LOCAL.dkg_interval_length)


def run_rounds(nodes: int, heights: int, preset: Preset = TEST) -> dict[str, Any]:
    """Finalize `heights` rounds on a fresh n-node subnet; CPU seconds exclude genesis."""
    bls.clear_caches()
    began = time.process_time()
    config = WorldConfig(
        seed=SEED + nodes,
        subnet_sizes=(nodes,),
        preset=preset,
        heights=heights,
        network=NetworkConfig(),
        audit=False,
    )
    world = World(config, ConsensusReplicas())
    genesis_cpu_s = time.process_time() - began
    try:
        start_height = world.subnets[0].checker.top_finalized_height
        began = time.process_time()
        world.run_until_height(heights, timeout_s=heights * 10.0)
        cpu_s = time.process_time() - began
        subnet = world.subnets[0]
        rounds = subnet.checker.top_finalized_height - start_height
        latencies = []
        replica = world.replica(world.honest_up_members()[0])
        for height in range(2, subnet.checker.top_finalized_height + 1):
            block = replica.finalized_block(height)
            finalized_at = subnet.finalized_at_ns.get(height)
            if isinstance(block, Block) and finalized_at is not None:
                latencies.append((finalized_at - block.context.time_ns) / SECOND_NS)
        return {
            "rounds": rounds,
            "cpu_s": cpu_s,
            "genesis_cpu_s": genesis_cpu_s,
            "virtual_s": world.now_ns / SECOND_NS,
            "finality_s": statistics.median(latencies) if latencies else 0.0,
            "messages": world.network.stats.delivered,
        }
    finally:
        world.close()


def threshold_round_ms(nodes: int, samples: int) -> tuple[float, float]:
    """(combine-first round, verify-every-share round) of replica 0, in ms, each timed as one."""
    f = (nodes - 1) // 3
    t = nodes - f
    secrets = [(index * 7_919 + 12_345) % bls.CURVE_ORDER for index in range(t)]
    commitments = tuple(bls.public_key(secret) for secret in secrets)
    coefficients = threshold.PublicCoefficients(commitments=commitments)
    shares_secret = [threshold.evaluate_polynomial(secrets, index + 1) for index in range(nodes)]
    for index in range(t):
        coefficients.share_public_key(index)  # once per key epoch, as a running replica has
    fast, slow = [], []
    for sample in range(samples):
        message = b"bench-threshold-round" + sample.to_bytes(4, "big")
        # What replica 0 receives from the others, made before its round starts.
        received = {
            index: threshold.sign_share(shares_secret[index], message) for index in range(1, t)
        }
        bls.clear_caches()
        began = time.process_time()
        shares = {0: threshold.sign_share(shares_secret[0], message), **received}
        combined = threshold.combine_shares(shares, t)
        ok = bls.verify(coefficients.public_key, message, combined)
        fast.append(time.process_time() - began)
        if not ok:
            raise SystemExit("threshold signature did not verify")
        bls.clear_caches()
        began = time.process_time()
        shares = {0: threshold.sign_share(shares_secret[0], message), **received}
        valid = {
            i: s for i, s in shares.items() if threshold.verify_share(coefficients, i, message, s)
        }
        combined = threshold.combine_shares(valid, t)
        ok = bls.verify(coefficients.public_key, message, combined)
        slow.append(time.process_time() - began)
        if not ok or len(valid) != t:
            raise SystemExit("threshold signature did not verify")
    return statistics.median(fast) * 1_000, statistics.median(slow) * 1_000


@contextmanager
def bls_memos_disabled() -> Iterator[None]:
    """Every BLS memo (hash to G1, point decoding, verification) bypassed while inside."""
    names = (
        "hash_to_g1",
        "decode_g1",
        "decode_g2",
        "_blst_hash_to_g1",
        "_blst_g1",
        "_blst_g2",
        "_verify_cached",
    )
    memoised = {name: getattr(bls, name) for name in names}
    for name, function in memoised.items():
        setattr(bls, name, function.__wrapped__)
    try:
        yield
    finally:
        for name, function in memoised.items():
            setattr(bls, name, function)


def without_bls_memos(nodes: int, heights: int) -> dict[str, Any]:
    """The same rounds with every replica paying for every hash, decoding and pairing itself."""
    with bls_memos_disabled():
        return run_rounds(nodes, heights)


def sweep_seeds_per_cpu_min(seeds: int) -> float:
    """Seeds of the default sweep plan, with every checker on, per CPU minute (in this process)."""
    began = time.process_time()
    for seed in range(SEED, SEED + seeds):
        check_seed(seed)
    return seeds / ((time.process_time() - began) / 60)


def run(
    heights: dict[int, int],
    baseline_heights: int,
    samples: int,
    local_heights: dict[int, int],
    sweep_seeds: int,
) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    results = {}
    for nodes, count in heights.items():
        results[nodes] = result = run_rounds(nodes, count)
        figures[f"rounds_per_cpu_s_n{nodes}"] = round(result["rounds"] / result["cpu_s"], 2)
        figures[f"rounds_n{nodes}"] = result["rounds"]
        figures[f"genesis_cpu_s_n{nodes}"] = round(result["genesis_cpu_s"], 3)
    for nodes, count in local_heights.items():
        result = run_rounds(nodes, count, LOCAL_INTERVAL)
        figures[f"rounds_per_cpu_s_n{nodes}_dkg_interval_20"] = round(
            result["rounds"] / result["cpu_s"], 2
        )
    fast_ms, slow_ms = threshold_round_ms(13, samples)
    figures["threshold_round_ms_n13"] = round(fast_ms, 3)
    figures["threshold_round_verify_every_share_ms_n13"] = round(slow_ms, 3)
    finality = results[13]["finality_s"] if 13 in results else 0.0
    spec_floor_s = TEST.initial_notary_delay_ms / 1_000
    network = NetworkConfig()
    hop_s = (
        (network.min_latency_ns + network.max_latency_ns) / 2 + network.mean_jitter_ns
    ) / SECOND_NS
    # D.2 for a rank-0 block with nothing lagging: notarization shares go out once the notary delay
    # (initial_notary_delay) has passed since the round started, then two hops: the shares reach the
    # others (notarization), then the finalization shares do.
    spec_model_s = spec_floor_s + 2 * hop_s
    figures["finality_virtual_s_n13"] = round(finality, 4)
    figures["spec_notary_delay_floor_s"] = spec_floor_s
    figures["spec_model_finality_s"] = round(spec_model_s, 4)
    figures["finality_vs_spec_model_ratio"] = round(finality / spec_model_s, 2)
    figures["block_interval_virtual_s_n13"] = (
        round(results[13]["virtual_s"] / max(1, results[13]["rounds"]), 4) if 13 in results else 0.0
    )
    # Like by like: the baseline repeats the n = 4 run exactly (seed, heights), memos off.
    memo = results[4] if 4 in results else run_rounds(4, baseline_heights)
    baseline = without_bls_memos(4, heights.get(4, baseline_heights))
    if baseline["rounds"] != memo["rounds"]:
        raise SystemExit("the baseline finalized a different number of rounds")
    baseline_rate = baseline["rounds"] / baseline["cpu_s"]
    figures["baseline_rounds_per_cpu_s_n4_no_bls_memos"] = round(baseline_rate, 2)
    memo_rate = memo["rounds"] / memo["cpu_s"]
    figures["memo_vs_baseline_ratio_n4"] = (
        round(memo_rate / baseline_rate, 2) if baseline_rate else 0.0
    )
    figures["sweep_seeds_per_cpu_min"] = round(sweep_seeds_per_cpu_min(sweep_seeds), 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a small run")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    arguments = parser.parse_args()
    if arguments.smoke:
        figures = run({4: 6, 13: 4, 40: 2}, 6, 5, {}, 2)
    else:
        figures = run({4: 60, 13: 30, 40: 8}, 30, 30, {13: 40, 40: 20}, 16)
    print_figures(figures, as_json=arguments.json)


if __name__ == "__main__":
    main()
