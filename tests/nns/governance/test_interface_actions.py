"""Governance's Candid interface: every official proposal action decodes (issue 11 item 9),
committed topics and DisburseMaturity.to_account are honoured (item 8), and get_metrics answers
spawning_neurons_count (item 7). Values go through the Candid encoder and decoder at the
interface's own types, as a client's would."""

from __future__ import annotations

from typing import Any

import pytest

from nns.governance.actions import (
    AddOrRemoveNodeProvider,
    DeregisterKnownNeuron,
    RewardNodeProvider,
    RewardNodeProviders,
    StopOrStartCanister,
    UnsupportedAction,
    UpdateCanisterSettings,
)
from nns.governance.enums import ErrorType, Topic
from nns.governance.interface import governance_interface
from nns.governance.requests import (
    ManageNetworkEconomics,
    ManageNeuronProposal,
    RefreshVotingPower,
    RegisterKnownNeuron,
)
from nns.governance.settings import TOTAL_SUPPLY_E8S
from nns.governance.sns_launch import CreateServiceNervousSystem
from nns.ledger.accounts import Account
from replica.candid import decode, encode
from replica.canister.errors import CanisterError
from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID
from replica.types import Principal
from tests.nns.governance.test_neuron_commands import give_maturity
from tests.nns.governance.world import E8S, World, make_world, principal

ALICE = principal("alice")
PROVIDER = principal("node provider")
CMC = Principal.from_canister_id(4)


