"""The IC hash tree: a Merkle tree of labeled values, revealed in part to prove the rest.

A hash tree is one of five nodes (IC interface spec, "Certification"):
`Empty`, `Fork(left, right)`, `Labeled(label, subtree)`, `Leaf(value)` and
`Pruned(digest)`. Its root hash is computed by `reconstruct`, which hashes each
node kind with its own domain separator `ds(s) = len(s) || s`; a pruned node
stands for any subtree whose root hash it holds. A replica builds the full tree
of its certified state, signs the root hash, and answers a read by pruning
everything the reader did not ask for: the root hash, and so the signature,
stays valid.

Well-formed trees list the labels of each fork-forest in strictly increasing
byte order and never mix leaves with labels. `build` makes such a tree from a
nested mapping, with balanced forks. `lookup` follows a path of labels and
answers Found (a leaf value), Absent (provably not in the tree), Unknown (hidden
in a pruned part) or NotALeaf (the path ends on a subtree), exactly as the
spec's `lookup_path` and `find_label`. `prune` keeps the requested paths and
what proves the absence of the missing ones.

The wire form is CBOR: `[0]`, `[1, left, right]`, `[2, label, tree]`,
`[3, value]`, `[4, hash]`. Values in the state tree are natural numbers as
unsigned LEB128, text as UTF-8 and blobs as they are.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeAlias

import cbor2

from replica.crypto.errors import CryptoError

HASH_SIZE: Final = 32


class HashTreeError(CryptoError):
    """A hash tree that is malformed or cannot be built from the given values."""


def domain_separator(name: str) -> bytes:
    """`ds(s)`: one length byte, then the ASCII name."""
    encoded = name.encode("ascii")
    return bytes([len(encoded)]) + encoded


_EMPTY_DS: Final = domain_separator("ic-hashtree-empty")
_FORK_DS: Final = domain_separator("ic-hashtree-fork")
_LABELED_DS: Final = domain_separator("ic-hashtree-labeled")
_LEAF_DS: Final = domain_separator("ic-hashtree-leaf")
EMPTY_HASH: Final = hashlib.sha256(_EMPTY_DS).digest()


# -- nodes ------------------------------------------------------------------------------------
# Each node caches its root hash in a slot left out of comparison: trees are immutable, and a
# certified state tree is hashed once when built and again for every pruned answer.


@dataclass(frozen=True, slots=True)
class Empty:
    @property
    def digest(self) -> bytes:
        return EMPTY_HASH


@dataclass(frozen=True, slots=True)
class Fork:
    left: HashTree
    right: HashTree
    _digest: bytes | None = field(default=None, init=False, repr=False, compare=False)
    _summary: _Summary | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def digest(self) -> bytes:
        if self._digest is None:
            value = hashlib.sha256(_FORK_DS + self.left.digest + self.right.digest).digest()
            object.__setattr__(self, "_digest", value)
            return value
        return self._digest


@dataclass(frozen=True, slots=True)
class Labeled:
    label: bytes
    subtree: HashTree
    _digest: bytes | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def digest(self) -> bytes:
        if self._digest is None:
            value = hashlib.sha256(_LABELED_DS + self.label + self.subtree.digest).digest()
            object.__setattr__(self, "_digest", value)
            return value
        return self._digest


@dataclass(frozen=True, slots=True)
class Leaf:
    value: bytes
    _digest: bytes | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def digest(self) -> bytes:
        if self._digest is None:
            value = hashlib.sha256(_LEAF_DS + self.value).digest()
            object.__setattr__(self, "_digest", value)
            return value
        return self._digest


@dataclass(frozen=True, slots=True)
class Pruned:
    hash: bytes

    def __post_init__(self) -> None:
        if len(self.hash) != HASH_SIZE:
            raise HashTreeError(
                f"a pruned node holds a {HASH_SIZE}-byte hash, got {len(self.hash)}"
            )

    @property
    def digest(self) -> bytes:
        return self.hash


HashTree: TypeAlias = Empty | Fork | Labeled | Leaf | Pruned
EMPTY: Final = Empty()

_Summary: TypeAlias = tuple[bytes | None, bytes | None, bool]
"""Of a fork-forest: its first label, its last label, and whether it is sorted.

