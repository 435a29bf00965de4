"""The NNS installed on an execution engine, driven only by Candid-encoded messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from nns.genesis import NnsConfig, install_nns, nns_engine_options, nns_factories
from nns.governance.canister import Governance
from nns.governance.enums import ErrorType, ProposalStatus, Topic
from nns.governance.neuron import compute_neuron_staking_subaccount
from nns.ledger.accounts import AccountIdentifier
from nns.ledger.canister import Ledger
from registry.canister import Registry
from registry.interface import payload_candid_type
from replica.candid import encode
from replica.canister.errors import CallRejected
from replica.canister.nns_ids import (
    GOVERNANCE_CANISTER_ID,
    LEDGER_CANISTER_ID,
    REGISTRY_CANISTER_ID,
    ROOT_CANISTER_ID,
)
from replica.environment import RejectCode
from replica.execution.harness import SubnetHarness
from replica.types import Principal

E8S = 100_000_000
ALICE = Principal.self_authenticating(b"alice")
BOB = Principal.self_authenticating(b"bob")


def make_nns(tmp_path: Path) -> SubnetHarness:
    config = NnsConfig(
        ledger_balances={
            AccountIdentifier.of(ALICE): 1_000 * E8S,
            AccountIdentifier.of(BOB): 500 * E8S,
        }
    )
    harness = SubnetHarness(tmp_path / "nns", nns_factories(config), **nns_engine_options())
    install_nns(harness.engine, config)
    return harness


def stake(harness: SubnetHarness, who: Principal, icp: int, nonce: int) -> int:
    subaccount = compute_neuron_staking_subaccount(who, nonce)
    reply = harness.call(
        who,
        LEDGER_CANISTER_ID,
        "transfer",
        {
            "memo": nonce,
            "amount": {"e8s": icp * E8S},
            "fee": {"e8s": 10_000},
            "from_subaccount": None,
            "to": AccountIdentifier.of(GOVERNANCE_CANISTER_ID, subaccount).raw,
            "created_at_time": None,
        },
    )
    assert "Ok" in reply[0], reply
    response = manage(harness, who, None, {"ClaimOrRefresh": {"by": {"Memo": nonce}}})
    neuron_id: int = response["ClaimOrRefresh"]["refreshed_neuron_id"]["id"]
    return neuron_id


def manage(
    harness: SubnetHarness, who: Principal, neuron_id: int | None, command: dict[str, Any]
) -> dict[str, Any]:
    request = {
        "id": None if neuron_id is None else {"id": neuron_id},
        "command": command,
        "neuron_id_or_subaccount": None,
    }
    (reply,) = harness.call(who, GOVERNANCE_CANISTER_ID, "manage_neuron", request)
    result: dict[str, Any] = reply["command"]
    return result


def configure(operation: dict[str, Any]) -> dict[str, Any]:
    return {"Configure": {"operation": operation}}


def test_stake_follow_propose_vote_and_change_the_topology(tmp_path: Path) -> None:
    harness = make_nns(tmp_path)
    alice, bob = stake(harness, ALICE, 100, 1), stake(harness, BOB, 300, 1)
    for who, neuron in ((ALICE, alice), (BOB, bob)):
        manage(
            harness,
            who,
            neuron,
            configure({"IncreaseDissolveDelay": {"additional_dissolve_delay_seconds": 20_000}}),
        )
    manage(harness, ALICE, alice, configure({"SetVisibility": {"visibility": 2}}))
    assert manage(
        harness,
        BOB,
        bob,
        {"Follow": {"topic": Topic.SUBNET_MANAGEMENT, "followees": [{"id": alice}]}},
    ) == {"Follow": {}}
    (info,) = harness.query(BOB, GOVERNANCE_CANISTER_ID, "get_neuron_info", bob)
    assert info["Ok"]["stake_e8s"] == 300 * E8S

    registry = cast(Registry, harness.engine.canisters[REGISTRY_CANISTER_ID].instance)
    (version,) = harness.query(ALICE, REGISTRY_CANISTER_ID, "get_latest_version")
    app_subnet = registry.registry.get("subnet_list").subnets[1]
    old = registry._subnet(app_subnet).membership[0]
    new = sorted(
        set(registry.node_ids())
        - {
            n
            for s in registry.registry.get("subnet_list").subnets
            for n in registry._subnet(s).membership
        }
    )[0]
    payload = encode(
        [payload_candid_type(31)],
        [{"subnet_id": app_subnet, "node_ids_add": [new], "node_ids_remove": [old]}],
    )
    made = manage(
        harness,
        ALICE,
        alice,
        {
            "MakeProposal": {
                "url": "",
                "title": "Replace a node",
                "summary": "",
                "action": {"ExecuteNnsFunction": {"nns_function": 31, "payload": payload}},
            }
        },
    )
    proposal_id = made["MakeProposal"]["proposal_id"]["id"]
    for _ in range(3):
        harness.run_round()
    (proposal,) = harness.query(ALICE, GOVERNANCE_CANISTER_ID, "get_proposal_info", proposal_id)
    assert proposal["status"] == ProposalStatus.EXECUTED, proposal
    assert proposal["latest_tally"]["yes"] == proposal["latest_tally"]["total"]
    assert harness.query(ALICE, REGISTRY_CANISTER_ID, "get_latest_version") == [version + 1]
    assert new in registry._subnet(app_subnet).membership
    assert old not in registry._subnet(app_subnet).membership


def test_refusals_come_back_as_the_official_error_shapes(tmp_path: Path) -> None:
    harness = make_nns(tmp_path)
    error = manage(harness, ALICE, 42, configure({"StartDissolving": {}}))
    assert error["Error"]["error_type"] == 4  # NotFound
    reply = harness.call(
        ALICE,
        LEDGER_CANISTER_ID,
        "transfer",
        {
            "memo": 0,
            "amount": {"e8s": 1},
            "fee": {"e8s": 1},
            "from_subaccount": None,
            "to": AccountIdentifier.of(BOB).raw,
            "created_at_time": None,
        },
    )
    assert reply == [{"Err": {"BadFee": {"expected_fee": {"e8s": 10_000}}}}]
    assert harness.query(
        ALICE, LEDGER_CANISTER_ID, "account_balance", {"account": AccountIdentifier.of(ALICE).raw}
    ) == [{"e8s": 1_000 * E8S}]


def test_unknown_methods_malformed_arguments_and_wrong_callers_are_rejected(tmp_path: Path) -> None:
    harness = make_nns(tmp_path)
    with pytest.raises(CallRejected) as unknown:
        harness.update(ALICE, GOVERNANCE_CANISTER_ID, "no_such_method", encode([], []))
    assert unknown.value.reject.code == RejectCode.CANISTER_ERROR  # IC0536, as on the IC
    with pytest.raises(CallRejected) as malformed:
        harness.update(ALICE, LEDGER_CANISTER_ID, "transfer", b"DIDL\x00\x01\x7d\x01")
    assert malformed.value.reject.code == RejectCode.CANISTER_ERROR
    # a refusal raised while reading the argument is answered in the interface's own terms
    assert (
        manage(harness, ALICE, 1, configure({"AddHotKey": {"new_hot_key": None}}))["Error"][
            "error_type"
        ]
        == 5
    )
    assert harness.engine.call_contexts == {}
    registry = cast(Registry, harness.engine.canisters[REGISTRY_CANISTER_ID].instance)
    app_subnet = registry.registry.get("subnet_list").subnets[1]
    with pytest.raises(CallRejected, match="governance") as wrong:
        harness.call(
            ALICE,
            REGISTRY_CANISTER_ID,
            "update_subnet",
            {"subnet_id": app_subnet, "is_halted": True},
        )
    assert wrong.value.reject.code == RejectCode.CANISTER_REJECT


def test_genesis_happens_at_the_subnets_start_time(tmp_path: Path) -> None:
    """Canisters installed before the first batch see the subnet's start time, not zero."""
    harness = make_nns(tmp_path)
    governance = cast(Governance, harness.engine.canisters[GOVERNANCE_CANISTER_ID].instance)
    assert governance.genesis_timestamp_seconds == harness.time_ns // 1_000_000_000
    harness.run_round()
    (event,) = harness.query(ALICE, GOVERNANCE_CANISTER_ID, "get_latest_reward_event")
    assert event["day_after_genesis"] == 0


