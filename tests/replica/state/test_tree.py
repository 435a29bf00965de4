"""The certified state tree: paths, encodings, determinism, certificates clients can check."""

from __future__ import annotations

import random
from pathlib import Path

import cbor2
import pytest

from replica.crypto import bls, hashtree
from replica.crypto.certificate import (
    Certificate,
    decode_canister_ranges,
    sign_tree,
    verify_certificate,
)
from replica.crypto.hashtree import ABSENT, UNKNOWN, Found, lookup
from replica.state.tree import StateTreeBuilder, SubnetInfo, build_state_tree, state_tree_content
from replica.types import Principal
from tests.replica.state.worlds import (
    ALICE,
    COUNTER,
    NODES,
    SUBNET_ID,
    SUBNET_SECRET,
    Workload,
    new_manager,
    run,
    subnet_info,
)

REPLIED = b"\x01" * 32
REJECTED = b"\x02" * 32
DONE = b"\x03" * 32
CANISTER = Principal.from_canister_id(7)


def certified_state() -> dict[str, object]:
    return {
        "time": 1_700_000_000_000_000_000,
        "request_status": {
            REPLIED: {
                "status": "replied",
                "reply": b"DIDL\x00\x00",
                "reject_code": None,
                "reject_message": None,
            },
            REJECTED: {
                "status": "rejected",
                "reply": None,
                "reject_code": 4,
                "reject_message": "no",
            },
            DONE: {"status": "done", "reply": None, "reject_code": None, "reject_message": None},
        },
        "canister": {
            CANISTER.raw: {
                "certified_data": b"cd",
                "module_hash": b"\x09" * 32,
                "controllers": [ALICE.raw],
            },
            Principal.from_canister_id(8).raw: {
                "certified_data": b"",
                "module_hash": None,
                "controllers": [],
            },
        },
    }


def test_paths_and_encodings_of_the_spec() -> None:
    tree = build_state_tree(certified_state(), [subnet_info()])
    assert lookup(tree, ["time"]) == Found(hashtree.encode_nat(1_700_000_000_000_000_000))
    assert lookup(tree, ["request_status", REPLIED, "status"]) == Found(b"replied")
    assert lookup(tree, ["request_status", REPLIED, "reply"]) == Found(b"DIDL\x00\x00")
    assert lookup(tree, ["request_status", REPLIED, "reject_code"]) is ABSENT
    assert lookup(tree, ["request_status", REJECTED, "reject_code"]) == Found(b"\x04")
    assert lookup(tree, ["request_status", REJECTED, "reject_message"]) == Found(b"no")
    assert lookup(tree, ["request_status", DONE, "status"]) == Found(b"done")
    assert lookup(tree, ["request_status", DONE, "reply"]) is ABSENT
    assert lookup(tree, ["canister", CANISTER.raw, "certified_data"]) == Found(b"cd")
    assert lookup(tree, ["canister", CANISTER.raw, "module_hash"]) == Found(b"\x09" * 32)
    controllers = lookup(tree, ["canister", CANISTER.raw, "controllers"])
    assert isinstance(controllers, Found) and controllers.value.startswith(bytes.fromhex("d9d9f7"))
    assert list(cbor2.loads(controllers.value)) == [ALICE.raw]
    assert lookup(tree, ["canister", Principal.from_canister_id(8).raw, "module_hash"]) is ABSENT
    info = subnet_info()
    assert lookup(tree, ["subnet", SUBNET_ID.raw, "public_key"]) == Found(info.public_key_der)
    flat = lookup(tree, ["subnet", SUBNET_ID.raw, "canister_ranges"])
    assert isinstance(flat, Found)
    assert decode_canister_ranges(flat.value) == [
        (Principal.from_canister_id(0), Principal.from_canister_id((1 << 20) - 1))
    ]
    shard = lookup(tree, ["canister_ranges", SUBNET_ID.raw, Principal.from_canister_id(0).raw])
    assert shard == flat
    for node_id, key in NODES:
        assert lookup(tree, ["subnet", SUBNET_ID.raw, "node", node_id.raw, "public_key"]) == Found(
            key
        )


def test_the_tree_is_deterministic_whatever_the_order_of_its_input() -> None:
    state = certified_state()
    shuffled = dict(state)
    for key in ("request_status", "canister"):
        items = list(state[key].items())  # type: ignore[attr-defined]
        random.Random(7).shuffle(items)
        shuffled[key] = dict(items)
    other_node_order = SubnetInfo(
        subnet_id=SUBNET_ID,
        public_key_der=subnet_info().public_key_der,
        canister_ranges=subnet_info().canister_ranges,
        node_public_keys=tuple(reversed(NODES)),
    )
    first = build_state_tree(state, [subnet_info()])
    assert build_state_tree(shuffled, [other_node_order]).digest == first.digest
    assert hashtree.encode(build_state_tree(shuffled, [subnet_info()])) == hashtree.encode(first)
    assert state_tree_content(state, [subnet_info()]).keys() == {
        "time",
        "request_status",
        "canister",
        "subnet",
        "canister_ranges",
    }


def test_two_replicas_build_the_same_trees(tmp_path: Path) -> None:
    first, second = new_manager(tmp_path / "a"), new_manager(tmp_path / "b")
    run(first, range(1, 9))
    run(second, range(1, 9))
    for height in range(0, 9):
        assert first.certification_content(height) == second.certification_content(height)
    assert len({first.certification_content(h) for h in range(9)}) == 9


