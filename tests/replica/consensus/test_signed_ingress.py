"""R37: every ingress message a block carries is signed by its sender; R38: a replica pools only
ingress whose envelope authenticates it.

Honest replicas check each call's envelope when it arrives (over HTTP or from a peer), so the
blocks they make hold only signed calls; a replica validating a block made by another checks
each message again unless it holds that very message, envelope and all, in its own pool or has
already seen it valid in another block. The IC's ingress manager does the same
(rs/ingress_manager/src/ingress_selector.rs: `validate_ingress` runs the request validator's
`validate_request`, signatures and delegations included, at the block's time).

That trust in the pool holds because the node checks every new message before its pool takes
it, from a user or gossiped by a peer (R38): a forged call a Byzantine peer gossips never reaches
a pool, so no honest maker puts it in a block that validators would take as their pool's copy.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from replica.agent.identity import Ed25519Identity, Identity, delegate
from replica.candid import encode
from replica.candid.types import Nat
from replica.consensus.artifacts import DataPayload, IngressArtifact, ValidationContext
from replica.consensus.block_maker import select_ingress
from replica.consensus.node import ReplicaNode
from replica.consensus.signing import sign_proposal
from replica.crypto.keys import NodeSecretKeys
from replica.execution.messages import IngressMessage
from replica.http.requests import authenticate_ingress, parse_call_envelope
from replica.sim.users import signed_call
from replica.types import Principal
from tests.replica.consensus.test_validator import block_at_one, rejections, setup
from tests.replica.consensus.world import COUNTER, Subnet

ALICE_KEY = Ed25519Identity.from_seed(hashlib.sha256(b"signed-ingress alice").digest())
MALLORY_KEY = Ed25519Identity.from_seed(hashlib.sha256(b"signed-ingress mallory").digest())


def signed_add(
    amount: int,
    now_ns: int,
    *,
    signer: Identity = ALICE_KEY,
    sender: Principal | None = None,
) -> IngressMessage:
    """An `add(amount)` call to the counter, its envelope signed by `signer`; `sender` other than
    the signer's principal makes an envelope that claims another user."""
    return signed_call(
        signer,
        canister_id=COUNTER,
        method="add",
        arg=encode([Nat], [amount]),
        ingress_expiry_ns=now_ns + 60 * 10**9,
        sender=sender,
    )


class CountingAuthenticator:
    """`authenticate_ingress`, counting the envelopes it checks."""

    def __init__(self) -> None:
        self.checked = 0

    def __call__(self, message: IngressMessage, time_ns: int) -> str | None:
        self.checked += 1
        return authenticate_ingress(message, time_ns)


def propose(
    subnet: Subnet,
    observer: ReplicaNode,
    keys: dict[int, NodeSecretKeys],
    ingress: tuple[IngressMessage, ...],
    *,
    rank: int = 0,
    offset: int = 0,
) -> list[str]:
    """Offer the observer a block at height 1 with this ingress; its refusals."""
    at = subnet.now_ns + offset
    block = block_at_one(
        subnet,
        observer,
        rank,
        payload=DataPayload(ingress=ingress),
        context=ValidationContext(registry_version=1, certified_height=0, time_ns=at),
    )
    proposal = sign_proposal(keys[rank], block)
    refusals = rejections(observer.on_artifact(proposal, at))
    assert (proposal.id in observer.pool.validated) == (not refusals)
    return refusals


def test_a_signed_message_the_replica_never_saw_is_checked_from_its_envelope(
    tmp_path: Path,
) -> None:
    counting = CountingAuthenticator()
    subnet, observer, keys = setup(tmp_path, counting)
    message = signed_add(1, subnet.now_ns)
    assert parse_call_envelope(message.envelope, subnet.now_ns).message == message
    assert message.message_id not in observer.ingress_pool
    assert propose(subnet, observer, keys, (message,)) == []
    assert counting.checked == 1
    # In a block of another rank it is checked again, at that block's time (what need not be
    # checked twice is the authenticator's to know: `replica.live.verified`).
    assert propose(subnet, observer, keys, (message,), rank=1) == []
    assert counting.checked == 2


