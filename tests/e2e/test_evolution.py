"""Chain evolution on a real network: proposals change the registry, the orchestrators follow.

One network for the module: an NNS subnet of 4, an application subnet of 4 and
four unassigned nodes, every node run by its orchestrator. Replacing a node
(ChangeSubnetMembership) under a stream of `add(1)` calls loses no certified
reply, the new node state-syncs and keeps step, the removed one keeps serving
while a registry version in use lists it, then stops, wipes and is unassigned
(spec C); creating a subnet (CreateSubnet) starts replicas on the chosen
unassigned nodes, whose canister answers a call certified with the NNS
delegation, and whose id is the self-authenticating principal of its key; a
node of the NNS subnet itself is replaced the same way, its key unchanged and
the registry still served.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from registry.records import catch_up_package_contents_key
from replica.candid import decode, encode
from replica.candid.types import Nat, Nat64
from replica.canister.nns_ids import REGISTRY_CANISTER_ID
from replica.consensus.statesync import STATE_SYNC_LAG
from replica.crypto.dkg import Transcript
from replica.live.driver import open_local_registry
from replica.live.layout import REGISTRY_FILE, read_settings
from replica.orchestrator.cup_provider import encode_cup_param, verify_peer_cup
from replica.orchestrator.events import read_events
from replica.types import Principal
from tests.e2e.conftest import LiveNetwork, icbox, running_network, wait_until
from tests.e2e.test_faults import Load

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]

APP_COUNTER = Principal.from_canister_id(1 << 20)


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNetwork]:
    with running_network(tmp_path_factory.mktemp("evolution"), unassigned=4) as network:
        yield network


def propose(network: LiveNetwork, *arguments: str) -> int:
    result = icbox(network.directory, "proposal", "make", *arguments, "--yes", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    return int(json.loads(result.stdout)["proposal_id"])


def subnet_of(network: LiveNetwork, node: dict[str, Any]) -> str | None:
    return read_settings(network.node_dir(node)).subnet_id


def unassigned(network: LiveNetwork) -> list[dict[str, Any]]:
    return [node for node in network.network["nodes"] if subnet_of(network, node) is None]


def whats(network: LiveNetwork, node: dict[str, Any]) -> list[str]:
    return [event.what for event in read_events([network.node_dir(node)])]


def replace_member(
    network: LiveNetwork,
    subnet_id: str,
    added: dict[str, Any],
    removed: dict[str, Any],
    staying: list[dict[str, Any]],
    *,
    timeout_s: float,
) -> None:
    """Adopt ChangeSubnetMembership (add `added`, remove `removed`) and wait until the added
    node runs a replica of the subnet, the removed one has left and is unassigned again, and
    the added one is within three heights of the members that stayed.

    The proposal waits until every member's CUP is more than `STATE_SYNC_LAG` heights above
    the new node's start (height 0): a node that joins below that replays the blocks from the
    start, as it should (peers still hold them), and needs no state sync; above it, every peer
    hands it the CUP and nothing below, so it must sync the state."""

    def sync_needed() -> bool:
        heights = [s.cup_height for node in staying if (s := network.status(node))]
        return len(heights) == len(staying) and min(heights) > STATE_SYNC_LAG

    wait_until(sync_needed, timeout_s=timeout_s, what="a CUP that makes a new node sync")
    propose(
        network,
        "change-membership",
        "--subnet",
        subnet_id,
        "--add",
        added["node_id"],
        "--remove",
        removed["node_id"],
    )
    wait_until(
        lambda: (s := network.status(added)) is not None and s.subnet_id == subnet_id,
        timeout_s=timeout_s,
        what="the added node's replica",
    )

    def left_and_unassigned() -> bool:
        events = whats(network, removed)
        return "left subnet" in events and events[-1] == "unassigned"

    wait_until(
        left_and_unassigned,
        timeout_s=timeout_s + 60,
        what="the removed node to leave and be unassigned",
    )

    def in_step() -> bool:
        status = network.status(added)
        heights = [s.finalized_height for node in staying if (s := network.status(node))]
        return status is not None and bool(heights) and status.finalized_height >= max(heights) - 3

    wait_until(in_step, timeout_s=timeout_s, what="the added node in step")


def test_a_replaced_node_leaves_and_the_new_one_keeps_step_under_load(
    network: LiveNetwork,
) -> None:
    subnet_id = network.network["subnets"][1]["subnet_id"]
    members = network.subnet_nodes(1)
    removed, staying = members[3], members[:3]
    added = unassigned(network)[0]
    with Load(network, staying) as load:
        wait_until(lambda: len(load.replies) >= 3, timeout_s=90, what="certified replies")
        replace_member(network, subnet_id, added, removed, staying, timeout_s=120)
        replied = len(load.replies)
        wait_until(lambda: len(load.replies) >= replied + 3, timeout_s=90, what="more replies")
    replies = sorted(load.replies)
    assert replies == list(range(1, len(replies) + 1)), "a reply was lost, repeated or changed"
    events = whats(network, removed)
    assert events.index("leaving") < events.index("leave") < events.index("left subnet")
    assert events[-1] == "unassigned", "it is unassigned again"
    assert network.replica_pid(removed) is None
    assert not (network.node_dir(removed) / "state").exists(), "its state is wiped"
    status = network.status(added)
    assert status is not None and status.state_syncs >= 1, "it joined by state sync"

    new_members = [*staying, added]

    def same_checkpoint() -> bool:
        statuses = [network.status(node) for node in new_members]
        heights = {s.checkpoint_height for s in statuses if s is not None}
        return None not in statuses and len(heights) == 1

    wait_until(same_checkpoint, timeout_s=120, what="the members at one checkpoint")
    hashes = {s.checkpoint_hash for node in new_members if (s := network.status(node))}
    assert len(hashes) == 1, "the new member's state equals its peers'"
    path = [b"subnet", Principal.from_text(subnet_id).raw, b"public_key"]
    certificate = network.agent(added).read_state(APP_COUNTER, [path])
    key = certificate.lookup(path)
    assert getattr(key, "value", None) == bytes.fromhex(
        network.network["subnets"][1]["public_key_der"]
    ), "the subnet key is unchanged"


def test_a_created_subnet_starts_and_its_canister_answers_with_the_nns_delegation(
    network: LiveNetwork,
) -> None:
    chosen = unassigned(network)[:3]
    assert len(chosen) == 3
    propose(
        network,
        "create-subnet",
        "--nodes",
        ",".join(node["node_id"] for node in chosen),
        "--replica-version",
        network.network["replica_version"],
    )

    def certified() -> bool:
        statuses = [network.status(node) for node in chosen]
        return all(s is not None and s.certified_height >= 2 for s in statuses)

    wait_until(certified, timeout_s=180, what="the new subnet to certify")
    subnet_text = subnet_of(network, chosen[0])
    assert subnet_text is not None and {subnet_of(network, node) for node in chosen} == {
        subnet_text
    }
    _, registry = open_local_registry(Path(network.node_dir(chosen[0])) / REGISTRY_FILE)
    subnet_id = Principal.from_text(subnet_text)
    key = registry.get_threshold_public_key_der(subnet_id)
    assert key is not None and Principal.self_authenticating(key) == subnet_id
    counter = Principal.from_canister_id((len(registry.get_subnet_ids()) - 1) << 20)
    assert registry.route(counter) == subnet_id, "the new subnet has its own canister range"
    agent = network.agent(chosen[1])
    # The replica answers calls once it holds an NNS delegation revealing its subnet's ranges.
    wait_until(
        lambda: agent.status().get("replica_health_status") == "healthy",
        timeout_s=120,
        what="the new replica to hold its NNS delegation",
    )
    first = int(decode(agent.update(counter, "add", encode([Nat], [7])), [Nat])[0])
    assert first == 7
    certificate = agent.read_state(counter, [[b"time"]])
    assert certificate.delegation is not None, "certified through the NNS delegation"
    # The keys came from the NNS subnet's remote DKG, not from a dealer: the transcripts in the
    # CUP contents are the NNS nodes' dealings, and no dealer seed exists anywhere on disk.
    contents = registry.get(catch_up_package_contents_key(subnet_id))
    assert contents.encrypted_shares == ()
    nns_members = set(registry.get_subnet_members(registry.get_subnet_ids()[0]))
    for record in (contents.low_threshold_transcript, contents.high_threshold_transcript):
        transcript = Transcript.from_bytes(record.internal_transcript)
        assert transcript.dkg_id.target, "a remote DKG"
        assert {dealing.dealer for dealing in transcript.dealings} <= nns_members
    assert "keys received" not in whats(network, chosen[0])
    for path in Path(network.directory).rglob("*.json"):
        assert b"dealer_seed" not in path.read_bytes(), path

    # Its replicas serve their CUP over HTTP, signed with the subnet key.
    def has_cup() -> bool:
        status = network.status(chosen[0])
        return status is not None and status.cup_height > 0

    wait_until(has_cup, timeout_s=120, what="the new subnet's first CUP")
    answer = httpx.post(chosen[1]["http"] + "/_/catch_up_package", content=b"", timeout=10)
    assert answer.status_code == 200
    cup = verify_peer_cup(answer.content, registry, subnet_id)
    assert cup is not None and cup.height > 0, "a CUP signed with the subnet key"
    newer = httpx.post(
        chosen[1]["http"] + "/_/catch_up_package",
        content=encode_cup_param(cup.height, cup.registry_version),
        timeout=10,
    )
    assert newer.status_code in (200, 204)


def test_a_node_of_the_nns_subnet_is_replaced_and_the_registry_is_still_served(
    network: LiveNetwork,
) -> None:
    """ChangeSubnetMembership on the NNS subnet itself: the subnet that runs the registry the
    orchestrators replicate keeps its key (the network's root key) and keeps serving it."""
    nns_id = network.network["nns_subnet_id"]
    members = network.subnet_nodes(0)
    removed, staying = members[3], members[:3]
    added = unassigned(network)[0]
    replace_member(network, nns_id, added, removed, staying, timeout_s=180)
    status = network.status(added)
    assert status is not None and status.state_syncs >= 1, "it joined by state sync"
    path = [b"subnet", Principal.from_text(nns_id).raw, b"public_key"]
    certificate = network.agent(added).read_subnet_state(Principal.from_text(nns_id), [path])
    key = certificate.lookup(path)
    assert getattr(key, "value", None) == network.root_key, "the NNS key is unchanged"
    # The new member serves the registry canister, and a new version still reaches it.
    agent = network.agent(added)

    def latest() -> int:
        reply = agent.query(REGISTRY_CANISTER_ID, "get_latest_version", encode([], []))
        return int(decode(reply, [Nat64])[0])

    before = latest()
    app_id = network.network["subnets"][1]["subnet_id"]
    propose(network, "update-subnet", "--subnet", app_id, "--dkg-interval", "19")
    wait_until(lambda: latest() > before, timeout_s=180, what="a new registry version")
