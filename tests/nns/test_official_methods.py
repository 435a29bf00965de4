"""The remaining official methods of the ledger and governance, through Candid on a subnet.

Each method is driven with Candid values only: its happy path, its refusals in
the interface's own error shapes, and that a refusal (or a simulation, or a
consent message) leaves the canister's state hash as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, cast

import pytest

from nns.genesis import NnsConfig, install_nns, nns_factories
from nns.governance.canister import Governance
from nns.governance.enums import ErrorType, Topic, Visibility
from nns.governance.neuron import KnownNeuronData, Neuron
from nns.ledger.accounts import Account, AccountIdentifier
from nns.ledger.interface import LEDGER_INTERFACE
from replica.candid import encode
from replica.canister.errors import CallRejected
from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID, LEDGER_CANISTER_ID, ROOT_CANISTER_ID
from replica.execution.harness import DEFAULT_START_NS, SubnetHarness
from replica.types import Principal
from tests.nns.test_nns_on_a_subnet import ALICE, BOB, E8S, configure, manage, stake

CAROL = Principal.self_authenticating(b"carol")
KNOWN_NEURON_ID = 7
FEE = 10_000


def make_nns(tmp_path: Path, *, known_neuron: bool = False) -> SubnetHarness:
    neurons: tuple[Neuron, ...] = ()
    if known_neuron:
        now = DEFAULT_START_NS // 1_000_000_000
        neurons = (
            Neuron(
                id=KNOWN_NEURON_ID,
                subaccount=bytes(31) + b"\x07",
                controller=ALICE,
                created_timestamp_seconds=now,
                voting_power_refreshed_timestamp_seconds=now,
                cached_neuron_stake_e8s=10_000 * E8S,
                dissolve_delay_seconds=100_000,
                aging_since_timestamp_seconds=now,
                known_neuron_data=KnownNeuronData(name="Alice's known neuron"),
                visibility=Visibility.PUBLIC,
            ),
        )
    config = NnsConfig(
        ledger_balances={
            AccountIdentifier.of(ALICE): 1_000 * E8S,
            AccountIdentifier.of(BOB): 500 * E8S,
        },
        neurons=neurons,
    )
    harness = SubnetHarness(
        tmp_path / "nns", nns_factories(config), system_installers=[ROOT_CANISTER_ID]
    )
    install_nns(harness.engine, config)
    return harness


class _HashesItsState(Protocol):
    def state_hash(self) -> bytes: ...


def state_hash(harness: SubnetHarness, canister_id: Principal) -> bytes:
    return cast(_HashesItsState, harness.engine.canisters[canister_id].instance).state_hash()


def balance(harness: SubnetHarness, who: Principal) -> int:
    (tokens,) = harness.query(
        who, LEDGER_CANISTER_ID, "account_balance", {"account": AccountIdentifier.of(who).raw}
    )
    e8s: int = tokens["e8s"]
    return e8s


def account(owner: Principal, subaccount: bytes | None = None) -> dict[str, Any]:
    return {"owner": owner, "subaccount": subaccount}


def approve(
    harness: SubnetHarness, who: Principal, spender: Principal, amount: int, **extra: Any
) -> list[Any]:
    return harness.call(
        who,
        LEDGER_CANISTER_ID,
        "icrc2_approve",
        {
            "from_subaccount": None,
            "spender": account(spender),
            "amount": amount,
            "expected_allowance": None,
            "expires_at": None,
            "fee": None,
            "memo": None,
            "created_at_time": None,
            **extra,
        },
    )


# -- ledger: remove_approval and get_allowances ----------------------------------------------


def test_remove_approval_removes_the_allowance_and_charges_the_fee(tmp_path: Path) -> None:
    harness = make_nns(tmp_path)
    assert "Ok" in approve(harness, ALICE, BOB, 5 * E8S)[0]
    allowance_args = {"account": account(ALICE), "spender": account(BOB)}
    assert harness.query(ALICE, LEDGER_CANISTER_ID, "icrc2_allowance", allowance_args) == [
        {"allowance": 5 * E8S, "expires_at": None}
    ]
    before = balance(harness, ALICE)
    (reply,) = harness.call(
        ALICE,
        LEDGER_CANISTER_ID,
        "remove_approval",
        {"fee": None, "from_subaccount": None, "spender": AccountIdentifier.of(BOB).raw},
    )
    assert "Ok" in reply
    assert harness.query(ALICE, LEDGER_CANISTER_ID, "icrc2_allowance", allowance_args) == [
        {"allowance": 0, "expires_at": None}
    ]
    assert balance(harness, ALICE) == before - FEE
    (blocks,) = harness.query(
        ALICE, LEDGER_CANISTER_ID, "query_blocks", {"start": reply["Ok"], "length": 1}
    )
    approval = blocks["blocks"][0]["transaction"]["operation"]["Approve"]
    assert (
        approval["allowance"] == {"e8s": 0} and approval["spender"] == AccountIdentifier.of(BOB).raw
    )
    (spent,) = harness.call(
        BOB,
        LEDGER_CANISTER_ID,
        "icrc2_transfer_from",
        {
            "spender_subaccount": None,
            "from": account(ALICE),
            "to": account(BOB),
            "amount": 1,
            "fee": None,
            "memo": None,
            "created_at_time": None,
        },
    )
    assert spent == {"Err": {"InsufficientAllowance": {"allowance": 0}}}


def test_remove_approval_refusals_change_nothing(tmp_path: Path) -> None:
    harness = make_nns(tmp_path)
    approve(harness, ALICE, BOB, 5 * E8S)
    before = state_hash(harness, LEDGER_CANISTER_ID)
    refusals = [
        (
            ALICE,
            {"fee": 1, "from_subaccount": None, "spender": AccountIdentifier.of(BOB).raw},
            {"BadFee": {"expected_fee": FEE}},
        ),
        (
            CAROL,
            {"fee": None, "from_subaccount": None, "spender": AccountIdentifier.of(BOB).raw},
            {"InsufficientFunds": {"balance": 0}},
        ),
    ]
    for who, args, error in refusals:
        assert harness.call(who, LEDGER_CANISTER_ID, "remove_approval", args) == [{"Err": error}]
    (bad_spender,) = harness.call(
        ALICE,
        LEDGER_CANISTER_ID,
        "remove_approval",
        {"fee": None, "from_subaccount": None, "spender": b"\x01\x02\x03"},
    )
    assert "GenericError" in bad_spender["Err"]
    (self_approval,) = harness.call(
        ALICE,
        LEDGER_CANISTER_ID,
        "remove_approval",
        {"fee": None, "from_subaccount": None, "spender": AccountIdentifier.of(ALICE).raw},
    )
    assert "GenericError" in self_approval["Err"]
    assert state_hash(harness, LEDGER_CANISTER_ID) == before


def test_get_allowances_pages_over_an_accounts_live_allowances(tmp_path: Path) -> None:
    harness = make_nns(tmp_path)
    spenders = [Principal.self_authenticating(bytes([n])) for n in range(4)]
    for amount, spender in enumerate(spenders[:3], start=1):
        approve(harness, ALICE, spender, amount * E8S)
    now_ns = harness.time_ns
    approve(harness, ALICE, spenders[3], E8S, expires_at=now_ns + 5 * 1_000_000_000)
    owner = AccountIdentifier.of(ALICE).to_hex()
    by_spender = sorted((AccountIdentifier.of(s).to_hex(), s) for s in spenders)
    (everything,) = harness.query(
        BOB,
        LEDGER_CANISTER_ID,
        "get_allowances",
        {"from_account_id": owner, "prev_spender_id": None, "take": None},
    )
    assert [entry["to_spender_id"] for entry in everything] == [hex_id for hex_id, _ in by_spender]
    assert all(entry["from_account_id"] == owner for entry in everything)
    (first,) = harness.query(
        BOB,
        LEDGER_CANISTER_ID,
        "get_allowances",
        {"from_account_id": owner, "prev_spender_id": None, "take": 2},
    )
    (rest,) = harness.query(
        BOB,
        LEDGER_CANISTER_ID,
        "get_allowances",
        {"from_account_id": owner, "prev_spender_id": first[-1]["to_spender_id"], "take": 10},
    )
    assert first + rest == everything
    harness.advance(10)
    harness.run_round()
    (live,) = harness.query(
        BOB,
        LEDGER_CANISTER_ID,
        "get_allowances",
        {"from_account_id": owner, "prev_spender_id": None, "take": None},
    )
    assert AccountIdentifier.of(spenders[3]).to_hex() not in {
        entry["to_spender_id"] for entry in live
    }
    assert {entry["allowance"]["e8s"] for entry in live} == {E8S, 2 * E8S, 3 * E8S}
    empty = AccountIdentifier.of(CAROL).to_hex()
    assert harness.query(
        BOB,
        LEDGER_CANISTER_ID,
        "get_allowances",
        {"from_account_id": empty, "prev_spender_id": None, "take": None},
    ) == [[]]
    with pytest.raises(CallRejected, match="account identifier"):
        harness.query(
            BOB,
            LEDGER_CANISTER_ID,
            "get_allowances",
            {"from_account_id": "not hex", "prev_spender_id": None, "take": None},
        )


# -- ledger: ICRC-21 consent messages --------------------------------------------------------


def consent(
    harness: SubnetHarness,
    method: str,
    arg: bytes,
    *,
    device: Any = None,
    offset: int | None = None,
) -> Any:
    (reply,) = harness.call(
        ALICE,
        LEDGER_CANISTER_ID,
        "icrc21_canister_call_consent_message",
        {
            "method": method,
            "arg": arg,
            "user_preferences": {
                "metadata": {"language": "en", "utc_offset_minutes": offset},
                "device_spec": device,
            },
        },
    )
    return reply


def argument_of(method: str, value: dict[str, Any]) -> bytes:
    return encode(LEDGER_INTERFACE.method(method).arguments, [value])


def test_consent_messages_explain_transfers_and_approvals(tmp_path: Path) -> None:
    harness = make_nns(tmp_path)
    before = state_hash(harness, LEDGER_CANISTER_ID)
    transfer = argument_of(
        "icrc1_transfer",
        {
            "from_subaccount": None,
            "to": account(BOB),
            "amount": 150_000_000,
            "fee": None,
            "memo": b"rent",
            "created_at_time": None,
        },
    )
    reply = consent(harness, "icrc1_transfer", transfer)
    text = reply["Ok"]["consent_message"]["GenericDisplayMessage"]
    assert "1.5 ICP" in text and "0.0001 ICP" in text and Account.of(BOB).to_text() in text
    assert Account.of(ALICE).to_text() in text and "rent" in text
    assert reply["Ok"]["metadata"] == {"language": "en", "utc_offset_minutes": None}

    approval = argument_of(
        "icrc2_approve",
        {
            "from_subaccount": None,
            "spender": account(BOB),
            "amount": 2 * E8S,
            "expected_allowance": E8S,
            "expires_at": 1_800_000_000 * 1_000_000_000,
            "fee": None,
            "memo": None,
            "created_at_time": None,
        },
    )
    text = consent(harness, "icrc2_approve", approval, offset=120)["Ok"]["consent_message"][
        "GenericDisplayMessage"
    ]
    assert "Approve spending" in text and "2 ICP" in text and "1 ICP" in text
    assert "2027-01-15 10:00:00 UTC+02:00" in text

    transfer_from = argument_of(
        "icrc2_transfer_from",
        {
            "spender_subaccount": None,
            "from": account(BOB),
            "to": account(CAROL),
            "amount": 3,
            "fee": None,
            "memo": None,
            "created_at_time": None,
        },
    )
    text = consent(harness, "icrc2_transfer_from", transfer_from)["Ok"]["consent_message"][
        "GenericDisplayMessage"
    ]
    assert "0.00000003 ICP" in text and Account.of(CAROL).to_text() in text

    legacy = argument_of(
        "transfer",
        {
            "memo": 42,
            "amount": {"e8s": 10 * E8S},
            "fee": {"e8s": FEE},
            "from_subaccount": None,
            "to": AccountIdentifier.of(BOB).raw,
            "created_at_time": None,
        },
    )
    reply = consent(harness, "transfer", legacy, device={"FieldsDisplay": None})
    fields_display = reply["Ok"]["consent_message"]["FieldsDisplayMessage"]
    assert fields_display["intent"] == "Send ICP"
    fields = {entry["0"]: entry["1"] for entry in fields_display["fields"]}
    assert fields["Amount"] == {"TokenAmount": {"decimals": 8, "amount": 10 * E8S, "symbol": "ICP"}}
    assert fields["Fees"] == {"TokenAmount": {"decimals": 8, "amount": FEE, "symbol": "ICP"}}
    assert fields["To"] == {"Text": {"content": AccountIdentifier.of(BOB).to_hex()}}
    assert fields["Memo"] == {"Text": {"content": "42"}}

    # The current ICRC-21 FieldsDisplay (rs/ledger_suite/icp/ledger.did): typed amounts and expiry.
    reply = consent(harness, "icrc2_approve", approval, device={"FieldsDisplay": None})
    fields_display = reply["Ok"]["consent_message"]["FieldsDisplayMessage"]
    assert fields_display["intent"] == "Approve spending"
    fields = {entry["0"]: entry["1"] for entry in fields_display["fields"]}
    assert fields["Requested allowance"]["TokenAmount"]["amount"] == 2 * E8S
    assert fields["Existing allowance"]["TokenAmount"]["amount"] == E8S
    assert fields["Approval expiration"] == {"TimestampSeconds": {"amount": 1_800_000_000}}
    assert fields["Approve to spender"] == {"Text": {"content": Account.of(BOB).to_text()}}
    assert state_hash(harness, LEDGER_CANISTER_ID) == before


def test_consent_messages_refuse_other_methods_and_undecodable_arguments(tmp_path: Path) -> None:
    harness = make_nns(tmp_path)
    before = state_hash(harness, LEDGER_CANISTER_ID)
    unsupported = consent(
        harness, "icrc1_balance_of", argument_of("icrc1_balance_of", account(ALICE))
    )
    assert "UnsupportedCanisterCall" in unsupported["Err"]
    garbage = consent(harness, "icrc1_transfer", b"DIDL\x00\x01\x7d\x01")
    assert "UnsupportedCanisterCall" in garbage["Err"]
    wrong_type = consent(harness, "icrc2_approve", argument_of("icrc1_balance_of", account(ALICE)))
    assert "UnsupportedCanisterCall" in wrong_type["Err"]
    assert state_hash(harness, LEDGER_CANISTER_ID) == before


# -- governance: simulate_manage_neuron ------------------------------------------------------


def simulate(
    harness: SubnetHarness, who: Principal, neuron_id: int, command: dict[str, Any]
) -> dict[str, Any]:
    request = {"id": {"id": neuron_id}, "command": command, "neuron_id_or_subaccount": None}
    (reply,) = harness.call(who, GOVERNANCE_CANISTER_ID, "simulate_manage_neuron", request)
    result: dict[str, Any] = reply["command"]
    return result


def full_neuron(harness: SubnetHarness, who: Principal, neuron_id: int) -> dict[str, Any]:
    (reply,) = harness.query(who, GOVERNANCE_CANISTER_ID, "get_full_neuron", neuron_id)
    neuron: dict[str, Any] = reply["Ok"]
    return neuron


def test_simulate_manage_neuron_answers_as_the_command_would_and_changes_nothing(
    tmp_path: Path,
) -> None:
    harness = make_nns(tmp_path)
    neuron = stake(harness, ALICE, 10, 1)
    before = state_hash(harness, GOVERNANCE_CANISTER_ID)
    initial = full_neuron(harness, ALICE, neuron)["dissolve_state"]["DissolveDelaySeconds"]
    delay = {"IncreaseDissolveDelay": {"additional_dissolve_delay_seconds": 20_000}}
    assert simulate(harness, ALICE, neuron, configure(delay)) == {"Configure": {}}
    assert simulate(
        harness,
        ALICE,
        neuron,
        {"Follow": {"topic": Topic.GOVERNANCE, "followees": [{"id": neuron + 1}]}},
    )["Error"]
    assert state_hash(harness, GOVERNANCE_CANISTER_ID) == before
    assert full_neuron(harness, ALICE, neuron)["dissolve_state"] == {
        "DissolveDelaySeconds": initial
    }
    assert manage(harness, ALICE, neuron, configure(delay)) == {"Configure": {}}
    assert full_neuron(harness, ALICE, neuron)["dissolve_state"] == {
        "DissolveDelaySeconds": initial + 20_000
    }


def test_simulated_merge_shows_both_neurons_after_the_merge(tmp_path: Path) -> None:
    harness = make_nns(tmp_path)
    target, source = stake(harness, ALICE, 10, 1), stake(harness, ALICE, 20, 2)
    for neuron in (target, source):
        manage(
            harness,
            ALICE,
            neuron,
            configure({"IncreaseDissolveDelay": {"additional_dissolve_delay_seconds": 20_000}}),
        )
    governance_before, ledger_before = (
        state_hash(harness, GOVERNANCE_CANISTER_ID),
        state_hash(harness, LEDGER_CANISTER_ID),
    )
    merged = simulate(harness, ALICE, target, {"Merge": {"source_neuron_id": {"id": source}}})[
        "Merge"
    ]
    assert merged["target_neuron"]["cached_neuron_stake_e8s"] == 30 * E8S - FEE
    assert merged["source_neuron"]["cached_neuron_stake_e8s"] == 0
    assert merged["target_neuron_info"]["stake_e8s"] == 30 * E8S - FEE
    assert state_hash(harness, GOVERNANCE_CANISTER_ID) == governance_before
    assert state_hash(harness, LEDGER_CANISTER_ID) == ledger_before
    assert harness.engine.call_contexts == {}
    assert full_neuron(harness, ALICE, target)["cached_neuron_stake_e8s"] == 10 * E8S
    assert "Merge" in manage(
        harness, ALICE, target, {"Merge": {"source_neuron_id": {"id": source}}}
    )
    assert (
        full_neuron(harness, ALICE, target)["cached_neuron_stake_e8s"]
        == merged["target_neuron"]["cached_neuron_stake_e8s"]
    )


def test_simulate_manage_neuron_refusals_change_nothing(tmp_path: Path) -> None:
    harness = make_nns(tmp_path)
    neuron = stake(harness, ALICE, 10, 1)
    before = state_hash(harness, GOVERNANCE_CANISTER_ID)
    disburse = simulate(harness, ALICE, neuron, {"Disburse": {"to_account": None, "amount": None}})
    assert disburse["Error"]["error_type"] == ErrorType.INVALID_COMMAND
    assert "not supported" in disburse["Error"]["error_message"]
    split = simulate(harness, BOB, neuron, {"Split": {"amount_e8s": E8S, "memo": None}})
    assert split["Error"]["error_type"] == ErrorType.INVALID_COMMAND
    foreign = simulate(harness, BOB, neuron, configure({"StartDissolving": {}}))
    assert foreign["Error"]["error_type"] == ErrorType.NOT_AUTHORIZED
    assert (
        simulate(harness, ALICE, 12345, configure({"StartDissolving": {}}))["Error"]["error_type"]
        == ErrorType.NOT_FOUND
    )
    assert state_hash(harness, GOVERNANCE_CANISTER_ID) == before
    assert harness.engine.call_contexts == {}


# -- governance: get_neuron_index and list_neuron_votes --------------------------------------


def test_get_neuron_index_pages_over_all_neurons(tmp_path: Path) -> None:
    harness = make_nns(tmp_path)
    ids = sorted(
        [stake(harness, ALICE, 2, 1), stake(harness, BOB, 3, 1), stake(harness, ALICE, 4, 2)]
    )
    request = {"exclusive_start_neuron_id": None, "page_size": None}
    (everything,) = harness.query(CAROL, GOVERNANCE_CANISTER_ID, "get_neuron_index", request)
    assert [info["id"]["id"] for info in everything["Ok"]["neurons"]] == ids
    (first,) = harness.query(
        CAROL,
        GOVERNANCE_CANISTER_ID,
        "get_neuron_index",
        {"exclusive_start_neuron_id": None, "page_size": 2},
    )
    (rest,) = harness.query(
        CAROL,
        GOVERNANCE_CANISTER_ID,
        "get_neuron_index",
        {"exclusive_start_neuron_id": {"id": ids[1]}, "page_size": 2},
    )
    assert [i["id"]["id"] for i in first["Ok"]["neurons"]] == ids[:2]
    assert [i["id"]["id"] for i in rest["Ok"]["neurons"]] == ids[2:]
    assert {i["stake_e8s"] for i in everything["Ok"]["neurons"]} == {2 * E8S, 3 * E8S, 4 * E8S}
    (after_last,) = harness.query(
        CAROL,
        GOVERNANCE_CANISTER_ID,
        "get_neuron_index",
        {"exclusive_start_neuron_id": {"id": ids[-1]}, "page_size": None},
    )
    assert after_last == {"Ok": {"neurons": []}}


def votes(harness: SubnetHarness, neuron_id: int | None, **extra: Any) -> Any:
    request = {
        "neuron_id": None if neuron_id is None else {"id": neuron_id},
        "before_proposal": None,
        "limit": None,
        **extra,
    }
    (reply,) = harness.query(CAROL, GOVERNANCE_CANISTER_ID, "list_neuron_votes", request)
    return reply


def motion(harness: SubnetHarness, who: Principal, neuron_id: int, text: str) -> int:
    made = manage(
        harness,
        who,
        neuron_id,
        {
            "MakeProposal": {
                "url": "",
                "title": f"Motion: {text}",
                "summary": "",
                "action": {"Motion": {"motion_text": text}},
            }
        },
    )
    proposal_id: int = made["MakeProposal"]["proposal_id"]["id"]
    return proposal_id


def test_list_neuron_votes_lists_a_known_neurons_ballots_newest_first(tmp_path: Path) -> None:
    harness = make_nns(tmp_path, known_neuron=True)
    first, second = (
        motion(harness, ALICE, KNOWN_NEURON_ID, "one"),
        motion(harness, ALICE, KNOWN_NEURON_ID, "two"),
    )
    listed = votes(harness, KNOWN_NEURON_ID)["Ok"]
    assert listed["votes"] == [
        {"proposal_id": {"id": second}, "vote": {"Yes": None}},
        {"proposal_id": {"id": first}, "vote": {"Yes": None}},
    ]
    assert listed["all_finalized_before_proposal"] == {"id": first}
    assert votes(harness, KNOWN_NEURON_ID, before_proposal={"id": second})["Ok"]["votes"] == [
        {"proposal_id": {"id": first}, "vote": {"Yes": None}}
    ]
    assert votes(harness, KNOWN_NEURON_ID, limit=1)["Ok"]["votes"] == [
        {"proposal_id": {"id": second}, "vote": {"Yes": None}}
    ]
    # past the deadline and the reward event, the ballots come from the settled-ballot table
    harness.advance(10 * 60)
    for _ in range(4):
        harness.run_round()
    settled = votes(harness, KNOWN_NEURON_ID)["Ok"]
    assert settled["votes"] == listed["votes"]
    assert settled["all_finalized_before_proposal"] == {"id": second + 1}


def test_list_neuron_votes_refusals(tmp_path: Path) -> None:
    harness = make_nns(tmp_path, known_neuron=True)
    plain = stake(harness, BOB, 5, 1)
    before = state_hash(harness, GOVERNANCE_CANISTER_ID)
    assert votes(harness, None)["Err"]["error_type"] == ErrorType.INVALID_COMMAND
    assert votes(harness, 424242)["Err"]["error_type"] == ErrorType.NOT_FOUND
    assert votes(harness, plain)["Ok"]["votes"] == []
    assert state_hash(harness, GOVERNANCE_CANISTER_ID) == before


# -- governance: metrics, restore aging, Neurons' Fund ---------------------------------------


def pairs(entries: list[dict[str, Any]]) -> list[tuple[Any, Any]]:
    """A decoded `vec record { nat64; ... }` as (bucket, amount) pairs."""
    return [(entry["0"], entry["1"]) for entry in entries]


def test_get_metrics_is_computed_from_the_neurons_once_the_supply_is_known(tmp_path: Path) -> None:
    harness = make_nns(tmp_path)
    (unavailable,) = harness.query(CAROL, GOVERNANCE_CANISTER_ID, "get_metrics")
    assert unavailable["Err"]["error_type"] == ErrorType.UNAVAILABLE
    locked, dissolving = stake(harness, ALICE, 10, 1), stake(harness, BOB, 20, 1)
    manage(
        harness,
        ALICE,
        locked,
        configure({"IncreaseDissolveDelay": {"additional_dissolve_delay_seconds": 20_000}}),
    )
    manage(
        harness,
        BOB,
        dissolving,
        configure({"IncreaseDissolveDelay": {"additional_dissolve_delay_seconds": 300}}),
    )
    manage(harness, BOB, dissolving, configure({"StartDissolving": {}}))
    harness.advance(61)
    for _ in range(3):
        harness.run_round()
    (reply,) = harness.query(CAROL, GOVERNANCE_CANISTER_ID, "get_metrics")
    metrics = reply["Ok"]
    (supply,) = harness.query(CAROL, LEDGER_CANISTER_ID, "icrc1_total_supply")
    assert metrics["total_supply_icp"] == supply // E8S
    assert metrics["total_staked_e8s"] == 30 * E8S
    assert metrics["not_dissolving_neurons_count"] == 1 and metrics["dissolving_neurons_count"] == 1
    governance = cast(Governance, harness.engine.canisters[GOVERNANCE_CANISTER_ID].instance)
    half_year = governance.durations.one_year_seconds // 2
    bucket = (
        full_neuron(harness, ALICE, locked)["dissolve_state"]["DissolveDelaySeconds"] // half_year
    )
    assert pairs(metrics["not_dissolving_neurons_count_buckets"]) == [(bucket, 1)]
    assert pairs(metrics["not_dissolving_neurons_e8s_buckets"]) == [(bucket, float(10 * E8S))]
    assert sum(amount for _, amount in pairs(metrics["dissolving_neurons_e8s_buckets"])) == float(
        20 * E8S
    )
    assert metrics["total_locked_e8s"] == 30 * E8S
    subset = metrics["non_self_authenticating_controller_neuron_subset_metrics"]
    assert subset["count"] == 0
    assert metrics["timestamp_seconds"] == harness.time_ns // 1_000_000_000


def test_restore_aging_summary_is_empty_on_a_network_that_never_restored_aging(
    tmp_path: Path,
) -> None:
    harness = make_nns(tmp_path)
    assert harness.query(CAROL, GOVERNANCE_CANISTER_ID, "get_restore_aging_summary") == [
        {"groups": [], "timestamp_seconds": None}
    ]


def test_neurons_fund_methods_refuse_as_for_proposals_without_neurons_fund_data(
    tmp_path: Path,
) -> None:
    harness = make_nns(tmp_path, known_neuron=True)
    proposal = motion(harness, ALICE, KNOWN_NEURON_ID, "no SNS here")
    before = state_hash(harness, GOVERNANCE_CANISTER_ID)

    def audit(proposal_id: int | None) -> Any:
        request = {"nns_proposal_id": None if proposal_id is None else {"id": proposal_id}}
        (reply,) = harness.query(
            CAROL, GOVERNANCE_CANISTER_ID, "get_neurons_fund_audit_info", request
        )
        return reply["result"]["Err"]

    assert audit(None)["error_type"] == ErrorType.INVALID_COMMAND
    assert audit(999)["error_type"] == ErrorType.NOT_FOUND
    missing = audit(proposal)
    assert (
        missing["error_type"] == ErrorType.NOT_FOUND
        and "Neurons' Fund data" in missing["error_message"]
    )

    committed = {
        "Committed": {
            "total_direct_participation_icp_e8s": 1,
            "total_neurons_fund_participation_icp_e8s": 1,
            "sns_governance_canister_id": None,
        }
    }
    for proposal_id, result, error_type in (
        (proposal, committed, ErrorType.NOT_AUTHORIZED),
        (None, committed, ErrorType.INVALID_COMMAND),
        (proposal, None, ErrorType.INVALID_COMMAND),
        (999, {"Aborted": {}}, ErrorType.NOT_FOUND),
    ):
        (reply,) = harness.call(
            CAROL,
            GOVERNANCE_CANISTER_ID,
            "settle_neurons_fund_participation",
            {"result": result, "nns_proposal_id": proposal_id},
        )
        assert reply["result"]["Err"]["error_type"] == error_type
    legacy = {
        "Committed": {
            "total_direct_contribution_icp_e8s": 1,
            "total_neurons_fund_contribution_icp_e8s": 1,
            "sns_governance_canister_id": None,
        }
    }
    for proposal_id, error_type in (
        (proposal, ErrorType.NOT_AUTHORIZED),
        (None, ErrorType.INVALID_COMMAND),
        (999, ErrorType.NOT_FOUND),
    ):
        (reply,) = harness.call(
            CAROL,
            GOVERNANCE_CANISTER_ID,
            "settle_community_fund_participation",
            {"result": legacy, "open_sns_token_swap_proposal_id": proposal_id},
        )
        assert reply["Err"]["error_type"] == error_type
    assert state_hash(harness, GOVERNANCE_CANISTER_ID) == before