class Client:
    """Calls governance through its Candid interface."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.interface = governance_interface(world.governance)

    def call(self, method: str, caller: Principal, *arguments: Any) -> Any:
        spec = self.interface.methods[method]
        name = spec.python_name or method
        try:
            argument = (
                spec.decode_argument(encode(spec.arguments, list(arguments)))
                if spec.arguments
                else None
            )
            reply = self.world.router.call(GOVERNANCE_CANISTER_ID, name, caller, argument)
        except CanisterError as error:
            data = spec.encode_error(error)
            if data is None:
                raise
            return decode(data, spec.results)[0]
        return decode(spec.encode_reply(reply), spec.results)[0]

    def manage(self, caller: Principal, neuron_id: int, command: dict[str, Any]) -> Any:
        request = {"id": {"id": neuron_id}, "command": command, "neuron_id_or_subaccount": None}
        return self.call("manage_neuron", caller, request)["command"]

    def propose(self, neuron_id: int, action: dict[str, Any]) -> Any:
        return self.manage(
            ALICE,
            neuron_id,
            {
                "MakeProposal": {
                    "url": "",
                    "title": "A proposal title",
                    "summary": "",
                    "action": action,
                }
            },
        )


def economics_value() -> dict[str, Any]:
    return {
        "neuron_minimum_stake_e8s": 0,
        "max_proposals_to_keep_per_topic": 0,
        "neuron_management_fee_per_proposal_e8s": 0,
        "reject_cost_e8s": 2 * E8S,
        "transaction_fee_e8s": 0,
        "neuron_spawn_dissolve_delay_seconds": 0,
        "minimum_icp_xdr_rate": 0,
        "maximum_node_provider_rewards_e8s": 0,
        "neurons_fund_economics": None,
        "voting_power_economics": {
            "start_reducing_voting_power_after_seconds": None,
            "clear_following_after_seconds": None,
            "neuron_minimum_dissolve_delay_to_vote_seconds": None,
        },
    }


def node_provider(principal_id: Principal = PROVIDER) -> dict[str, Any]:
    return {"id": principal_id, "reward_account": None}


def reward(amount: int) -> dict[str, Any]:
    return {
        "node_provider": node_provider(),
        "amount_e8s": amount,
        "reward_mode": {"RewardToAccount": {"to_account": None}},
    }


OFFICIAL_ACTIONS: list[tuple[str, Any, type]] = [
    (
        "RegisterKnownNeuron",
        {
            "id": {"id": 1},
            "known_neuron_data": {
                "name": "n",
                "description": None,
                "links": None,
                "committed_topics": [{"Governance": None}, None],
            },
        },
        RegisterKnownNeuron,
    ),
    ("DeregisterKnownNeuron", {"id": {"id": 1}}, DeregisterKnownNeuron),
    (
        "ManageNeuron",
        {"id": {"id": 1}, "command": {"RefreshVotingPower": {}}, "neuron_id_or_subaccount": None},
        ManageNeuronProposal,
    ),
    (
        "UpdateCanisterSettings",
        {
            "canister_id": CMC,
            "settings": {
                "freezing_threshold": 5,
                "controllers": {"controllers": [ALICE]},
                "log_visibility": 2,
                "wasm_memory_limit": None,
                "memory_allocation": None,
                "compute_allocation": None,
                "wasm_memory_threshold": None,
            },
        },
        UpdateCanisterSettings,
    ),
    ("StopOrStartCanister", {"action": 1, "canister_id": CMC}, StopOrStartCanister),
    (
        "CreateServiceNervousSystem",
        {
            "url": None,
            "governance_parameters": None,
            "fallback_controller_principal_ids": [],
            "logo": None,
            "name": "sns",
            "ledger_parameters": None,
            "description": None,
            "dapp_canisters": [],
            "swap_parameters": None,
            "initial_token_distribution": None,
        },
        CreateServiceNervousSystem,
    ),
    ("RewardNodeProvider", reward(E8S), RewardNodeProvider),
    (
        "RewardNodeProviders",
        {"use_registry_derived_rewards": None, "rewards": [reward(E8S)]},
        RewardNodeProviders,
    ),
    ("ManageNetworkEconomics", economics_value(), ManageNetworkEconomics),
    ("ApproveGenesisKyc", {"principals": [ALICE]}, UnsupportedAction),
    ("AddOrRemoveNodeProvider", {"change": {"ToAdd": node_provider()}}, AddOrRemoveNodeProvider),
    (
        "FulfillSubnetRentalRequest",
        {"user": ALICE, "node_ids": None, "replica_version_id": None},
        UnsupportedAction,
    ),
]


@pytest.mark.parametrize(
    ("tag", "value", "kind"), OFFICIAL_ACTIONS, ids=[tag for tag, _, _ in OFFICIAL_ACTIONS]
)
def test_every_official_action_decodes_into_a_typed_action(
    tag: str, value: Any, kind: type
) -> None:
    spec = governance_interface(make_world().governance).methods["manage_neuron"]
    request = {
        "id": {"id": 1},
        "neuron_id_or_subaccount": None,
        "command": {
            "MakeProposal": {"url": "", "title": "t", "summary": "", "action": {tag: value}}
        },
    }
    decoded = spec.decode_argument(encode(spec.arguments, [request]))
    action = decoded.command.proposal.action
    assert isinstance(action, kind)
    if isinstance(action, UnsupportedAction):
        assert action.name == tag


def test_decoded_actions_carry_their_fields() -> None:
    spec = governance_interface(make_world().governance).methods["manage_neuron"]

    def action_of(tag: str, value: Any) -> Any:
        request = {
            "id": {"id": 1},
            "neuron_id_or_subaccount": None,
            "command": {
                "MakeProposal": {"url": "", "title": "t", "summary": "", "action": {tag: value}}
            },
        }
        return spec.decode_argument(encode(spec.arguments, [request])).command.proposal.action

    known = action_of(*OFFICIAL_ACTIONS[0][:2])
    assert known.committed_topics == (Topic.GOVERNANCE,)  # the unknown (null) entry is skipped
    managed = action_of(*OFFICIAL_ACTIONS[2][:2])
    assert managed == ManageNeuronProposal(neuron_id=1, command=RefreshVotingPower())
    economics = action_of("ManageNetworkEconomics", economics_value()).economics
    assert economics.reject_cost_e8s == 2 * E8S and economics.transaction_fee_e8s == 0
    settings = action_of(*OFFICIAL_ACTIONS[3][:2]).settings
    assert (
        settings.controllers == (ALICE,)
        and settings.freezing_threshold == 5
        and settings.log_visibility == 2
    )


def test_actions_icbox_does_not_carry_out_are_refused_naming_the_action() -> None:
    world = make_world()
    client = Client(world)
    neuron_id = world.stake("alice", 100)
    reply = client.propose(neuron_id, {"ApproveGenesisKyc": {"principals": [ALICE]}})
    assert reply["Error"]["error_type"] == ErrorType.INVALID_PROPOSAL
    assert "ApproveGenesisKyc" in reply["Error"]["error_message"]


def test_economics_node_providers_and_known_neurons_through_the_interface() -> None:
    world = make_world()
    client = Client(world)
    neuron_id = world.stake("alice", 100)
    made = client.propose(neuron_id, {"ManageNetworkEconomics": economics_value()})
    proposal_id = made["MakeProposal"]["proposal_id"]["id"]
    assert world.governance.economics.reject_cost_e8s == 2 * E8S
    info = client.call("get_proposal_info", ALICE, proposal_id)
    assert info["proposal"]["action"]["ManageNetworkEconomics"]["reject_cost_e8s"] == 2 * E8S
    client.propose(neuron_id, {"AddOrRemoveNodeProvider": {"change": {"ToAdd": node_provider()}}})
    assert client.call("list_node_providers", ALICE) == {"node_providers": [node_provider()]}
    client.propose(
        neuron_id,
        {
            "RegisterKnownNeuron": {
                "id": {"id": neuron_id},
                "known_neuron_data": {
                    "name": "Alice",
                    "description": "d",
                    "links": None,
                    "committed_topics": [{"Governance": None}, {"NetworkEconomics": None}],
                },
            }
        },
    )
    (known,) = client.call("list_known_neurons", ALICE)["known_neurons"]
    assert known["known_neuron_data"]["committed_topics"] == [
        {"Governance": None},
        {"NetworkEconomics": None},
    ]
    full = client.call("get_full_neuron", ALICE, neuron_id)["Ok"]
    assert full["known_neuron_data"]["committed_topics"] == [
        {"Governance": None},
        {"NetworkEconomics": None},
    ]
    neuron_info = client.call("get_neuron_info", ALICE, neuron_id)["Ok"]
    assert neuron_info["known_neuron_data"]["description"] == "d"


def test_stop_or_start_and_manage_neuron_actions_are_shown_in_proposal_info() -> None:
    world = make_world()
    client = Client(world)
    neuron_id = world.stake("alice", 100)
    made = client.propose(neuron_id, {"StopOrStartCanister": {"action": 2, "canister_id": CMC}})
    info = client.call("get_proposal_info", ALICE, made["MakeProposal"]["proposal_id"]["id"])
    assert info["proposal"]["action"] == {"StopOrStartCanister": {"action": 2, "canister_id": CMC}}
    assert info["topic"] == Topic.PROTOCOL_CANISTER_MANAGEMENT


def test_a_create_subnet_proposal_is_shown_in_proposal_info() -> None:
    """Its payload's features (absent from the request) are a record again in the answer."""
    from registry.interface import decode_payload
    from tui.ops.actions import create_subnet

    world = make_world()
    client = Client(world)
    neuron_id = world.stake("alice", 100)
    action = create_subnet([str(ALICE)], replica_version="0.1.0").action
    made = client.propose(neuron_id, action)
    info = client.call("get_proposal_info", ALICE, made["MakeProposal"]["proposal_id"]["id"])
    shown = info["proposal"]["action"]["ExecuteNnsFunction"]
    payload = decode_payload(shown["nns_function"], shown["payload"])
    assert payload.replica_version_id == "0.1.0" and payload.features.http_requests is False


