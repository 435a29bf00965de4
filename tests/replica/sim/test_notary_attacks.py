"""The attacks on the notary and the finalizer rule, and the audit that sees them when a rule is
missing (RULES.md R28, R29).

Seed 38 of the default sweep runs `held-back:1`, seed 96 `equivocate:1` (subnets of four).
"""

from __future__ import annotations

import pytest

from replica.consensus import finalizer, notary
from replica.consensus.artifacts import Block, Finalization
from replica.consensus.context import RoleContext
from replica.consensus.node import ReplicaNode
from replica.sim.audit import ConsensusAuditor
from replica.sim.checks import PropertyViolation
from replica.sim.faults import FaultPlan
from replica.sim.sweep import SWEEP_HEIGHTS, check_seed, sweep_nodes, sweep_world

HELD_BACK_SEED = 38
EQUIVOCATE_SEED = 96


def test_the_seeds_run_the_attacks() -> None:
    assert FaultPlan.mixed_for_seed(HELD_BACK_SEED, sweep_nodes(HELD_BACK_SEED)).byzantine == (
        ("held-back", 1),
    )
    assert FaultPlan.mixed_for_seed(EQUIVOCATE_SEED, sweep_nodes(EQUIVOCATE_SEED)).byzantine == (
        ("equivocate", 1),
    )


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