def test_a_certificate_of_a_height_checks_against_the_subnet_key(tmp_path: Path) -> None:
    manager = new_manager(tmp_path / "a")
    run(manager, range(1, 4))
    message_id = Workload().batch(3).ingress[0].message_id
    other_id = Workload().batch(3).ingress[1].message_id
    tree = manager.tree(3)
    full = sign_tree(tree, SUBNET_SECRET)
    pruned = Certificate(
        tree=hashtree.prune(
            tree, [["time"], ["request_status", message_id], ["subnet", SUBNET_ID.raw]]
        ),
        signature=full.signature,
    )
    root_der = bls.public_key_to_der(bls.public_key(SUBNET_SECRET))
    assert Principal.self_authenticating(root_der) != SUBNET_ID  # the test subnet id is arbitrary
    decoded = Certificate.from_cbor(pruned.to_cbor())
    verify_certificate(decoded, root_der, now_ns=decoded.time_ns())
    assert isinstance(decoded.lookup(["request_status", message_id, "status"]), Found)
    assert decoded.lookup(["request_status", other_id, "status"]) is UNKNOWN
    assert isinstance(decoded.lookup(["subnet", SUBNET_ID.raw, "canister_ranges"]), Found)
    assert decoded.lookup(["canister", COUNTER.raw, "certified_data"]) is UNKNOWN


def test_the_incremental_builder_builds_exactly_the_full_tree(tmp_path: Path) -> None:
    builder = StateTreeBuilder()
    states = []
    state = certified_state()
    states.append(state)
    changed = dict(state)
    changed["time"] = 1_700_000_001_000_000_000
    changed["request_status"] = {
        **state["request_status"],  # type: ignore[dict-item]
        REJECTED: {"status": "done", "reply": None, "reject_code": None, "reject_message": None},
        b"\x00" * 32: {
            "status": "received",
            "reply": None,
            "reject_code": None,
            "reject_message": None,
        },
    }
    states.append(changed)
    unchanged_but_time = dict(changed)
    unchanged_but_time["time"] = 1_700_000_002_000_000_000
    states.append(unchanged_but_time)
    fewer = dict(unchanged_but_time)
    fewer["canister"] = {
        CANISTER.raw: {"certified_data": b"new", "module_hash": None, "controllers": []}
    }
    states.append(fewer)
    subnets = [[subnet_info()], [subnet_info()], [], [subnet_info()]]
    for content, subnet_list in zip(states, subnets, strict=True):
        assert builder.build(content, subnet_list) == build_state_tree(content, subnet_list)
    manager = new_manager(tmp_path / "a")
    for height in range(1, 6):
        manager.execute(Workload().batch(height))
        assert manager.tree(height) == build_state_tree(
            manager.engine.certified_state(), [subnet_info()]
        )


def _status_entry(rng: random.Random) -> dict[str, object]:
    kind = rng.choice(["received", "processing", "replied", "rejected", "done"])
    return {
        "status": kind,
        "reply": rng.randbytes(rng.randrange(0, 12)) if kind == "replied" else None,
        "reject_code": rng.randrange(1, 6) if kind == "rejected" else None,
        "reject_message": "no" if kind == "rejected" else None,
        "error_code": rng.choice([None, "IC0503"]) if kind == "rejected" else None,
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_updated_tree_equals_the_full_rebuild_at_every_height(seed: int) -> None:
    """Heights that add statuses at random places, change some, prune the oldest (and
    prune nothing, or everything), checked against the full rebuild node for node, with
    full builds in between that the updates carry on from."""
    rng = random.Random(seed)
    builder = StateTreeBuilder()
    statuses: dict[bytes, dict[str, object]] = {}
    order: list[bytes] = []  # ids in the order they came, the oldest pruned first
    canisters = certified_state()["canister"]
    for height in range(1, 80):
        changes: dict[bytes, dict[str, object] | None] = {}
        for _ in range(rng.choice([0, 1, 3, 40])):
            message_id = rng.randbytes(rng.choice([1, 2, 32]))  # short ids collide: replaced
            statuses[message_id] = changes[message_id] = _status_entry(rng)
            order.append(message_id)
        for message_id in rng.sample(sorted(statuses), min(len(statuses), rng.randrange(4))):
            statuses[message_id] = changes[message_id] = _status_entry(rng)
        pruned = len(order) if height == 50 else rng.choice([0, 0, 5, 30])
        for message_id in order[:pruned]:
            if statuses.pop(message_id, None) is not None:
                changes[message_id] = None
        del order[:pruned]
        if rng.random() < 0.2:  # a change the state does not hold: no entry to remove
            changes[b"\xff" * 33] = None
        state = {"time": height, "request_status": dict(statuses), "canister": canisters}
        expected = build_state_tree(state, [subnet_info()])
        if height % 17 == 0:
            tree = builder.build(state, [subnet_info()])
        else:
            tree = builder.update(
                {"time": height, "canister": canisters},
                [subnet_info()],
                request_status_changes=changes,
            )
        assert tree.digest == expected.digest
        assert tree == expected
        assert hashtree.encode(tree) == hashtree.encode(expected)
        for message_id in [*rng.sample(sorted(statuses), min(3, len(statuses))), b"\x00\x01"]:
            path: list[bytes | str] = ["request_status", message_id, "status"]
            assert lookup(tree, path) == lookup(expected, path)
            assert hashtree.encode(hashtree.prune(tree, [path])) == hashtree.encode(
                hashtree.prune(expected, [path])
            )
