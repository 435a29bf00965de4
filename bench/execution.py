"""The execution engine: ledger transfers and queries per second, and Candid rates.

Installs the NNS on a one-node subnet exactly as genesis does (a `SubnetHarness`
with the NNS factories, canisters in their SQLite files), then times, through
the execution engine and with Candid-encoded messages only:

- ICP ledger `transfer` updates: T ingress messages from many senders in one
  batch, executed in one round (only `execute_round` is timed: induction,
  decoding, the ledger's transaction per message, replies, the state hash);
- ledger `account_balance` queries;
- the Candid encode and decode rate of governance's largest replies: a
  ProposalInfo with B ballots (`get_proposal_info`) and a full Neuron with its
  followees and 100 recent ballots (`get_full_neuron`);

- an empty round (no ingress; the heartbeats run) on a subnet that has just
  answered M messages, all of whose statuses are still in the ingress history
  (`empty_round_ms_after_100k_messages` at the default M = 100,000), against
  the same subnet when fresh; and the one round that prunes those M statuses
  once they are five minutes old;

and, as baselines in the same run, bare Python calls of the same canister
methods (a `Ledger` and the same `Governance` called directly, each call its
own transaction), plus the same values through the canonical CBOR codec of
stable memory. Prints the figures and the ratios.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _report import print_figures

from nns.genesis import NnsConfig, install_nns, nns_factories
from nns.governance.canister import Governance
from nns.governance.enums import Topic
from nns.governance.interface import governance_interface
from nns.governance.neuron import Neuron
from nns.governance.requests import MakeProposal, ManageNeuronRequest, Motion, Proposal
from nns.ledger.accounts import Account, AccountIdentifier
from nns.ledger.canister import DEFAULT_TRANSFER_FEE_E8S, Ledger
from nns.ledger.types import AccountBalanceArgs, TransferArgs
from replica.candid import decode, encode
from replica.candid.types import Blob
from replica.canister import codec
from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID, LEDGER_CANISTER_ID, ROOT_CANISTER_ID
from replica.canister.sdk import CanisterEnvironment, interface_of, update
from replica.environment import ManualEnvironment
from replica.execution.engine import SystemCanister
from replica.execution.harness import SubnetHarness
from replica.execution.ingress import MAX_INGRESS_TTL_NS
from replica.execution.messages import Status
from replica.types import Principal

E8S = 100_000_000
SENDERS = 200
START_SECONDS = 1_700_000_000
RECIPIENT = AccountIdentifier.of(Principal.self_authenticating(b"bench-recipient"))


def senders() -> list[Principal]:
    return [Principal.self_authenticating(b"bench-sender-%d" % index) for index in range(SENDERS)]


def build_subnet(state_dir: Path) -> SubnetHarness:
    config = NnsConfig(
        ledger_balances={AccountIdentifier.of(p): 1_000_000 * E8S for p in senders()}
    )
    harness = SubnetHarness(state_dir, nns_factories(config), system_installers=[ROOT_CANISTER_ID])
    install_nns(harness.engine, config)
    harness.engine.instruction_limit_per_round = 10**15  # one round executes the whole batch
    harness.run_round()
    return harness


class Echo:
    """Replies with its argument: a message that costs the engine, not a database."""

    def __init__(self, environment: CanisterEnvironment, path: str | None, init: Any) -> None:
        self.environment = environment

    @update(args=[Blob()], results=[Blob()])
    def echo(self, caller: Principal, data: bytes) -> bytes:
        return data


def build_aging_subnet(state_dir: Path) -> tuple[SubnetHarness, Principal]:
    """The NNS subnet of `build_subnet` plus an echo canister."""
    config = NnsConfig()
    factories = {
        **nns_factories(config),
        "echo": SystemCanister(create=Echo, interface=lambda i: interface_of(type(i))),
    }
    harness = SubnetHarness(state_dir, factories, system_installers=[ROOT_CANISTER_ID])
    install_nns(harness.engine, config)
    echo = harness.engine.create_canister([ROOT_CANISTER_ID])
    harness.engine.install(echo, "echo", None)
    harness.engine.instruction_limit_per_round = 10**15
    harness.run_round()
    return harness, echo


def time_empty_rounds(harness: SubnetHarness, rounds: int) -> float:
    """The median wall time of `execute_round` on empty batches, in milliseconds."""
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        harness.run_round()
        times.append(time.perf_counter() - began)
    return round(sorted(times)[len(times) // 2] * 1_000, 3)


def time_aging(state_dir: Path, messages: int, rounds: int) -> dict[str, float | int]:
    """Empty rounds on a fresh subnet and after `messages` answered messages; the round that prunes
    them."""
    harness, echo = build_aging_subnet(state_dir)
    fresh_ms = time_empty_rounds(harness, rounds)
    people = senders()
    per_round = 5_000
    for first in range(0, messages, per_round):
        for index in range(first, min(messages, first + per_round)):
            harness.submit(
                people[index % SENDERS], echo, "echo", encode([Blob()], [index.to_bytes(8, "big")])
            )
        harness.run_round()
    history = harness.engine.ingress_history
    kept = len(history)
    aged_ms = time_empty_rounds(harness, rounds)
    harness.advance(MAX_INGRESS_TTL_NS / 1_000_000_000)
    began, began_cpu = time.perf_counter(), time.process_time()
    harness.run_round()
    pruning_ms = round((time.perf_counter() - began) * 1_000, 3)
    pruning_cpu_ms = round((time.process_time() - began_cpu) * 1_000, 3)
    after_ms = time_empty_rounds(harness, rounds)
    return {
        "aging_messages": messages,
        "ingress_statuses_kept": kept,
        "empty_round_ms_fresh": fresh_ms,
        "empty_round_ms_after_messages": aged_ms,
        "empty_round_vs_fresh_ratio": round(aged_ms / fresh_ms, 2) if fresh_ms else 0.0,
        "pruning_round_ms": pruning_ms,
        "pruning_round_cpu_ms": pruning_cpu_ms,
        "ingress_statuses_after_pruning": len(history),
        "empty_round_ms_after_pruning": after_ms,
    }


def transfer_value(memo: int) -> dict[str, Any]:
    return {
        "memo": memo,
        "amount": {"e8s": 1_000},
        "fee": {"e8s": DEFAULT_TRANSFER_FEE_E8S},
        "from_subaccount": None,
        "to": RECIPIENT.raw,
        "created_at_time": None,
    }


def time_transfers(harness: SubnetHarness, count: int, first_memo: int) -> tuple[float, float, int]:
    """Submit `count` transfers, execute them in one round; returns wall and CPU seconds and
    replies."""
    spec = harness.engine.canisters[LEDGER_CANISTER_ID].interface.method("transfer")
    assert spec is not None
    people = senders()
    ids = [
        harness.submit(
            people[index % SENDERS],
            LEDGER_CANISTER_ID,
            "transfer",
            encode(spec.arguments, [transfer_value(first_memo + index)]),
        )
        for index in range(count)
    ]
    began, began_cpu = time.perf_counter(), time.process_time()
    harness.run_round()
    elapsed, cpu = time.perf_counter() - began, time.process_time() - began_cpu
    replied = 0
    for message_id in ids:
        status = harness.status(message_id)
        if status is not None and status.status == Status.REPLIED and status.reply is not None:
            (result,) = decode(status.reply, spec.results)
            replied += "Ok" in result
    return elapsed, cpu, replied


def time_baseline_transfers(state_dir: Path, count: int) -> float:
    """The same transfers as bare Python calls of `Ledger.transfer`, each its own transaction."""
    people = senders()
    environment = ManualEnvironment(now_ns=START_SECONDS * 1_000_000_000)
    ledger = Ledger(
        environment,
        minting_account=Account.of(GOVERNANCE_CANISTER_ID),
        path=str(state_dir / "baseline-ledger.sqlite3"),
        initial_balances={AccountIdentifier.of(p): 1_000_000 * E8S for p in people},
    )
    arguments = [
        TransferArgs(
            memo=index,
            amount_e8s=1_000,
            fee_e8s=DEFAULT_TRANSFER_FEE_E8S,
            from_subaccount=None,
            to=RECIPIENT,
        )
        for index in range(count)
    ]
    began = time.perf_counter()
    for index, argument in enumerate(arguments):
        ledger.transfer(people[index % SENDERS], argument)
    elapsed = time.perf_counter() - began
    time_baseline_transfers.ledger = ledger  # type: ignore[attr-defined]
    return elapsed


def ratio(baseline_per_s: float, measured_per_s: float) -> float:
    """How many times longer the measured operation takes than the baseline."""
    return round(baseline_per_s / measured_per_s, 2) if measured_per_s else 0.0


def rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds else 0.0


def time_calls(function: Callable[[], object], count: int) -> float:
    began = time.perf_counter()
    for _ in range(count):
        function()
    return time.perf_counter() - began


def build_governance(ballots: int) -> tuple[Governance, int, int, Principal]:
    """A governance with `ballots` eligible neurons, one open proposal, a neuron with 100 ballots.

    One principal controls every neuron: ProposalInfo shows only the ballots of
    the caller's neurons, so its replies carry all of them.
    """
    owner = Principal.self_authenticating(b"bench-neuron-owner")
    environment = ManualEnvironment(now_ns=START_SECONDS * 1_000_000_000, seed=5)
    governance = Governance(environment, genesis_timestamp_seconds=START_SECONDS - 86_400)
    neurons = []
    for neuron_id in range(1, ballots + 1):
        followees = (
            {0: (1, 2, 3), int(Topic.GOVERNANCE): (2,), int(Topic.SUBNET_MANAGEMENT): (3, 4)}
            if neuron_id > 4
            else {}
        )
        neurons.append(
            Neuron(
                id=neuron_id,
                subaccount=neuron_id.to_bytes(32, "big"),
                controller=owner,
                hot_keys=(Principal.self_authenticating(b"hot" + neuron_id.to_bytes(8, "big")),),
                created_timestamp_seconds=START_SECONDS - 86_400 * 400,
                voting_power_refreshed_timestamp_seconds=START_SECONDS,
                cached_neuron_stake_e8s=(neuron_id % 1_000 + 1) * E8S,
                dissolve_delay_seconds=31_557_600 + neuron_id,
                aging_since_timestamp_seconds=START_SECONDS - 86_400 * neuron_id % 1_000,
                followees=followees,
                maturity_e8s_equivalent=neuron_id * 1_000,
            )
        )
    governance.load_genesis_neurons(neurons)
    response = governance.manage_neuron(
        owner,
        ManageNeuronRequest(
            id=1,
            command=MakeProposal(
                proposal=Proposal(
                    title="A benchmark motion",
                    summary="Ballots for every neuron.",
                    url="",
                    action=Motion(motion_text="Measure the Candid of a large ProposalInfo."),
                )
            ),
        ),
    )
    proposal_id: int = response.proposal_id  # type: ignore[attr-defined]
    full = governance.state.neurons[5]
    with governance.transaction() as session:
        governance.state.record_recent_ballots(
            session, [(full.id, 1_000_000 + i, 1 + i % 2) for i in range(100)]
        )
    return governance, proposal_id, full.id, owner


def time_candid(
    governance: Governance, method: str, argument: int, caller: Principal, count: int
) -> dict[str, float]:
    """Encode and decode rate of one reply, the bare call of the method, and the CBOR reference."""
    spec = governance_interface(governance).method(method)
    assert spec is not None
    function = getattr(governance, method)
    reply = function(caller, argument)
    values = spec.to_results(reply)
    message = encode(spec.results, values)
    decode(message, spec.results)  # compile the decoder outside the timed part
    encode_s = time_calls(lambda: encode(spec.results, values), count)
    decode_s = time_calls(lambda: decode(message, spec.results), count)
    call_s = time_calls(lambda: function(caller, argument), count)
    reference = codec.encode(values)
    cbor_encode_s = time_calls(lambda: codec.encode(values), count)
    cbor_decode_s = time_calls(lambda: codec.decode(reference), count)
    return {
        "bytes": len(message),
        "encode_per_s": rate(count, encode_s),
        "decode_per_s": rate(count, decode_s),
        "baseline_calls_per_s": rate(count, call_s),
        "cbor_encode_per_s": rate(count, cbor_encode_s),
        "cbor_decode_per_s": rate(count, cbor_decode_s),
    }


def run(
    transfers: int, queries: int, ballots: int, candid_count: int, aging: int
) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory(prefix="icbox-bench-execution-") as directory:
        state_dir = Path(directory)
        aging_figures = time_aging(state_dir / "aging", aging, rounds=101)
        harness = build_subnet(state_dir / "subnet")
        time_transfers(
            harness, min(200, transfers), first_memo=10_000_000
        )  # warm the decoders and the caches
        round_s, round_cpu_s, replied = time_transfers(harness, transfers, first_memo=0)
        if replied != transfers:
            raise SystemExit(f"only {replied} of {transfers} transfers replied Ok")
        began = time.perf_counter()
        harness.engine.state_hash()
        state_hash_s = time.perf_counter() - began
        baseline_s = time_baseline_transfers(state_dir, transfers)

        spec = harness.engine.canisters[LEDGER_CANISTER_ID].interface.method("account_balance")
        assert spec is not None
        query = encode(spec.arguments, [{"account": RECIPIENT.raw}])
        sender = senders()[0]
        engine = harness.engine
        query_s = time_calls(
            lambda: engine.query(LEDGER_CANISTER_ID, "account_balance", query, sender), queries
        )
        ledger: Ledger = time_baseline_transfers.ledger  # type: ignore[attr-defined]
        balance_args = AccountBalanceArgs(account=RECIPIENT)
        baseline_query_s = time_calls(lambda: ledger.account_balance(sender, balance_args), queries)
        (balance,) = harness.query(
            sender, LEDGER_CANISTER_ID, "account_balance", {"account": RECIPIENT.raw}
        )

    governance, proposal_id, neuron_id, controller = build_governance(ballots)
    info = time_candid(governance, "get_proposal_info", proposal_id, controller, candid_count)
    neuron = time_candid(governance, "get_full_neuron", neuron_id, controller, candid_count * 10)
    transfers_per_s = rate(transfers, round_s)
    baseline_calls_per_s = rate(transfers, baseline_s)
    queries_per_s = rate(queries, query_s)
    baseline_queries_per_s = rate(queries, baseline_query_s)
    return {
        "ledger_transfers": transfers,
        "ledger_round_s": round(round_s, 4),
        "ledger_transfers_per_s": transfers_per_s,
        "ledger_transfers_per_cpu_s": rate(transfers, round_cpu_s),
        "baseline_calls_per_s": baseline_calls_per_s,
        "transfers_vs_baseline_ratio": ratio(baseline_calls_per_s, transfers_per_s),
        "recipient_balance_e8s": balance["e8s"],
        "state_hash_s": round(state_hash_s, 4),
        "queries": queries,
        "queries_per_s": queries_per_s,
        "baseline_queries_per_s": baseline_queries_per_s,
        "queries_vs_baseline_ratio": ratio(baseline_queries_per_s, queries_per_s),
        "proposal_info_ballots": ballots,
        "proposal_info_bytes": info["bytes"],
        "candid_encode_per_s": info["encode_per_s"],
        "candid_decode_per_s": info["decode_per_s"],
        "proposal_info_encode_ms": round(1_000 / info["encode_per_s"], 3),
        "proposal_info_decode_ms": round(1_000 / info["decode_per_s"], 3),
        "proposal_info_baseline_calls_per_s": info["baseline_calls_per_s"],
        "proposal_info_cbor_encode_per_s": info["cbor_encode_per_s"],
        "proposal_info_cbor_decode_per_s": info["cbor_decode_per_s"],
        "candid_encode_vs_baseline_ratio": ratio(
            info["baseline_calls_per_s"], info["encode_per_s"]
        ),
        "candid_decode_vs_baseline_ratio": ratio(
            info["baseline_calls_per_s"], info["decode_per_s"]
        ),
        "neuron_bytes": neuron["bytes"],
        "neuron_candid_encode_per_s": neuron["encode_per_s"],
        "neuron_candid_decode_per_s": neuron["decode_per_s"],
        "neuron_baseline_calls_per_s": neuron["baseline_calls_per_s"],
        "neuron_cbor_encode_per_s": neuron["cbor_encode_per_s"],
        "neuron_cbor_decode_per_s": neuron["cbor_decode_per_s"],
        "neuron_candid_encode_vs_cbor_ratio": ratio(
            neuron["cbor_encode_per_s"], neuron["encode_per_s"]
        ),
        **aging_figures,
        **(
            {"empty_round_ms_after_100k_messages": aging_figures["empty_round_ms_after_messages"]}
            if aging == 100_000
            else {}
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=5_000)
    parser.add_argument("--queries", type=int, default=5_000)
    parser.add_argument("--ballots", type=int, default=1_000)
    parser.add_argument(
        "--candid", type=int, default=300, help="encodes and decodes of the ProposalInfo"
    )
    parser.add_argument(
        "--aging", type=int, default=100_000, help="messages answered before the aged empty rounds"
    )
    parser.add_argument("--smoke", action="store_true", help="a small run")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.smoke:
        figures = run(300, 300, 100, 20, 2_000)
    else:
        figures = run(args.transfers, args.queries, args.ballots, args.candid, args.aging)
    print_figures(figures, as_json=args.json)


if __name__ == "__main__":
    main()
