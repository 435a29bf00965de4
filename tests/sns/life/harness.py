"""An NNS with SNS-W on a subnet harness, a Wasm dapp, and the steps of an SNS's life."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nns.genesis import NnsConfig, install_nns, nns_engine_options, nns_factories
from nns.governance.neuron import Neuron as NnsNeuron
from nns.ledger.accounts import AccountIdentifier
from nns.sns_wasm import SNS_WASM_CANISTER_ID
from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID, LEDGER_CANISTER_ID, ROOT_CANISTER_ID
from replica.execution.harness import DEFAULT_START_NS, SubnetHarness
from replica.execution.wasm.operations import CanisterOperations
from replica.types import Principal
from sns.swap.core import principal_to_subaccount
from tests.replica.execution.wasm.helpers import fixture
from tests.sns.proposal import create_service_nervous_system

E8S = 100_000_000
ICP_FEE = 10_000
START_SECONDS = DEFAULT_START_NS // 1_000_000_000
ALICE = Principal.self_authenticating(b"alice")  # the NNS neuron that passes proposals
DEVELOPER = Principal.self_authenticating(b"developer")
FALLBACK = Principal.self_authenticating(b"fallback")
BUYERS = [Principal.self_authenticating(b"buyer" + bytes([i])) for i in range(4)]
FUND_CONTROLLERS = [Principal.self_authenticating(b"fund" + bytes([i])) for i in range(2)]
DAPP_MODULE = "c_counter_wasm32.wasm"
UPGRADE_MODULE = "c_canister_wasm32.wasm"


def nns_neuron(neuron_id: int, controller: Principal, stake: int, **extra: Any) -> NnsNeuron:
    return NnsNeuron(
        id=neuron_id,
        subaccount=hashlib.sha256(b"neuron" + bytes([neuron_id])).digest(),
        controller=controller,
        created_timestamp_seconds=START_SECONDS,
        voting_power_refreshed_timestamp_seconds=START_SECONDS,
        cached_neuron_stake_e8s=stake,
        dissolve_delay_seconds=8 * 365 * 86_400,
        aging_since_timestamp_seconds=START_SECONDS,
        **extra,
    )


@dataclass
class Life:
    harness: SubnetHarness
    dapp: Principal

    # -- calls --------------------------------------------------------------------------------

    def call(self, who: Principal, canister: Principal, method: str, *values: Any) -> Any:
        (reply,) = self.harness.call(who, canister, method, *values)
        return reply

    def query(self, who: Principal, canister: Principal, method: str, *values: Any) -> Any:
        (reply,) = self.harness.query(who, canister, method, *values)
        return reply

    def rounds(self, count: int = 5) -> None:
        for _ in range(count):
            self.harness.run_round()

    def instance(self, canister: Principal) -> Any:
        return self.harness.engine.canisters[canister].instance

    def controllers(self, canister: Principal) -> set[Principal]:
        return set(self.harness.engine.canisters[canister].controllers)

    def icp_balance(self, who: Principal, subaccount: bytes | None = None) -> int:
        return int(
            self.query(
                who,
                LEDGER_CANISTER_ID,
                "icrc1_balance_of",
                {"owner": who, "subaccount": subaccount},
            )
        )

    def module_hash(self, canister: Principal) -> bytes | None:
        return self.harness.engine.canisters[canister].module_hash

    # -- the NNS proposal ---------------------------------------------------------------------

    def propose_sns(self, **options: Any) -> int:
        record = create_service_nervous_system(
            dapps=[self.dapp], fallback=[FALLBACK], developer=DEVELOPER, **options
        )
        reply = self.call(
            ALICE,
            GOVERNANCE_CANISTER_ID,
            "manage_neuron",
            {
                "id": {"id": 1},
                "neuron_id_or_subaccount": None,
                "command": {
                    "MakeProposal": {
                        "url": "",
                        "title": "Decentralize Dragginz",
                        "summary": "",
                        "action": {"CreateServiceNervousSystem": record},
                    }
                },
            },
        )
        command = reply["command"]
        if "MakeProposal" not in command:
            raise AssertionError(f"the proposal was refused: {command}")
        proposal_id: int = command["MakeProposal"]["proposal_id"]["id"]
        self.rounds(8)
        return proposal_id

    def deployed(self, proposal_id: int) -> dict[str, Principal]:
        reply = self.query(
            ALICE,
            SNS_WASM_CANISTER_ID,
            "get_deployed_sns_by_proposal_id",
            {"proposal_id": proposal_id},
        )
        found = reply["get_deployed_sns_by_proposal_id_result"]
        if "DeployedSns" not in found:
            raise AssertionError(f"no SNS for proposal {proposal_id}: {found}")
        sns = found["DeployedSns"]
        return {
            role: sns[f"{role}_canister_id"]
            for role in ("root", "governance", "ledger", "swap", "index")
        }

    # -- the swap -----------------------------------------------------------------------------

    def open_swap(self, swap: Principal) -> None:
        start = self.instance(swap).core.params.swap_start_timestamp_seconds
        self.harness.advance(start - self.harness.time_ns // 1_000_000_000)
        self.rounds(2)

    def participate(self, swap: Principal, buyer: Principal, icp: int) -> dict[str, int]:
        ticket = self.call(
            buyer, swap, "new_sale_ticket", {"amount_icp_e8s": icp, "subaccount": None}
        )
        if "Ok" not in ticket["result"]:
            raise AssertionError(f"no ticket: {ticket}")
        sent = self.call(
            buyer,
            LEDGER_CANISTER_ID,
            "icrc1_transfer",
            {
                "from_subaccount": None,
                "to": {"owner": swap, "subaccount": principal_to_subaccount(buyer)},
                "amount": icp,
                "fee": None,
                "memo": None,
                "created_at_time": None,
            },
        )
        if "Ok" not in sent:
            raise AssertionError(f"the transfer failed: {sent}")
        refreshed: dict[str, int] = self.call(
            buyer,
            swap,
            "refresh_buyer_tokens",
            {"confirmation_text": None, "buyer": buyer.to_text()},
        )
        return refreshed


def make_life(tmp_path: Path, *, fund_maturity: tuple[int, ...] = (1_200_000, 800_000)) -> Life:
    balances = {AccountIdentifier.of(b): 200_000 * E8S for b in BUYERS}
    neurons = [nns_neuron(1, ALICE, 1_000_000 * E8S)]
    for index, (controller, maturity) in enumerate(
        zip(FUND_CONTROLLERS, fund_maturity, strict=True)
    ):
        neurons.append(
            nns_neuron(
                10 + index,
                controller,
                E8S,
                maturity_e8s_equivalent=maturity * E8S,
                joined_community_fund_timestamp_seconds=START_SECONDS,
            )
        )
    config = NnsConfig(ledger_balances=balances, neurons=neurons)
    harness = SubnetHarness(tmp_path / "nns", nns_factories(config), **nns_engine_options())
    install_nns(harness.engine, config)
    operations = CanisterOperations(harness, DEVELOPER)
    # an application canister's id, outside the NNS canisters' (a dapp may not be one, §2.3)
    dapp = harness.engine.create_canister(
        [DEVELOPER, ROOT_CANISTER_ID], canister_id=Principal.from_canister_id(5_000)
    )
    operations.install(dapp, fixture(DAPP_MODULE))
    return Life(harness=harness, dapp=dapp)


__all__ = ["E8S", "ICP_FEE", "UPGRADE_MODULE", "Life", "make_life"]
