"""The audit sees what the generic checks cannot: with one rule of the replica removed (or
one part of the protocol broken on purpose), a short run under the attack that needs the rule
fails with the audit's message. Each test is a removal the seed sweep must catch too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from replica.consensus import certifier, dkg_payload, notary
from replica.consensus.catchup import is_valid_catch_up_package
from replica.consensus.signing import ThresholdKey
from replica.consensus.validator import Validator
from replica.sim.checks import PropertyViolation
from replica.sim.faults import Attack
from replica.sim.forgery import ConsensusForger
from replica.sim.workload import CounterWorkload
from tests.replica.sim.scenarios import consensus_world


def run(seed: int, faults: str, heights: int) -> None:
    with consensus_world(seed, nodes=4, faults=faults, heights=heights) as world:
        world.run_until_height(heights, timeout_s=60)
        world.check_rate()


def without_notarized_parent_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Validator._check_proposal

    def check(self: Validator, proposal: Any, info: Any) -> Any:
        chain = self.ctx.chain
        parent = chain.blocks.get(proposal.block.parent)
        if parent is not None and not chain.is_notarized(parent.id, parent.height):
            chain.notarized.setdefault(
                parent.height, {}
            )  # the removed rule: take the parent as it is
            saved = chain.notarized[parent.height].get(parent.id)
            chain.notarized[parent.height][parent.id] = parent
            try:
                return original(self, proposal, info)
            finally:
                if saved is None:
                    del chain.notarized[parent.height][parent.id]
        return original(self, proposal, info)

    monkeypatch.setattr(Validator, "_check_proposal", check)


def test_an_honest_run_under_every_attack_passes_the_audit() -> None:
    with consensus_world(
        3, nodes=4, faults="wrong-parent+forge-cup+forge-certification:1", heights=12
    ) as world:
        world.run_until_height(12, timeout_s=60)
        world.check_rate()
        forger = next(node.forger for node in world.nodes.values() if node.forger is not None)
        assert isinstance(forger, ConsensusForger)
        assert {Attack.FORGE_CUP, Attack.FORGE_CERTIFICATION} <= set(forger.forgeries)


def test_ingress_not_signed_by_its_sender_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    """R37 removed from the validator: the `bad-block` version that carries a user's message with
    its argument altered (under the user's envelope), or a call whose envelope claims another
    user, is accepted; the audit authenticates every finalized message at its block's time."""
    monkeypatch.setattr(Validator, "_check_senders", lambda *arguments: None)
    with (
        pytest.raises(
            PropertyViolation,
            match=r"the ingress \w+ at height \d+ is not signed by its sender: (the message "
            r"differs from the call its envelope holds|The user id .* does not match)",
        ),
        consensus_world(3, nodes=4, faults="bad-block:1", heights=12) as world,
    ):
        workload = CounterWorkload(world)
        world.run_until_height(1)
        workload.submit(3)
        world.run_until_height(12, timeout_s=60)


def test_blocks_on_unnotarized_parents_are_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    without_notarized_parent_rule(monkeypatch)
    with pytest.raises(PropertyViolation, match=r"has no notarization|liveness"):
        run(3, "wrong-parent:1", 24)


def test_a_cup_accepted_without_its_signature_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "replica.consensus.validator.is_valid_catch_up_package", lambda cup, key: True
    )
    with pytest.raises(PropertyViolation, match=r"CUP of height .* does not verify"):
        run(3, "forge-cup:1", 12)
    assert callable(is_valid_catch_up_package)  # the rule itself stays in place elsewhere


def test_a_high_threshold_key_dealt_afresh_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    original: Callable[..., Any] = dkg_payload.make_configs

    def fresh(**arguments: Any) -> Any:
        return original(**{**arguments, "resharing": None})

    monkeypatch.setattr(dkg_payload, "make_configs", fresh)
    with pytest.raises(PropertyViolation, match="key continuity"):
        run(5, "none", 20)


def test_a_protocol_seven_times_slower_fails_the_rate_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = notary.compute_notary_delay_ns

    def slow(**arguments: Any) -> int | None:
        delay = original(**arguments)
        return None if delay is None else 7 * delay

    monkeypatch.setattr(notary, "compute_notary_delay_ns", slow)
    with pytest.raises(PropertyViolation, match="liveness rate"):
        run(5, "none", 12)


def test_certification_that_stops_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    original = certifier.make_certification_changes

    def stops_at_four(ctx: Any, get_root_hash: Any) -> Any:
        return [] if ctx.certified_height >= 4 else original(ctx, get_root_hash)

    monkeypatch.setattr(certifier, "make_certification_changes", stops_at_four)
    monkeypatch.setattr("replica.consensus.instance.certifier", certifier)
    with pytest.raises(PropertyViolation, match="certification stalled"):
        run(5, "none", 60)


@pytest.mark.parametrize(
    ("check", "seen"),
    [
        # Honest replicas take different forged beacons first: the checks see them differ, or
        # the audit sees one that does not verify.
        ("_check_beacon", r"two different beacons at height|beacon of height \d+ does not verify"),
        # The counter canister draws no randomness, so only the audit sees a forged tape.
        ("_check_tape", r"the random tape of height \d+ does not verify"),
    ],
)
def test_beacons_and_tapes_accepted_without_their_signatures_are_seen(
    check: str, seen: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R20 or R21 removed from the validator alone (the threshold key verifies as before
    everywhere else): the beacons or tapes `forge-combined` makes of its own share are accepted,
    and the audit verifies every one under its interval's key."""
    checking: list[bool] = []
    verify = ThresholdKey.verify
    original: Callable[[Validator, object], Any] = getattr(Validator, check)

    def lenient(self: ThresholdKey, message: bytes, signature: bytes) -> bool:
        return True if checking else verify(self, message, signature)

    def without_signature_check(self: Validator, artifact: object) -> Any:
        checking.append(True)
        try:
            return original(self, artifact)
        finally:
            checking.pop()

    monkeypatch.setattr(Validator, check, without_signature_check)
    monkeypatch.setattr(ThresholdKey, "verify", lenient)
    with pytest.raises(PropertyViolation, match=seen):
        run(3, "forge-combined:1", 12)
