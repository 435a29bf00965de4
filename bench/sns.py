"""SNS benchmark: swap finalization with many participants, and a following cascade.

`finalize_s` is the CPU time of one `finalize_swap` run on a subnet harness
(ICP ledger, SNS ledger, SNS governance, SNS root and the swap as canisters,
every transfer and claim a real inter-canister call) after `participants`
direct participants joined a committed swap; `neurons_per_s` is the basket
neurons it created per CPU second. `sns_cascade_s` is the CPU time of an SNS
proposal whose yes vote cascades through 10,000 neurons following on its
topic (governance core). Targets: finalize 10,000 participants in < 10 s,
the cascade in < 0.5 s.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _report import print_figures

from nns.ledger.accounts import Account, AccountIdentifier
from nns.ledger.canister import Ledger
from nns.ledger.interface import ledger_interface
from replica.candid import encode
from replica.candid.types import Record
from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID, LEDGER_CANISTER_ID
from replica.execution.canisters import SystemCanister
from replica.execution.harness import DEFAULT_START_NS, SubnetHarness
from replica.execution.messages import Status
from replica.types import Principal
from sns.factories import sns_factories
from sns.governance.actions import Motion
from sns.governance.canister import SnsGovernance
from sns.governance.core import Mode, SnsGovernanceCore
from sns.governance.neuron import Followee, Neuron
from sns.governance.parameters import ONE_YEAR_SECONDS, NervousSystemParameters
from sns.governance.proposals import Topic
from sns.swap.canister import SnsSwap
from sns.swap.core import BuyerState, Lifecycle, principal_to_subaccount
from sns.wire import decode_init, encode_init

E8S = 100_000_000
NOW = DEFAULT_START_NS // 1_000_000_000
ROOT, GOVERNANCE, LEDGER, SWAP, INDEX = (Principal.from_canister_id(100 + i) for i in range(5))


def finalize(participants: int) -> tuple[float, int]:
    buyers = [Principal.self_authenticating(i.to_bytes(4, "big")) for i in range(participants)]
    per_buyer = 10 * E8S
    icp_balances = {
        AccountIdentifier.of(SWAP, principal_to_subaccount(b)): per_buyer for b in buyers
    }
    factories = dict(sns_factories())
    factories["ledger"] = SystemCanister(
        create=lambda env, path, init: Ledger(
            env,
            minting_account=Account.of(GOVERNANCE_CANISTER_ID),
            initial_balances=icp_balances,
            path=path,
        ),
        interface=ledger_interface,
    )
    directory = tempfile.mkdtemp()
    harness = SubnetHarness(Path(directory), factories, system_installers=[])
    engine = harness.engine
    sns_tokens = 1_000_000 * E8S
    inits: dict[str, dict[str, Any]] = {
        "sns-root": {
            "governance_id": GOVERNANCE,
            "ledger_id": LEDGER,
            "index_id": INDEX,
            "swap_id": SWAP,
        },
        "sns-governance": {"ledger_id": LEDGER, "root_id": ROOT, "swap_id": SWAP, "mode": 2},
        "sns-ledger": {
            "token_name": "Bench Token",
            "token_symbol": "BNCH",
            "transfer_fee_e8s": 10_000,
            "minting_account": GOVERNANCE,
            "initial_balances": [(SWAP, None, sns_tokens)],
        },
        "sns-swap": {
            "min_participants": 1,
            "min_direct_participation_icp_e8s": E8S,
            "max_direct_participation_icp_e8s": participants * per_buyer,
            "min_participant_icp_e8s": E8S,
            "max_participant_icp_e8s": per_buyer,
            "sns_token_e8s": sns_tokens,
            "swap_start_timestamp_seconds": NOW,
            "swap_due_timestamp_seconds": NOW + 1,
            "basket_count": 3,
            "basket_dissolve_delay_interval_seconds": 86_400,
            "sns_transaction_fee_e8s": 10_000,
            "nns_governance_id": GOVERNANCE_CANISTER_ID,
            "sns_governance_id": GOVERNANCE,
            "sns_ledger_id": LEDGER,
            "icp_ledger_id": LEDGER_CANISTER_ID,
            "sns_root_id": ROOT,
            "fallback_controller_principal_ids": [ROOT],
            "should_auto_finalize": False,
        },
    }
    engine.create_canister([ROOT], canister_id=LEDGER_CANISTER_ID)
    engine.install(LEDGER_CANISTER_ID, "ledger", None)
    for canister_id, name in (
        (ROOT, "sns-root"),
        (GOVERNANCE, "sns-governance"),
        (LEDGER, "sns-ledger"),
        (SWAP, "sns-swap"),
    ):
        engine.create_canister([ROOT], canister_id=canister_id)
        engine.install(canister_id, name, decode_init(encode_init(inits[name])))
    swap = cast(SnsSwap, engine.canisters[SWAP].instance)
    governance = cast(SnsGovernance, engine.canisters[GOVERNANCE].instance)
    governance.core.parameters = NervousSystemParameters(max_number_of_neurons=200_000)
    for buyer in buyers:  # they joined: each buyer's ICP is in its swap subaccount
        swap.core.buyers[buyer] = BuyerState(amount_icp_e8s=per_buyer)
    swap.core.lifecycle = Lifecycle.COMMITTED
    harness.run_round()
    message = harness.submit(GOVERNANCE, SWAP, "finalize_swap", encode([Record({})], [{}]))
    start = time.process_time()
    while True:
        harness.run_round()
        status = harness.status(message)
        if status is not None and status.status in (Status.REPLIED, Status.REJECTED, Status.DONE):
            break
    elapsed = time.process_time() - start
    if not swap.finalization.is_done(swap.core):
        raise RuntimeError(f"finalization did not complete: {swap.finalization.error_message}")
    neurons = len(governance.core.neurons)
    engine.close()
    return elapsed, neurons


def cascade(neurons: int, seed: int = 7) -> float:
    core = SnsGovernanceCore(
        parameters=NervousSystemParameters(),
        governance_id=GOVERNANCE,
        ledger_id=LEDGER,
        root_id=ROOT,
        swap_id=SWAP,
        genesis_timestamp_seconds=NOW,
        mode=Mode.NORMAL,
    )
    rng = random.Random(seed)
    ids: list[bytes] = []
    owner = Principal.self_authenticating(b"owner")
    for index in range(neurons):
        neuron_id = index.to_bytes(32, "big")
        neuron = Neuron(
            id=neuron_id,
            permissions={owner: core.claimer_permissions()},
            cached_neuron_stake_e8s=(index % 100 + 1) * E8S,
            created_timestamp_seconds=NOW,
            aging_since_timestamp_seconds=NOW,
            dissolve_delay_seconds=ONE_YEAR_SECONDS,
        )
        if ids:  # each neuron follows one to three earlier neurons on the Governance topic
            chosen = rng.sample(ids, k=min(len(ids), rng.randint(1, 3)))
            neuron.topic_followees[int(Topic.GOVERNANCE)] = tuple(Followee(f) for f in chosen)
        core.add_neuron(neuron)
        ids.append(neuron_id)
    start = time.process_time()
    proposal_id = core.make_proposal(
        owner, ids[0], title="cascade", summary="", url="", action=Motion(motion_text="x"), now=NOW
    )
    elapsed = time.process_time() - start
    ballots = core.proposal(proposal_id).ballots
    voted = sum(1 for vote, _ in ballots.values() if vote != 0)
    if voted != neurons:
        raise RuntimeError(f"only {voted} of {neurons} neurons voted")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--neurons", type=int, default=10_000)
    parser.add_argument("--smoke", action="store_true", help="a small run (300 participants)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    participants = 300 if args.smoke else args.participants
    neurons = 1_000 if args.smoke else args.neurons
    finalize_s, created = finalize(participants)
    cascade_s = cascade(neurons)
    print_figures(
        {
            "participants": participants,
            "finalize_s": round(finalize_s, 3),
            "neurons_created": created,
            "neurons_per_s": round(created / finalize_s, 1) if finalize_s else None,
            "cascade_neurons": neurons,
            "sns_cascade_s": round(cascade_s, 4),
        },
        as_json=args.json,
    )


if __name__ == "__main__":
    main()
