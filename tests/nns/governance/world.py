"""A builder for governance scenarios: a ledger and governance wired in one process."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nns.governance.canister import Governance
from nns.governance.neuron import Neuron, compute_neuron_staking_subaccount
from nns.governance.requests import (
    ClaimByMemo,
    ClaimOrRefresh,
    Configure,
    Follow,
    IncreaseDissolveDelay,
    MakeProposal,
    ManageNeuronRequest,
    Motion,
    Proposal,
    RegisterVote,
    SetVisibility,
)
from nns.governance.state import GovernanceState
from nns.ledger.accounts import Account, AccountIdentifier
from nns.ledger.canister import Ledger
from nns.ledger.types import TransferArgs
from replica.canister.local import LocalRouter
from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID, LEDGER_CANISTER_ID
from replica.environment import ManualEnvironment
from replica.presets import MAINNET, Preset
from replica.types import Principal

E8S = 100_000_000
GENESIS_SECONDS = 1_700_000_000
SIX_MONTHS = 15_778_800
ONE_DAY = 86_400


def principal(name: str) -> Principal:
    return Principal.self_authenticating(name.encode())


@dataclass
class World:
    environment: ManualEnvironment
    router: LocalRouter
    ledger: Ledger
    governance: Governance
    names: dict[str, int] = field(default_factory=dict)

    # -- time --
    def advance(self, *, days: float = 0, seconds: int = 0, tick: bool = True) -> World:
        self.environment.advance_seconds(
            int(days * self.governance.durations.one_day_seconds) + seconds
        )
        if tick:
            self.tick()
        return self

    def tick(self) -> None:
        self.router.call(GOVERNANCE_CANISTER_ID, "run_periodic_tasks", GOVERNANCE_CANISTER_ID, None)

    def now(self) -> int:
        return self.environment.now_seconds()

    # -- calls --
    def manage(self, caller: Principal, neuron_id: int | None, command: Any) -> Any:
        return self.router.call(
            GOVERNANCE_CANISTER_ID,
            "manage_neuron",
            caller,
            ManageNeuronRequest(id=neuron_id, command=command),
        )

    def stake(
        self, owner: str, icp: float, *, memo: int = 0, delay_seconds: int | None = SIX_MONTHS
    ) -> int:
        """Transfer ICP to the neuron's staking subaccount, claim it, lock it for
        `delay_seconds`."""
        controller = principal(owner)
        subaccount = compute_neuron_staking_subaccount(controller, memo)
        self.router.call(
            LEDGER_CANISTER_ID,
            "transfer",
            controller,
            TransferArgs(
                memo=memo,
                amount_e8s=int(icp * E8S),
                fee_e8s=10_000,
                from_subaccount=None,
                to=AccountIdentifier.of(GOVERNANCE_CANISTER_ID, subaccount),
            ),
        )
        neuron_id: int = self.manage(
            controller, None, ClaimOrRefresh(by=ClaimByMemo(memo=memo))
        ).refreshed_neuron_id
        if delay_seconds:
            initial = self.governance.durations.initial_neuron_dissolve_delay_seconds
            if delay_seconds > initial:
                self.manage(
                    controller,
                    neuron_id,
                    Configure(
                        operation=IncreaseDissolveDelay(
                            additional_dissolve_delay_seconds=delay_seconds - initial
                        )
                    ),
                )
        self.names[f"{owner}:{memo}"] = neuron_id
        return neuron_id

    def make_public(self, owner: str, neuron_id: int) -> None:
        self.manage(principal(owner), neuron_id, Configure(operation=SetVisibility(visibility=2)))

    def follow(self, owner: str, neuron_id: int, topic: int, followees: list[int]) -> Any:
        return self.manage(
            principal(owner), neuron_id, Follow(topic=topic, followees=tuple(followees))
        )

    def propose_motion(self, owner: str, neuron_id: int, text: str = "a motion") -> int:
        response = self.manage(
            principal(owner),
            neuron_id,
            MakeProposal(
                proposal=Proposal(
                    title="A motion title",
                    summary="summary",
                    url="",
                    action=Motion(motion_text=text),
                )
            ),
        )
        proposal_id: int = response.proposal_id
        return proposal_id

    def vote(self, owner: str, neuron_id: int, proposal_id: int, vote: int) -> Any:
        return self.manage(
            principal(owner), neuron_id, RegisterVote(proposal=proposal_id, vote=vote)
        )

    def neuron(self, neuron_id: int) -> Neuron:
        return self.governance.state.neurons[neuron_id]

    def balance(self, owner: str) -> int:
        return self.ledger.balances().get(AccountIdentifier.of(principal(owner)), 0)


def index_view(state: GovernanceState) -> dict[str, object]:
    """Every in-memory index of the state, in a form that compares by value."""
    return {
        "neurons": dict(state.neurons),
        "by_subaccount": dict(state.by_subaccount),
        "by_principal": {key: set(ids) for key, ids in state.by_principal.items() if ids},
        "followers": {
            followee: {topic: set(followers) for topic, followers in by_topic.items()}
            for followee, by_topic in state.followers._followers.items()
        },
        "lists": {topic: dict(lists) for topic, lists in state.followers._lists.items()},
        "proposals": {
            proposal_id: (
                {name: getattr(record, name) for name in record.__slots__ if name != "ballots"},
                record.ballots.encode(),
            )
            for proposal_id, record in state.proposals.items()
        },
        "settings": dict(state.settings),
    }


def memory_matches_tables(governance: Governance) -> bool:
    """The in-memory indexes equal those rebuilt from the tables (the undo journal is exact)."""
    return index_view(governance.state) == index_view(GovernanceState(governance.store))


def make_world(
    *, preset: Preset = MAINNET, balances_icp: dict[str, int] | None = None, seed: int = 7
) -> World:
    environment = ManualEnvironment(now_ns=GENESIS_SECONDS * 1_000_000_000, seed=seed)
    router = LocalRouter(environment)
    funded = balances_icp or {name: 1_000 for name in ("alice", "bob", "carol", "dave", "erin")}
    ledger = Ledger(
        environment,
        minting_account=Account.of(GOVERNANCE_CANISTER_ID),
        initial_balances={
            AccountIdentifier.of(principal(n)): icp * E8S for n, icp in funded.items()
        },
    )
    governance = Governance(environment, preset=preset)
    router.install(LEDGER_CANISTER_ID, ledger)
    router.install(GOVERNANCE_CANISTER_ID, governance)
    return World(environment, router, ledger, governance)