def test_disburse_maturity_goes_to_the_account_the_caller_names() -> None:
    world = make_world()
    client = Client(world)
    neuron_id = world.stake("alice", 100)
    give_maturity(world, neuron_id, 10 * E8S)
    destination = Account.of(principal("bob"), b"\x07" * 32)
    reply = client.manage(
        ALICE,
        neuron_id,
        {
            "DisburseMaturity": {
                "percentage_to_disburse": 50,
                "to_account": {"owner": destination.owner, "subaccount": destination.subaccount},
                "to_account_identifier": None,
            }
        },
    )
    assert reply["DisburseMaturity"]["amount_disbursed_e8s"] == 5 * E8S
    (disbursement,) = world.neuron(neuron_id).maturity_disbursements_in_progress
    assert disbursement.account_identifier == destination.identifier().raw
    refused = client.manage(
        ALICE,
        neuron_id,
        {
            "DisburseMaturity": {
                "percentage_to_disburse": 10,
                "to_account": {"owner": None, "subaccount": None},
                "to_account_identifier": None,
            }
        },
    )
    assert refused["Error"]["error_type"] == ErrorType.INVALID_COMMAND


def test_get_metrics_counts_spawning_neurons() -> None:
    world = make_world()
    client = Client(world)
    neuron_id = world.stake("alice", 100)
    give_maturity(world, neuron_id, 10 * E8S)
    with world.governance.transaction() as session:
        world.governance.state.put(session, TOTAL_SUPPLY_E8S, 1_000_000 * E8S)
    assert client.call("get_metrics", ALICE)["Ok"]["spawning_neurons_count"] == 0
    from nns.governance.requests import Spawn

    world.manage(ALICE, neuron_id, Spawn())
    metrics = client.call("get_metrics", ALICE)["Ok"]
    assert metrics["spawning_neurons_count"] == 1


def test_node_provider_by_caller_and_the_gtc_methods_answer_as_the_ic() -> None:
    """governance.rs get_node_provider ('Node Provider P is not known by the NNS', NotFound);
    claim_gtc_neurons and transfer_gtc_neuron: NotAuthorized (no text) for any caller but the
    Genesis Token Canister, which icbox does not run."""
    world = make_world()
    client = Client(world)
    neuron_id = world.stake("alice", 100)
    missing = client.call("get_node_provider_by_caller", PROVIDER, None)
    assert missing["Err"] == {
        "error_type": ErrorType.NOT_FOUND,
        "error_message": f"Node Provider {PROVIDER} is not known by the NNS",
    }
    client.propose(neuron_id, {"AddOrRemoveNodeProvider": {"change": {"ToAdd": node_provider()}}})
    assert client.call("get_node_provider_by_caller", PROVIDER, None) == {"Ok": node_provider()}
    refused = {"Err": {"error_type": ErrorType.NOT_AUTHORIZED, "error_message": ""}}
    assert client.call("claim_gtc_neurons", ALICE, ALICE, [{"id": neuron_id}]) == refused
    assert client.call("transfer_gtc_neuron", ALICE, {"id": neuron_id}, {"id": 1}) == refused
