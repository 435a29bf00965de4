"""Methods of the official Candid interfaces beyond the scenario tests: neuron reads, the network
economics, and the ledger's dfx, archive and readiness methods."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest

from nns.governance.enums import ErrorType
from nns.governance.neuron import compute_neuron_staking_subaccount
from nns.ledger.accounts import AccountIdentifier
from nns.ledger.types import Block
from replica.canister.errors import CallRejected
from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID, LEDGER_CANISTER_ID
from replica.types import Principal
from tests.nns.test_nns_on_a_subnet import ALICE, BOB, E8S, configure, make_nns, manage, stake


def test_full_neuron_by_id_and_by_subaccount_for_its_controller_only(tmp_path: Path) -> None:
    harness = make_nns(tmp_path)
    neuron_id = stake(harness, ALICE, 100, 7)
    manage(
        harness,
        ALICE,
        neuron_id,
        configure({"IncreaseDissolveDelay": {"additional_dissolve_delay_seconds": 20_000}}),
    )
    (reply,) = harness.query(ALICE, GOVERNANCE_CANISTER_ID, "get_full_neuron", neuron_id)
    neuron = reply["Ok"]
    assert neuron["id"] == {"id": neuron_id}
    assert neuron["controller"] == ALICE
    assert neuron["cached_neuron_stake_e8s"] == 100 * E8S
    assert neuron["account"] == compute_neuron_staking_subaccount(ALICE, 7)
    assert neuron["dissolve_state"]["DissolveDelaySeconds"] >= 20_000
    assert (
        neuron["potential_voting_power"] is not None and neuron["deciding_voting_power"] is not None
    )
    by_subaccount = {"Subaccount": compute_neuron_staking_subaccount(ALICE, 7)}
    assert harness.query(
        ALICE, GOVERNANCE_CANISTER_ID, "get_full_neuron_by_id_or_subaccount", by_subaccount
    ) == [reply]
    (info,) = harness.query(
        BOB,
        GOVERNANCE_CANISTER_ID,
        "get_neuron_info_by_id_or_subaccount",
        {"NeuronId": {"id": neuron_id}},
    )
    assert info["Ok"]["stake_e8s"] == 100 * E8S
    (refused,) = harness.query(BOB, GOVERNANCE_CANISTER_ID, "get_full_neuron", neuron_id)
    assert refused["Err"]["error_type"] == ErrorType.NOT_AUTHORIZED
    (missing,) = harness.query(
        ALICE,
        GOVERNANCE_CANISTER_ID,
        "get_full_neuron_by_id_or_subaccount",
        {"Subaccount": b"\x00" * 32},
    )
    assert missing["Err"]["error_type"] == ErrorType.NOT_FOUND


def test_list_neurons_gives_infos_and_the_full_neurons_the_caller_may_read(tmp_path: Path) -> None:
    harness = make_nns(tmp_path)
    alice, bob = stake(harness, ALICE, 10, 1), stake(harness, BOB, 20, 1)
    request = {
        "neuron_ids": [bob],
        "include_neurons_readable_by_caller": True,
        "include_empty_neurons_readable_by_caller": None,
        "include_public_neurons_in_full_neurons": None,
        "page_number": None,
        "page_size": None,
        "neuron_subaccounts": None,
    }
    (listed,) = harness.query(ALICE, GOVERNANCE_CANISTER_ID, "list_neurons", request)
    assert sorted(entry["0"] for entry in listed["neuron_infos"]) == sorted([alice, bob])
    assert [neuron["id"]["id"] for neuron in listed["full_neurons"]] == [alice]
    assert listed["total_pages_available"] == 1
    by_subaccount = dict(
        request,
        neuron_ids=[],
        include_neurons_readable_by_caller=False,
        neuron_subaccounts=[{"subaccount": compute_neuron_staking_subaccount(BOB, 1)}],
    )
    (listed,) = harness.query(BOB, GOVERNANCE_CANISTER_ID, "list_neurons", by_subaccount)
    assert [neuron["id"]["id"] for neuron in listed["full_neurons"]] == [bob]


def test_network_economics_parameters(tmp_path: Path) -> None:
    harness = make_nns(tmp_path)
    (economics,) = harness.query(ALICE, GOVERNANCE_CANISTER_ID, "get_network_economics_parameters")
    assert economics["reject_cost_e8s"] == E8S
    assert economics["transaction_fee_e8s"] == 10_000
    assert (
        economics["voting_power_economics"]["neuron_minimum_dissolve_delay_to_vote_seconds"]
        is not None
    )


def test_the_ledgers_dfx_archive_and_readiness_methods(tmp_path: Path) -> None:
    harness = make_nns(tmp_path)
    bob = AccountIdentifier.of(BOB)
    assert harness.query(
        ALICE, LEDGER_CANISTER_ID, "account_identifier", {"owner": BOB, "subaccount": None}
    ) == [bob.raw]
    assert harness.query(
        ALICE, LEDGER_CANISTER_ID, "account_balance_dfx", {"account": bob.to_hex()}
    ) == [{"e8s": 500 * E8S}]
    (index,) = harness.call(
        ALICE,
        LEDGER_CANISTER_ID,
        "send_dfx",
        {
            "to": bob.to_hex(),
            "fee": {"e8s": 10_000},
            "memo": 3,
            "from_subaccount": None,
            "created_at_time": None,
            "amount": {"e8s": E8S},
        },
    )
    assert harness.query(
        ALICE, LEDGER_CANISTER_ID, "account_balance_dfx", {"account": bob.to_hex()}
    ) == [{"e8s": 501 * E8S}]
    (encoded,) = harness.query(
        ALICE, LEDGER_CANISTER_ID, "query_encoded_blocks", {"start": index, "length": 5}
    )
    assert encoded["chain_length"] == index + 1 and len(encoded["blocks"]) == 1
    assert Block.decode(encoded["blocks"][0]).transaction.memo == 3
    assert harness.query(ALICE, LEDGER_CANISTER_ID, "archives") == [{"archives": []}]
    assert harness.query(ALICE, LEDGER_CANISTER_ID, "is_ledger_ready") == [True]
    (standards,) = harness.query(ALICE, LEDGER_CANISTER_ID, "icrc10_supported_standards")
    assert {entry["name"] for entry in standards} == {"ICRC-1", "ICRC-2", "ICRC-10", "ICRC-21"}
    with pytest.raises(CallRejected, match="not an account identifier"):
        harness.call(
            ALICE,
            LEDGER_CANISTER_ID,
            "send_dfx",
            {
                "to": "zz",
                "fee": {"e8s": 10_000},
                "memo": 3,
                "from_subaccount": None,
                "created_at_time": None,
                "amount": {"e8s": E8S},
            },
        )


def test_the_registry_routes_canisters_and_registers_nodes_through_candid(tmp_path: Path) -> None:
    from registry.canister import Registry
    from registry.genesis import make_node_keys
    from replica.canister.nns_ids import REGISTRY_CANISTER_ID

    harness = make_nns(tmp_path)
    registry = cast(Registry, harness.engine.canisters[REGISTRY_CANISTER_ID].instance)
    nns_subnet = registry.nns_subnet_id()
    assert harness.query(
        ALICE,
        REGISTRY_CANISTER_ID,
        "get_subnet_for_canister",
        {"principal": GOVERNANCE_CANISTER_ID},
    ) == [{"Ok": {"subnet_id": nns_subnet}}]
    far = Principal.from_canister_id(10**9)
    assert harness.query(
        ALICE, REGISTRY_CANISTER_ID, "get_subnet_for_canister", {"principal": far}
    ) == [{"Ok": {"subnet_id": None}}]
    assert (
        "Err"
        in harness.query(
            ALICE, REGISTRY_CANISTER_ID, "get_subnet_for_canister", {"principal": None}
        )[0]
    )

    operator = Principal.self_authenticating(b"candid-operator")
    harness.call(
        GOVERNANCE_CANISTER_ID,
        REGISTRY_CANISTER_ID,
        "add_node_operator",
        {
            "node_operator_principal_id": operator,
            "node_provider_principal_id": operator,
            "node_allowance": 1,
            "dc_id": "",
            "rewardable_nodes": [],
            "ipv6": None,
            "max_rewardable_nodes": None,
        },
    )
    signing, dealing, committee, tls = make_node_keys(b"candid-node", 0)
    node = {
        "node_signing_pk": signing,
        "committee_signing_pk": committee,
        "ni_dkg_dealing_encryption_pk": dealing,
        "transport_tls_cert": tls,
        "xnet_endpoint": "10.9.0.1:4100",
        "http_endpoint": "[2001:db8::9]:8080",
        "domain": None,
    }
    (node_id,) = harness.call(operator, REGISTRY_CANISTER_ID, "add_node", node)
    assert node_id == Principal.self_authenticating(signing)
    assert node_id in registry.node_ids()
    with pytest.raises(CallRejected, match="no node allowance left"):
        harness.call(operator, REGISTRY_CANISTER_ID, "add_node", node)


def test_tip_of_chain_names_the_last_block(tmp_path: Path) -> None:
    """`tip_of_chain` of rs/ledger_suite/icp/ledger.did: the index of the newest block."""
    harness = make_nns(tmp_path)
    (tip,) = harness.query(ALICE, LEDGER_CANISTER_ID, "tip_of_chain")
    (blocks,) = harness.query(ALICE, LEDGER_CANISTER_ID, "query_blocks", {"start": 0, "length": 0})
    assert tip == {"certification": None, "tip_index": blocks["chain_length"] - 1}
    (index,) = harness.call(
        ALICE,
        LEDGER_CANISTER_ID,
        "send_dfx",
        {
            "to": AccountIdentifier.of(BOB).to_hex(),
            "fee": {"e8s": 10_000},
            "memo": 1,
            "from_subaccount": None,
            "created_at_time": None,
            "amount": {"e8s": E8S},
        },
    )
    assert harness.query(ALICE, LEDGER_CANISTER_ID, "tip_of_chain") == [
        {"certification": None, "tip_index": index}
    ]