A sorted forest holds only labeled nodes (and empty ones), in strictly
increasing label order: no pruned node and no leaf. Full trees built by
`build` are sorted everywhere, and in them a label is found, or proved absent,
by walking down one path of forks instead of reading the whole forest.
"""

_EMPTY_SUMMARY: Final[_Summary] = (None, None, True)
_OPAQUE_SUMMARY: Final[_Summary] = (None, None, False)


def _summary(tree: HashTree) -> _Summary:
    if isinstance(tree, Labeled):
        return (tree.label, tree.label, True)
    if isinstance(tree, Empty):
        return _EMPTY_SUMMARY
    if not isinstance(tree, Fork):
        return _OPAQUE_SUMMARY
    if tree._summary is not None:
        return tree._summary
    left_first, left_last, left_sorted = _summary(tree.left)
    right_first, right_last, right_sorted = _summary(tree.right)
    is_sorted = (
        left_sorted
        and right_sorted
        and (left_last is None or right_first is None or left_last < right_first)
    )
    summary = (
        left_first if left_first is not None else right_first,
        right_last if right_last is not None else left_last,
        is_sorted,
    )
    object.__setattr__(tree, "_summary", summary)
    return summary


def _is_sorted_forest(tree: HashTree) -> bool:
    return _summary(tree)[2]


def _find_in_sorted(tree: HashTree, label: bytes) -> Labeled | None:
    node = tree
    while isinstance(node, Fork):
        right = node.right
        # The first label on the right: a labeled node's own (the common case at the bottom).
        first_right = right.label if type(right) is Labeled else _summary(right)[0]
        node = right if first_right is not None and label >= first_right else node.left
    return node if isinstance(node, Labeled) and node.label == label else None


def _first_labeled(tree: HashTree | None) -> Labeled | None:
    node = tree
    while isinstance(node, Fork):
        node = node.left if _summary(node.left)[0] is not None else node.right
    return node if isinstance(node, Labeled) else None


def _last_labeled(tree: HashTree | None) -> Labeled | None:
    node = tree
    while isinstance(node, Fork):
        node = node.right if _summary(node.right)[1] is not None else node.left
    return node if isinstance(node, Labeled) else None


def _neighbours_in_sorted(tree: HashTree, label: bytes) -> tuple[Labeled | None, Labeled | None]:
    """The labeled nodes just before and just after a label that is not in a sorted forest."""
    before: HashTree | None = None
    after: HashTree | None = None
    node = tree
    while isinstance(node, Fork):
        first_right = _summary(node.right)[0]
        if first_right is not None and label >= first_right:
            if _summary(node.left)[1] is not None:
                before = node.left
            node = node.right
        else:
            if first_right is not None:
                after = node.right
            node = node.left
    if isinstance(node, Labeled):
        if node.label < label:
            return node, _first_labeled(after)
        return _last_labeled(before), node
    return _last_labeled(before), _first_labeled(after)


def reconstruct(tree: HashTree) -> bytes:
    """The root hash of a tree (the spec's `reconstruct`)."""
    return tree.digest


# -- value encodings --------------------------------------------------------------------------


def encode_nat(value: int) -> bytes:
    """Unsigned LEB128."""
    if value < 0:
        raise HashTreeError(f"a natural number cannot be negative: {value}")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def decode_nat(data: bytes) -> int:
    """Read a whole byte string as one unsigned LEB128 number."""
    value, shift = 0, 0
    for position, byte in enumerate(data):
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            if position != len(data) - 1:
                raise HashTreeError("trailing bytes after a LEB128 number")
            return value
    raise HashTreeError("truncated LEB128 number")


LeafValue: TypeAlias = bytes | str | int
TreeValue: TypeAlias = "LeafValue | HashTree | Mapping[bytes | str, TreeValue]"


def encode_value(value: LeafValue) -> bytes:
    """The bytes of a leaf: a nat as LEB128, text as UTF-8, a blob as it is."""
    if isinstance(value, bool):
        raise HashTreeError("booleans have no encoding in the state tree")
    if isinstance(value, int):
        return encode_nat(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise HashTreeError(f"cannot encode {type(value).__name__} as a leaf")


def encode_label(label: bytes | str) -> bytes:
    return label.encode("utf-8") if isinstance(label, str) else bytes(label)


# -- building ---------------------------------------------------------------------------------


def fork_forest(trees: Sequence[HashTree]) -> HashTree:
    """Join a forest into one balanced tree of forks, keeping the order of the trees.

    Adjacent trees are paired round by round; an odd tree out moves up unpaired.
    """
    if not trees:
        return EMPTY
    level = list(trees)
    digests = [tree.digest for tree in level]
    while len(level) > 1:
        paired: list[HashTree] = []
        paired_digests: list[bytes] = []
        for i in range(0, len(level) - 1, 2):
            digest = _sha256(_FORK_DS + digests[i] + digests[i + 1]).digest()
            paired.append(_hashed_fork(level[i], level[i + 1], digest))
            paired_digests.append(digest)
        if len(level) % 2:
            paired.append(level[-1])
            paired_digests.append(digests[-1])
        level, digests = paired, paired_digests
    return level[0]


_sha256: Final = hashlib.sha256
_SET_LEFT: Final = Fork.__dict__["left"].__set__
_SET_RIGHT: Final = Fork.__dict__["right"].__set__
_SET_DIGEST: Final = Fork.__dict__["_digest"].__set__
_SET_SUMMARY: Final = Fork.__dict__["_summary"].__set__


def _hashed_fork(left: HashTree, right: HashTree, digest: bytes) -> Fork:
    """Fork(left, right) with its digest already computed.

    A state tree's request statuses are thousands of forks rebuilt at each
    height: hashing them level by level and filling the slots directly costs
    about 40 % less than the dataclass's frozen __init__ and a later recursive
    `digest`.
    """
    fork: Fork = object.__new__(Fork)
    _SET_LEFT(fork, left)
    _SET_RIGHT(fork, right)
    _SET_DIGEST(fork, digest)
    _SET_SUMMARY(fork, None)
    return fork


class SortedForest:
    """A fork forest of labeled subtrees kept in label order across changes.

    `tree()` equals `fork_forest` of the labeled nodes in label order, node for
    node and byte for byte, but costs what the changes and the hashing cost: the
    labels stay sorted as they change (no sort of the whole forest per tree), the
    fork digests are computed level by level over contiguous 32-byte slots, and a
    fork object is made only when something walks to it (a lookup or a pruned
    answer walks one path). The certified state tree's request statuses are such
    a forest: thousands of entries, a few hundred of them new at each height,
    each one at a random place, so every fork to its right changes with the IC's
    pairing of adjacent trees; hashing them is unavoidable, building them is not.
    """

    __slots__ = ("_digests", "_labels", "_nodes")

    def __init__(self) -> None:
        self._labels: list[bytes] = []
        self._nodes: list[Labeled] = []
        self._digests: list[bytes] = []

    def __len__(self) -> int:
        return len(self._labels)

    def set(self, node: Labeled) -> None:
        """Put `node` in place of the node with its label, or among the others."""
        labels, label = self._labels, node.label
        index = bisect.bisect_left(labels, label)
        if index < len(labels) and labels[index] == label:
            self._nodes[index] = node
            self._digests[index] = node.digest
            return
        labels.insert(index, label)
        self._nodes.insert(index, node)
        self._digests.insert(index, node.digest)

    def discard(self, label: bytes) -> None:
        labels = self._labels
        index = bisect.bisect_left(labels, label)
        if index < len(labels) and labels[index] == label:
            del labels[index], self._nodes[index], self._digests[index]

    def tree(self) -> HashTree:
        """The forest as it is now, laid out as `fork_forest` lays it out."""
        count = len(self._nodes)
        if count == 0:
            return EMPTY
        if count == 1:
            return self._nodes[0]
        level = b"".join(self._digests)
        levels = [level]
        counts = [count]
        sha256, fork_ds = _sha256, _FORK_DS
        while count > 1:
            paired = [
                sha256(fork_ds + level[offset : offset + 64]).digest()
                for offset in range(0, (count - 1) * 32, 64)
            ]
            if count % 2:
                paired.append(level[-32:])  # the odd tree out moves up unpaired
            level = b"".join(paired)
            count = len(paired)
            levels.append(level)
            counts.append(count)
        forest = _Forest(tuple(self._nodes), tuple(levels), tuple(counts))
        return forest.node(len(levels) - 1, 0)


class _Forest:
    """One version of a `SortedForest`: its nodes and the digests of every level."""

    __slots__ = ("counts", "levels", "nodes")

    def __init__(
        self, nodes: tuple[Labeled, ...], levels: tuple[bytes, ...], counts: tuple[int, ...]
    ) -> None:
        self.nodes = nodes
        self.levels = levels
        self.counts = counts

    def node(self, level: int, index: int) -> HashTree:
        """The tree at `index` of `level` (level 0: the labeled nodes)."""
        counts = self.counts
        while level:  # a tree carried up unpaired is the one below it
            below = counts[level - 1]
            if below % 2 and index == below // 2:
                level, index = level - 1, index * 2
            else:
                break
        if level == 0:
            return self.nodes[index]
        fork: _LazyFork = object.__new__(_LazyFork)
        _SET_DIGEST(fork, self.levels[level][32 * index : 32 * index + 32])
        first = index << level  # the labeled nodes below: aligned blocks of 2**level
        last = min(first + (1 << level), counts[0]) - 1
        _SET_SUMMARY(fork, (self.nodes[first].label, self.nodes[last].label, True))
        _SET_PLACE(fork, (self, level, index))
        return fork


class _LazyFork(Fork):
    """A fork of a `SortedForest` whose children are made when first asked for.

    Its digest and its summary (first and last label; sorted) are set when it is
    made; reading `left` or `right` finds the slot empty and lands in
    `__getattr__`, which fills both from the forest's levels.
    """

    __slots__ = ("_place",)
    _place: tuple[_Forest, int, int]

    def __getattr__(self, name: str) -> HashTree:
        if name not in ("left", "right"):
            raise AttributeError(name)
        forest, level, index = self._place
        left = forest.node(level - 1, 2 * index)
        right = forest.node(level - 1, 2 * index + 1)
        _SET_LEFT(self, left)
        _SET_RIGHT(self, right)
        return left if name == "left" else right

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Fork):
            return NotImplemented
        return self.left == other.left and self.right == other.right

    __hash__ = Fork.__hash__


_SET_PLACE: Final = _LazyFork.__dict__["_place"].__set__


def build(value: TreeValue) -> HashTree:
    """A well-formed tree from a nested mapping of labels to values, subtrees or mappings.

    Labels may be bytes or text (UTF-8); within one mapping their encodings must be
    distinct, and they are laid out in increasing byte order. A leaf value is
    encoded by `encode_value`; a `HashTree` is inserted as it is.
    """
    if isinstance(value, Empty | Fork | Labeled | Leaf | Pruned):
        return value
    if isinstance(value, Mapping):
        labeled: dict[bytes, HashTree] = {}
        for label, child in value.items():
            key = encode_label(label)
            if key in labeled:
                raise HashTreeError(f"label {key!r} appears twice")
            labeled[key] = build(child)
        return fork_forest([Labeled(key, labeled[key]) for key in sorted(labeled)])
    return Leaf(encode_value(value))


# -- lookup -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Found:
    value: bytes


@dataclass(frozen=True, slots=True)
class Absent:
    pass


@dataclass(frozen=True, slots=True)
class Unknown:
    pass


@dataclass(frozen=True, slots=True)
class NotALeaf:
    """The path ends on a fork or a labeled subtree, not on a value (the spec's Error)."""


LookupResult: TypeAlias = Found | Absent | Unknown | NotALeaf
ABSENT: Final = Absent()
UNKNOWN: Final = Unknown()
NOT_A_LEAF: Final = NotALeaf()

LabelPath: TypeAlias = Sequence[bytes | str]
"""A path of labels from the root; text labels stand for their UTF-8 bytes."""


def flatten_forks(tree: HashTree) -> list[HashTree]:
    """The nodes of a fork-forest, left to right (Empty contributes nothing)."""
    out: list[HashTree] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Fork):
            stack.append(node.right)
            stack.append(node.left)
        elif not isinstance(node, Empty):
            out.append(node)
    return out


