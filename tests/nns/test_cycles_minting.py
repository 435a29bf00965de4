"""The cycles minting canister through Candid: the certified rate set by governance, ICP burned
for cycles (notify_top_up, notify_create_canister), create_canister with attached cycles, and
the subnet tables. The rules are the IC's CMC (rs/nns/cmc/src/main.rs, rs/nns/cmc/cmc.did)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nns.cycles_minting import principal_to_subaccount
from nns.cycles_minting.canister import (
    MEMO_CREATE_CANISTER,
    MEMO_MINT_CYCLES,
    MEMO_TOP_UP_CANISTER,
    NO_CYCLES_LEDGER,
    NotifyErrorCode,
)
from nns.cycles_minting.interface import arguments
from nns.cycles_minting.rate import AVERAGE_LABEL, LATEST_LABEL, ConversionRate, compute_cycles
from nns.governance.enums import ErrorType, ProposalStatus, Topic
from nns.ledger.accounts import AccountIdentifier
from replica.candid import encode
from replica.canister.errors import CallRejected
from replica.canister.nns_ids import (
    CYCLES_MINTING_CANISTER_ID,
    GOVERNANCE_CANISTER_ID,
    LEDGER_CANISTER_ID,
)
from replica.crypto import hashtree
from replica.execution.harness import SubnetHarness
from replica.types import Principal
from tests.nns.test_nns_on_a_subnet import ALICE, BOB, E8S, configure, make_nns, manage, stake

FEE = 10_000
RATE = 35_000  # 3.5 XDR per ICP


def set_rate(
    harness: SubnetHarness,
    permyriad: int,
    timestamp: int,
    caller: Principal = GOVERNANCE_CANISTER_ID,
) -> Any:
    (reply,) = harness.call(
        caller,
        CYCLES_MINTING_CANISTER_ID,
        "set_icp_xdr_conversion_rate",
        {
            "data_source": "test",
            "timestamp_seconds": timestamp,
            "xdr_permyriad_per_icp": permyriad,
            "reason": None,
        },
    )
    return reply


def pay_cmc(
    harness: SubnetHarness, payer: Principal, beneficiary: Principal, e8s: int, memo: int
) -> int:
    to = AccountIdentifier.of(CYCLES_MINTING_CANISTER_ID, principal_to_subaccount(beneficiary))
    (reply,) = harness.call(
        payer,
        LEDGER_CANISTER_ID,
        "transfer",
        {
            "memo": memo,
            "amount": {"e8s": e8s},
            "fee": {"e8s": FEE},
            "from_subaccount": None,
            "to": to.raw,
            "created_at_time": None,
        },
    )
    block: int = reply["Ok"]
    return block


def balance(harness: SubnetHarness, account: AccountIdentifier) -> int:
    (tokens,) = harness.query(
        ALICE, LEDGER_CANISTER_ID, "account_balance", {"account": account.raw}
    )
    e8s: int = tokens["e8s"]
    return e8s


def supply(harness: SubnetHarness) -> int:
    (total,) = harness.query(ALICE, LEDGER_CANISTER_ID, "icrc1_total_supply")
    value: int = total
    return value


@pytest.fixture
def nns(tmp_path: Path) -> SubnetHarness:
    harness = make_nns(tmp_path)
    assert set_rate(harness, RATE, 1_000) == {"Ok": None}
    return harness


def test_only_governance_sets_the_rate_and_only_a_newer_one(tmp_path: Path) -> None:
    harness = make_nns(tmp_path)
    with pytest.raises(CallRejected, match="no ICP/XDR conversion rate"):
        harness.query(ALICE, CYCLES_MINTING_CANISTER_ID, "get_icp_xdr_conversion_rate")
    assert "Err" in set_rate(harness, RATE, 1_000, caller=ALICE)
    assert set_rate(harness, RATE, 1_000) == {"Ok": None}
    assert "not newer" in set_rate(harness, 40_000, 1_000)["Err"]
    assert "positive" in set_rate(harness, 0, 2_000)["Err"]
    assert set_rate(harness, 45_000, 2_000) == {"Ok": None}
    (reply,) = harness.query(ALICE, CYCLES_MINTING_CANISTER_ID, "get_icp_xdr_conversion_rate")
    assert reply["data"] == {"timestamp_seconds": 2_000, "xdr_permyriad_per_icp": 45_000}


def test_the_rate_is_certified_by_the_canisters_certified_data(nns: SubnetHarness) -> None:
    """The hash tree of the IC's CMC: ICP_XDR_CONVERSION_RATE and AVERAGE_ICP_XDR_CONVERSION_RATE,
    each the Candid of an IcpXdrConversionRate; its root is the certified data."""
    (reply,) = nns.query(ALICE, CYCLES_MINTING_CANISTER_ID, "get_icp_xdr_conversion_rate")
    assert (
        reply["hash_tree"][:3] == b"\xd9\xd9\xf7"
    )  # self-described CBOR, as the IC serialises witnesses
    tree = hashtree.decode(reply["hash_tree"])
    assert (
        hashtree.reconstruct(tree)
        == nns.engine.canisters[CYCLES_MINTING_CANISTER_ID].certified_data
    )
    found = hashtree.lookup(tree, [LATEST_LABEL])
    assert isinstance(found, hashtree.Found)
    assert (
        found.value == ConversionRate(timestamp_seconds=1_000, xdr_permyriad_per_icp=RATE).encoded()
    )
    assert not isinstance(
        hashtree.lookup(tree, [AVERAGE_LABEL]), hashtree.Found
    )  # pruned in this witness
    assert reply["certificate"] == b""


def test_icp_burned_for_a_top_up_become_cycles_on_the_canister(nns: SubnetHarness) -> None:
    target = GOVERNANCE_CANISTER_ID
    cycles_before, supply_before = nns.engine.canisters[target].cycles, supply(nns)
    block = pay_cmc(nns, ALICE, target, 2 * E8S, MEMO_TOP_UP_CANISTER)
    (reply,) = nns.call(
        BOB,
        CYCLES_MINTING_CANISTER_ID,
        "notify_top_up",
        {"block_index": block, "canister_id": target},
    )
    expected = compute_cycles(2 * E8S, RATE)
    assert (
        reply == {"Ok": expected} and expected == 7_000_000_000_000
    )  # 2 ICP at 3.5 XDR, 10^12 cycles per XDR
    assert nns.engine.canisters[target].cycles == cycles_before + expected
    # The ICP are burned: gone from the CMC's subaccount and from the supply (the fee too).
    assert (
        balance(
            nns, AccountIdentifier.of(CYCLES_MINTING_CANISTER_ID, principal_to_subaccount(target))
        )
        == 0
    )
    assert supply(nns) == supply_before - 2 * E8S - FEE
    # A block is processed once: a second notification answers the same result, mints nothing.
    assert nns.call(
        ALICE,
        CYCLES_MINTING_CANISTER_ID,
        "notify_top_up",
        {"block_index": block, "canister_id": target},
    ) == [reply]
    assert nns.engine.canisters[target].cycles == cycles_before + expected
    (create,) = nns.call(
        ALICE,
        CYCLES_MINTING_CANISTER_ID,
        "notify_create_canister",
        {
            "block_index": block,
            "controller": ALICE,
            "subnet_type": None,
            "subnet_selection": None,
            "settings": None,
        },
    )
    assert "InvalidTransaction" in create["Err"]


def test_a_payment_with_the_wrong_memo_or_destination_is_refused(nns: SubnetHarness) -> None:
    block = pay_cmc(nns, ALICE, GOVERNANCE_CANISTER_ID, E8S, MEMO_CREATE_CANISTER)
    (reply,) = nns.call(
        ALICE,
        CYCLES_MINTING_CANISTER_ID,
        "notify_top_up",
        {"block_index": block, "canister_id": GOVERNANCE_CANISTER_ID},
    )
    assert "intent" in reply["Err"]["InvalidTransaction"]
    (reply,) = nns.call(
        ALICE,
        CYCLES_MINTING_CANISTER_ID,
        "notify_top_up",
        {"block_index": block, "canister_id": LEDGER_CANISTER_ID},
    )
    assert "destination account" in reply["Err"]["InvalidTransaction"]
    (reply,) = nns.call(
        ALICE,
        CYCLES_MINTING_CANISTER_ID,
        "notify_top_up",
        {"block_index": 10_000, "canister_id": LEDGER_CANISTER_ID},
    )
    assert reply["Err"]["Other"]["error_code"] == NotifyErrorCode.FAILED_TO_FETCH_BLOCK


def test_a_top_up_of_a_missing_canister_refunds_the_payment_less_a_fee(nns: SubnetHarness) -> None:
    missing = Principal.from_canister_id(900)
    alice_before = balance(nns, AccountIdentifier.of(ALICE))
    block = pay_cmc(nns, ALICE, missing, E8S, MEMO_TOP_UP_CANISTER)
    (reply,) = nns.call(
        ALICE,
        CYCLES_MINTING_CANISTER_ID,
        "notify_top_up",
        {"block_index": block, "canister_id": missing},
    )
    refunded = reply["Err"]["Refunded"]
    assert refunded["block_index"] == block + 1 and "not found" in refunded["reason"]
    # refund_icp: the payment less the refund's fee and TOP_UP_CANISTER_REFUND_FEE (2 fees,
    # burned) goes back (rs/nns/cmc/src/main.rs, rs/nns/cmc/src/lib.rs).
    assert balance(nns, AccountIdentifier.of(ALICE)) == alice_before - 4 * FEE
    cmc_account = AccountIdentifier.of(CYCLES_MINTING_CANISTER_ID, principal_to_subaccount(missing))
    assert balance(nns, cmc_account) == 0


def mint_request(block_index: int, **fields: Any) -> dict[str, Any]:
    return {"block_index": block_index, "to_subaccount": None, "deposit_memo": None, **fields}


def test_notify_mint_cycles_checks_the_payment_and_refunds_it_without_a_cycles_ledger(
    nns: SubnetHarness,
) -> None:
    """notify_mint_cycles (rs/nns/cmc/src/main.rs): a deposit memo over MAX_MEMO_LENGTH (32) is
    refused (Other, DepositMemoTooLong = 6); the payment must be a transfer to the CMC's account
    with the caller's subaccount and memo MINT; with no cycles ledger configured do_mint_cycles
    fails and refund_icp returns the payment less the fee and MINT_CYCLES_REFUND_FEE (2 fees,
    burned); the Refunded answer is final."""
    (too_long,) = nns.call(
        ALICE,
        CYCLES_MINTING_CANISTER_ID,
        "notify_mint_cycles",
        mint_request(0, deposit_memo=b"m" * 33),
    )
    assert too_long["Err"]["Other"] == {
        "error_code": NotifyErrorCode.DEPOSIT_MEMO_TOO_LONG,
        "error_message": "Memo length 33 exceeds the maximum length of 32",
    }
    alice_before, supply_before = balance(nns, AccountIdentifier.of(ALICE)), supply(nns)
    block = pay_cmc(nns, ALICE, ALICE, E8S, MEMO_MINT_CYCLES)
    (not_the_payer,) = nns.call(
        BOB, CYCLES_MINTING_CANISTER_ID, "notify_mint_cycles", mint_request(block)
    )
    assert "destination account" in not_the_payer["Err"]["InvalidTransaction"]
    (reply,) = nns.call(
        ALICE,
        CYCLES_MINTING_CANISTER_ID,
        "notify_mint_cycles",
        mint_request(block, deposit_memo=b"m" * 32),
    )
    assert reply == {"Err": {"Refunded": {"reason": NO_CYCLES_LEDGER, "block_index": block + 1}}}
    assert balance(nns, AccountIdentifier.of(ALICE)) == alice_before - 4 * FEE
    assert (
        balance(
            nns, AccountIdentifier.of(CYCLES_MINTING_CANISTER_ID, principal_to_subaccount(ALICE))
        )
        == 0
    )
    assert supply(nns) == supply_before - 4 * FEE  # two ledger fees and the refund fee burned
    assert nns.call(
        ALICE, CYCLES_MINTING_CANISTER_ID, "notify_mint_cycles", mint_request(block)
    ) == [reply]
    (as_top_up,) = nns.call(
        ALICE,
        CYCLES_MINTING_CANISTER_ID,
        "notify_top_up",
        {"block_index": block, "canister_id": ALICE},
    )
    assert "already processed as a mint request" in as_top_up["Err"]["InvalidTransaction"]
    top_up_memo = pay_cmc(nns, ALICE, ALICE, E8S, MEMO_TOP_UP_CANISTER)
    (wrong_memo,) = nns.call(
        ALICE, CYCLES_MINTING_CANISTER_ID, "notify_mint_cycles", mint_request(top_up_memo)
    )
    assert "intent in the block" in wrong_memo["Err"]["InvalidTransaction"]
    with pytest.raises(CallRejected, match="32 bytes"):
        nns.call(
            ALICE,
            CYCLES_MINTING_CANISTER_ID,
            "notify_mint_cycles",
            mint_request(block, to_subaccount=b"s"),
        )


def test_a_payment_too_small_for_the_refund_fees_is_burned_whole(nns: SubnetHarness) -> None:
    """refund_icp: when the payment does not cover the fee and the refund fee, nothing goes back
    and the whole payment is burned (Refunded without a block)."""
    supply_before = supply(nns)
    block = pay_cmc(nns, ALICE, ALICE, 3 * FEE, MEMO_MINT_CYCLES)
    (reply,) = nns.call(
        ALICE, CYCLES_MINTING_CANISTER_ID, "notify_mint_cycles", mint_request(block)
    )
    assert reply == {"Err": {"Refunded": {"reason": NO_CYCLES_LEDGER, "block_index": None}}}
    assert (
        balance(
            nns, AccountIdentifier.of(CYCLES_MINTING_CANISTER_ID, principal_to_subaccount(ALICE))
        )
        == 0
    )
    assert supply(nns) == supply_before - FEE - 3 * FEE


def test_notify_create_canister_creates_a_canister_with_the_cycles_for_its_controller(
    nns: SubnetHarness,
) -> None:
    block = pay_cmc(nns, ALICE, ALICE, 3 * E8S, MEMO_CREATE_CANISTER)
    request = {
        "block_index": block,
        "controller": ALICE,
        "subnet_type": None,
        "subnet_selection": None,
        "settings": None,
    }
    (refused,) = nns.call(BOB, CYCLES_MINTING_CANISTER_ID, "notify_create_canister", request)
    assert refused["Err"]["Other"]["error_code"] == NotifyErrorCode.UNAUTHORIZED
    (selected,) = nns.call(
        ALICE,
        CYCLES_MINTING_CANISTER_ID,
        "notify_create_canister",
        dict(request, subnet_type="fiduciary"),
    )
    assert selected["Err"]["Other"]["error_code"] == NotifyErrorCode.BAD_SUBNET_SELECTION
    (reply,) = nns.call(ALICE, CYCLES_MINTING_CANISTER_ID, "notify_create_canister", request)
    created = reply["Ok"]
    record = nns.engine.canisters[created]
    assert record.controllers == (ALICE,)
    assert record.cycles == compute_cycles(3 * E8S, RATE)
    assert nns.call(ALICE, CYCLES_MINTING_CANISTER_ID, "notify_create_canister", request) == [reply]


def test_create_canister_needs_attached_cycles(nns: SubnetHarness) -> None:
    (reply,) = nns.call(
        ALICE,
        CYCLES_MINTING_CANISTER_ID,
        "create_canister",
        {"settings": None, "subnet_type": None, "subnet_selection": None},
    )
    assert reply["Err"]["Refunded"] == {
        "refund_amount": 0,
        "create_error": "creating a canister needs cycles attached to the call",
    }


def test_subnet_types_and_default_subnets_are_set_by_governance(nns: SubnetHarness) -> None:
    first, second = (
        Principal.self_authenticating(b"subnet-a"),
        Principal.self_authenticating(b"subnet-b"),
    )
    with pytest.raises(CallRejected, match="only NNS governance"):
        nns.call(ALICE, CYCLES_MINTING_CANISTER_ID, "update_subnet_type", {"Add": "fiduciary"})
    nns.call(
        GOVERNANCE_CANISTER_ID,
        CYCLES_MINTING_CANISTER_ID,
        "set_authorized_subnetwork_list",
        {"who": None, "subnets": [first]},
    )
    nns.call(
        GOVERNANCE_CANISTER_ID,
        CYCLES_MINTING_CANISTER_ID,
        "set_authorized_subnetwork_list",
        {"who": BOB, "subnets": [second]},
    )
    assert nns.query(ALICE, CYCLES_MINTING_CANISTER_ID, "get_default_subnets") == [[first]]
    assert nns.query(
        ALICE,
        CYCLES_MINTING_CANISTER_ID,
        "get_principals_authorized_to_create_canisters_to_subnets",
    ) == [{"data": [{"0": BOB, "1": [second]}]}]
    nns.call(
        GOVERNANCE_CANISTER_ID,
        CYCLES_MINTING_CANISTER_ID,
        "update_subnet_type",
        {"Add": "fiduciary"},
    )
    with pytest.raises(CallRejected, match="already exists"):
        nns.call(
            GOVERNANCE_CANISTER_ID,
            CYCLES_MINTING_CANISTER_ID,
            "update_subnet_type",
            {"Add": "fiduciary"},
        )
    with pytest.raises(CallRejected, match="default subnet"):
        nns.call(
            GOVERNANCE_CANISTER_ID,
            CYCLES_MINTING_CANISTER_ID,
            "change_subnet_type_assignment",
            {"Add": {"subnets": [first], "subnet_type": "fiduciary"}},
        )
    nns.call(
        GOVERNANCE_CANISTER_ID,
        CYCLES_MINTING_CANISTER_ID,
        "change_subnet_type_assignment",
        {"Add": {"subnets": [second], "subnet_type": "fiduciary"}},
    )
    assert nns.query(ALICE, CYCLES_MINTING_CANISTER_ID, "get_subnet_types_to_subnets") == [
        {"data": [{"0": "fiduciary", "1": [second]}]}
    ]
    with pytest.raises(CallRejected, match="still has subnets"):
        nns.call(
            GOVERNANCE_CANISTER_ID,
            CYCLES_MINTING_CANISTER_ID,
            "update_subnet_type",
            {"Remove": "fiduciary"},
        )
    nns.call(
        GOVERNANCE_CANISTER_ID,
        CYCLES_MINTING_CANISTER_ID,
        "change_subnet_type_assignment",
        {"Remove": {"subnets": [second], "subnet_type": "fiduciary"}},
    )
    nns.call(
        GOVERNANCE_CANISTER_ID,
        CYCLES_MINTING_CANISTER_ID,
        "update_subnet_type",
        {"Remove": "fiduciary"},
    )
    assert nns.query(ALICE, CYCLES_MINTING_CANISTER_ID, "get_subnet_types_to_subnets") == [
        {"data": []}
    ]


def propose_rate(harness: SubnetHarness, neuron: int, permyriad: int, timestamp: int) -> Any:
    payload = encode(
        arguments("set_icp_xdr_conversion_rate"),
        [
            {
                "data_source": "proposal",
                "timestamp_seconds": timestamp,
                "xdr_permyriad_per_icp": permyriad,
                "reason": None,
            }
        ],
    )
    action = {"ExecuteNnsFunction": {"nns_function": 10, "payload": payload}}
    request = {"url": "", "title": "A new rate", "summary": "", "action": action}
    return manage(harness, ALICE, neuron, {"MakeProposal": request})


def test_an_adopted_rate_proposal_sets_the_cmcs_certified_rate(tmp_path: Path) -> None:
    """NNS function 10 (IcpXdrConversionRate): topic ExchangeRate, refused below the economics'
    minimum_icp_xdr_rate ('The proposed rate R is below the minimum allowable rate', governance.rs
    before the exchange rate canister), executed by the CMC's set_icp_xdr_conversion_rate, whose
    Err (an older timestamp) fails the proposal. icbox keeps it: it has no exchange rate
    canister."""
    harness = make_nns(tmp_path)
    neuron = stake(harness, ALICE, 100, 1)
    manage(
        harness,
        ALICE,
        neuron,
        configure({"IncreaseDissolveDelay": {"additional_dissolve_delay_seconds": 20_000}}),
    )
    (economics,) = harness.query(ALICE, GOVERNANCE_CANISTER_ID, "get_network_economics_parameters")
    minimum = economics["minimum_icp_xdr_rate"]
    refused = propose_rate(harness, neuron, minimum - 1, 5_000)
    assert refused["Error"]["error_type"] == ErrorType.INVALID_PROPOSAL
    assert refused["Error"]["error_message"] == (
        f"The proposed rate {minimum - 1} is below the minimum allowable rate"
    )
    made = propose_rate(harness, neuron, RATE, 5_000)
    proposal_id = made["MakeProposal"]["proposal_id"]["id"]
    for _ in range(3):
        harness.run_round()
    (proposal,) = harness.query(ALICE, GOVERNANCE_CANISTER_ID, "get_proposal_info", proposal_id)
    assert (
        proposal["status"] == ProposalStatus.EXECUTED and proposal["topic"] == Topic.EXCHANGE_RATE
    )
    (reply,) = harness.query(ALICE, CYCLES_MINTING_CANISTER_ID, "get_icp_xdr_conversion_rate")
    assert reply["data"] == {"timestamp_seconds": 5_000, "xdr_permyriad_per_icp": RATE}
    stale = propose_rate(harness, neuron, RATE + 1, 4_000)["MakeProposal"]["proposal_id"]["id"]
    for _ in range(3):
        harness.run_round()
    (proposal,) = harness.query(ALICE, GOVERNANCE_CANISTER_ID, "get_proposal_info", stale)
    assert proposal["status"] == ProposalStatus.FAILED
    assert "not newer" in proposal["failure_reason"]["error_message"]
