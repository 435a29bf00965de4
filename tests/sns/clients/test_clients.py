"""The typed SNS clients against an SNS launched on a subnet harness: SNS-W's list, root's
canisters, the token, the swap's progress, neurons and proposals, and the refusals as typed
errors."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

from nns.clients.ledger import LedgerCanister
from sns.clients import (
    SnsCanisters,
    SnsGovernanceError,
    SnsTransferError,
    SnsWasmCanister,
    SwapError,
)
from sns.clients.governance import proposal_status
from sns.governance.proposals import Topic, Vote
from sns.swap.core import Lifecycle, TicketError, principal_to_subaccount
from tests.sns.clients.harness_agent import async_agent
from tests.sns.life.harness import ALICE, BUYERS, E8S, make_life
from tests.sns.life.test_life import BIG

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def test_the_clients_follow_an_sns_from_its_launch_to_a_vote(tmp_path: Path) -> None:
    life = make_life(tmp_path)
    proposal_id = life.propose_sns(**BIG)
    wasm = SnsWasmCanister.create(async_agent(life.harness, ALICE))
    (deployed,) = run(wasm.list_deployed_snses())
    assert deployed.canister_ids() == life.deployed(proposal_id)
    assert run(wasm.get_deployed_sns_by_proposal_id(proposal_id)) == deployed
    assert run(wasm.get_deployed_sns_by_proposal_id(proposal_id + 100)) is None
    assert set(run(wasm.get_latest_sns_version_pretty())) >= {"Root", "Governance", "Swap"}

    def canisters(who: Any) -> SnsCanisters:
        return SnsCanisters.create(async_agent(life.harness, who), deployed)

    sns = canisters(BUYERS[0])
    listed = run(sns.root.list_sns_canisters())
    assert listed["dapps"] == [life.dapp] and listed["swap"] == deployed.swap
    metadata = run(sns.ledger.metadata())
    assert metadata["icrc1:symbol"] == "DKP" and metadata["icrc1:fee"] == 10_000
    assert run(sns.ledger.transaction_fee()) == 10_000
    assert run(sns.ledger.tip()) == life.instance(deployed.ledger).icrc3_tip()
    assert run(sns.ledger.tip_certificate()) is None  # this agent's queries carry no certificate
    assert run(sns.governance.get_mode()) == 2  # PreInitializationSwap
    topics = run(sns.governance.list_topics())
    assert topics["topics"][0]["name"] == "DAO community settings"
    assert run(sns.governance.list_nervous_system_functions())[0]["name"] == "Motion"
    assert run(sns.swap.get_lifecycle())["lifecycle"] == Lifecycle.ADOPTED
    with pytest.raises(SwapError) as refused:
        run(sns.swap.new_sale_ticket(amount_icp_e8s=100_000 * E8S))
    assert refused.value.error_type == TicketError.SALE_NOT_OPEN

    life.open_swap(deployed.swap)
    for buyer in BUYERS[:3]:
        mine = canisters(buyer)
        ticket = run(mine.swap.new_sale_ticket(amount_icp_e8s=100_000 * E8S))
        assert ticket["amount_icp_e8s"] == 100_000 * E8S
        assert run(mine.swap.get_open_ticket()) == ticket
        icp = LedgerCanister(async_agent(life.harness, buyer))
        run(
            icp.icrc1_transfer(
                to_owner=deployed.swap,
                to_subaccount=principal_to_subaccount(buyer),
                amount=100_000 * E8S,
            )
        )
        refreshed = run(mine.swap.refresh_buyer_tokens(buyer))
        assert refreshed["icp_accepted_participation_e8s"] == 100_000 * E8S
    derived = run(sns.swap.get_derived_state())
    assert derived["direct_participation_icp_e8s"] == 300_000 * E8S
    assert derived["direct_participant_count"] == 3
    buyer_state = run(sns.swap.get_buyer_state(BUYERS[0]))
    assert buyer_state is not None and buyer_state["icp"]["amount_e8s"] == 100_000 * E8S
    assert len(run(sns.swap.list_direct_participants())) == 3
    life.rounds(40)
    assert run(sns.swap.get_lifecycle())["lifecycle"] == Lifecycle.COMMITTED
    assert run(sns.governance.get_mode()) == 1  # Normal
    committed = run(sns.swap.get_derived_state())
    assert run(sns.swap.get_buyers_total()) == committed["buyer_total_icp_e8s"] > 300_000 * E8S
    assert run(sns.swap.get_auto_finalization_status())["has_auto_finalize_been_attempted"]
    recipes = run(sns.swap.list_sns_neuron_recipes())
    assert len(recipes) == 3 * (3 + committed["cf_neuron_count"])  # a basket of 3 each
    assert run(sns.swap.get_init())["sns_root_canister_id"] == deployed.root.to_text()
    assert run(sns.swap.notify_payment_failure()) is None

    neurons = run(sns.governance.list_neurons(of_principal=BUYERS[0]))
    assert len(neurons) == 3
    proposer = max(neurons, key=lambda n: n["dissolve_state"]["DissolveDelaySeconds"])
    proposer_id = bytes(proposer["id"]["id"])
    assert run(sns.governance.get_neuron(proposer_id))["id"] == proposer["id"]
    assert (
        run(sns.ledger.balance(deployed.governance, proposer_id))
        == proposer["cached_neuron_stake_e8s"]
    )

    # BUYERS[1]'s voting neuron follows BUYERS[0]'s on Governance (motions are on Governance)
    theirs = run(canisters(BUYERS[1]).governance.list_neurons(of_principal=BUYERS[1]))
    follower = max(theirs, key=lambda n: n["dissolve_state"]["DissolveDelaySeconds"])
    follower_id = bytes(follower["id"]["id"])
    run(
        canisters(BUYERS[1]).governance.set_topic_followees(
            neuron_id=follower_id, topic=Topic.GOVERNANCE, followees=[proposer_id]
        )
    )
    with pytest.raises(SnsGovernanceError) as not_theirs:
        run(
            canisters(BUYERS[2]).governance.set_topic_followees(
                neuron_id=follower_id, topic=Topic.GOVERNANCE, followees=[]
            )
        )
    assert not_theirs.value.error_type == 2  # NotAuthorized
    motion = run(
        sns.governance.make_motion_proposal(
            neuron_id=proposer_id, title="Dragons", summary="", motion_text="More dragons"
        )
    )
    data = run(sns.governance.get_proposal(motion))
    assert proposal_status(data) == "open"
    ballots = dict((entry["0"], entry["1"]["vote"]) for entry in data["ballots"])
    assert ballots[proposer_id.hex()] == Vote.YES and ballots[follower_id.hex()] == Vote.YES
    assert [p["id"]["id"] for p in run(sns.governance.list_proposals(limit=1))] == [motion]
    with pytest.raises(SnsGovernanceError):
        run(sns.governance.get_proposal(motion + 50))

    history = run(sns.index.get_account_transactions(deployed.governance, proposer_id))
    assert history["balance"] == run(sns.ledger.balance(deployed.governance, proposer_id))
    assert run(sns.index.balance(deployed.governance, proposer_id)) == history["balance"]
    assert run(sns.index.ledger_id()) == deployed.ledger
    assert run(sns.index.num_blocks_synced()) > 0
    with pytest.raises(SnsTransferError) as poor:
        run(sns.ledger.transfer(to_owner=ALICE, amount_e8s=10**18))
    assert poor.value.kind == "InsufficientFunds"
