"""The certified state tree of one height.

After executing a height the subnet certifies a small part of its state, laid
out as the IC interface spec's state tree ("The system state tree"):

    /time                                      nat: the batch time in nanoseconds
    /request_status/<request id>/status        text: received, processing, replied, rejected, done
    /request_status/<request id>/reply         blob (when replied)
    /request_status/<request id>/reject_code   nat (when rejected)
    /request_status/<request id>/reject_message text (when rejected)
    /request_status/<request id>/error_code    text, such as IC0503 (when rejected, if known)
    /canister/<canister id>/certified_data     blob, empty until the canister sets it
    /canister/<canister id>/module_hash        blob (when the canister has code)
    /canister/<canister id>/controllers        55799([principal, ...])
    /subnet/<subnet id>/public_key             DER BLS key (133 bytes)
    /subnet/<subnet id>/canister_ranges        55799([[start, end], ...]), closed and sorted
    /subnet/<subnet id>/node/<node id>/public_key  DER Ed25519 key (44 bytes)
    /canister_ranges/<subnet id>/<lower bound> the same ranges, one range per shard

Ids are labels of raw principal bytes. Values are encoded as the spec says
(nat as LEB128, text as UTF-8, blob as is); hash_tree.build lays out labels in
byte order with balanced forks, so equal states give equal trees and root
hashes on every replica.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cbor2

from replica.crypto import hashtree
from replica.crypto.certificate import SELF_DESCRIBED_CBOR_TAG, encode_canister_ranges
from replica.crypto.hashtree import HashTree, SortedForest, TreeValue
from replica.state.errors import StateError
from replica.types import Principal

CanisterRange = tuple[Principal, Principal]


@dataclass(frozen=True, slots=True, kw_only=True)
class SubnetInfo:
    """What the state tree says about one subnet (from the registry at the height's version)."""

    subnet_id: Principal
    public_key_der: bytes
    canister_ranges: tuple[CanisterRange, ...] = ()
    node_public_keys: tuple[tuple[Principal, bytes], ...] = ()

    @classmethod
    def from_index_ranges(
        cls,
        subnet_id: Principal,
        public_key_der: bytes,
        index_ranges: Sequence[tuple[int, int]],
        node_public_keys: Mapping[Principal, bytes] | Sequence[tuple[Principal, bytes]] = (),
    ) -> SubnetInfo:
        """From closed ranges of canister indices, as the execution engine holds them."""
        pairs = (
            node_public_keys.items() if isinstance(node_public_keys, Mapping) else node_public_keys
        )
        return cls(
            subnet_id=subnet_id,
            public_key_der=public_key_der,
            canister_ranges=tuple(
                (Principal.from_canister_id(start), Principal.from_canister_id(end))
                for start, end in sorted(index_ranges)
            ),
            node_public_keys=tuple(sorted(pairs)),
        )


def encode_subnets(subnets: Sequence[SubnetInfo]) -> bytes:
    """Canonical CBOR of subnet info, as a checkpoint keeps it."""
    return bytes(
        cbor2.dumps(
            [
                [
                    s.subnet_id.raw,
                    s.public_key_der,
                    [[a.raw, b.raw] for a, b in s.canister_ranges],
                    [[node.raw, key] for node, key in s.node_public_keys],
                ]
                for s in subnets
            ],
            canonical=True,
        )
    )


def decode_subnets(data: bytes) -> tuple[SubnetInfo, ...]:
    try:
        return tuple(
            SubnetInfo(
                subnet_id=Principal(bytes(raw)),
                public_key_der=bytes(key),
                canister_ranges=tuple(
                    (Principal(bytes(a)), Principal(bytes(b))) for a, b in ranges
                ),
                node_public_keys=tuple(
                    (Principal(bytes(node)), bytes(node_key)) for node, node_key in nodes
                ),
            )
            for raw, key, ranges, nodes in cbor2.loads(data)
        )
    except (cbor2.CBORDecodeError, TypeError, ValueError) as error:
        raise StateError(f"not an encoding of subnet info: {error}") from error


def encode_principals(principals: Sequence[bytes]) -> bytes:
    """`55799([principal bytes, ...])`, the spec's encoding of controllers."""
    return bytes(cbor2.dumps(cbor2.CBORTag(SELF_DESCRIBED_CBOR_TAG, list(principals))))


def request_status_subtree(entry: Mapping[str, Any]) -> dict[bytes | str, TreeValue]:
    """One request's status; reply and reject fields only where the status has them."""
    status = entry["status"]
    node: dict[bytes | str, TreeValue] = {"status": status}
    if status == "replied" and entry.get("reply") is not None:
        node["reply"] = entry["reply"]
    if status == "rejected":
        if entry.get("reject_code") is not None:
            node["reject_code"] = int(entry["reject_code"])
        if entry.get("reject_message") is not None:
            node["reject_message"] = entry["reject_message"]
        if entry.get("error_code") is not None:
            node["error_code"] = entry["error_code"]
    return node


def canister_subtree(entry: Mapping[str, Any]) -> dict[bytes | str, TreeValue]:
    node: dict[bytes | str, TreeValue] = {
        "certified_data": entry.get("certified_data") or b"",
        "controllers": encode_principals(entry.get("controllers") or ()),
    }
    if entry.get("module_hash") is not None:
        node["module_hash"] = entry["module_hash"]
    return node


def subnet_subtree(subnet: SubnetInfo) -> dict[bytes | str, TreeValue]:
    return {
        "public_key": subnet.public_key_der,
        "canister_ranges": encode_canister_ranges(subnet.canister_ranges),
        "node": {node_id.raw: {"public_key": key} for node_id, key in subnet.node_public_keys},
    }


def state_tree_content(
    certified_state: Mapping[str, Any], subnets: Sequence[SubnetInfo]
) -> dict[bytes | str, TreeValue]:
    """The nested mapping of the state tree (see the module docstring)."""
    if "time" not in certified_state:
        raise StateError("the certified state has no time")
    seen = {subnet.subnet_id for subnet in subnets}
    if len(seen) != len(subnets):
        raise StateError("a subnet appears twice in the state tree")
    return {
        "time": int(certified_state["time"]),
        "request_status": {
            bytes(message_id): request_status_subtree(entry)
            for message_id, entry in certified_state.get("request_status", {}).items()
        },
        "canister": {
            bytes(canister_id): canister_subtree(entry)
            for canister_id, entry in certified_state.get("canister", {}).items()
        },
        "subnet": {subnet.subnet_id.raw: subnet_subtree(subnet) for subnet in subnets},
        "canister_ranges": {
            subnet.subnet_id.raw: {
                start.raw: encode_canister_ranges([(start, end)])
                for start, end in subnet.canister_ranges
            }
            for subnet in subnets
            if subnet.canister_ranges
        },
    }


def build_state_tree(certified_state: Mapping[str, Any], subnets: Sequence[SubnetInfo]) -> HashTree:
    """The full (unpruned) state tree of one height."""
    return hashtree.build(state_tree_content(certified_state, subnets))


def _request_status_key(entry: Mapping[str, Any]) -> tuple[Any, ...]:
    return (
        entry["status"],
        entry.get("reply"),
        entry.get("reject_code"),
        entry.get("reject_message"),
        entry.get("error_code"),
    )


def _canister_key(entry: Mapping[str, Any]) -> tuple[Any, ...]:
    return (
        entry.get("certified_data"),
        entry.get("module_hash"),
        tuple(entry.get("controllers") or ()),
    )


class StateTreeBuilder:
    """Builds the trees of successive heights, reusing the subtrees that did not change.

    The result is exactly `build_state_tree`'s. From one height to the next
    most request statuses and canisters are unchanged: their labeled subtrees
    are kept by content, and a whole section is reused when none of its
    subtrees changed (heights without ingress change little more than /time).
    """

    def __init__(self) -> None:
        self._entries: dict[str, dict[bytes, tuple[tuple[Any, ...], hashtree.Labeled]]] = {
            "request_status": {},
            "canister": {},
        }
        self._sections: dict[str, tuple[list[hashtree.Labeled], HashTree]] = {}
        self._subnets: tuple[tuple[SubnetInfo, ...], HashTree, HashTree] | None = None
        self._status_forest: SortedForest | None = None
        """The request statuses in label order, kept by `update` (rebuilt after a `build`)."""
        self._status_tree: HashTree | None = None

    def build(self, certified_state: Mapping[str, Any], subnets: Sequence[SubnetInfo]) -> HashTree:
        if "time" not in certified_state:
            raise StateError("the certified state has no time")
        request_status = self._section(
            "request_status",
            certified_state.get("request_status", {}),
            _request_status_key,
            request_status_subtree,
        )
        self._status_forest, self._status_tree = None, request_status
        return self._top(certified_state, request_status, subnets)

    def update(
        self,
        certified_state: Mapping[str, Any],
        subnets: Sequence[SubnetInfo],
        *,
        request_status_changes: Mapping[bytes, Mapping[str, Any] | None],
    ) -> HashTree:
        """The tree of a state whose request statuses differ from the last tree's only in
        `request_status_changes`.

        `certified_state` holds the time and the canisters; each change is a request's new
        entry, or None where its status was pruned. A height that changed no status reuses
        the request_status section as it is; otherwise the statuses' forest
        (`hashtree.SortedForest`) takes the changes in place and hashes its forks again.
        """
        if "time" not in certified_state:
            raise StateError("the certified state has no time")
        entries = self._entries["request_status"]
        forest = self._status_forest
        if forest is None:  # the first update after a full build: the forest from its entries
            forest = SortedForest()
            for label in sorted(entries):
                forest.set(entries[label][1])
            self._status_forest = forest
        last = self._status_tree
        if request_status_changes or last is None:
            for raw_label, entry in request_status_changes.items():
                label = bytes(raw_label)
                if entry is None:
                    if entries.pop(label, None) is not None:
                        forest.discard(label)
                    continue
                key = _request_status_key(entry)
                cached = entries.get(label)
                if cached is None or cached[0] != key:
                    node = hashtree.Labeled(label, hashtree.build(request_status_subtree(entry)))
                    entries[label] = (key, node)
                    forest.set(node)
            last = forest.tree()
            self._status_tree = last
        return self._top(certified_state, last, subnets)

    def _top(
        self,
        certified_state: Mapping[str, Any],
        request_status: HashTree,
        subnets: Sequence[SubnetInfo],
    ) -> HashTree:
        canister = self._section(
            "canister", certified_state.get("canister", {}), _canister_key, canister_subtree
        )
        subnet, ranges = self._subnet_sections(tuple(subnets))
        top = {
            b"time": hashtree.Leaf(hashtree.encode_nat(int(certified_state["time"]))),
            b"request_status": request_status,
            b"canister": canister,
            b"subnet": subnet,
            b"canister_ranges": ranges,
        }
        return hashtree.fork_forest([hashtree.Labeled(label, top[label]) for label in sorted(top)])

    def _section(
        self,
        name: str,
        entries: Mapping[bytes, Mapping[str, Any]],
        key_of: Callable[[Mapping[str, Any]], tuple[Any, ...]],
        subtree_of: Callable[[Mapping[str, Any]], dict[bytes | str, TreeValue]],
    ) -> HashTree:
        previous = self._entries[name]
        current: dict[bytes, tuple[tuple[Any, ...], hashtree.Labeled]] = {}
        for raw_label, entry in entries.items():
            label = bytes(raw_label)
            key = key_of(entry)
            cached = previous.get(label)
            if cached is not None and cached[0] == key:
                current[label] = cached
            else:
                current[label] = (key, hashtree.Labeled(label, hashtree.build(subtree_of(entry))))
        self._entries[name] = current
        nodes = [current[label][1] for label in sorted(current)]
        last = self._sections.get(name)
        if (
            last is not None
            and len(last[0]) == len(nodes)
            and all(a is b for a, b in zip(last[0], nodes, strict=True))
        ):
            return last[1]
        forest = hashtree.fork_forest(nodes)
        self._sections[name] = (nodes, forest)
        return forest

    def _subnet_sections(self, subnets: tuple[SubnetInfo, ...]) -> tuple[HashTree, HashTree]:
        if self._subnets is not None and self._subnets[0] == subnets:
            return self._subnets[1], self._subnets[2]
        content = state_tree_content({"time": 0}, subnets)
        subnet, ranges = (
            hashtree.build(content["subnet"]),
            hashtree.build(content["canister_ranges"]),
        )
        self._subnets = (subnets, subnet, ranges)
        return subnet, ranges
