"""The IC hash tree: the spec's hashing, lookup semantics, pruning and CBOR form."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replica.crypto import hashtree
from replica.crypto.hashtree import (
    ABSENT,
    EMPTY,
    EMPTY_HASH,
    NOT_A_LEAF,
    UNKNOWN,
    Fork,
    Found,
    HashTreeError,
    Labeled,
    Leaf,
    Pruned,
    build,
    decode_nat,
    encode_nat,
    lookup,
    prune,
)

VECTOR_TIME = 1_700_000_000_000_000_000


def test_the_spec_vector_tree_and_root_hash() -> None:
    tree = build({"time": VECTOR_TIME, "a": b"x"})
    assert tree == Fork(
        Labeled(b"a", Leaf(b"x")), Labeled(b"time", Leaf(bytes.fromhex("8080a8b1e39fe7cb17")))
    )
    assert tree.digest.hex() == "ffcdf81b7a30ab9cc4ba40877ec2d3b0956c5f693b8dd98e49ffb1100fd724a3"
    assert (
        hashtree.encode(tree).hex() == "8301830241618203417883024474696d658203498080a8b1e39fe7cb17"
    )
    assert EMPTY_HASH.hex() == "4e3ed35c4e2d1ee89996483fb6260a64cffb6c47dbab216e7930e82f8190d120"


def test_reconstruct_uses_length_prefixed_domain_separators() -> None:
    leaf = Leaf(b"v")
    assert leaf.digest == hashlib.sha256(b"\x10ic-hashtree-leaf" + b"v").digest()
    labeled = Labeled(b"l", leaf)
    assert (
        labeled.digest == hashlib.sha256(b"\x13ic-hashtree-labeled" + b"l" + leaf.digest).digest()
    )
    fork = Fork(labeled, EMPTY)
    assert (
        fork.digest
        == hashlib.sha256(b"\x10ic-hashtree-fork" + labeled.digest + EMPTY_HASH).digest()
    )
    assert Pruned(fork.digest).digest == fork.digest
    assert hashtree.reconstruct(fork) == fork.digest


def test_value_encodings() -> None:
    assert encode_nat(0) == b"\x00"
    assert encode_nat(624485) == bytes.fromhex("e58e26")
    assert decode_nat(bytes.fromhex("e58e26")) == 624485
    assert hashtree.encode_value("é") == "é".encode()
    assert hashtree.encode_value(b"\x00\x01") == b"\x00\x01"
    for bad in (b"", b"\x80", b"\x00\x00"):
        with pytest.raises(HashTreeError):
            decode_nat(bad)
    with pytest.raises(HashTreeError):
        encode_nat(-1)


def test_build_sorts_labels_by_bytes_and_balances_forks() -> None:
    tree = build({bytes([i]): i for i in reversed(range(7))})
    labels = [label for label, _ in hashtree.labeled_children(tree)]
    assert labels == [bytes([i]) for i in range(7)]
    assert isinstance(tree, Fork)

    def depth(node: hashtree.HashTree) -> int:
        return 1 + max(depth(node.left), depth(node.right)) if isinstance(node, Fork) else 0

    assert depth(build({i.to_bytes(2, "big"): i for i in range(1000)})) == 10
    assert build({}) == EMPTY
    with pytest.raises(HashTreeError, match="twice"):
        build({"a": 1, b"a": 2})


def test_lookup_found_absent_unknown_and_not_a_leaf() -> None:
    tree = build({"b": {"x": b"1"}, "d": b"2", "f": {}})
    assert lookup(tree, ["b", "x"]) == Found(b"1")
    assert lookup(tree, ["d"]) == Found(b"2")
    assert lookup(tree, ["a"]) is ABSENT
    assert lookup(tree, ["c"]) is ABSENT
    assert lookup(tree, ["z"]) is ABSENT
    assert lookup(tree, ["b", "y"]) is ABSENT
    assert lookup(tree, ["d", "deeper"]) is ABSENT
    assert lookup(tree, ["f"]) is ABSENT
    assert lookup(tree, ["b"]) is NOT_A_LEAF
    pruned_b = Fork(
        Fork(Pruned(Labeled(b"b", build({"x": b"1"})).digest), Labeled(b"d", Leaf(b"2"))),
        Labeled(b"f", EMPTY),
    )
    assert lookup(pruned_b, ["a"]) is UNKNOWN
    assert lookup(pruned_b, ["c"]) is UNKNOWN
    assert lookup(pruned_b, ["e"]) is ABSENT
    assert lookup(Labeled(b"d", Pruned(EMPTY_HASH)), ["d"]) is UNKNOWN


def test_pruning_keeps_the_root_and_hides_what_was_not_asked() -> None:
    tree = build(
        {
            "time": 5,
            "request_status": {
                bytes([i]) * 32: {"status": "replied", "reply": b"r%d" % i} for i in range(10)
            },
            "subnet": {b"s": {"public_key": b"k"}},
        }
    )
    wanted = bytes([3]) * 32
    witness = prune(tree, [["time"], ["request_status", wanted]])
    assert witness.digest == tree.digest
    assert lookup(witness, ["time"]) == Found(b"\x05")
    assert lookup(witness, ["request_status", wanted, "reply"]) == Found(b"r3")
    assert lookup(witness, ["request_status", bytes([4]) * 32, "reply"]) is UNKNOWN
    assert lookup(witness, ["subnet", "s", "public_key"]) is UNKNOWN
    assert b"r4" not in hashtree.encode(witness)
    assert prune(tree, [[]]) == tree
    assert prune(tree, []) == Pruned(tree.digest)


def test_pruning_proves_absence_with_the_neighbours() -> None:
    tree = build(
        {"request_status": {bytes([i]) * 32: {"status": "done"} for i in (2, 4, 6)}, "time": 1}
    )
    for missing in (bytes([1]) * 32, bytes([5]) * 32, bytes([9]) * 32):
        witness = prune(tree, [["request_status", missing]])
        assert witness.digest == tree.digest
        assert lookup(witness, ["request_status", missing, "status"]) is ABSENT
        assert lookup(witness, ["request_status", bytes([4]) * 32, "status"]) in (UNKNOWN, ABSENT)
        assert b"done" not in hashtree.encode(witness)
    assert lookup(prune(tree, [["nothing", "here"]]), ["nothing"]) is ABSENT


def test_cbor_round_trip_and_malformed_trees() -> None:
    tree = build({"a": {"b": b"c"}, "d": 7})
    partial = prune(tree, [["d"]])
    for candidate in (tree, partial, EMPTY):
        assert hashtree.decode(hashtree.encode(candidate)) == candidate
    tagged = bytes.fromhex("d9d9f7") + hashtree.encode(tree)
    assert hashtree.decode(tagged) == tree
    for bad in ([5], [1, [0]], [2, "a", [0]], [3, 1], [4, b"short"], "x", []):
        with pytest.raises(HashTreeError):
            hashtree.from_cbor_value(bad)
    with pytest.raises(HashTreeError):
        hashtree.decode(b"\xff\xff")


labels = st.binary(min_size=0, max_size=4)
values = st.binary(max_size=8)
nested = st.recursive(
    values, lambda children: st.dictionaries(labels, children, max_size=5), max_leaves=25
)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(labels, nested, max_size=6), st.lists(st.lists(labels, max_size=3), max_size=4)
)
def test_any_pruning_keeps_the_root_and_every_requested_value(
    content: dict[bytes, object], paths: list[list[bytes]]
) -> None:
    tree = build(content)  # type: ignore[arg-type]
    witness = prune(tree, paths)
    assert witness.digest == tree.digest
    assert hashtree.decode(hashtree.encode(witness)) == witness
    for path in paths:
        full = lookup(tree, path)
        assert lookup(witness, path) == full
        for extra in (b"", b"\x00", b"\xff\xff"):
            if isinstance(hashtree.lookup_subtree(tree, path), hashtree.Fork | hashtree.Labeled):
                assert lookup(witness, [*path, extra]) == lookup(tree, [*path, extra])


def reference_prune(tree: hashtree.HashTree, paths: list[list[bytes]]) -> hashtree.HashTree:
    """Pruning by reading every forest whole (the reference the one-path walk must match)."""
    trie = hashtree._Trie()
    for path in paths:
        trie.add(path)
    if trie.whole:
        return tree
    if not trie.children:
        return Pruned(tree.digest)

    def walk(node: hashtree.HashTree, sub: hashtree._Trie) -> hashtree.HashTree:
        if sub.whole:
            return node
        pruned = hashtree._prune_any(node, sub)
        return pruned

    original = hashtree._prune
    try:
        hashtree._prune = walk  # type: ignore[assignment]
        return walk(tree, trie)
    finally:
        hashtree._prune = original


def reference_find_label(label: bytes, tree: hashtree.HashTree) -> object:
    nodes = [
        node
        for node in hashtree.flatten_forks(tree)
        if isinstance(node, Labeled) and node.label == label
    ]
    return nodes[0].subtree if nodes else ABSENT


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(labels, nested, max_size=12), st.lists(st.lists(labels, max_size=3), max_size=5)
)
def test_the_one_path_walk_matches_reading_whole_forests(
    content: dict[bytes, object], paths: list[list[bytes]]
) -> None:
    tree = build(content)  # type: ignore[arg-type]
    assert prune(tree, paths) == reference_prune(tree, paths)
    for path in paths:
        if path:
            assert hashtree.find_label(path[0], tree) == reference_find_label(path[0], tree)


def test_lookup_in_a_large_tree_walks_one_path() -> None:
    tree = build(
        {"request_status": {i.to_bytes(4, "big"): {"status": "done"} for i in range(0, 20000, 2)}}
    )
    assert lookup(tree, ["request_status", (10).to_bytes(4, "big"), "status"]) == Found(b"done")
    assert lookup(tree, ["request_status", (11).to_bytes(4, "big"), "status"]) is ABSENT
    witness = prune(tree, [["request_status", (11).to_bytes(4, "big")]])
    assert witness.digest == tree.digest
    assert lookup(witness, ["request_status", (11).to_bytes(4, "big"), "status"]) is ABSENT
    assert lookup(witness, ["request_status", (10).to_bytes(4, "big")]) is UNKNOWN
    assert len(hashtree.encode(witness)) < 2000


@given(st.integers(min_value=1, max_value=70))
@settings(max_examples=40, deadline=None)
def test_a_fork_forest_is_the_pairwise_forks_with_their_digests(count: int) -> None:
    trees = [Labeled(index.to_bytes(2, "big"), Leaf(bytes([index % 7]))) for index in range(count)]
    expected: list[hashtree.HashTree] = list(trees)
    while len(expected) > 1:  # adjacent pairs, round by round; an odd tree out moves up
        paired = [Fork(expected[i], expected[i + 1]) for i in range(0, len(expected) - 1, 2)]
        expected = paired + ([expected[-1]] if len(expected) % 2 else [])
    forest = hashtree.fork_forest(trees)
    assert forest == expected[0]
    assert forest.digest == hashtree.reconstruct(expected[0]) == hashtree.reconstruct(forest)
    if count > 1:
        assert isinstance(forest, Fork)
        with pytest.raises(AttributeError):  # still frozen
            forest.left = forest.right  # type: ignore[misc]


@given(
    st.lists(
        st.tuples(st.booleans(), st.binary(min_size=0, max_size=2), st.binary(max_size=3)),
        max_size=120,
    ),
    st.lists(st.binary(max_size=2), max_size=5),
)
@settings(max_examples=60, deadline=None)
def test_a_sorted_forest_is_the_fork_forest_of_its_nodes_in_label_order(
    operations: list[tuple[bool, bytes, bytes]], looked_up: list[bytes]
) -> None:
    forest = hashtree.SortedForest()
    nodes: dict[bytes, Labeled] = {}
    for is_set, label, value in operations:
        if is_set:
            nodes[label] = Labeled(label, Leaf(value))
            forest.set(nodes[label])
        else:
            nodes.pop(label, None)
            forest.discard(label)
        tree = forest.tree()
        expected = hashtree.fork_forest([nodes[key] for key in sorted(nodes)])
        assert len(forest) == len(nodes)
        assert tree.digest == expected.digest
    tree, expected = forest.tree(), hashtree.fork_forest([nodes[key] for key in sorted(nodes)])
    for label in looked_up:  # present or absent: the same answer and the same witness
        assert lookup(tree, [label]) == lookup(expected, [label])
        assert hashtree.encode(prune(tree, [[label]])) == hashtree.encode(
            prune(expected, [[label]])
        )
    assert tree == expected and expected == tree
    assert hashtree.encode(tree) == hashtree.encode(expected)
    if isinstance(tree, Fork):
        with pytest.raises(AttributeError):  # still frozen
            tree.left = tree.right  # type: ignore[misc]