def test_unsigned_altered_and_forged_messages_are_refused(tmp_path: Path) -> None:
    subnet, observer, keys = setup(tmp_path, authenticate_ingress)
    now = subnet.now_ns
    message = signed_add(1, now)
    other = signed_add(2, now)
    cases = [
        (replace(message, envelope=b""), "an ingress message is not signed"),
        (
            replace(message, arg=encode([Nat], [1_000_000])),
            "an ingress message is not signed by its sender: the message differs from the call "
            "its envelope holds",
        ),
        (
            # The envelope of another call, signed by the same user.
            replace(message, envelope=other.envelope),
            "an ingress message is not signed by its sender: the message differs from the call "
            "its envelope holds",
        ),
        (
            signed_add(1, now, signer=MALLORY_KEY, sender=ALICE_KEY.principal),
            f"an ingress message is not signed by its sender: The user id {ALICE_KEY.principal} "
            f"does not match the public key {MALLORY_KEY.public_key_der.hex()}",
        ),
        (
            replace(message, envelope=message.envelope[:-8]),
            "an ingress message is not signed by its sender: Could not parse body as call message",
        ),
    ]
    for offset, (ingress, reason) in enumerate(cases):
        refusals = propose(subnet, observer, keys, (other, ingress), offset=offset)
        assert len(refusals) == 1 and refusals[0].startswith(reason), refusals
    # The signed message alone is valid.
    assert propose(subnet, observer, keys, (other, message), offset=len(cases)) == []


def test_a_pooled_message_is_checked_again_at_the_blocks_time(tmp_path: Path) -> None:
    counting = CountingAuthenticator()
    subnet, observer, keys = setup(tmp_path, counting)
    message = signed_add(1, subnet.now_ns)
    observer.submit_ingress(message, subnet.now_ns)
    assert observer.ingress_pool[message.message_id] == message
    assert counting.checked >= 1  # on its way into the pool (R38), and as its block maker chose
    # The pool's message with its arguments changed (the id kept) is refused.
    altered = replace(message, arg=encode([Nat], [7]))
    assert propose(subnet, observer, keys, (altered,)) == [
        "an ingress message is not signed by its sender: the message differs from the call its "
        "envelope holds"
    ]
    checked = counting.checked
    assert propose(subnet, observer, keys, (message,), offset=1) == []
    assert counting.checked > checked


def delegated_add(amount: int, now_ns: int, *, delegation_ends_ns: int) -> IngressMessage:
    """An `add(amount)` call signed by a session key that ALICE_KEY delegated to until
    `delegation_ends_ns`."""
    session = Ed25519Identity.from_seed(hashlib.sha256(b"signed-ingress session").digest())
    return signed_add(
        amount, now_ns, signer=delegate(ALICE_KEY, session, expiration_ns=delegation_ends_ns)
    )


def test_a_call_whose_delegation_ended_is_neither_included_nor_valid_in_a_block(
    tmp_path: Path,
) -> None:
    """As the IC runs `validate_request` at the block's time in its payload builder and its
    validator: the call arrived while its sender's delegation lasted, and the block comes after
    the delegation ended."""
    subnet, observer, keys = setup(tmp_path, authenticate_ingress)
    now = subnet.now_ns
    message = delegated_add(1, now, delegation_ends_ns=now + 10)
    observer.submit_ingress(message, now)
    assert observer.ingress_pool[message.message_id] == message
    refusals = propose(subnet, observer, keys, (message,), offset=11)
    assert len(refusals) == 1 and refusals[0].startswith(
        "an ingress message is not signed by its sender: Specified sender delegation has expired"
    ), refusals
    assert propose(subnet, observer, keys, (message,), offset=10) == []
    # The block maker leaves it out of a block at such a time.
    info = observer.ctx.get_height_info(1)
    assert info is not None
    genesis = observer.genesis_cup.content.block
    for time_ns, expected in ((now + 10, (message,)), (now + 11, ())):
        selected = select_ingress(
            observer.ctx,
            genesis,
            time_ns,
            observer.ingress_pool,
            lambda message_id: False,
            info.record.max_ingress_messages_per_block,
            info.record.max_block_payload_size,
            authenticate_ingress,
        )
        assert selected == expected


def test_without_an_authenticator_blocks_are_not_checked_for_signatures(tmp_path: Path) -> None:
    """Replicas built without an authenticator (`NodeConfig.authenticate_ingress` None, as in unit
    tests of other rules) take unsigned ingress."""
    subnet, observer, keys = setup(tmp_path)
    unsigned = replace(signed_add(1, subnet.now_ns), envelope=b"")
    assert propose(subnet, observer, keys, (unsigned,)) == []


