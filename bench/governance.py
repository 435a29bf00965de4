"""Governance at mainnet scale: ballots, the following cascade and a reward event.

Builds N neurons (default 100,000) with a follow graph shaped like mainnet's:
about 20 known neurons that most neurons follow on the catch-all topic (one to
three each), some topic-specific following, chains and cycles. Then it times,
inside the governance canister:

- creating a proposal: ballots with deciding voting power for every eligible
  neuron (the proposer has no followers, so no cascade is included);
- one vote by the most-followed neuron and its full cascade;
- one daily reward event settling the proposal;
- a refused command (a second vote by a neuron that already voted, refused after
  its checks) and a refused proposal (refused after its ballots were built and
  written, so the undo journal restores the proposer and the settings);

and, as baselines in the same run, the same cascade over plain Python dicts and,
for the refusals, an accepted command of the same size (a vote by a neuron that
nobody follows) and the old way of undoing a refusal, rebuilding every index
from the tables (`reload_indexes_s`).
Prints the figures, the ratio to the baseline and the peak memory. Each timing
is also given in CPU seconds (`*_cpu_s`, unaffected by other processes) and per
neuron, so that runs at different sizes (`--neurons 500000`) show whether the
cost grows linearly. `--scaling` runs the benchmark at N and 5N neurons, each in
a fresh process (best of `--repeat` runs), and prints how the per-neuron CPU
cost of each part grows: 1.0 is linear.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _report import print_figures

from nns.governance.canister import Governance
from nns.governance.enums import ErrorType, Topic, Vote
from nns.governance.errors import GovernanceError
from nns.governance.following import compute_follow_vote, get_followees_for_topic
from nns.governance.neuron import Neuron
from nns.governance.parameters import zero_economics
from nns.governance.requests import (
    MakeProposal,
    ManageNetworkEconomics,
    ManageNeuronRequest,
    Proposal,
    RegisterVote,
)
from replica.environment import DeterministicRandom, ManualEnvironment
from replica.types import Principal

E8S = 100_000_000
START_SECONDS = 1_700_000_000
KNOWN_NEURONS = 20
TOPIC = Topic.NETWORK_ECONOMICS


def build_neurons(count: int, seed: int) -> tuple[list[Neuron], int]:
    """Neurons with a realistic follow graph; returns them and the proposer's id."""
    random = DeterministicRandom(seed)
    known = list(range(1, KNOWN_NEURONS + 1))
    neurons = []
    for neuron_id in range(1, count + 1):
        controller = Principal.self_authenticating(neuron_id.to_bytes(8, "big"))
        followees: dict[int, tuple[int, ...]] = {}
        if neuron_id > KNOWN_NEURONS + 1:
            roll = random.random_below(100)
            if roll < 80:  # most follow one to three known neurons on the catch-all topic
                picks = tuple(
                    known[random.random_below(len(known))]
                    for _ in range(1 + random.random_below(3))
                )
                followees[0] = picks
            if 60 <= roll < 75:  # some follow on specific topics
                followees[TOPIC] = (known[random.random_below(len(known))],)
            if 90 <= roll < 96:  # chains: follow an earlier ordinary neuron
                followees[0] = (
                    KNOWN_NEURONS + 2 + random.random_below(neuron_id - KNOWN_NEURONS - 1),
                )
        elif neuron_id <= KNOWN_NEURONS:
            # known neurons follow each other in a ring on the topic: a cycle
            followees[TOPIC] = (neuron_id % KNOWN_NEURONS + 1,)
        stake = (1 + random.random_below(10_000)) * E8S
        neurons.append(
            Neuron(
                id=neuron_id,
                subaccount=neuron_id.to_bytes(32, "big"),
                controller=controller,
                created_timestamp_seconds=START_SECONDS - 86_400 * 400,
                voting_power_refreshed_timestamp_seconds=START_SECONDS,
                cached_neuron_stake_e8s=stake,
                dissolve_delay_seconds=15_778_800
                + random.random_below(8 * 31_557_600 - 15_778_800),
                aging_since_timestamp_seconds=START_SECONDS - random.random_below(4 * 31_557_600),
                followees=followees,
            )
        )
    # the proposer is neuron KNOWN_NEURONS + 1, which nobody follows
    return neurons, KNOWN_NEURONS + 1


def baseline_cascade(neurons: list[Neuron], start: int, vote: Vote) -> tuple[float, float, int]:
    """The same cascade over plain dicts, built outside the timed part."""
    followers: dict[tuple[int, int], list[int]] = {}
    followees = {n.id: n.followees for n in neurons}
    for neuron in neurons:
        for topic, ids in neuron.followees.items():
            for followee in set(ids):
                followers.setdefault((followee, topic), []).append(neuron.id)
    votes: dict[int, int] = dict.fromkeys(followees, Vote.UNSPECIFIED)
    began, began_cpu = time.perf_counter(), time.process_time()
    votes[start] = vote
    queue = deque([start])
    cast = 1
    while queue:
        followee = queue.popleft()
        for follower in followers.get((followee, TOPIC), []) + followers.get((followee, 0), []):
            if votes[follower] != Vote.UNSPECIFIED:
                continue
            decided = compute_follow_vote(
                get_followees_for_topic(followees[follower], TOPIC), votes
            )
            if decided != Vote.UNSPECIFIED:
                votes[follower] = decided
                cast += 1
                queue.append(follower)
    return time.perf_counter() - began, time.process_time() - began_cpu, cast