def test_a_trap_in_the_middle_of_a_transfer_leaves_no_trace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ledger fails after it has debited the sender: the whole message is rolled back."""
    import nns.ledger.canister as ledger_module

    harness = make_nns(tmp_path)
    ledger = cast(Ledger, harness.engine.canisters[LEDGER_CANISTER_ID].instance)
    before = ledger.state_hash()

    def trap(*_: object) -> None:
        raise RuntimeError("trap after the debit")

    monkeypatch.setattr(ledger_module, "_credit", trap)
    transfer = {
        "memo": 1,
        "amount": {"e8s": 5 * E8S},
        "fee": {"e8s": 10_000},
        "from_subaccount": None,
        "to": AccountIdentifier.of(BOB).raw,
        "created_at_time": None,
    }
    with pytest.raises(CallRejected, match="trap after the debit") as rejected:
        harness.call(ALICE, LEDGER_CANISTER_ID, "transfer", transfer)
    assert rejected.value.reject.code == RejectCode.CANISTER_ERROR
    assert ledger.state_hash() == before
    monkeypatch.undo()
    # blocks 0 and 1 are the genesis mints: the trapped transfer left no block behind
    assert harness.call(ALICE, LEDGER_CANISTER_ID, "transfer", transfer) == [{"Ok": 2}]
    assert harness.query(
        ALICE, LEDGER_CANISTER_ID, "account_balance", {"account": AccountIdentifier.of(ALICE).raw}
    ) == [{"e8s": 995 * E8S - 10_000}]


def install_code(
    module: bytes, canister_id: Principal = LEDGER_CANISTER_ID, mode: int = 3
) -> dict[str, Any]:
    return {
        "MakeProposal": {
            "url": "",
            "title": "Change an NNS canister",
            "summary": "",
            "action": {
                "InstallCode": {
                    "canister_id": canister_id,
                    "wasm_module": module,
                    "arg": None,
                    "install_mode": mode,
                    "skip_stopping_before_installing": None,
                }
            },
        }
    }


def test_an_adopted_install_code_proposal_upgrades_an_nns_canister_through_root(
    tmp_path: Path,
) -> None:
    import hashlib

    harness = make_nns(tmp_path)
    alice = stake(harness, ALICE, 100, 1)
    manage(
        harness,
        ALICE,
        alice,
        configure({"IncreaseDissolveDelay": {"additional_dissolve_delay_seconds": 20_000}}),
    )
    old_ledger = harness.engine.canisters[LEDGER_CANISTER_ID].instance
    balance = harness.query(
        BOB, LEDGER_CANISTER_ID, "account_balance", {"account": AccountIdentifier.of(BOB).raw}
    )
    made = manage(harness, ALICE, alice, install_code(b"icbox:ledger"))
    proposal_id = made["MakeProposal"]["proposal_id"]["id"]
    for _ in range(3):
        harness.run_round()
    (proposal,) = harness.query(ALICE, GOVERNANCE_CANISTER_ID, "get_proposal_info", proposal_id)
    assert proposal["status"] == ProposalStatus.EXECUTED, proposal
    assert proposal["topic"] == Topic.PROTOCOL_CANISTER_MANAGEMENT
    shown = proposal["proposal"]["action"]["InstallCode"]
    assert (
        shown["wasm_module_hash"] == hashlib.sha256(b"icbox:ledger").digest()
        and shown["install_mode"] == 3
    )
    assert (
        harness.engine.canisters[LEDGER_CANISTER_ID].instance is not old_ledger
    )  # a new instance ...
    assert (
        harness.query(
            BOB, LEDGER_CANISTER_ID, "account_balance", {"account": AccountIdentifier.of(BOB).raw}
        )
        == balance
    )

    made = manage(harness, ALICE, alice, install_code(b"icbox:governance", GOVERNANCE_CANISTER_ID))
    upgraded = made["MakeProposal"]["proposal_id"]["id"]
    failing = manage(harness, ALICE, alice, install_code(b"icbox:no-such-canister"))[
        "MakeProposal"
    ]["proposal_id"]["id"]
    for _ in range(4):
        harness.run_round()
    (proposal,) = harness.query(ALICE, GOVERNANCE_CANISTER_ID, "get_proposal_info", upgraded)
    assert proposal["status"] == ProposalStatus.EXECUTED, (
        proposal
    )  # governance upgraded itself through root
    (proposal,) = harness.query(ALICE, GOVERNANCE_CANISTER_ID, "get_proposal_info", failing)
    assert proposal["status"] == ProposalStatus.FAILED
    assert (
        "no system canister is called 'no-such-canister'"
        in proposal["failure_reason"]["error_message"]
    )


def test_install_code_proposals_are_checked_at_submission(tmp_path: Path) -> None:
    harness = make_nns(tmp_path)
    alice = stake(harness, ALICE, 100, 1)
    manage(
        harness,
        ALICE,
        alice,
        configure({"IncreaseDissolveDelay": {"additional_dissolve_delay_seconds": 20_000}}),
    )
    governance = cast(Governance, harness.engine.canisters[GOVERNANCE_CANISTER_ID].instance)
    before = governance.state_hash()
    for command in (
        install_code(
            b"icbox:ledger", canister_id=ROOT_CANISTER_ID
        ),  # root is changed through the lifeline
        install_code(b"icbox:ledger", mode=7),
        install_code(b""),
    ):
        error = manage(harness, ALICE, alice, command)["Error"]
        assert error["error_type"] == ErrorType.INVALID_PROPOSAL, error
    assert governance.state_hash() == before


def test_governance_moves_icp_through_the_ledger_and_pays_rewards_on_the_subnet(
    tmp_path: Path,
) -> None:
    """Split, disburse, disburse-to-neuron and a reward event: asynchronous calls to the ledger
    canister."""
    harness = make_nns(tmp_path)

    def balance(account: AccountIdentifier) -> int:
        (tokens,) = harness.query(
            ALICE, LEDGER_CANISTER_ID, "account_balance", {"account": account.raw}
        )
        amount: int = tokens["e8s"]
        return amount

    alice, bob = stake(harness, ALICE, 100, 1), stake(harness, BOB, 300, 1)
    alice_account = AccountIdentifier.of(
        GOVERNANCE_CANISTER_ID, compute_neuron_staking_subaccount(ALICE, 1)
    )
    child = manage(harness, ALICE, alice, {"Split": {"amount_e8s": 10 * E8S, "memo": None}})[
        "Split"
    ]["created_neuron_id"]["id"]
    (full,) = harness.query(ALICE, GOVERNANCE_CANISTER_ID, "get_full_neuron", child)
    child_account = AccountIdentifier.of(GOVERNANCE_CANISTER_ID, full["Ok"]["account"])
    assert balance(child_account) == 10 * E8S - 10_000 and balance(alice_account) == 90 * E8S
    for who, neuron in ((ALICE, alice), (BOB, bob)):
        manage(
            harness,
            who,
            neuron,
            configure({"IncreaseDissolveDelay": {"additional_dissolve_delay_seconds": 20_000}}),
        )
    manage(harness, ALICE, child, configure({"StartDissolving": {}}))
    manage(harness, ALICE, alice, configure({"SetVisibility": {"visibility": 2}}))
    following = {
        "topic_following": [{"topic": Topic.SUBNET_MANAGEMENT, "followees": [{"id": alice}]}]
    }
    assert manage(harness, BOB, bob, {"SetFollowing": following}) == {"SetFollowing": {}}

    made = manage(
        harness,
        ALICE,
        alice,
        {
            "MakeProposal": {
                "url": "",
                "title": "A motion to vote on",
                "summary": "",
                "action": {"Motion": {"motion_text": "Vote on me."}},
            }
        },
    )
    proposal_id = made["MakeProposal"]["proposal_id"]["id"]
    assert manage(
        harness, BOB, bob, {"RegisterVote": {"proposal": {"id": proposal_id}, "vote": 1}}
    ) == {"RegisterVote": {}}
    (proposal,) = harness.query(ALICE, GOVERNANCE_CANISTER_ID, "get_proposal_info", proposal_id)
    assert (
        proposal["status"] == ProposalStatus.EXECUTED
        and proposal["latest_tally"]["yes"] == proposal["latest_tally"]["total"]
    )

    harness.advance(
        600
    )  # ten governance days on the local preset: the child dissolves, the motion settles
    for _ in range(3):
        harness.run_round()
    given = manage(
        harness,
        ALICE,
        child,
        {
            "DisburseToNeuron": {
                "dissolve_delay_seconds": 20_000,
                "kyc_verified": True,
                "amount_e8s": 3 * E8S,
                "new_controller": BOB,
                "nonce": 9,
            }
        },
    )
    grandchild = given["DisburseToNeuron"]["created_neuron_id"]["id"]
    (info,) = harness.query(BOB, GOVERNANCE_CANISTER_ID, "get_neuron_info", grandchild)
    assert info["Ok"]["stake_e8s"] == 3 * E8S - 10_000
    wallet = balance(AccountIdentifier.of(ALICE))
    disbursed = manage(harness, ALICE, child, {"Disburse": {"to_account": None, "amount": None}})
    assert disbursed["Disburse"]["transfer_block_height"] > 0
    # the child held 10 ICP less the split fee; 3 ICP (fee included) went to the new neuron
    assert (
        balance(AccountIdentifier.of(ALICE)) == wallet + 7 * E8S - 2 * 10_000
        and balance(child_account) == 0
    )

    (event,) = harness.query(ALICE, GOVERNANCE_CANISTER_ID, "get_latest_reward_event")
    assert {"id": proposal_id} in event["settled_proposals"] and event[
        "distributed_e8s_equivalent"
    ] > 0
    (full,) = harness.query(ALICE, GOVERNANCE_CANISTER_ID, "get_full_neuron", alice)
    assert full["Ok"]["maturity_e8s_equivalent"] > 0


def test_spawned_maturity_is_minted_by_the_ledger_on_the_subnet(tmp_path: Path) -> None:
    from nns.governance.neuron import Neuron

    start = 1_700_000_000
    parent = Neuron(
        id=77,
        subaccount=compute_neuron_staking_subaccount(ALICE, 5),
        controller=ALICE,
        created_timestamp_seconds=start - 86_400,
        voting_power_refreshed_timestamp_seconds=start,
        dissolve_delay_seconds=20_000,
        aging_since_timestamp_seconds=start - 86_400,
        maturity_e8s_equivalent=50 * E8S,
    )
    config = NnsConfig(neurons=[parent])
    harness = SubnetHarness(
        tmp_path / "nns", nns_factories(config), system_installers=[ROOT_CANISTER_ID]
    )
    install_nns(harness.engine, config)
    spawned = manage(
        harness,
        ALICE,
        77,
        {"Spawn": {"percentage_to_spawn": None, "new_controller": None, "nonce": 3}},
    )
    child = spawned["Spawn"]["created_neuron_id"]["id"]
    child_account = AccountIdentifier.of(
        GOVERNANCE_CANISTER_ID, compute_neuron_staking_subaccount(ALICE, 3)
    )
    assert harness.query(
        ALICE, LEDGER_CANISTER_ID, "account_balance", {"account": child_account.raw}
    ) == [{"e8s": 0}]
    harness.advance(
        8 * 60
    )  # the spawn delay is seven governance days: seven minutes on the local preset
    for _ in range(3):
        harness.run_round()
    assert harness.query(
        ALICE, LEDGER_CANISTER_ID, "account_balance", {"account": child_account.raw}
    ) == [{"e8s": 50 * E8S}]
    (full,) = harness.query(ALICE, GOVERNANCE_CANISTER_ID, "get_full_neuron", child)
    assert (
        full["Ok"]["cached_neuron_stake_e8s"] == 50 * E8S
        and full["Ok"]["maturity_e8s_equivalent"] == 0
    )
    assert full["Ok"]["spawn_at_timestamp_seconds"] is None
