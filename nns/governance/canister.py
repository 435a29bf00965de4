"""The NNS governance canister.

Entry points in the canister shape of `replica.canister.local`: updates
(`manage_neuron`, `simulate_manage_neuron`, `claim_or_refresh_neuron_from_account`,
`run_periodic_tasks`, `update_maturity_modulation`, the Neurons' Fund
settlements, which always refuse), queries (neurons, the neuron index, votes,
proposals, economics, reward events, metrics) and the callbacks that receive
the ledger's and the registry's answers. Time-driven work runs from
`run_periodic_tasks`, which reads the time from the environment: decisions at
deadlines, spawning, maturity disbursements, unstaking the maturity of
dissolved neurons, pruning the following of stale neurons, daily reward events
and garbage collection.

`Governance` owns the governance state (`core.GovernanceCore`) and is the canister's face:
its entry points and the callbacks named in its outgoing calls call the functions of the rule
modules (`commands`, `ledger_commands`, `voting`, `periodic`, the queries...) with that state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any, Final

from sqlmodel import Session

from nns.governance import (
    action_execution,
    commands,
    ledger_commands,
    neuron_queries,
    node_provider_payments,
    periodic,
    proposal_queries,
    sns_launch,
    voting,
)
from nns.governance.actions import NodeProvider
from nns.governance.contexts import (
    ClaimContext,
    DisburseContext,
    DisburseToNeuronContext,
    MergeContext,
    MintContext,
    NeuronTransferContext,
    NodeProviderRewardContext,
    ProposalContext,
    SplitContext,
    TotalSupplyContext,
)
from nns.governance.core import GovernanceCore
from nns.governance.errors import invalid_command, not_authorized, not_found, precondition_failed
from nns.governance.metrics import GovernanceCachedMetrics
from nns.governance.neuron import Neuron
from nns.governance.neurons_fund import (
    NeuronsFundAuditInfoRequest,
    SettleCommunityFundParticipation,
    SettleNeuronsFundParticipation,
    refuse_community_fund_settlement,
)
from nns.governance.node_provider_payments import MonthlyRewardsContext
from nns.governance.node_provider_rewards import (
    DateRangeFilter,
    MonthlyNodeProviderRewards,
    select_rewards,
    updated_node_provider,
)
from nns.governance.parameters import (
    MAX_MATURITY_MODULATION_BASIS_POINTS,
    MIN_MATURITY_MODULATION_BASIS_POINTS,
    Durations,
    NetworkEconomics,
)
from nns.governance.proposals import ProposalInfo
from nns.governance.requests import (
    BallotInfo,
    ClaimByMemoAndController,
    ClaimOrRefresh,
    ClaimOrRefreshNeuronFromAccount,
    KnownNeuron,
    ListNeurons,
    ListNeuronsResponse,
    ListProposalInfo,
    MakeProposal,
    MakeProposalResponse,
    ManageNeuronRequest,
    NeuronIdOrSubaccount,
    NeuronInfo,
)
from nns.governance.rewards import RewardEvent
from nns.governance.settings import (
    MATURITY_MODULATION_BASIS_POINTS,
    MOST_RECENT_MONTHLY_NODE_PROVIDER_REWARDS,
    NODE_PROVIDER_REWARDS_LOG,
    NODE_PROVIDERS,
)
from nns.governance.simulation import resolve_manage_neuron_target, simulate_manage_neuron
from nns.governance.snapshots import Snapshots
from nns.governance.state import GovernanceState
from nns.governance.votes import ListNeuronVotes, NeuronIndexRequest, NeuronVotes
from replica.canister.nns_ids import (
    CYCLES_MINTING_CANISTER_ID,
    GOVERNANCE_CANISTER_ID,
    LEDGER_CANISTER_ID,
)
from replica.canister.stable import StableStore
from replica.environment import Environment
from replica.presets import MAINNET, Preset
from replica.types import Principal

GENESIS_TOKEN_CANISTER_ID: Final = Principal.from_canister_id(6)
"""The IC's Genesis Token Canister (renrk-eyaaa-aaaaa-aaada-cai); icbox runs none."""


