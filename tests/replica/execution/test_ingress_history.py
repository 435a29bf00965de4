"""The ingress history is pruned as the IC prunes it, and its digest is incremental.

The rules are dfinity/ic `IngressHistoryState` (rs/replicated_state/src/metadata_state.rs):
a terminal status recorded at time t is removed by the first batch after
t + MAX_INGRESS_TTL (rs/limits/src/lib.rs: five minutes); replied and rejected
statuses become done, oldest first, only when the history's payloads exceed its
memory capacity.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from replica.candid import encode
from replica.candid.types import Nat
from replica.crypto.hashtree import Absent, Found, lookup
from replica.environment import NANOS_PER_SECOND, Reject, RejectCode
from replica.execution.digest import MapDigest
from replica.execution.harness import SubnetHarness
from replica.execution.ingress import MAX_INGRESS_TTL_NS, IngressHistory
from replica.execution.messages import Batch, IngressMessage, IngressStatus, Status
from replica.state.manager import StateManager
from replica.state.tree import build_state_tree
from replica.types import Principal
from tests.replica.execution.toys import FACTORIES

ALICE = Principal.self_authenticating(b"alice")
T0 = 1_700_000_000 * NANOS_PER_SECOND


def replied(time_ns: int, reply: bytes = b"ok") -> IngressStatus:
    return IngressStatus(status=Status.REPLIED, time_ns=time_ns, expiry_ns=time_ns, reply=reply)


def test_a_terminal_status_is_pruned_after_the_ttl_as_the_ic_prunes_it() -> None:
    """The IC's own test (metadata_state tests, `ingress_history_prune`), in icbox terms."""
    history = IngressHistory()
    history.set(b"one", replied(T0))
    history.set(b"two", replied(T0))
    history.set(b"three", replied(T0 + MAX_INGRESS_TTL_NS // 2))
    history.set(b"waiting", IngressStatus(status=Status.PROCESSING, time_ns=T0, expiry_ns=T0))
    history.begin_round()
    history.prune(T0 + MAX_INGRESS_TTL_NS)  # pruning times before the batch time go, not equal ones
    assert len(history) == 4
    history.prune(T0 + MAX_INGRESS_TTL_NS + 10 * NANOS_PER_SECOND)
    assert history.get(b"one") is None and history.get(b"two") is None
    assert history.get(b"three") is not None
    assert history.get(b"waiting") is not None  # never pruned before it is terminal
    assert history.changes == {b"one", b"two"}


def test_over_its_memory_capacity_the_oldest_replies_become_done_then_go() -> None:
    history = IngressHistory(memory_capacity=250)
    for index in range(5):
        history.set(bytes([index]), replied(T0 + index, b"x" * 100))
    assert history.memory_usage <= 250
    statuses = [history.get(bytes([index])) for index in range(5)]
    assert [status.status for status in statuses if status is not None] == [
        Status.DONE,
        Status.DONE,
        Status.DONE,
        Status.REPLIED,
        Status.REPLIED,
    ]
    assert all(status is not None and status.reply is None for status in statuses[:3])
    history.prune(T0 + MAX_INGRESS_TTL_NS + 3)  # pruning times T0 .. T0+2 are before it
    assert [bytes([index]) in history for index in range(5)] == [False, False, False, True, True]


def test_a_rejected_status_counts_its_message() -> None:
    history = IngressHistory(memory_capacity=10)
    reject = Reject(code=RejectCode.CANISTER_ERROR, message="a long reject message")
    history.set(
        b"r", IngressStatus(status=Status.REJECTED, time_ns=T0, expiry_ns=T0, reject=reject)
    )
    assert history.get(b"r") == IngressStatus(status=Status.DONE, time_ns=T0, expiry_ns=T0)


def test_the_engine_prunes_answered_requests_and_never_runs_one_twice(tmp_path: Path) -> None:
    harness = SubnetHarness(tmp_path / "s", FACTORIES)
    counter = harness.engine.create_canister([ALICE])
    harness.engine.install(counter, "counter", None)
    message = harness.submit(ALICE, counter, "add", encode([Nat], [1]))
    harness.run_round()
    answered_at = harness.time_ns
    assert harness.status(message) is not None
    history = harness.engine.ingress_history
    harness.advance((MAX_INGRESS_TTL_NS - (harness.time_ns - answered_at)) / NANOS_PER_SECOND - 1)
    harness.run_round()
    assert message in history
    harness.advance(1)
    harness.run_round()
    assert message not in history and len(history) == 0
    # a far-future expiry is not inducted: its status could be pruned before it expires
    late = harness.submit(
        ALICE,
        counter,
        "add",
        encode([Nat], [1]),
        expiry_seconds=MAX_INGRESS_TTL_NS // NANOS_PER_SECOND + 10,
    )
    harness.run_round()
    assert harness.status(late) is None
    assert harness.query(ALICE, counter, "get") == [1]


def test_the_certified_tree_drops_a_pruned_request(tmp_path: Path) -> None:
    manager = StateManager.create(
        tmp_path / "state", subnet_id=Principal.self_authenticating(b"subnet"), factories=FACTORIES
    )
    counter = manager.engine.create_canister([ALICE])
    manager.engine.install(counter, "counter", None)
    message = IngressMessage(
        message_id=b"m" * 32,
        sender=ALICE,
        canister_id=counter,
        method="add",
        arg=encode([Nat], [2]),
        ingress_expiry_ns=T0 + 60 * NANOS_PER_SECOND,
    )
    first = manager.execute(Batch(height=1, time_ns=T0 + 1, random_tape=b"t", ingress=(message,)))
    path = [b"request_status", message.message_id, b"status"]
    assert lookup(first.tree, path) == Found(b"replied")
    kept = manager.execute(Batch(height=2, time_ns=T0 + 1 + MAX_INGRESS_TTL_NS, random_tape=b"t"))
    assert lookup(kept.tree, path) == Found(b"replied")
    pruned = manager.execute(Batch(height=3, time_ns=T0 + 2 + MAX_INGRESS_TTL_NS, random_tape=b"t"))
    assert isinstance(lookup(pruned.tree, path), Absent)
    # the tree built from the height's changes is the tree built from the whole state
    for executed in (first, kept, pruned):
        assert executed.tree != build_state_tree({"time": 0}, [])
    assert pruned.tree == build_state_tree(manager.engine.certified_state(), [])


entries = st.dictionaries(st.binary(min_size=1, max_size=40), st.binary(max_size=20), max_size=60)


@settings(max_examples=60, deadline=None)
@given(first=entries, second=entries, order=st.randoms(use_true_random=False))
def test_the_digest_depends_only_on_the_content(
    first: dict[bytes, bytes], second: dict[bytes, bytes], order: object
) -> None:
    """Updated change by change, the digest equals the digest of the final mapping built afresh."""
    incremental = MapDigest(b"test")
    for key, value in first.items():
        incremental.set(key, value)
    incremental.digest()
    for key in first:
        if key not in second:
            incremental.discard(key)
    for key, value in second.items():
        incremental.set(key, value)
    fresh = MapDigest(b"test")
    keys = list(second)
    order.shuffle(keys)  # type: ignore[attr-defined]
    for key in keys:
        fresh.set(key, second[key])
    assert incremental.digest() == fresh.digest()
    assert len(incremental) == len(second)
    if second:
        changed = MapDigest(b"test")
        for key, value in second.items():
            changed.set(key, value + b"!")
        assert changed.digest() != fresh.digest()