def find_label(label: bytes, tree: HashTree) -> HashTree | Absent | Unknown:
    """The subtree under `label` in a fork-forest, or why there is none (spec `find_label`)."""
    if _is_sorted_forest(tree):
        found = _find_in_sorted(tree, label)
        return ABSENT if found is None else found.subtree
    nodes = flatten_forks(tree)
    if not nodes or (len(nodes) == 1 and isinstance(nodes[0], Leaf)):
        return ABSENT
    previous_is_smaller_label = True  # the start of the list acts as a smaller label
    for node in nodes:
        if isinstance(node, Labeled):
            if node.label == label:
                return node.subtree
            if label < node.label:
                return ABSENT if previous_is_smaller_label else UNKNOWN
            previous_is_smaller_label = True
        else:
            previous_is_smaller_label = False
    return ABSENT if previous_is_smaller_label else UNKNOWN


def lookup_subtree(tree: HashTree, path: LabelPath) -> HashTree | Absent | Unknown:
    """The subtree at `path`, or Absent/Unknown."""
    node = tree
    for label in path:
        found = find_label(encode_label(label), node)
        if isinstance(found, Absent | Unknown):
            return found
        node = found
    return node


def lookup(tree: HashTree, path: LabelPath) -> LookupResult:
    """The value at `path` (the spec's `lookup_path`)."""
    node = lookup_subtree(tree, path)
    if isinstance(node, Absent | Unknown):
        return node
    if isinstance(node, Leaf):
        return Found(node.value)
    if isinstance(node, Empty):
        return ABSENT
    if isinstance(node, Pruned):
        return UNKNOWN
    return NOT_A_LEAF