def forged_calls(now_ns: int) -> list[tuple[IngressMessage, str]]:
    """Calls a Byzantine peer could gossip, each with why a replica refuses to pool it."""
    message = signed_add(1, now_ns)
    return [
        (
            replace(message, arg=encode([Nat], [1_000_000])),
            "an ingress message is not signed by its sender: the message differs from the call "
            "its envelope holds",
        ),
        (
            signed_add(2, now_ns, signer=MALLORY_KEY, sender=ALICE_KEY.principal),
            f"an ingress message is not signed by its sender: The user id {ALICE_KEY.principal} "
            f"does not match the public key {MALLORY_KEY.public_key_der.hex()}",
        ),
        (
            replace(signed_add(3, now_ns), envelope=b""),
            "an ingress message is not signed by its sender: Could not parse body as call message",
        ),
    ]


def test_a_forged_ingress_artifact_from_a_peer_is_not_pooled_and_a_signed_one_is(
    tmp_path: Path,
) -> None:
    """R38."""
    counting = CountingAuthenticator()
    subnet, observer, _ = setup(tmp_path, counting)
    now = subnet.now_ns
    for forged, reason in forged_calls(now):
        refusals = rejections(observer.on_artifact(IngressArtifact(message=forged), now))
        assert len(refusals) == 1 and refusals[0].startswith(reason), refusals
        assert forged.message_id not in observer.ingress_pool
    # Nothing refused is offered to a peer that (re)connects.
    assert not any(isinstance(a, IngressArtifact) for a in observer.pool_artifacts())
    checked = counting.checked
    message = signed_add(1, now)
    assert rejections(observer.on_artifact(IngressArtifact(message=message), now)) == []
    assert observer.ingress_pool[message.message_id] == message
    assert IngressArtifact(message=message) in observer.pool_artifacts()
    assert counting.checked == checked + 1
    # The same message again, or a forged copy under its id, is not checked: the pool holds it.
    observer.on_artifact(IngressArtifact(message=message), now)
    altered = replace(message, arg=encode([Nat], [9]))
    observer.on_artifact(IngressArtifact(message=altered), now)
    assert observer.ingress_pool[message.message_id] == message
    assert counting.checked == checked + 1


def test_a_forged_call_a_user_submits_is_not_pooled_nor_gossiped(tmp_path: Path) -> None:
    """R38 for a call handed to the node directly (the live replica's HTTP layer checks it
    before; the simulator's users have none)."""
    subnet, observer, _ = setup(tmp_path, authenticate_ingress)
    forged, reason = forged_calls(subnet.now_ns)[1]
    output = observer.submit_ingress(forged, subnet.now_ns)
    assert rejections(output) == [reason]
    assert forged.message_id not in observer.ingress_pool
    assert not any(isinstance(a, IngressArtifact) for a in output.broadcast)
    message = signed_add(1, subnet.now_ns)
    output = observer.submit_ingress(message, subnet.now_ns)
    assert rejections(output) == []
    assert IngressArtifact(message=message) in output.broadcast


def test_a_forged_call_gossiped_to_every_replica_never_reaches_a_block(tmp_path: Path) -> None:
    """R38 in a running subnet: a forged call offered to every replica stays out of every pool
    and every finalized block, while a signed call gossiped beside it is executed."""
    subnet = Subnet(tmp_path, authenticate_ingress=authenticate_ingress)
    forged, _ = forged_calls(subnet.now_ns)[1]
    message = signed_add(1, subnet.now_ns)
    for node_id in subnet.nodes:
        subnet.queue += [(node_id, IngressArtifact(message=m)) for m in (forged, message)]
    subnet.run_until(
        lambda: all(
            node.ingress_status(message.message_id) is not None for node in subnet.nodes.values()
        )
    )
    for node in subnet.nodes.values():
        assert node.ingress_status(forged.message_id) is None
        assert forged.message_id not in node.ingress_pool
        finalized = [node.finalized_block(h) for h in range(1, node.finalized_height + 1)]
        assert not any(
            isinstance(block.payload, DataPayload)
            and forged.message_id in {m.message_id for m in block.payload.ingress}
            for block in finalized
            if block is not None
        )


def test_without_an_authenticator_gossiped_ingress_is_pooled_unchecked(tmp_path: Path) -> None:
    """A replica built without an authenticator (unit tests of other rules) pools what it gets."""
    subnet = Subnet(tmp_path)
    observer = next(iter(subnet.nodes.values()))
    for forged, _ in forged_calls(subnet.now_ns):
        assert (
            rejections(observer.on_artifact(IngressArtifact(message=forged), subnet.now_ns)) == []
        )
        assert observer.ingress_pool[forged.message_id] == forged
