"""The SNS ledger (ICRC-1/ICRC-2 on the ICP ledger's machinery) and its index, on a subnet.

Rules: dfinity/ICRC-1 standards/ICRC-1 and ICRC-2; the SNS ledger is the ICRC-1
ledger SNS-W installs (rs/nns/sns-wasm/src/sns_wasm.rs), minting account = SNS
governance (spec sns.md §5); the index is rs/ledger_suite/icrc1/index-ng.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nns.ledger.accounts import Account
from replica.candid import encode
from replica.canister.sdk import interface_of
from replica.execution.canisters import SystemCanister
from replica.execution.harness import SubnetHarness
from replica.types import Principal
from sns.index import SnsIndex
from sns.ledger import SNS_LEDGER_METHODS, SnsLedger, SnsLedgerInit, sns_ledger_interface

GOVERNANCE = Principal.from_canister_id(100)
LEDGER = Principal.from_canister_id(101)
INDEX = Principal.from_canister_id(102)
ALICE = Principal.self_authenticating(b"alice")
BOB = Principal.self_authenticating(b"bob")
TREASURY = bytes(31) + b"\x01"


def make(tmp_path: Path) -> SubnetHarness:
    init = SnsLedgerInit(
        token_name="Dragginz",
        token_symbol="DKP",
        transfer_fee_e8s=100_000,
        minting_account=Account.of(GOVERNANCE),
        initial_balances=((Account.of(ALICE), 50_000_000), (Account.of(GOVERNANCE, TREASURY), 7)),
        token_logo="data:image/png;base64,AA==",
    )
    factories = {
        "sns-ledger": SystemCanister(
            create=lambda environment, path, _init: SnsLedger(environment, init, path),
            interface=sns_ledger_interface,
        ),
        "sns-index": SystemCanister(
            create=SnsIndex, interface=lambda instance: interface_of(type(instance))
        ),
    }
    harness = SubnetHarness(tmp_path, factories)
    for canister_id in (LEDGER, INDEX):
        harness.engine.create_canister([GOVERNANCE], canister_id=canister_id)
    harness.engine.install(LEDGER, "sns-ledger", None)
    harness.engine.install(INDEX, "sns-index", {"ledger_id": LEDGER})
    return harness


def account(owner: Principal, subaccount: bytes | None = None) -> dict[str, Any]:
    return {"owner": owner, "subaccount": subaccount}


def transfer(to: dict[str, Any], amount: int, fee: int | None = None) -> dict[str, Any]:
    return {
        "from_subaccount": None,
        "to": to,
        "amount": amount,
        "fee": fee,
        "memo": None,
        "created_at_time": None,
    }


def test_the_token_is_the_sns_token_and_only_icrc_methods_are_offered(tmp_path: Path) -> None:
    harness = make(tmp_path)

    def q(method: str, *values: Any) -> Any:
        return harness.query(ALICE, LEDGER, method, *values)[0]

    assert (q("icrc1_name"), q("icrc1_symbol"), q("icrc1_fee"), q("icrc1_decimals")) == (
        "Dragginz",
        "DKP",
        100_000,
        8,
    )
    assert q("icrc1_total_supply") == 50_000_007
    assert q("icrc1_balance_of", account(GOVERNANCE, TREASURY)) == 7
    assert q("icrc1_minting_account") == account(GOVERNANCE)
    assert {"0": "icrc1:logo", "1": {"Text": "data:image/png;base64,AA=="}} in q("icrc1_metadata")
    methods = set(harness.engine.canisters[LEDGER].interface.methods)
    assert methods == SNS_LEDGER_METHODS | {
        "get_transactions",
        "get_blocks",
        "archives",
        "icrc3_get_blocks",
        "icrc3_get_archives",
        "icrc3_supported_block_types",
        "icrc3_get_tip_certificate",
        "get_data_certificate",
        "icrc103_get_allowances",
        "icrc106_get_index_principal",
    }
    assert "transfer" not in methods and "account_balance" not in methods


def test_transfers_pay_the_sns_fee_and_refusals_change_nothing(tmp_path: Path) -> None:
    harness = make(tmp_path)
    (bad,) = harness.call(ALICE, LEDGER, "icrc1_transfer", transfer(account(BOB), 10, fee=10_000))
    assert bad == {"Err": {"BadFee": {"expected_fee": 100_000}}}
    (poor,) = harness.call(BOB, LEDGER, "icrc1_transfer", transfer(account(ALICE), 10))
    assert "InsufficientFunds" in poor["Err"]
    (ok,) = harness.call(ALICE, LEDGER, "icrc1_transfer", transfer(account(BOB), 1_000_000))
    assert ok == {"Ok": 2}
    assert harness.query(ALICE, LEDGER, "icrc1_balance_of", account(ALICE)) == [48_900_000]
    assert harness.query(ALICE, LEDGER, "icrc1_total_supply") == [50_000_007 - 100_000]
    # governance's default account is the minting account: a transfer from it mints, fee 0
    (minted,) = harness.call(GOVERNANCE, LEDGER, "icrc1_transfer", transfer(account(BOB), 5))
    assert minted == {"Ok": 3}
    assert harness.query(ALICE, LEDGER, "icrc1_balance_of", account(BOB)) == [1_000_005]


def test_approve_and_transfer_from(tmp_path: Path) -> None:
    harness = make(tmp_path)
    approve = {
        "from_subaccount": None,
        "spender": account(BOB),
        "amount": 2_000_000,
        "expected_allowance": None,
        "expires_at": None,
        "fee": None,
        "memo": None,
        "created_at_time": None,
    }
    assert harness.call(ALICE, LEDGER, "icrc2_approve", approve) == [{"Ok": 2}]
    spend = {
        "spender_subaccount": None,
        "from": account(ALICE),
        "to": account(BOB, TREASURY),
        "amount": 1_000_000,
        "fee": None,
        "memo": None,
        "created_at_time": None,
    }
    assert harness.call(BOB, LEDGER, "icrc2_transfer_from", spend) == [{"Ok": 3}]
    (allowance,) = harness.query(
        ALICE, LEDGER, "icrc2_allowance", {"account": account(ALICE), "spender": account(BOB)}
    )
    assert allowance["allowance"] == 2_000_000 - 1_100_000


def test_icrc103_lists_an_accounts_allowances_by_spender_and_icrc106_names_the_index(
    tmp_path: Path,
) -> None:
    """ICRC-103 (rs/ledger_suite/icrc1/ledger/src/lib.rs `get_allowances`): public, by spender
    account, after `prev_spender`, at most `take`; expired allowances are not listed."""
    harness = make(tmp_path)
    spenders = sorted(
        [account(BOB), account(BOB, TREASURY), account(GOVERNANCE)],
        key=lambda a: (a["owner"].raw, a["subaccount"] or bytes(32)),
    )
    for amount, spender in enumerate(spenders, start=1):
        approve = {
            "from_subaccount": None,
            "spender": spender,
            "amount": amount,
            "expected_allowance": None,
            "expires_at": None,
            "fee": None,
            "memo": None,
            "created_at_time": None,
        }
        harness.call(ALICE, LEDGER, "icrc2_approve", approve)
    expired = {**approve, "spender": account(INDEX), "expires_at": harness.time_ns + 1}
    harness.call(ALICE, LEDGER, "icrc2_approve", expired)
    harness.advance(10)

    def listed(**request: Any) -> list[Any]:
        full = {"from_account": account(ALICE), "prev_spender": None, "take": None, **request}
        (answer,) = harness.query(BOB, LEDGER, "icrc103_get_allowances", full)
        return list(answer["Ok"])

    everything = listed()
    assert [entry["to_spender"] for entry in everything] == spenders
    assert [entry["allowance"] for entry in everything] == [1, 2, 3]
    assert all(entry["from_account"] == account(ALICE) for entry in everything)
    assert listed(prev_spender=spenders[0], take=1) == everything[1:2]
    (own,) = harness.query(
        ALICE,
        LEDGER,
        "icrc103_get_allowances",
        {"from_account": None, "prev_spender": None, "take": None},
    )
    assert own["Ok"] == everything
    assert harness.query(ALICE, LEDGER, "icrc106_get_index_principal") == [
        {"Err": {"IndexPrincipalNotSet": None}}
    ]


def test_the_index_answers_an_accounts_transactions_newest_first(tmp_path: Path) -> None:
    harness = make(tmp_path)
    harness.call(ALICE, LEDGER, "icrc1_transfer", transfer(account(BOB), 1_000_000))
    harness.call(ALICE, LEDGER, "icrc1_transfer", transfer(account(BOB, TREASURY), 2_000_000))
    for _ in range(3):
        harness.run_round()
    assert harness.query(ALICE, INDEX, "status") == [{"num_blocks_synced": 4}]
    # list_subaccounts: BOB's default and TREASURY subaccounts, in byte order, after `start`
    assert harness.query(ALICE, INDEX, "list_subaccounts", {"owner": BOB, "start": None}) == [
        [bytes(32), TREASURY]
    ]
    assert harness.query(ALICE, INDEX, "list_subaccounts", {"owner": BOB, "start": bytes(32)}) == [
        [TREASURY]
    ]
    assert harness.query(ALICE, INDEX, "list_subaccounts", {"owner": INDEX, "start": None}) == [[]]
    (alice,) = harness.query(
        ALICE,
        INDEX,
        "get_account_transactions",
        {"account": account(ALICE), "start": None, "max_results": 10},
    )
    ids = [entry["id"] for entry in alice["Ok"]["transactions"]]
    assert ids[:2] == [3, 2] and len(ids) == 3  # plus its initial mint (block 0 or 1)
    assert alice["Ok"]["balance"] == 50_000_000 - 3_000_000 - 2 * 100_000
    assert (
        alice["Ok"]["balance"]
        == harness.query(ALICE, LEDGER, "icrc1_balance_of", account(ALICE))[0]
    )
    (bob,) = harness.query(
        BOB,
        INDEX,
        "get_account_transactions",
        {"account": account(BOB), "start": None, "max_results": 10},
    )
    (only,) = bob["Ok"]["transactions"]
    assert only["transaction"]["kind"] == "transfer"
    assert only["transaction"]["transfer"]["from"] == account(ALICE)
    (paged,) = harness.query(
        ALICE,
        INDEX,
        "get_account_transactions",
        {"account": account(ALICE), "start": 2, "max_results": 1},
    )
    assert [entry["id"] for entry in paged["Ok"]["transactions"]] == [2]


def test_the_index_keeps_and_serves_the_ledgers_blocks(tmp_path: Path) -> None:
    """index-ng `get_blocks`: the index's copy of the ledger's blocks as generic values, with
    the number it has synced as `chain_length`; the ranges are cut at its end."""
    harness = make(tmp_path)
    harness.call(ALICE, LEDGER, "icrc1_transfer", transfer(account(BOB), 1_000_000))
    for _ in range(3):
        harness.run_round()
    (ledger,) = harness.query(ALICE, LEDGER, "get_blocks", {"start": 0, "length": 100})
    (index,) = harness.query(ALICE, INDEX, "get_blocks", {"start": 0, "length": 100})
    assert index == {"chain_length": 3, "blocks": ledger["blocks"]} and len(index["blocks"]) == 3
    (tail,) = harness.query(ALICE, INDEX, "get_blocks", {"start": 2, "length": 5})
    assert tail == {"chain_length": 3, "blocks": ledger["blocks"][2:]}
    (past,) = harness.query(ALICE, INDEX, "get_blocks", {"start": 9, "length": 5})
    assert past == {"chain_length": 3, "blocks": []}
    harness.call(BOB, LEDGER, "icrc1_transfer", transfer(account(ALICE), 100_000))
    for _ in range(3):
        harness.run_round()
    (later,) = harness.query(ALICE, INDEX, "get_blocks", {"start": 3, "length": 5})
    assert later["chain_length"] == 4
    assert (
        later["blocks"]
        == harness.query(ALICE, LEDGER, "get_blocks", {"start": 3, "length": 1})[0]["blocks"]
    )


def consent(harness: SubnetHarness, method: str, arg: bytes) -> Any:
    (reply,) = harness.call(
        ALICE,
        LEDGER,
        "icrc21_canister_call_consent_message",
        {
            "method": method,
            "arg": arg,
            "user_preferences": {
                "metadata": {"language": "en", "utc_offset_minutes": None},
                "device_spec": None,
            },
        },
    )
    return reply


def test_consent_messages_speak_of_the_sns_token_and_only_of_its_methods(tmp_path: Path) -> None:
    """ICRC-21 on the SNS ledger: the ICRC transfers and approvals in the SNS's own symbol and
    fee; the ICP ledger's legacy `transfer` is no method here, so it gets no message; nothing
    changes."""
    harness = make(tmp_path)
    store = harness.engine.canisters[LEDGER].store
    spec = harness.engine.canisters[LEDGER].interface.method("icrc1_transfer")
    assert store is not None and spec is not None
    before = store.state_hash()
    arg = encode(spec.arguments, [{**transfer(account(BOB), 150_000_000), "memo": b"rent"}])
    text = consent(harness, "icrc1_transfer", arg)["Ok"]["consent_message"]["GenericDisplayMessage"]
    assert "# Send DKP" in text and "1.5 DKP" in text and "0.001 DKP" in text
    assert Account.of(ALICE).to_text() in text and Account.of(BOB).to_text() in text
    assert "rent" in text
    legacy = consent(harness, "transfer", arg)
    assert "UnsupportedCanisterCall" in legacy["Err"]
    balance = consent(harness, "icrc1_balance_of", arg)
    assert "UnsupportedCanisterCall" in balance["Err"]
    assert store.state_hash() == before