def labeled_children(tree: HashTree) -> list[tuple[bytes, HashTree]]:
    """The revealed labels of a fork-forest with their subtrees, in order."""
    return [(node.label, node.subtree) for node in flatten_forks(tree) if isinstance(node, Labeled)]


# -- pruning ----------------------------------------------------------------------------------


class _Trie:
    """The requested paths as a trie; `whole` means everything below is requested."""

    __slots__ = ("children", "whole")

    def __init__(self) -> None:
        self.children: dict[bytes, _Trie] = {}
        self.whole = False

    def add(self, path: Iterable[bytes]) -> None:
        node = self
        for label in path:
            if node.whole:
                return
            node = node.children.setdefault(label, _Trie())
        node.whole, node.children = True, {}


def prune(tree: HashTree, paths: Iterable[LabelPath]) -> HashTree:
    """Keep the subtrees at `paths` and prune everything else to `Pruned(hash)`.

    A requested label that is not in the tree keeps its neighbours' labels (with
    pruned subtrees) so that a lookup proves it Absent. The root hash is unchanged.
    """
    trie = _Trie()
    for path in paths:
        trie.add(encode_label(label) for label in path)
    if trie.whole:
        return tree
    if not trie.children:
        return Pruned(tree.digest)
    return _prune(tree, trie)


