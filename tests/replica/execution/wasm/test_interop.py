"""Wasm canisters and the NNS's Python canisters call each other, Candid bytes on the wire
(replica/execution/wasm/interop.py): a Wasm canister calls the ledger and gets its callback, and a
Python canister calls a Wasm canister."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nns.genesis import NnsConfig, install_nns, nns_engine_options, nns_factories
from nns.ledger.accounts import AccountIdentifier
from nns.ledger.did import LEDGER_DID
from replica.candid import decode, encode
from replica.candid.did import parse_did
from replica.candid.types import Blob, Nat, PrincipalType, Text
from replica.canister.nns_ids import LEDGER_CANISTER_ID
from replica.canister.sdk import CanisterEnvironment, interface_of, update
from replica.environment import DEFERRED, OutgoingCall, Reject
from replica.execution.engine import SystemCanister
from replica.execution.harness import SubnetHarness
from replica.execution.runtime import RawReply
from replica.execution.wasm.operations import CanisterOperations
from replica.types import Principal
from tests.replica.execution.wasm.helpers import ALICE, BOB, call_arg, deploy, fixture

E8S = 100_000_000
FEE = 10_000
LEDGER = parse_did(LEDGER_DID)


class Forwarder:
    """A Python canister that calls any canister with Candid bytes and replies with the answer."""

    def __init__(self, environment: CanisterEnvironment, path: str | None, init: Any) -> None:
        self.environment = environment

    @update(args=[PrincipalType, Text, Blob], results=[Blob])
    def forward(self, caller: Principal, argument: tuple[Principal, str, bytes]) -> object:
        target, method, payload = argument
        self.environment.call(
            OutgoingCall(
                callee=target, method=method, argument=payload, on_reply="_back", on_reject="_back"
            )
        )
        return DEFERRED

    def _back(self, context: object, answer: object) -> bytes:
        if isinstance(answer, Reject):
            return b"rejected: " + answer.message.encode()
        assert isinstance(answer, RawReply)
        return answer.data


def nns(tmp_path: Path) -> tuple[SubnetHarness, CanisterOperations]:
    config = NnsConfig(ledger_balances={AccountIdentifier.of(ALICE): 1_000 * E8S})
    factories = {
        **nns_factories(config),
        "forwarder": SystemCanister(
            create=Forwarder, interface=lambda instance: interface_of(type(instance))
        ),
    }
    harness = SubnetHarness(tmp_path / "nns", factories, **nns_engine_options())
    install_nns(harness.engine, config)
    return harness, CanisterOperations(harness, ALICE)


def ledger_arg(method: str, value: Any) -> bytes:
    return encode(LEDGER.method(method).arguments, [value])


def ledger_reply(method: str, data: bytes) -> Any:
    return decode(data, LEDGER.method(method).results)[0]


def called(ops: CanisterOperations, caller: Principal, method: str, value: Any) -> Any:
    """canister.c's `call` of a ledger method: 'R', the refund, then the ledger's Candid reply."""
    reply = ops.call(
        caller, "call", call_arg(LEDGER_CANISTER_ID, method, ledger_arg(method, value))
    )
    assert reply[:1] == b"R", reply
    return ledger_reply(method, reply[17:])


def account(owner: Principal) -> dict[str, Any]:
    return {"owner": owner, "subaccount": None}


def test_a_wasm_canister_calls_the_ledger_and_its_callback_gets_the_reply(tmp_path: Path) -> None:
    harness, ops = nns(tmp_path)
    wasm = deploy(ops, fixture("c_canister_wasm32.wasm"))
    harness.call(
        ALICE,
        LEDGER_CANISTER_ID,
        "icrc1_transfer",
        {
            "to": account(wasm),
            "amount": 5 * E8S,
            "fee": None,
            "memo": None,
            "from_subaccount": None,
            "created_at_time": None,
        },
    )
    assert called(ops, wasm, "icrc1_balance_of", account(wasm)) == 5 * E8S
    # the ledger sees the Wasm canister as the caller: it spends from the canister's own account
    sent = called(
        ops,
        wasm,
        "icrc1_transfer",
        {
            "to": account(BOB),
            "amount": 2 * E8S,
            "fee": None,
            "memo": None,
            "from_subaccount": None,
            "created_at_time": None,
        },
    )
    assert "Ok" in sent
    assert called(ops, wasm, "icrc1_balance_of", account(BOB)) == 2 * E8S
    assert called(ops, wasm, "icrc1_balance_of", account(wasm)) == 3 * E8S - FEE


def test_a_refusal_the_ledger_answers_in_candid_reaches_the_wasm_canister_as_its_err(
    tmp_path: Path,
) -> None:
    _, ops = nns(tmp_path)
    wasm = deploy(ops, fixture("c_canister_wasm32.wasm"))
    refused = called(
        ops,
        wasm,
        "icrc1_transfer",
        {
            "to": account(BOB),
            "amount": E8S,
            "fee": None,
            "memo": None,
            "from_subaccount": None,
            "created_at_time": None,
        },
    )
    assert "InsufficientFunds" in refused["Err"]


def test_a_bad_argument_and_an_unknown_method_are_rejects_for_the_wasm_canister(
    tmp_path: Path,
) -> None:
    _, ops = nns(tmp_path)
    wasm = deploy(ops, fixture("c_canister_wasm32.wasm"))
    for method, payload in (("icrc1_balance_of", b"DIDL\x00\x00"), ("no_such_method", b"")):
        reply = ops.call(wasm, "call", call_arg(LEDGER_CANISTER_ID, method, payload))
        assert reply[:1] == b"J", reply


def test_a_python_canister_calls_a_wasm_canister_with_candid_bytes(tmp_path: Path) -> None:
    harness, ops = nns(tmp_path)
    wasm = deploy(ops, fixture("c_canister_wasm32.wasm"))
    forwarder = harness.engine.create_canister([ALICE])
    harness.engine.install(forwarder, "forwarder", None)
    assert harness.call(ALICE, forwarder, "forward", wasm, "echo", b"hello") == [b"hello"]
    [refused] = harness.call(ALICE, forwarder, "forward", wasm, "trap", b"")
    assert refused.startswith(b"rejected: ") and b"it's a trap" in refused


def test_a_motoko_canister_calls_the_ledger(tmp_path: Path) -> None:
    """motoko/ledger_client.mo, built by the official compiler: `await` on the ledger's methods."""
    harness, ops = nns(tmp_path)
    client = deploy(ops, fixture("motoko_ledger_client.wasm"))
    harness.call(
        ALICE,
        LEDGER_CANISTER_ID,
        "icrc1_transfer",
        {
            "to": account(client),
            "amount": 5 * E8S,
            "fee": None,
            "memo": None,
            "from_subaccount": None,
            "created_at_time": None,
        },
    )
    balance = ops.call(client, "balance_of", encode([PrincipalType], [client]))
    assert decode(balance, [Nat]) == [5 * E8S]
    paid = ops.call(client, "pay", encode([PrincipalType, Nat], [BOB, 2 * E8S]))
    assert decode(paid, [Text])[0].startswith("block ")
    refused = ops.call(client, "pay", encode([PrincipalType, Nat], [BOB, 100 * E8S]))
    assert decode(refused, [Text]) == ["refused"]
    assert decode(ops.query(client, "paid", encode([], [])), [Nat]) == [1]
    [bob] = harness.query(ALICE, LEDGER_CANISTER_ID, "icrc1_balance_of", account(BOB))
    assert bob == 2 * E8S