class Governance:
    """NNS governance: neurons, proposals, voting and rewards."""

    def __init__(
        self,
        environment: Environment,
        *,
        preset: Preset = MAINNET,
        economics: NetworkEconomics | None = None,
        genesis_timestamp_seconds: int | None = None,
        path: str | None = None,
        governance_id: Principal = GOVERNANCE_CANISTER_ID,
        ledger_id: Principal = LEDGER_CANISTER_ID,
        cycles_minting_id: Principal = CYCLES_MINTING_CANISTER_ID,
        default_followees: Mapping[int, tuple[int, ...]] | None = None,
    ) -> None:
        self.core = GovernanceCore(
            environment,
            preset=preset,
            economics=economics,
            genesis_timestamp_seconds=genesis_timestamp_seconds,
            path=path,
            governance_id=governance_id,
            ledger_id=ledger_id,
            cycles_minting_id=cycles_minting_id,
            default_followees=default_followees,
        )

    def _callback(self, name: str) -> Callable[[object, object], object]:
        callback: Callable[[object, object], object] = CALLBACKS[name].__get__(self)
        return callback

    # -- what the parts share ---------------------------------------------------------------

    @property
    def state(self) -> GovernanceState:
        return self.core.state

    @property
    def store(self) -> StableStore:
        return self.core.store

    @property
    def environment(self) -> Environment:
        return self.core.environment

    @property
    def durations(self) -> Durations:
        return self.core.durations

    @property
    def economics(self) -> NetworkEconomics:
        return self.core.economics

    @property
    def genesis_timestamp_seconds(self) -> int:
        return self.core.genesis_timestamp_seconds

    @property
    def governance_id(self) -> Principal:
        return self.core.governance_id

    @property
    def cycles_minting_id(self) -> Principal:
        return self.core.cycles_minting_id

    @property
    def ledger_id(self) -> Principal:
        return self.core.ledger_id

    @property
    def locks(self) -> Mapping[int, str]:
        return self.core.locks

    @property
    def node_providers(self) -> tuple[NodeProvider, ...]:
        return self.core.node_providers

    def transaction(self) -> AbstractContextManager[Session]:
        """One message: see `GovernanceCore.transaction`."""
        return self.core.transaction()

    @property
    def voting_power_snapshots(self) -> Snapshots:
        return voting.voting_power_snapshots(self.core)

    def state_hash(self) -> bytes:
        return self.core.store.state_hash()

    # -- updates ----------------------------------------------------------------------------

    def manage_neuron(self, caller: Principal, request: ManageNeuronRequest) -> object:
        """Run one ManageNeuron command; commands that move ICP answer from a callback."""
        neuron_id, subaccount = resolve_manage_neuron_target(request)
        if request.command is None:
            raise invalid_command("No command given.")
        with self.core.transaction() as session:
            return commands.run_command(
                self.core, session, caller, neuron_id, subaccount, request.command, None
            )

    def simulate_manage_neuron(self, caller: Principal, request: ManageNeuronRequest) -> object:
        return simulate_manage_neuron(self.core, caller, request, self._callback)

    def claim_or_refresh_neuron_from_account(
        self, caller: Principal, request: ClaimOrRefreshNeuronFromAccount
    ) -> object:
        command = ClaimOrRefresh(
            by=ClaimByMemoAndController(memo=request.memo, controller=request.controller)
        )
        with self.core.transaction() as session:
            return commands.run_command(self.core, session, caller, None, None, command, None)

    def update_maturity_modulation(self, caller: Principal, basis_points: int) -> None:
        """The cycles minting canister's daily maturity modulation, within ±5%."""
        if caller != self.core.cycles_minting_id:
            raise not_authorized("Only the cycles minting canister sets the maturity modulation.")
        if (
            not MIN_MATURITY_MODULATION_BASIS_POINTS
            <= basis_points
            <= MAX_MATURITY_MODULATION_BASIS_POINTS
        ):
            raise invalid_command(f"Maturity modulation out of range: {basis_points} basis points.")
        with self.core.transaction() as session:
            self.core.state.put(session, MATURITY_MODULATION_BASIS_POINTS, basis_points)

    def run_periodic_tasks(self, caller: Principal, argument: object = None) -> None:
        """Everything that happens because time passed."""
        with self.core.transaction() as session:
            periodic.run_periodic_tasks(self.core, session)

    def heartbeat(self) -> None:
        """On a replica, the periodic tasks run at every round's heartbeat."""
        self.run_periodic_tasks(self.core.governance_id)

    def make_proposal(
        self, session: Session, caller: Principal, neuron_id: int, command: MakeProposal
    ) -> MakeProposalResponse:
        """MakeProposal inside a transaction the caller holds (benchmarks batch proposals)."""
        return commands.make_proposal(self.core, session, caller, neuron_id, command)

    def distribute_rewards(self, session: Session, total_supply_e8s: int) -> RewardEvent | None:
        return periodic.distribute_rewards(self.core, session, total_supply_e8s)

    def load_genesis_neurons(self, neurons: Iterable[Neuron]) -> int:
        """Bulk-load neurons at genesis (and in benchmarks); returns how many were loaded."""
        state = self.core.state
        with self.core.transaction() as session:
            batch = list(neurons)
            for neuron in batch:
                if neuron.id in state.neurons or neuron.subaccount in state.by_subaccount:
                    raise precondition_failed(
                        f"Neuron {neuron.id} or its subaccount exists already."
                    )
            state.put_neurons(session, batch)
            return len(batch)

    def get_neurons_fund_audit_info(
        self, caller: Principal, request: NeuronsFundAuditInfoRequest
    ) -> object:
        return sns_launch.neurons_fund_audit(self.core, request.nns_proposal_id)

    def settle_neurons_fund_participation(
        self, caller: Principal, request: SettleNeuronsFundParticipation | Mapping[str, Any]
    ) -> object:
        """From the swap canister (a record) or an ingress message (the decoded request)."""
        if isinstance(request, SettleNeuronsFundParticipation):
            return sns_launch.settle_launch(
                self.core,
                caller,
                request.nns_proposal_id,
                request.result,
                request.total_direct_participation_icp_e8s,
            )
        return sns_launch.settle_launch(
            self.core,
            caller,
            request.get("nns_proposal_id"),
            request.get("result"),
            request.get("total_direct_participation_icp_e8s"),
        )

    def settle_community_fund_participation(
        self, caller: Principal, request: SettleCommunityFundParticipation
    ) -> object:
        refuse_community_fund_settlement(self.core.state.proposals, caller, request)

    # -- queries ----------------------------------------------------------------------------

    def get_neuron_info(self, caller: Principal, neuron_id: int) -> NeuronInfo:
        return neuron_queries.get_neuron_info(self.core, caller, neuron_id)

    def get_neuron_info_by_id_or_subaccount(
        self, caller: Principal, which: NeuronIdOrSubaccount
    ) -> NeuronInfo:
        return neuron_queries.get_neuron_info_by_id_or_subaccount(self.core, caller, which)

    def get_full_neuron(self, caller: Principal, neuron_id: int) -> Neuron:
        return neuron_queries.get_full_neuron(self.core, caller, neuron_id)

    def get_full_neuron_by_id_or_subaccount(
        self, caller: Principal, which: NeuronIdOrSubaccount
    ) -> Neuron:
        return neuron_queries.get_full_neuron_by_id_or_subaccount(self.core, caller, which)

    def get_recent_ballots(self, neuron: Neuron) -> tuple[BallotInfo, ...]:
        return neuron_queries.get_recent_ballots(self.core, neuron)

    def get_voting_powers(self, neuron: Neuron) -> tuple[int, int]:
        """(deciding, potential) voting power now."""
        return neuron_queries.get_voting_powers(self.core, neuron)

    def get_neuron_ids(self, caller: Principal, argument: object = None) -> tuple[int, ...]:
        return neuron_queries.get_neuron_ids(self.core, caller)

    def list_neurons(self, caller: Principal, request: ListNeurons) -> ListNeuronsResponse:
        return neuron_queries.list_neurons(self.core, caller, request)

    def list_known_neurons(
        self, caller: Principal, argument: object = None
    ) -> tuple[KnownNeuron, ...]:
        return neuron_queries.list_known_neurons(self.core, caller)

    def get_neuron_index(
        self, caller: Principal, request: NeuronIndexRequest
    ) -> tuple[NeuronInfo, ...]:
        return neuron_queries.get_neuron_index(self.core, caller, request)

    def list_neuron_votes(self, caller: Principal, request: ListNeuronVotes) -> NeuronVotes:
        return neuron_queries.list_neuron_votes(self.core, caller, request)

    def get_metrics(self, caller: Principal, argument: object = None) -> GovernanceCachedMetrics:
        return neuron_queries.get_metrics(self.core, caller)

    def list_node_providers(
        self, caller: Principal, argument: object = None
    ) -> tuple[NodeProvider, ...]:
        """The node providers added by AddOrRemoveNodeProvider proposals, in order."""
        return self.core.node_providers

    def get_monthly_node_provider_rewards(
        self, caller: Principal, argument: object = None
    ) -> object:
        """The month's rewards of every node provider, computed now and not minted
        (governance.rs `get_monthly_node_provider_rewards`)."""
        return node_provider_payments.start(self.core, MonthlyRewardsContext(mint=False))

    def get_most_recent_monthly_node_provider_rewards(
        self, caller: Principal, argument: object = None
    ) -> MonthlyNodeProviderRewards | None:
        return self.core.state.get(MOST_RECENT_MONTHLY_NODE_PROVIDER_REWARDS)

    def list_node_provider_rewards(
        self, caller: Principal, date_filter: DateRangeFilter | None
    ) -> tuple[MonthlyNodeProviderRewards, ...]:
        return select_rewards(self.core.state.get(NODE_PROVIDER_REWARDS_LOG), date_filter)

    def update_node_provider(self, caller: Principal, reward_account: bytes | None) -> None:
        """The caller, a node provider, sets its reward account (governance.rs
        `update_node_provider`)."""
        with self.core.transaction() as session:
            providers = updated_node_provider(self.core.node_providers, caller, reward_account)
            self.core.state.put(session, NODE_PROVIDERS, providers)

    def get_node_provider_by_caller(
        self, caller: Principal, argument: object = None
    ) -> NodeProvider:
        """governance.rs get_node_provider: the caller's record, or NotFound."""
        for provider in self.core.node_providers:
            if provider.id == caller:
                return provider
        raise not_found(f"Node Provider {caller} is not known by the NNS")

    def claim_gtc_neurons(
        self, caller: Principal, argument: tuple[Principal, tuple[int, ...]]
    ) -> None:
        """governance.rs claim_gtc_neurons: only the Genesis Token Canister may (icbox runs
        none, so every caller is NotAuthorized, with the IC's empty text); then each neuron
        must be one the GTC controls, and passes to the new controller."""
        if caller != GENESIS_TOKEN_CANISTER_ID:
            raise not_authorized("")
        new_controller, neuron_ids = argument
        neurons = [self.core.state.neurons.get(neuron_id) for neuron_id in neuron_ids]
        if any(n is None or n.controller != GENESIS_TOKEN_CANISTER_ID for n in neurons):
            raise precondition_failed(
                "At least one supplied NeuronId either does not have an associated Neuron or "
                "the associated Neuron is not controlled by the GTC"
            )
        with self.core.transaction() as session:
            self.core.state.put_neurons(
                session, [replace(n, controller=new_controller) for n in neurons if n is not None]
            )

    def transfer_gtc_neuron(self, caller: Principal, argument: tuple[int, int]) -> None:
        """governance.rs transfer_gtc_neuron: only the Genesis Token Canister may; icbox has
        none, so the IC's NotAuthorized (empty text) is every caller's answer."""
        if caller != GENESIS_TOKEN_CANISTER_ID:
            raise not_authorized("")
        raise precondition_failed("icbox has no Genesis Token Canister neurons to transfer")

    def get_network_economics_parameters(
        self, caller: Principal, argument: object = None
    ) -> NetworkEconomics:
        return self.core.economics

    def get_latest_reward_event(self, caller: Principal, argument: object = None) -> RewardEvent:
        return self.core.latest_reward_event

    def get_restore_aging_summary(self, caller: Principal, argument: object = None) -> None:
        """No neuron's age was ever restored on this network: the summary is the empty one."""
        return None

    def get_proposal_info(self, caller: Principal, proposal_id: int) -> ProposalInfo | None:
        return proposal_queries.get_proposal_info(self.core, caller, proposal_id)

    def get_pending_proposals(
        self, caller: Principal, argument: object = None
    ) -> tuple[ProposalInfo, ...]:
        return proposal_queries.get_pending_proposals(self.core, caller)

    def list_proposals(
        self, caller: Principal, request: ListProposalInfo
    ) -> tuple[ProposalInfo, ...]:
        return proposal_queries.list_proposals(self.core, caller, request)

    # -- callbacks: the names in this canister's outgoing calls -----------------------------

    def _on_claim_balance(self, context: ClaimContext, balance: object) -> object:
        return ledger_commands.on_claim_balance(self.core, context, balance)

    def _on_claim_rejected(self, context: ClaimContext, reject: object) -> object:
        return ledger_commands.on_claim_rejected(self.core, context, reject)

    def _on_disburse_fees_burned(self, context: DisburseContext, block: object) -> object:
        return ledger_commands.on_disburse_fees_burned(self.core, context, block)

    def _on_disbursed(self, context: DisburseContext, block: object) -> object:
        return ledger_commands.on_disbursed(self.core, context, block)

    def _on_neuron_ledger_rejected(self, context: NeuronTransferContext, reject: object) -> object:
        return ledger_commands.on_neuron_ledger_rejected(self.core, context, reject)

    def _on_split_transferred(self, context: SplitContext, block: object) -> object:
        return ledger_commands.on_split_transferred(self.core, context, block)

    def _on_merge_fees_burned(self, context: MergeContext, block: object) -> object:
        return ledger_commands.on_merge_fees_burned(self.core, context, block)

    def _on_merge_transferred(self, context: MergeContext, block: object) -> object:
        return ledger_commands.on_merge_transferred(self.core, context, block)

    def _on_merge_rejected(self, context: MergeContext, reject: object) -> object:
        return ledger_commands.on_merge_rejected(self.core, context, reject)

    def _on_disbursed_to_neuron(self, context: DisburseToNeuronContext, block: object) -> object:
        return ledger_commands.on_disbursed_to_neuron(self.core, context, block)

    def _on_sns_deployed(self, context: ProposalContext, reply: Mapping[str, Any]) -> None:
        sns_launch.on_sns_deployed(self.core, context, reply)

    def _on_sns_deploy_failed(self, context: ProposalContext, answer: object) -> None:
        sns_launch.on_sns_deploy_failed(self.core, context, answer)

    def _on_fund_minted(self, context: ProposalContext, reply: object) -> None:
        sns_launch.on_fund_minted(self.core, context, reply)

    def _on_fund_mint_failed(self, context: ProposalContext, answer: object) -> None:
        sns_launch.on_fund_mint_failed(self.core, context, answer)

    def _on_proposal_executed(self, context: ProposalContext, reply: object) -> None:
        voting.on_proposal_executed(self.core, context, reply)

    def _on_proposal_failed(self, context: ProposalContext, reject: object) -> None:
        voting.on_proposal_failed(self.core, context, reject)

    def _on_canister_settings_updated(self, context: ProposalContext, reply: object) -> None:
        action_execution.on_canister_settings_updated(self.core, context, reply)

    def _on_node_provider_reward_minted(
        self, context: NodeProviderRewardContext, block: object
    ) -> None:
        action_execution.on_node_provider_reward_minted(self.core, context, block)

    def _on_node_provider_reward_refused(
        self, context: NodeProviderRewardContext, reject: object
    ) -> None:
        action_execution.on_node_provider_reward_refused(self.core, context, reject)

    def _on_node_provider_xdr_rewards(self, context: MonthlyRewardsContext, reply: Any) -> object:
        return node_provider_payments.on_xdr_rewards(self.core, context, reply)

    def _on_average_icp_xdr_rate(self, context: MonthlyRewardsContext, reply: Any) -> object:
        return action_execution.on_monthly_rewards_computed(self.core, context, reply)

    def _on_monthly_rewards_failed(self, context: MonthlyRewardsContext, answer: object) -> object:
        return node_provider_payments.on_failed(self.core, context, answer)

    def _on_spawn_minted(self, context: MintContext, block: object) -> None:
        periodic.on_spawn_minted(self.core, context, block)

    def _on_maturity_disbursed(self, context: MintContext, block: object) -> None:
        periodic.on_maturity_disbursed(self.core, context, block)

    def _on_mint_rejected(self, context: MintContext, reject: object) -> None:
        periodic.on_mint_rejected(self.core, context, reject)

    def _on_total_supply(self, context: TotalSupplyContext, supply: object) -> None:
        periodic.on_total_supply(self.core, context, supply)

    def _on_total_supply_rejected(self, context: TotalSupplyContext, reject: object) -> None:
        periodic.on_total_supply_rejected(self.core, context, reject)


CALLBACKS: dict[str, Callable[..., object]] = {
    name: member
    for name, member in vars(Governance).items()
    if name.startswith("_on_") and callable(member)
}
"""The callbacks by the name an outgoing call gives them."""