def _prune(tree: HashTree, trie: _Trie) -> HashTree:
    if trie.whole:
        return tree
    if _is_sorted_forest(tree):
        return _prune_sorted(tree, trie)
    return _prune_any(tree, trie)


def _prune_sorted(tree: HashTree, trie: _Trie) -> HashTree:
    """`_prune_any` for a sorted forest, touching only the paths to the revealed labels."""
    reveal: dict[bytes, HashTree] = {}
    absent: list[bytes] = []
    for label, child_trie in trie.children.items():
        found = _find_in_sorted(tree, label)
        if found is None:
            absent.append(label)
        else:
            reveal[label] = Labeled(label, _prune(found.subtree, child_trie))
    for label in absent:
        for neighbour in _neighbours_in_sorted(tree, label):
            if neighbour is not None and neighbour.label not in reveal:
                reveal[neighbour.label] = Labeled(neighbour.label, Pruned(neighbour.subtree.digest))
    if not reveal:
        return tree
    return _rebuild_sorted(tree, reveal, sorted(reveal))


def _rebuild_sorted(
    tree: HashTree, reveal: Mapping[bytes, HashTree], labels: list[bytes]
) -> HashTree:
    if isinstance(tree, Labeled):
        kept = reveal.get(tree.label)
        return Pruned(tree.digest) if kept is None else kept
    if isinstance(tree, Fork):
        first, last, _ = _summary(tree)
        if first is None or last is None:
            return Pruned(tree.digest)
        index = bisect.bisect_left(labels, first)
        if index == len(labels) or labels[index] > last:
            return Pruned(tree.digest)
        return Fork(
            _rebuild_sorted(tree.left, reveal, labels), _rebuild_sorted(tree.right, reveal, labels)
        )
    return tree


def _prune_any(tree: HashTree, trie: _Trie) -> HashTree:
    """Prune a forest of any shape (pruned nodes, leaves) by reading it whole."""
    nodes = flatten_forks(tree)
    keep: dict[int, HashTree] = {}
    labels = [node.label if isinstance(node, Labeled) else None for node in nodes]
    for label, child_trie in trie.children.items():
        position = _position(labels, label)
        if isinstance(position, int):
            node = nodes[position]
            if isinstance(node, Labeled):  # always: _position only matches labeled nodes
                keep[position] = Labeled(node.label, _prune(node.subtree, child_trie))
            continue
        for index in position:
            if index is not None and index not in keep:
                node = nodes[index]
                if isinstance(node, Labeled):
                    keep[index] = Labeled(node.label, Pruned(node.subtree.digest))
    if not keep:
        # No labels at all: an empty forest, or a leaf where the path wanted a subtree.
        # Either proves the requested labels absent, so it stays as it is.
        return tree
    rebuilt, _ = _rebuild(tree, keep, sorted(keep), 0)
    return rebuilt


