"""The live replica verifies each call's signature once: the service checks an envelope where it
enters the process (HTTP or a peer's gossip), and the node's authenticator trusts exactly what
was checked there, for its pool (R38) and for the blocks it validates (R37)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from replica.candid import encode
from replica.candid.types import Nat
from replica.consensus.artifacts import DataPayload, IngressArtifact, ValidationContext
from replica.consensus.signing import sign_proposal
from replica.execution.messages import IngressMessage
from replica.http.backend import SignedIngress
from replica.http.requests import check_ingress, parse_call_envelope
from replica.live.verified import VerifiedIngress
from tests.replica.consensus.test_signed_ingress import (
    ALICE_KEY,
    MALLORY_KEY,
    delegated_add,
    signed_add,
)
from tests.replica.consensus.test_validator import block_at_one, rejections, setup
from tests.replica.consensus.world import START_NS


class CountingCheck:
    """`check_ingress`, counting the envelopes it checks."""

    def __init__(self) -> None:
        self.checked = 0

    def __call__(self, message: IngressMessage, time_ns: int) -> SignedIngress | str:
        self.checked += 1
        return check_ingress(message, time_ns)


def test_a_checked_envelope_is_trusted_and_any_other_message_is_checked() -> None:
    counting = CountingCheck()
    verified = VerifiedIngress(counting)
    message = parse_call_envelope(signed_add(1, START_NS).envelope, START_NS).message
    verified.keep(message)
    assert message.message_id in verified
    assert verified.get_envelope(message.message_id) == message.envelope
    assert verified.authenticate(message, START_NS) is None
    assert counting.checked == 0
    # Under the checked envelope, a message with another argument is checked, and refused.
    altered = replace(message, arg=encode([Nat], [5]))
    assert verified.authenticate(altered, START_NS) == (
        "the message differs from the call its envelope holds"
    )
    assert counting.checked == 1
    # A call never checked here is checked: a valid one passes, a forged one is refused.
    assert verified.authenticate(signed_add(2, START_NS), START_NS) is None
    forged = signed_add(3, START_NS, signer=MALLORY_KEY, sender=ALICE_KEY.principal)
    assert verified.authenticate(forged, START_NS) is not None
    assert counting.checked == 3


def test_verified_calls_are_forgotten_once_expired_or_done() -> None:
    verified = VerifiedIngress()
    early, late = signed_add(1, START_NS), signed_add(2, START_NS + 10**12)
    verified.keep(early)
    verified.keep(late)
    verified.forget(early.ingress_expiry_ns + 1, lambda message_id: False)
    assert early.message_id not in verified and late.message_id in verified
    verified.forget(START_NS, lambda message_id: message_id == late.message_id)
    assert len(verified) == 0


def test_a_node_with_the_services_authenticator_verifies_only_what_the_service_did_not(
    tmp_path: Path,
) -> None:
    counting = CountingCheck()
    verified = VerifiedIngress(counting)
    subnet, observer, keys = setup(tmp_path, verified.authenticate)
    now = subnet.now_ns
    checked_on_arrival = signed_add(1, now)
    verified.keep(checked_on_arrival)
    observer.on_artifact(IngressArtifact(message=checked_on_arrival), now)
    assert observer.ingress_pool[checked_on_arrival.message_id] == checked_on_arrival
    assert counting.checked == 0
    # The validator's block check trusts the same calls, pooled or not yet (one the service
    # checked whose batch has not reached the node), and checks a call nobody checked yet.
    not_yet_pooled, unseen = signed_add(2, now), signed_add(4, now)
    verified.keep(not_yet_pooled)
    block = block_at_one(
        subnet,
        observer,
        0,
        payload=DataPayload(ingress=(checked_on_arrival, not_yet_pooled, unseen)),
        context=ValidationContext(registry_version=1, certified_height=0, time_ns=now),
    )
    assert rejections(observer.on_artifact(sign_proposal(keys[0], block), now)) == []
    assert counting.checked == 1
    # A forged call a peer gossips is checked, and kept out of the pool.
    forged = signed_add(3, now, signer=MALLORY_KEY, sender=ALICE_KEY.principal)
    assert rejections(observer.on_artifact(IngressArtifact(message=forged), now))
    assert forged.message_id not in observer.ingress_pool
    assert counting.checked == 2


def test_a_call_first_seen_in_a_block_is_checked_once() -> None:
    counting = CountingCheck()
    verified = VerifiedIngress(counting)
    message = signed_add(1, START_NS)
    assert verified.authenticate(message, START_NS) is None
    assert verified.authenticate(message, START_NS + 1) is None
    assert counting.checked == 1
    assert message.message_id not in verified  # not a pooled call: no envelope to resend


def test_a_checked_call_is_trusted_only_while_its_delegation_lasts() -> None:
    """The IC checks a sender delegation's expiry again at each block's time."""
    counting = CountingCheck()
    verified = VerifiedIngress(counting)
    ends = START_NS + 10
    signed = parse_call_envelope(
        delegated_add(1, START_NS, delegation_ends_ns=ends).envelope, START_NS
    )
    assert signed.valid_until_ns == ends
    verified.keep(signed.message, signed.valid_until_ns)
    assert verified.authenticate(signed.message, ends) is None
    assert counting.checked == 0
    reason = verified.authenticate(signed.message, ends + 1)
    assert reason is not None and reason.startswith("Specified sender delegation has expired")
    assert counting.checked == 1
    # The same through a block: first seen there, then at a later block's time.
    other = VerifiedIngress(counting)
    assert other.authenticate(signed.message, ends) is None
    assert other.authenticate(signed.message, ends + 1) is not None