def most_followed(governance: Governance) -> int:
    return max(range(1, KNOWN_NEURONS + 1), key=governance.state.followers.count_followers)


def best_of(repeat: int, action: Callable[[], object]) -> float:
    """The shortest of `repeat` timings of `action` (each refused or accepted as it will)."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        with contextlib.suppress(GovernanceError):
            action()
        times.append(time.perf_counter() - began)
    return min(times)


def time_refusals(governance: Governance, proposal_id: int, leader: Neuron) -> dict[str, float]:
    """A refused vote, a proposal refused after its ballots, an accepted vote, a full reload."""
    vote = ManageNeuronRequest(
        id=leader.id, command=RegisterVote(proposal=proposal_id, vote=Vote.YES)
    )
    refused_s = best_of(5, lambda: governance.manage_neuron(leader.controller, vote))
    # A proposal refused at its last step: everything before it (the fee, the ballots of
    # every neuron, the proposal id) was written and is undone.
    proposer = governance.state.neurons[KNOWN_NEURONS + 1]

    def refused_late() -> None:
        with governance.transaction() as session:
            governance.make_proposal(
                session, proposer.controller, proposer.id, economics_proposal()
            )
            raise GovernanceError(ErrorType.PRECONDITION_FAILED, "refused after the ballots")

    hash_before = governance.state_hash()
    refused_proposal_s = best_of(3, refused_late)
    assert governance.state_hash() == hash_before
    # An accepted command of the same size: the vote of a neuron nobody follows.
    lonely = [
        neuron_id
        for neuron_id, vote in governance.state.proposals[proposal_id].ballots.votes.items()
        if vote == Vote.UNSPECIFIED and not governance.state.followers.count_followers(neuron_id)
    ][:3]
    accepted_s = min(
        best_of(
            1,
            lambda neuron_id=neuron_id: governance.manage_neuron(
                governance.state.neurons[neuron_id].controller,
                ManageNeuronRequest(
                    id=neuron_id, command=RegisterVote(proposal=proposal_id, vote=Vote.NO)
                ),
            ),
        )
        for neuron_id in lonely
    )
    began = time.perf_counter()
    governance.state.reload()
    reload_s = time.perf_counter() - began
    return {
        "refused_command_s": round(refused_s, 6),
        "accepted_command_s": round(accepted_s, 6),
        "refused_vs_accepted_ratio": round(refused_s / accepted_s, 2) if accepted_s else 0.0,
        "refused_proposal_s": round(refused_proposal_s, 4),
        "reload_indexes_s": round(reload_s, 4),
    }


def economics_proposal() -> MakeProposal:
    return MakeProposal(
        proposal=Proposal(
            title="Keep the economics as they are",
            summary="A benchmark proposal.",
            url="",
            action=ManageNetworkEconomics(economics=zero_economics()),
        )
    )


def run(count: int, seed: int) -> dict[str, float | int]:
    environment = ManualEnvironment(now_ns=START_SECONDS * 1_000_000_000, seed=seed)
    governance = Governance(environment, genesis_timestamp_seconds=START_SECONDS - 10 * 86_400)
    neurons, proposer_id = build_neurons(count, seed)
    started = time.perf_counter()
    governance.load_genesis_neurons(neurons)
    seed_s = time.perf_counter() - started
    proposer = governance.state.neurons[proposer_id]

    began, began_cpu = time.perf_counter(), time.process_time()
    response = governance.manage_neuron(
        proposer.controller,
        ManageNeuronRequest(id=proposer_id, command=economics_proposal()),
    )
    proposal_creation_s, proposal_creation_cpu_s = (
        time.perf_counter() - began,
        time.process_time() - began_cpu,
    )
    proposal_id = response.proposal_id  # type: ignore[attr-defined]
    record = governance.state.proposals[proposal_id]
    ballots = len(record.ballots)

    leader = governance.state.neurons[most_followed(governance)]
    already = sum(1 for v in record.ballots.votes.values() if v != Vote.UNSPECIFIED)
    began, began_cpu = time.perf_counter(), time.process_time()
    governance.manage_neuron(
        leader.controller,
        ManageNeuronRequest(
            id=leader.id, command=RegisterVote(proposal=proposal_id, vote=Vote.YES)
        ),
    )
    cascade_s, cascade_cpu_s = time.perf_counter() - began, time.process_time() - began_cpu
    voted = sum(1 for v in record.ballots.votes.values() if v != Vote.UNSPECIFIED) - already

    baseline_s, baseline_cpu_s, baseline_voted = baseline_cascade(neurons, leader.id, Vote.YES)
    refusals = time_refusals(governance, proposal_id, leader)

    environment.advance_seconds(5 * 86_400)
    began, began_cpu = time.perf_counter(), time.process_time()
    with governance.transaction() as session:
        event = governance.distribute_rewards(session, 500_000_000 * E8S)
    reward_event_s, reward_event_cpu_s = (
        time.perf_counter() - began,
        time.process_time() - began_cpu,
    )
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "neurons": count,
        "ballots": ballots,
        "seed_neurons_s": round(seed_s, 3),
        "proposal_creation_s": round(proposal_creation_s, 4),
        "cascade_s": round(cascade_s, 4),
        "cascade_neurons_voted": voted,
        "baseline_cascade_s": round(baseline_s, 4),
        "baseline_cascade_neurons_voted": baseline_voted,
        "cascade_vs_baseline_ratio": round(cascade_s / baseline_s, 2) if baseline_s else 0.0,
        **refusals,
        "reward_event_s": round(reward_event_s, 4),
        "reward_event_settled": len(event.settled_proposals) if event else 0,
        "proposal_creation_us_per_neuron": round(proposal_creation_s / count * 1e6, 3),
        "cascade_us_per_voted_neuron": round(cascade_s / voted * 1e6, 3) if voted else 0.0,
        "baseline_cascade_us_per_voted_neuron": round(baseline_s / baseline_voted * 1e6, 3)
        if baseline_voted
        else 0.0,
        "reward_event_us_per_neuron": round(reward_event_s / count * 1e6, 3),
        "proposal_creation_cpu_s": round(proposal_creation_cpu_s, 4),
        "cascade_cpu_s": round(cascade_cpu_s, 4),
        "reward_event_cpu_s": round(reward_event_cpu_s, 4),
        "baseline_cascade_cpu_s": round(baseline_cpu_s, 4),
        "proposal_creation_cpu_us_per_neuron": round(proposal_creation_cpu_s / count * 1e6, 3),
        "cascade_cpu_us_per_voted_neuron": round(cascade_cpu_s / voted * 1e6, 3) if voted else 0.0,
        "baseline_cascade_cpu_us_per_voted_neuron": (
            round(baseline_cpu_s / baseline_voted * 1e6, 3) if baseline_voted else 0.0
        ),
        "reward_event_cpu_us_per_neuron": round(reward_event_cpu_s / count * 1e6, 3),
        "peak_rss_mib": round(peak_rss_mib, 1),
        "leader_neuron_id": leader.id,
    }


# The per-neuron CPU figures that --scaling compares, lowest of the repeated runs.
SCALING_FIGURES = (
    "proposal_creation_cpu_us_per_neuron",
    "cascade_cpu_us_per_voted_neuron",
    "baseline_cascade_cpu_us_per_voted_neuron",
    "reward_event_cpu_us_per_neuron",
)


def run_in_subprocess(count: int, seed: int) -> dict[str, float | int]:
    """One run in a fresh interpreter, so that neither size inherits the other's heap."""
    command = [sys.executable, __file__, "--json", "--neurons", str(count), "--seed", str(seed)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    figures: dict[str, float | int] = json.loads(output)
    return figures


def run_scaling(count: int, seed: int, repeat: int) -> dict[str, float | int]:
    """Per-neuron CPU cost at `count` and 5 × `count` neurons, and how much it grows."""
    sizes = {"small": count, "large": 5 * count}
    best: dict[str, dict[str, float | int]] = {}
    for _ in range(repeat):
        for label, size in sizes.items():
            figures = run_in_subprocess(size, seed)
            kept = best.setdefault(label, figures)
            for key in (*SCALING_FIGURES, "peak_rss_mib"):
                kept[key] = min(kept[key], figures[key])
    report: dict[str, float | int] = {
        "neurons": count,
        "large_neurons": 5 * count,
        "repeat": repeat,
    }
    for key in (*SCALING_FIGURES, "peak_rss_mib"):
        small, large = best["small"][key], best["large"][key]
        report[key] = small
        report[f"large_{key}"] = large
        if key in SCALING_FIGURES:
            report[f"{key}_growth"] = round(large / small, 2) if small else 0.0
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="a small run (2,000 neurons)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--scaling", action="store_true", help="compare N and 5N neurons, each in its own process"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per size for --scaling")
    args = parser.parse_args()
    count = 2_000 if args.smoke else args.neurons
    if args.scaling:
        figures = run_scaling(count, args.seed, max(1, args.repeat))
    else:
        figures = run(count, args.seed)
    print_figures(figures, as_json=args.json)


if __name__ == "__main__":
    main()
