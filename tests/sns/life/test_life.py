"""The whole life of an SNS on a subnet (spec sns.md §2-§4).

NNS proposal CreateServiceNervousSystem adopted -> SNS-W deploys the SNS and
moves the dapp under SNS root -> the swap opens on the governance clock ->
participants buy directly and the Neurons' Fund matches -> the swap commits ->
finalization hands out neuron baskets -> an SNS proposal upgrades the dapp
through SNS root. Sources: dfinity/ic rs/nns/governance/src/proposals/
create_service_nervous_system.rs, rs/nns/sns-wasm/src/sns_wasm.rs,
rs/sns/swap/src/swap.rs, rs/sns/governance/src/governance.rs, rs/sns/root.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from nns.sns_wasm import SNS_WASM_CANISTER_ID
from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID, ROOT_CANISTER_ID
from replica.execution.canisters import CanisterStatus
from sns.governance.core import Mode
from sns.swap.core import Lifecycle
from sns.swap.finalize import Action, Finalization
from tests.replica.execution.wasm.helpers import fixture
from tests.sns.life.harness import (
    ALICE,
    BUYERS,
    DEVELOPER,
    E8S,
    FALLBACK,
    FUND_CONTROLLERS,
    ICP_FEE,
    UPGRADE_MODULE,
    make_life,
)

BIG = {
    "min_direct_icp": 30_000,
    "max_direct_icp": 300_000,
    "min_participant_icp": 10_000,
    "max_participant_icp": 150_000,
    "neurons_fund": True,
}


def test_an_sns_is_launched_sold_and_upgrades_its_dapp(tmp_path: Path) -> None:
    life = make_life(tmp_path)
    refused = life.call(ALICE, SNS_WASM_CANISTER_ID, "deploy_new_sns", {"sns_init_payload": {}})
    assert "Only the NNS governance" in refused["error"]["message"]
    proposal_id = life.propose_sns(**BIG)
    sns = life.deployed(proposal_id)
    listed = life.query(ALICE, SNS_WASM_CANISTER_ID, "list_deployed_snses", {})["instances"]
    assert [entry["swap_canister_id"] for entry in listed] == [sns["swap"]]
    assert life.controllers(life.dapp) == {sns["root"], ROOT_CANISTER_ID}
    assert life.controllers(sns["governance"]) == {sns["root"]}
    assert life.query(ALICE, sns["ledger"], "icrc106_get_index_principal") == {"Ok": sns["index"]}
    assert life.controllers(sns["root"]) == {sns["governance"]}
    governance = life.instance(sns["governance"])
    assert governance.core.mode == Mode.PRE_INITIALIZATION_SWAP
    swap = life.instance(sns["swap"])
    assert swap.core.lifecycle == Lifecycle.ADOPTED
    # the start is the first midnight UTC strictly more than 24 h after execution (§2.4)
    start = swap.core.params.swap_start_timestamp_seconds
    assert start % 86_400 == 0 and 86_400 < start - life.harness.time_ns // 10**9 <= 2 * 86_400
    early = life.call(
        BUYERS[0], sns["swap"], "new_sale_ticket", {"amount_icp_e8s": E8S, "subaccount": None}
    )
    assert early["result"]["Err"]["error_type"] == 1  # not open yet

    life.open_swap(sns["swap"])
    assert swap.core.lifecycle == Lifecycle.OPEN
    before = {b: life.icp_balance(b) for b in BUYERS[:3]}
    # a buyer whose payment failed drops its ticket and may ask again (notify_payment_failure)
    ticket = life.call(
        BUYERS[3],
        sns["swap"],
        "new_sale_ticket",
        {"amount_icp_e8s": 10_000 * E8S, "subaccount": None},
    )["result"]["Ok"]["ticket"]
    assert life.call(BUYERS[3], sns["swap"], "notify_payment_failure", {}) == {"ticket": ticket}
    assert life.query(BUYERS[3], sns["swap"], "get_open_ticket", {})["result"]["Ok"] == {
        "ticket": None
    }
    assert life.call(BUYERS[3], sns["swap"], "notify_payment_failure", {}) == {"ticket": None}
    for buyer in BUYERS[:3]:
        accepted = life.participate(sns["swap"], buyer, 100_000 * E8S)
        assert accepted["icp_accepted_participation_e8s"] == 100_000 * E8S
    life.rounds(40)  # the cap is reached: the heartbeat commits and finalizes
    assert swap.core.lifecycle == Lifecycle.COMMITTED
    assert swap.finalization.is_done(swap.core), swap.finalization.error_message
    for buyer in BUYERS[:3]:
        assert life.icp_balance(buyer) == before[buyer] - 100_000 * E8S - ICP_FEE

    # the Neurons' Fund matched: f(300k ICP) on the t2-t3 segment, shared by maturity
    derived = life.query(ALICE, sns["swap"], "get_derived_state", {})
    fund = derived["neurons_fund_participation_icp_e8s"]
    assert fund == 156_250 * E8S
    portions = sorted(swap.core.neurons_fund_portions, key=lambda p: p.nns_neuron_id)
    assert [p.amount_icp_e8s for p in portions] == [fund * 12 // 20, fund * 8 // 20]
    audit = life.query(
        ALICE,
        GOVERNANCE_CANISTER_ID,
        "get_neurons_fund_audit_info",
        {"nns_proposal_id": {"id": proposal_id}},
    )["result"]["Ok"]["neurons_fund_audit_info"]
    refunds = audit["neurons_fund_refunds"]["neurons_fund_neuron_portions"]
    assert sum(r["amount_icp_e8s"] for r in refunds) == 200_000 * E8S - fund
    nns = life.instance(GOVERNANCE_CANISTER_ID)
    assert (
        nns.state.neurons[10].maturity_e8s_equivalent
        == 1_200_000 * E8S - portions[0].amount_icp_e8s
    )
    treasury_icp = life.icp_balance(sns["governance"])
    assert treasury_icp == 3 * (100_000 * E8S - ICP_FEE) + fund

    # the swap's reads after finalization (swap.did)
    total = life.call(ALICE, sns["swap"], "get_buyers_total", {})
    assert total == {"buyers_total": 300_000 * E8S + fund}
    auto = life.query(ALICE, sns["swap"], "get_auto_finalization_status", {})
    assert auto["is_auto_finalize_enabled"] and auto["has_auto_finalize_been_attempted"]
    assert auto["auto_finalize_swap_response"]["sweep_icp_result"]["success"] == 3
    assert auto["auto_finalize_swap_response"]["error_message"] is None
    recipes = life.query(
        ALICE, sns["swap"], "list_sns_neuron_recipes", {"offset": None, "limit": None}
    )["sns_neuron_recipes"]
    assert len(recipes) == 15 and {r["claimed_status"] for r in recipes} == {2}  # Success
    direct = [r for r in recipes if "Direct" in r["investor"]]
    assert {r["investor"]["Direct"]["buyer_principal"] for r in direct} == {
        b.to_text() for b in BUYERS[:3]
    }
    assert [r["neuron_attributes"]["dissolve_delay_seconds"] for r in direct[:3]] == [
        0,
        90 * 86_400,
        180 * 86_400,
    ]
    assert all(
        r["sns"]["amount_transferred_e8s"] == r["sns"]["amount_e8s"] - 10_000 for r in recipes
    )
    assert {
        r["investor"]["CommunityFund"]["nns_neuron_id"] for r in recipes if r not in direct
    } == {p.nns_neuron_id for p in portions}
    page = life.query(ALICE, sns["swap"], "list_sns_neuron_recipes", {"offset": 3, "limit": 2})
    assert page["sns_neuron_recipes"] == recipes[3:5]
    init = life.query(ALICE, sns["swap"], "get_init", {})["init"]
    assert init["sns_root_canister_id"] == sns["root"].to_text()
    assert init["neuron_basket_construction_parameters"]["count"] == 3
    state = life.query(ALICE, sns["swap"], "get_state", {})
    assert state["swap"]["lifecycle"] == Lifecycle.COMMITTED
    buyers = {entry["0"]: entry["1"] for entry in state["swap"]["buyers"]}
    assert set(buyers) == {b.to_text() for b in BUYERS[:3]}
    assert all(b["icp"]["amount_e8s"] == 100_000 * E8S for b in buyers.values())
    assert state["swap"]["neuron_recipes"] == recipes and state["swap"]["init"] == init
    assert state["derived"]["buyer_total_icp_e8s"] == 300_000 * E8S + fund
    assert life.query(
        ALICE, sns["swap"], "list_community_fund_participants", {"offset": None, "limit": None}
    ) == {"cf_participants": []}

    # neurons in baskets: 3 direct buyers and 2 fund neurons, 3 neurons each, plus the developer
    assert governance.core.mode == Mode.NORMAL
    neurons = governance.core.neurons
    assert len(neurons) == 5 * 3 + 1
    total_icp = 300_000 * E8S + fund
    per_buyer = 10_000 * E8S * 100_000 * E8S // total_icp
    mine = sorted(
        (n for n in neurons.values() if BUYERS[0] in n.permissions),
        key=lambda n: n.dissolve_delay_seconds or 0,
    )
    assert [n.dissolve_delay_seconds for n in mine] == [0, 90 * 86_400, 180 * 86_400]
    assert sum(n.cached_neuron_stake_e8s for n in mine) == per_buyer - 3 * 10_000
    fund_neurons = [n for n in neurons.values() if n.source_nns_neuron_id is not None]
    assert len(fund_neurons) == 6
    assert all(GOVERNANCE_CANISTER_ID in n.permissions for n in fund_neurons)
    assert {c for n in fund_neurons for c in n.permissions} == {
        GOVERNANCE_CANISTER_ID,
        *FUND_CONTROLLERS,
    }
    assert life.controllers(life.dapp) == {sns["root"]}

    # the maturity modulation is fetched from the CMC (0 basis points on icbox's CMC)
    modulation = life.call(ALICE, sns["governance"], "get_maturity_modulation", {})
    assert modulation["maturity_modulation"]["current_basis_points"] == 0

    # a basket neuron is split (governance.rs `split_neuron`): the ledger moves amount - fee
    parent = mine[1]
    stake_before = parent.cached_neuron_stake_e8s
    sns_ledger = life.instance(sns["ledger"])

    def split(amount: int, memo: int) -> Any:
        return life.call(
            BUYERS[0],
            sns["governance"],
            "manage_neuron",
            {
                "subaccount": parent.id,
                "command": {"Split": {"memo": memo, "amount_e8s": amount}},
            },
        )["command"]

    too_little = split(10_000, 7)
    assert too_little["Error"]["error_type"] == 11  # InsufficientFunds: nothing changed
    assert parent.cached_neuron_stake_e8s == stake_before and len(neurons) == 16
    child_id = split(100 * E8S, 7)["Split"]["created_neuron_id"]["id"]
    child = governance.core.neurons[child_id]
    assert parent.cached_neuron_stake_e8s == stake_before - 100 * E8S
    assert child.cached_neuron_stake_e8s == 100 * E8S - 10_000
    assert child.dissolve_delay_seconds == parent.dissolve_delay_seconds
    assert child.permissions == parent.permissions
    assert sns_ledger.balance_of_account(sns["governance"], child_id) == 100 * E8S - 10_000
    assert sns_ledger.balance_of_account(sns["governance"], parent.id) == (
        parent.cached_neuron_stake_e8s
    )
    assert split(100 * E8S, 7)["Error"]["error_type"] == 12  # PreconditionFailed: id taken

    # an SNS proposal upgrades the dapp through SNS root
    proposer = mine[2]
    made = life.call(
        BUYERS[0],
        sns["governance"],
        "manage_neuron",
        {
            "subaccount": proposer.id,
            "command": {
                "MakeProposal": {
                    "url": "",
                    "title": "Upgrade the game",
                    "summary": "",
                    "action": {
                        "UpgradeSnsControlledCanister": {
                            "new_canister_wasm": fixture(UPGRADE_MODULE),
                            "mode": 3,
                            "canister_id": life.dapp,
                            "canister_upgrade_arg": None,
                        }
                    },
                }
            },
        },
    )
    sns_proposal = made["command"]["MakeProposal"]["proposal_id"]["id"]
    old_hash = life.module_hash(life.dapp)
    life.harness.advance(5 * 86_400)  # past the voting period: yes >= 3 % of total and a majority
    life.rounds(6)
    proposal = life.query(
        ALICE, sns["governance"], "get_proposal", {"proposal_id": {"id": sns_proposal}}
    )
    data = proposal["result"]["Proposal"]
    assert data["executed_timestamp_seconds"] > 0, data["failure_reason"]
    assert (
        life.module_hash(life.dapp) == hashlib.sha256(fixture(UPGRADE_MODULE)).digest() != old_hash
    )
    summary = life.call(
        ALICE, sns["root"], "get_sns_canisters_summary", {"update_canister_list": None}
    )
    assert summary["dapps"][0]["status"]["module_hash"] == life.module_hash(life.dapp)
    assert summary["governance"]["status"]["settings"]["controllers"] == [sns["root"]]
    root_status = life.call(ALICE, sns["governance"], "get_root_canister_status", None)
    assert root_status["settings"]["controllers"] == [sns["governance"]]
    assert root_status["module_hash"] == life.module_hash(sns["root"])
    dapp_status = life.call(ALICE, sns["root"], "canister_status", {"canister_id": life.dapp})
    assert dapp_status["settings"]["controllers"] == [sns["root"]]
    assert dapp_status["module_hash"] == life.module_hash(life.dapp)


def test_an_aborted_swap_refunds_everyone_exactly(tmp_path: Path) -> None:
    life = make_life(tmp_path)
    nns = life.instance(GOVERNANCE_CANISTER_ID)
    maturity = {i: nns.state.neurons[i].maturity_e8s_equivalent for i in (10, 11)}
    proposal_id = life.propose_sns(**BIG)
    sns = life.deployed(proposal_id)
    assert nns.state.neurons[10].maturity_e8s_equivalent < maturity[10]  # reserved
    life.open_swap(sns["swap"])
    before = {b: life.icp_balance(b) for b in BUYERS[:2]}
    for buyer in BUYERS[:2]:
        life.participate(sns["swap"], buyer, 50_000 * E8S)
    swap = life.instance(sns["swap"])
    life.harness.advance(
        swap.core.params.swap_due_timestamp_seconds - life.harness.time_ns // 10**9
    )
    life.rounds(20)
    assert swap.core.lifecycle == Lifecycle.ABORTED  # two participants of three
    assert swap.finalization.is_done(swap.core)
    for buyer in BUYERS[:2]:  # one fee to send, one to be refunded
        assert life.icp_balance(buyer) == before[buyer] - 2 * ICP_FEE
    assert {i: nns.state.neurons[i].maturity_e8s_equivalent for i in (10, 11)} == maturity
    assert life.controllers(life.dapp) == {FALLBACK}
    assert life.instance(sns["governance"]).core.mode == Mode.PRE_INITIALIZATION_SWAP
    assert len(life.instance(sns["governance"]).core.neurons) == 1  # the developer's only


def test_finalization_resumed_after_a_failure_completes_exactly_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    life = make_life(tmp_path)
    sns = life.deployed(life.propose_sns(**BIG))
    life.open_swap(sns["swap"])
    swap = life.instance(sns["swap"])
    swap.should_auto_finalize = False
    for buyer in BUYERS[:3]:
        life.participate(sns["swap"], buyer, 100_000 * E8S)
    # the SNS ledger stops: the SNS sweep fails midway
    ledger = life.harness.engine.canisters[sns["ledger"]]
    original = Finalization.record

    def record_then_stop(journal: Finalization, action: Action, ok: bool) -> None:
        original(journal, action, ok)
        if len(journal.sns_swept) == 4:
            ledger.status = CanisterStatus.STOPPED

    monkeypatch.setattr(Finalization, "record", record_then_stop)
    life.rounds(2)  # the heartbeat commits (the cap is reached); no auto-finalization
    assert swap.core.lifecycle == Lifecycle.COMMITTED
    first = life.call(ALICE, sns["swap"], "finalize_swap", {})
    assert first["error_message"] is not None and "sweep_sns" in first["error_message"]
    assert len(swap.finalization.sns_swept) == 4
    monkeypatch.setattr(Finalization, "record", original)
    ledger.status = CanisterStatus.RUNNING
    second = life.call(ALICE, sns["swap"], "finalize_swap", {})
    assert second["error_message"] is None
    assert (
        second["sweep_sns_result"]["success"] == 15 and second["sweep_sns_result"]["failure"] == 1
    )
    assert swap.finalization.is_done(swap.core)
    third = life.call(ALICE, sns["swap"], "finalize_swap", {})  # nothing left: nothing happens
    assert third["sweep_sns_result"]["success"] == 15
    sns_ledger = life.instance(sns["ledger"])
    for recipe in swap.finalization.recipes:
        staked = sns_ledger.balance_of_account(sns["governance"], recipe.neuron_id)
        assert staked == recipe.sns_e8s - 10_000  # transferred exactly once
    governance = life.instance(sns["governance"]).core
    assert governance.mode == Mode.NORMAL and len(governance.neurons) == 16
    assert life.controllers(life.dapp) == {sns["root"]}
    assert DEVELOPER not in life.controllers(life.dapp)
