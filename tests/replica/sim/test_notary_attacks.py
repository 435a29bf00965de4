"""The attacks on the notary and the finalizer rule, and the audit that sees them when a rule is
missing (RULES.md R17, R28, R29).

Seed 38 of the default sweep runs `held-back:1`, seed 96 `equivocate:1` (subnets of four), seed
29 `outside-committee:1` (a subnet of six: four in the committee at each height).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from replica.consensus import finalizer, notary, validator
from replica.consensus.artifacts import Block, Finalization, Notarization
from replica.consensus.context import HeightInfo, RoleContext
from replica.consensus.node import ReplicaNode
from replica.sim.audit import ConsensusAuditor
from replica.sim.checks import PropertyViolation
from replica.sim.faults import FaultPlan
from replica.sim.sweep import SWEEP_HEIGHTS, check_seed, sweep_nodes, sweep_world

HELD_BACK_SEED = 38
EQUIVOCATE_SEED = 96
OUTSIDE_COMMITTEE_SEED = 29


def test_the_seeds_run_the_attacks() -> None:
    assert FaultPlan.mixed_for_seed(HELD_BACK_SEED, sweep_nodes(HELD_BACK_SEED)).byzantine == (
        ("held-back", 1),
    )
    assert FaultPlan.mixed_for_seed(EQUIVOCATE_SEED, sweep_nodes(EQUIVOCATE_SEED)).byzantine == (
        ("equivocate", 1),
    )
    assert sweep_nodes(OUTSIDE_COMMITTEE_SEED) == 6
    assert FaultPlan.mixed_for_seed(OUTSIDE_COMMITTEE_SEED, 6).byzantine == (
        ("outside-committee", 1),
    )


def test_every_sweep_subnet_with_members_outside_the_committee_plans_the_attack() -> None:
    sizes = {seed: sweep_nodes(seed) for seed in range(160)}
    larger = [seed for seed, nodes in sizes.items() if nodes in (5, 6)]
    assert larger == list(range(13, 160, 16))
    assert {sizes[seed] for seed in larger} == {5, 6}
    for seed in larger:
        plan = FaultPlan.mixed_for_seed(seed, sizes[seed])
        assert [kind.split("+")[0] for kind, _ in plan.byzantine] == ["outside-committee"]


def test_a_member_outside_the_committee_sends_notarizations_that_honest_replicas_refuse() -> None:
    """The Byzantine member combines notarizations at the heights where it is outside the
    committee; with R17 every honest replica refuses them, so none holds a notarization naming a
    signer outside the committee (the audit checks every one of a finalized block)."""
    with sweep_world(OUTSIDE_COMMITTEE_SEED) as world:
        world.run_until_height(SWEEP_HEIGHTS, timeout_s=60)
        byzantine = [node for node in world.nodes.values() if not node.honest]
        assert len(byzantine) == 1 and byzantine[0].strikes > 0
        outsider = byzantine[0].node_id
        assert world.unstruck_faults() == []
        for node_id in world.honest_up_members():
            replica = world.replica(node_id)
            assert isinstance(replica, ReplicaNode)
            for height in range(1, SWEEP_HEIGHTS + 1):
                info = replica.instance.ctx.get_height_info(height)
                assert info is not None
                for notarization in replica.pool.validated.get(Notarization, height):
                    assert set(notarization.signers) <= info.committee
                    if outsider not in info.committee:
                        assert outsider not in notarization.signers


def test_without_the_committee_rule_the_audit_sees_a_signer_outside_the_committee(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """R17 removed from the validator alone (the notary still signs only in its committee): the
    outsider's notarizations are accepted, and the audit sees a signer outside the committee."""
    check = validator.Validator._check_block_signature
    real_info = RoleContext.get_height_info
    checking: list[bool] = []

    def everyone_in_committee(self: RoleContext, height: int) -> HeightInfo | None:
        info = real_info(self, height)
        if not checking or info is None:
            return info
        return replace(info, committee=frozenset(info.members))

    def without_committee_rule(
        self: validator.Validator, artifact: Notarization | Finalization, message: bytes
    ) -> validator.Verdict:
        checking.append(True)
        try:
            return check(self, artifact, message)
        finally:
            checking.pop()

    monkeypatch.setattr(RoleContext, "get_height_info", everyone_in_committee)
    monkeypatch.setattr(validator.Validator, "_check_block_signature", without_committee_rule)
    with pytest.raises(PropertyViolation, match="a signer is outside the height's committee"):
        check_seed(OUTSIDE_COMMITTEE_SEED)


def test_the_held_back_maker_gets_two_blocks_of_one_height_notarized_and_none_finalized() -> None:
    """Honest notaries sign the next rank's block and the held-back one; with the finalizer rule
    none of them finality-signs such a height, so it is finalized only through its successor."""
    with sweep_world(HELD_BACK_SEED) as world:
        world.run_until_height(SWEEP_HEIGHTS, timeout_s=60)
        auditor = world.subnets[0].checker.auditor
        assert isinstance(auditor, ConsensusAuditor)
        assert auditor.double_notarized
        assert world.unstruck_faults() == []
        for node_id in world.honest_up_members():
            replica = world.replica(node_id)
            assert isinstance(replica, ReplicaNode)
            for height in auditor.double_notarized:
                assert not replica.pool.validated.get(Finalization, height)


def test_without_the_finalizer_rule_the_audit_sees_the_held_back_attack(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """R29 removed: the notaries that signed both blocks finality-sign one of them."""
    monkeypatch.setattr(finalizer, "is_finalization_allowed", lambda block, own: True)
    with pytest.raises(PropertyViolation, match="another block than the one finalized"):
        check_seed(HELD_BACK_SEED)


def test_without_disqualification_the_audit_sees_notaries_sign_an_equivocators_blocks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """R28 removed: every honest notary signs both versions of the equivocator's block."""
    weigh = notary.get_lowest_ranked_proposals

    def ignoring_disqualification(ctx: RoleContext, height: int) -> list[Block]:
        disqualified = ctx.chain.disqualified.pop(height, None)
        try:
            return weigh(ctx, height)
        finally:
            if disqualified is not None:
                ctx.chain.disqualified[height] = disqualified

    monkeypatch.setattr(notary, "get_lowest_ranked_proposals", ignoring_disqualification)
    with pytest.raises(PropertyViolation, match="two blocks of one maker"):
        check_seed(EQUIVOCATE_SEED)