def _position(labels: list[bytes | None], label: bytes) -> int | tuple[int | None, int | None]:
    """The index of `label` among the labeled nodes, or the indices of its neighbours."""
    before: int | None = None
    for index, current in enumerate(labels):
        if current is None:
            continue
        if current == label:
            return index
        if label < current:
            return before, index
        before = index
    return before, None


def _rebuild(
    tree: HashTree, keep: Mapping[int, HashTree], kept: list[int], start: int
) -> tuple[HashTree, int]:
    """Rebuild the fork structure keeping the chosen forest nodes; return the next index.

    `kept` is the sorted list of `keep`'s indices: a fork with none of them in its
    range of forest nodes becomes one pruned node.
    """
    if isinstance(tree, Empty):
        return tree, start
    if isinstance(tree, Fork):
        left, middle = _rebuild(tree.left, keep, kept, start)
        right, end = _rebuild(tree.right, keep, kept, middle)
        first = bisect.bisect_left(kept, start)
        if first == len(kept) or kept[first] >= end:
            return Pruned(tree.digest), end
        return Fork(left, right), end
    if start in keep:
        return keep[start], start + 1
    return (tree if isinstance(tree, Pruned) else Pruned(tree.digest)), start + 1


# -- CBOR -------------------------------------------------------------------------------------


def to_cbor_value(tree: HashTree) -> list[Any]:
    """The CBOR data model form `[0]`, `[1, l, r]`, `[2, label, t]`, `[3, v]`, `[4, h]`."""
    if isinstance(tree, Empty):
        return [0]
    if isinstance(tree, Fork):
        return [1, to_cbor_value(tree.left), to_cbor_value(tree.right)]
    if isinstance(tree, Labeled):
        return [2, tree.label, to_cbor_value(tree.subtree)]
    if isinstance(tree, Leaf):
        return [3, tree.value]
    return [4, tree.hash]


def from_cbor_value(value: Any, *, depth: int = 0) -> HashTree:
    """Parse the CBOR data model form, checking every node's shape."""
    if depth > 128:
        raise HashTreeError("hash tree nested too deeply")
    if not isinstance(value, list | tuple) or not value or not isinstance(value[0], int):
        raise HashTreeError(f"not a hash tree node: {value!r:.80}")
    kind = value[0]
    if kind == 0 and len(value) == 1:
        return EMPTY
    if kind == 1 and len(value) == 3:
        return Fork(
            from_cbor_value(value[1], depth=depth + 1), from_cbor_value(value[2], depth=depth + 1)
        )
    if kind == 2 and len(value) == 3 and isinstance(value[1], bytes):
        return Labeled(value[1], from_cbor_value(value[2], depth=depth + 1))
    if kind == 3 and len(value) == 2 and isinstance(value[1], bytes):
        return Leaf(value[1])
    if kind == 4 and len(value) == 2 and isinstance(value[1], bytes):
        return Pruned(value[1])
    raise HashTreeError(f"not a hash tree node: {value!r:.80}")


def encode(tree: HashTree) -> bytes:
    return bytes(cbor2.dumps(to_cbor_value(tree)))


def decode(data: bytes) -> HashTree:
    try:
        value = cbor2.loads(data)
    except (cbor2.CBORDecodeError, ValueError, TypeError) as error:
        raise HashTreeError(f"hash tree is not valid CBOR: {error}") from error
    if isinstance(value, cbor2.CBORTag) and value.tag == 55799:
        value = value.value
    return from_cbor_value(value)


def iter_leaves(
    tree: HashTree, prefix: tuple[bytes, ...] = ()
) -> Iterator[tuple[tuple[bytes, ...], bytes]]:
    """Every revealed leaf with its path, in tree order."""
    if isinstance(tree, Leaf):
        yield prefix, tree.value
        return
    for node in flatten_forks(tree):
        if isinstance(node, Labeled):
            yield from iter_leaves(node.subtree, (*prefix, node.label))
        elif isinstance(node, Leaf):
            yield prefix, node.value
