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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Final

from sqlmodel import Session

from nns.governance.actions import NodeProvider
from nns.governance.contexts import MintContext, TotalSupplyContext
from nns.governance.enums import REWARD_WEIGHT_HUNDREDTHS, ErrorType, NeuronState, Visibility, Vote
from nns.governance.errors import (
    GovernanceError,
    invalid_command,
    not_authorized,
    not_found,
    precondition_failed,
)
from nns.governance.metrics import GovernanceCachedMetrics, compute_cached_metrics
from nns.governance.neuron import (
    Neuron,
    apply_maturity_modulation,
    get_age_seconds,
    get_deciding_voting_power,
    get_dissolve_delay_seconds,
    get_minted_stake_e8s,
    get_potential_voting_power,
    get_state,
    is_stale,
    prune_following,
    with_maturity,
)
from nns.governance.neurons_fund import (
    NeuronsFundAuditInfoRequest,
    SettleCommunityFundParticipation,
    SettleNeuronsFundParticipation,
    refuse_community_fund_settlement,
    refuse_neurons_fund_audit_info,
    refuse_neurons_fund_settlement,
)
from nns.governance.parameters import (
    MAX_LIST_NEURONS,
    MAX_MATURITY_MODULATION_BASIS_POINTS,
    MAX_RECENT_BALLOTS,
    MIN_MATURITY_MODULATION_BASIS_POINTS,
    Durations,
    NetworkEconomics,
)
from nns.governance.proposals import ProposalRecord
from nns.governance.requests import (
    BallotInfo,
    ClaimByMemoAndController,
    ClaimOrRefresh,
    ClaimOrRefreshNeuronFromAccount,
    KnownNeuron,
    ListNeurons,
    ListNeuronsResponse,
    ManageNeuronRequest,
    NeuronIdOrSubaccount,
    NeuronInfo,
)
from nns.governance.rewards import RewardEvent, compute_neuron_rewards, compute_reward_pool_e8s
from nns.governance.settings import (
    DEFAULT_FOLLOWEES,
    ECONOMICS,
    GENESIS_TIMESTAMP_SECONDS,
    LATEST_REWARD_EVENT,
    MATURITY_MODULATION_BASIS_POINTS,
    TOTAL_SUPPLY_E8S,
)
from nns.governance.simulation import ManageNeuronSimulation
from nns.governance.state import TABLES, GovernanceState
from nns.governance.votes import (
    ListNeuronVotes,
    NeuronIndexRequest,
    NeuronVotes,
    get_neuron_index_page,
    list_neuron_votes,
)
from nns.ledger.accounts import AccountIdentifier
from replica.canister.nns_ids import (
    CYCLES_MINTING_CANISTER_ID,
    GOVERNANCE_CANISTER_ID,
    LEDGER_CANISTER_ID,
)
from replica.canister.stable import StableStore
from replica.environment import NANOS_PER_SECOND, Environment, OutgoingCall
from replica.presets import MAINNET, Preset
from replica.types import Principal

UNSTAKE_BATCH = 100


GENESIS_TOKEN_CANISTER_ID: Final = Principal.from_canister_id(6)
"""The IC's Genesis Token Canister (renrk-eyaaa-aaaaa-aaada-cai); icbox runs none."""


class Governance(ManageNeuronSimulation):
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
        self.environment = environment
        self.preset = preset
        self.durations = Durations.of(preset)
        self.governance_id = governance_id
        self.ledger_id = ledger_id
        self.cycles_minting_id = cycles_minting_id
        self.store = StableStore(list(TABLES), path)
        self.state = GovernanceState(self.store)
        if "economics" not in self.state.settings:
            genesis = (
                environment.now_ns() // NANOS_PER_SECOND
                if genesis_timestamp_seconds is None
                else genesis_timestamp_seconds
            )
            with self.store.transaction() as session:
                self.state.put(
                    session, ECONOMICS, economics or NetworkEconomics.default(self.durations)
                )
                self.state.put(session, GENESIS_TIMESTAMP_SECONDS, genesis)
                self.state.put(session, DEFAULT_FOLLOWEES, dict(default_followees or {}))
                self.state.put(session, MATURITY_MODULATION_BASIS_POINTS, 0)
                self.state.put(
                    session,
                    LATEST_REWARD_EVENT,
                    RewardEvent(
                        day_after_genesis=0,
                        actual_timestamp_seconds=genesis,
                        settled_proposals=(),
                        distributed_e8s_equivalent=0,
                        total_available_e8s_equivalent=0,
                        rounds_since_last_distribution=0,
                        latest_round_available_e8s_equivalent=0,
                    ),
                )

    # -- updates ----------------------------------------------------------------------------

    def manage_neuron(self, caller: Principal, request: ManageNeuronRequest) -> object:
        """Run one ManageNeuron command; commands that move ICP answer from a callback."""
        neuron_id, subaccount = self.resolve_manage_neuron_target(request)
        if request.command is None:
            raise invalid_command("No command given.")
        with self.transaction() as session:
            return self.run_command(session, caller, neuron_id, subaccount, request.command, None)

    def claim_or_refresh_neuron_from_account(
        self, caller: Principal, request: ClaimOrRefreshNeuronFromAccount
    ) -> object:
        command = ClaimOrRefresh(
            by=ClaimByMemoAndController(memo=request.memo, controller=request.controller)
        )
        with self.transaction() as session:
            return self.run_command(session, caller, None, None, command, None)

    def update_maturity_modulation(self, caller: Principal, basis_points: int) -> None:
        """The cycles minting canister's daily maturity modulation, within ±5%."""
        if caller != self.cycles_minting_id:
            raise not_authorized("Only the cycles minting canister sets the maturity modulation.")
        if (
            not MIN_MATURITY_MODULATION_BASIS_POINTS
            <= basis_points
            <= MAX_MATURITY_MODULATION_BASIS_POINTS
        ):
            raise invalid_command(f"Maturity modulation out of range: {basis_points} basis points.")
        with self.transaction() as session:
            self.state.put(session, MATURITY_MODULATION_BASIS_POINTS, basis_points)

    def run_periodic_tasks(self, caller: Principal, argument: object = None) -> None:
        """Everything that happens because time passed."""
        with self.transaction() as session:
            now = self.now_seconds()
            for record in sorted(self.state.proposals.values(), key=lambda r: r.id):
                self.process_proposal(session, record)
            self._spawn_neurons(session, now)
            self._finalize_maturity_disbursements(session, now)
            self._unstake_maturity_of_dissolved_neurons(session, now)
            self._prune_following(session, now)
            self._maybe_start_reward_event(now)
            self.snapshot_voting_power(session, now)
            self.maybe_collect_garbage(session)

    def heartbeat(self) -> None:
        """On a replica, the periodic tasks run at every round's heartbeat."""
        self.run_periodic_tasks(self.governance_id)

    def load_genesis_neurons(self, neurons: Iterable[Neuron]) -> int:
        """Bulk-load neurons at genesis (and in benchmarks); returns how many were loaded."""
        with self.transaction() as session:
            batch = list(neurons)
            for neuron in batch:
                if neuron.id in self.state.neurons or neuron.subaccount in self.state.by_subaccount:
                    raise precondition_failed(
                        f"Neuron {neuron.id} or its subaccount exists already."
                    )
            self.state.put_neurons(session, batch)
            return len(batch)

    def state_hash(self) -> bytes:
        return self.store.state_hash()

    # -- queries ----------------------------------------------------------------------------

    def get_neuron_info(self, caller: Principal, neuron_id: int) -> NeuronInfo:
        return self.neuron_info(self.get_neuron(neuron_id), caller)

    def neuron_info(self, neuron: Neuron, caller: Principal) -> NeuronInfo:
        now = self.now_seconds()
        readable = neuron.visibility == Visibility.PUBLIC or neuron.is_authorized(caller)
        ballots = (
            tuple(
                BallotInfo(proposal_id=proposal_id, vote=Vote(vote))
                for proposal_id, vote in self.state.get_recent_ballots(
                    neuron.id, MAX_RECENT_BALLOTS
                )
            )
            if readable
            else ()
        )
        potential = get_potential_voting_power(neuron, now, self.durations)
        deciding = get_deciding_voting_power(
            neuron, now, self.durations, self.economics.voting_power_economics
        )
        return NeuronInfo(
            id=neuron.id,
            dissolve_delay_seconds=get_dissolve_delay_seconds(neuron, now),
            recent_ballots=ballots,
            neuron_type=int(neuron.neuron_type) or None,
            created_timestamp_seconds=neuron.created_timestamp_seconds,
            state=int(get_state(neuron, now)),
            stake_e8s=get_minted_stake_e8s(neuron),
            joined_community_fund_timestamp_seconds=(
                neuron.joined_community_fund_timestamp_seconds if readable else None
            ),
            retrieved_at_timestamp_seconds=now,
            visibility=int(neuron.visibility),
            known_neuron_name=None
            if neuron.known_neuron_data is None
            else neuron.known_neuron_data.name,
            age_seconds=get_age_seconds(neuron, now),
            voting_power=deciding,
            voting_power_refreshed_timestamp_seconds=neuron.voting_power_refreshed_timestamp_seconds,
            deciding_voting_power=deciding,
            potential_voting_power=potential,
            known_neuron_data=neuron.known_neuron_data,
        )

    def can_read_full_neuron(self, neuron: Neuron, caller: Principal) -> bool:
        """Controller, hot keys, or those who can vote on ManageNeuron proposals for it."""
        if neuron.is_authorized(caller):
            return True
        managers = neuron.followees.get(1, ())
        return any(
            manager in self.state.neurons and self.state.neurons[manager].is_authorized(caller)
            for manager in managers
        )

    def get_full_neuron(self, caller: Principal, neuron_id: int) -> Neuron:
        neuron = self.get_neuron(neuron_id)
        if not self.can_read_full_neuron(neuron, caller):
            raise not_authorized(f"Caller is not authorized to read neuron {neuron_id}.")
        return neuron

    def get_neuron_by_id_or_subaccount(self, which: NeuronIdOrSubaccount) -> Neuron:
        if which.neuron_id is not None:
            return self.get_neuron(which.neuron_id)
        neuron_id = self.state.by_subaccount.get(which.subaccount or b"")
        if neuron_id is None:
            raise not_found(f"No neuron has subaccount {(which.subaccount or b'').hex()}")
        return self.get_neuron(neuron_id)

    def get_neuron_info_by_id_or_subaccount(
        self, caller: Principal, which: NeuronIdOrSubaccount
    ) -> NeuronInfo:
        return self.neuron_info(self.get_neuron_by_id_or_subaccount(which), caller)

    def get_full_neuron_by_id_or_subaccount(
        self, caller: Principal, which: NeuronIdOrSubaccount
    ) -> Neuron:
        return self.get_full_neuron(caller, self.get_neuron_by_id_or_subaccount(which).id)

    def get_recent_ballots(self, neuron: Neuron) -> tuple[BallotInfo, ...]:
        return tuple(
            BallotInfo(proposal_id=proposal_id, vote=Vote(vote))
            for proposal_id, vote in self.state.get_recent_ballots(neuron.id, MAX_RECENT_BALLOTS)
        )

    def get_voting_powers(self, neuron: Neuron) -> tuple[int, int]:
        """(deciding, potential) voting power now."""
        now = self.now_seconds()
        potential = get_potential_voting_power(neuron, now, self.durations)
        deciding = get_deciding_voting_power(
            neuron, now, self.durations, self.economics.voting_power_economics
        )
        return deciding, potential

    def get_neuron_ids(self, caller: Principal, argument: object = None) -> tuple[int, ...]:
        return tuple(sorted(self.state.neurons_of(caller)))

    def list_neurons(self, caller: Principal, request: ListNeurons) -> ListNeuronsResponse:
        ids = set(request.neuron_ids)
        if request.include_neurons_readable_by_caller:
            for neuron_id in self.state.neurons_of(caller):
                neuron = self.state.neurons[neuron_id]
                empty = (
                    neuron.cached_neuron_stake_e8s
                    + neuron.maturity_e8s_equivalent
                    + neuron.staked_maturity_e8s_equivalent
                    == 0
                )
                if not empty or request.include_empty_neurons_readable_by_caller is not False:
                    ids.add(neuron_id)
        ordered = sorted(i for i in ids if i in self.state.neurons)
        page_size = min(request.page_size or MAX_LIST_NEURONS, MAX_LIST_NEURONS)
        page_number = request.page_number or 0
        pages = max(1, -(-len(ordered) // page_size))
        page = ordered[page_number * page_size : (page_number + 1) * page_size]
        infos, full = [], []
        for neuron_id in page:
            neuron = self.state.neurons[neuron_id]
            infos.append(self.neuron_info(neuron, caller))
            if self.can_read_full_neuron(neuron, caller) or (
                request.include_public_neurons_in_full_neurons
                and neuron.visibility == Visibility.PUBLIC
            ):
                full.append(neuron)
        return ListNeuronsResponse(
            neuron_infos=tuple(infos), full_neurons=tuple(full), total_pages_available=pages
        )

    def list_known_neurons(
        self, caller: Principal, argument: object = None
    ) -> tuple[KnownNeuron, ...]:
        return tuple(
            KnownNeuron(
                id=neuron.id,
                name=neuron.known_neuron_data.name,
                description=neuron.known_neuron_data.description,
                links=neuron.known_neuron_data.links,
                committed_topics=neuron.known_neuron_data.committed_topics,
            )
            for neuron in sorted(self.state.neurons.values(), key=lambda n: n.id)
            if neuron.known_neuron_data is not None
        )

    def list_node_providers(
        self, caller: Principal, argument: object = None
    ) -> tuple[NodeProvider, ...]:
        """The node providers added by AddOrRemoveNodeProvider proposals, in order."""
        return self.node_providers

    def get_node_provider_by_caller(
        self, caller: Principal, argument: object = None
    ) -> NodeProvider:
        """governance.rs get_node_provider: the caller's record, or NotFound."""
        for provider in self.node_providers:
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
        neurons = [self.state.neurons.get(neuron_id) for neuron_id in neuron_ids]
        if any(n is None or n.controller != GENESIS_TOKEN_CANISTER_ID for n in neurons):
            raise precondition_failed(
                "At least one supplied NeuronId either does not have an associated Neuron or "
                "the associated Neuron is not controlled by the GTC"
            )
        with self.transaction() as session:
            self.state.put_neurons(
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
        return self.economics

    def get_latest_reward_event(self, caller: Principal, argument: object = None) -> RewardEvent:
        event = self.state.get(LATEST_REWARD_EVENT)
        return event

    def get_neuron_index(
        self, caller: Principal, request: NeuronIndexRequest
    ) -> tuple[NeuronInfo, ...]:
        """Every neuron, a page at a time in id order, as the caller may see it."""
        return tuple(
            self.neuron_info(self.state.neurons[neuron_id], caller)
            for neuron_id in get_neuron_index_page(self.state, request)
        )

    def list_neuron_votes(self, caller: Principal, request: ListNeuronVotes) -> NeuronVotes:
        return list_neuron_votes(self.state, request, self.now_seconds())

    def get_metrics(self, caller: Principal, argument: object = None) -> GovernanceCachedMetrics:
        """Metrics of all neurons now; unavailable until governance has read the total supply."""
        supply = self.state.get(TOTAL_SUPPLY_E8S)
        if supply is None:
            raise GovernanceError(
                ErrorType.UNAVAILABLE,
                "Metrics not available: governance has not read the ledger's total supply yet "
                "(it does at each reward event).",
            )
        return compute_cached_metrics(
            self.state.neurons.values(),
            now_seconds=self.now_seconds(),
            durations=self.durations,
            economics=self.economics,
            total_supply_e8s=int(supply),
        )

    def get_restore_aging_summary(self, caller: Principal, argument: object = None) -> None:
        """No neuron's age was ever restored on this network: the summary is the empty one."""
        return None

    def get_neurons_fund_audit_info(
        self, caller: Principal, request: NeuronsFundAuditInfoRequest
    ) -> object:
        refuse_neurons_fund_audit_info(self.state.proposals, request)

    def settle_neurons_fund_participation(
        self, caller: Principal, request: SettleNeuronsFundParticipation
    ) -> object:
        refuse_neurons_fund_settlement(self.state.proposals, caller, request)

    def settle_community_fund_participation(
        self, caller: Principal, request: SettleCommunityFundParticipation
    ) -> object:
        refuse_community_fund_settlement(self.state.proposals, caller, request)

    # -- spawning and maturity (spec 2.7-2.9) -----------------------------------------------

    def _spawn_neurons(self, session: Session, now: int) -> None:
        modulation = self.state.get(MATURITY_MODULATION_BASIS_POINTS)
        for neuron in sorted(self.state.neurons.values(), key=lambda n: n.id):
            spawn_at = neuron.spawn_at_timestamp_seconds
            if spawn_at is None or spawn_at > now or neuron.id in self.locks:
                continue
            amount = apply_maturity_modulation(neuron.maturity_e8s_equivalent, modulation)
            self.lock_neuron(session, neuron.id, "Spawn")
            self.call_ledger_transfer(
                from_subaccount=None,
                to=self.neuron_account(neuron),
                amount_e8s=amount,
                fee_e8s=0,
                memo=0,
                on_reply="_on_spawn_minted",
                on_reject="_on_mint_rejected",
                context=MintContext(neuron_id=neuron.id, amount=amount),
            )

    def _on_spawn_minted(self, context: MintContext, block: object) -> None:
        with self.transaction() as session:
            neuron = self.state.neurons[context.neuron_id]
            self.state.put_neuron(
                session,
                replace(
                    neuron,
                    cached_neuron_stake_e8s=context.amount,
                    maturity_e8s_equivalent=0,
                    spawn_at_timestamp_seconds=None,
                ),
            )
            self.unlock_neuron(session, neuron.id)

    def _on_mint_rejected(self, context: MintContext, reject: object) -> None:
        with self.transaction() as session:
            self.unlock_neuron(session, context.neuron_id)

    def _finalize_maturity_disbursements(self, session: Session, now: int) -> None:
        modulation = self.state.get(MATURITY_MODULATION_BASIS_POINTS)
        for neuron in sorted(self.state.neurons.values(), key=lambda n: n.id):
            if not neuron.maturity_disbursements_in_progress or neuron.id in self.locks:
                continue
            first = neuron.maturity_disbursements_in_progress[0]
            if first.finalize_disbursement_timestamp_seconds > now:
                continue
            self.lock_neuron(session, neuron.id, "DisburseMaturity")
            self.call_ledger_transfer(
                from_subaccount=None,
                to=AccountIdentifier(first.account_identifier),
                amount_e8s=apply_maturity_modulation(first.amount_e8s, modulation),
                fee_e8s=0,
                memo=0,
                on_reply="_on_maturity_disbursed",
                on_reject="_on_mint_rejected",
                context=MintContext(neuron_id=neuron.id),
            )

    def _on_maturity_disbursed(self, context: MintContext, block: object) -> None:
        with self.transaction() as session:
            neuron = self.state.neurons[context.neuron_id]
            self.state.put_neuron(
                session,
                replace(
                    neuron,
                    maturity_disbursements_in_progress=neuron.maturity_disbursements_in_progress[
                        1:
                    ],
                ),
            )
            self.unlock_neuron(session, neuron.id)

    def _unstake_maturity_of_dissolved_neurons(self, session: Session, now: int) -> None:
        changed = []
        for neuron in self.state.neurons.values():
            if (
                neuron.staked_maturity_e8s_equivalent
                and get_state(neuron, now) == NeuronState.DISSOLVED
            ):
                changed.append(
                    replace(
                        neuron,
                        maturity_e8s_equivalent=neuron.maturity_e8s_equivalent
                        + neuron.staked_maturity_e8s_equivalent,
                        staked_maturity_e8s_equivalent=0,
                    )
                )
                if len(changed) == UNSTAKE_BATCH:
                    break
        self.state.set_maturities(session, changed)

    def _prune_following(self, session: Session, now: int) -> None:
        economics = self.economics.voting_power_economics
        stale = [
            prune_following(neuron)
            for neuron in self.state.neurons.values()
            if is_stale(neuron, now, economics) and any(topic != 1 for topic in neuron.followees)
        ]
        self.state.put_neurons(session, stale)

    # -- rewards (spec 5) -------------------------------------------------------------------

    def _maybe_start_reward_event(self, now: int) -> None:
        latest = self.get_latest_reward_event(self.governance_id)
        day = self.durations.one_day_seconds
        due = self.genesis_timestamp_seconds + (latest.day_after_genesis + 1) * day
        if now < due:
            return
        self.environment.call(
            OutgoingCall(
                callee=self.ledger_id,
                method="icrc1_total_supply",
                argument=None,
                on_reply="_on_total_supply",
                on_reject="_on_total_supply_rejected",
                context=TotalSupplyContext(),
            )
        )

    def _on_total_supply_rejected(self, context: TotalSupplyContext, reject: object) -> None:
        return None

    def _on_total_supply(self, context: TotalSupplyContext, supply: object) -> None:
        if not isinstance(supply, int):
            raise TypeError("the ledger answered a total supply that is not an integer")
        with self.transaction() as session:
            self.state.put(session, TOTAL_SUPPLY_E8S, supply)
            self.distribute_rewards(session, supply)

    def distribute_rewards(self, session: Session, total_supply_e8s: int) -> RewardEvent | None:
        """One reward event: settle what is ready, mint the pool as maturity."""
        now = self.now_seconds()
        day = self.durations.one_day_seconds
        genesis = self.genesis_timestamp_seconds
        today = (now - genesis) // day
        latest = self.get_latest_reward_event(self.governance_id)
        if today <= latest.day_after_genesis:
            return None
        new_days = range(latest.day_after_genesis, today)
        rolled_over = 0 if latest.settled_proposals else latest.total_available_e8s_equivalent
        pool = compute_reward_pool_e8s(total_supply_e8s, new_days) + rolled_over
        cutoff = genesis + today * day
        settled = [
            record
            for record in sorted(self.state.proposals.values(), key=lambda r: r.id)
            if not record.is_manage_neuron
            and record.reward_event_round == 0
            and record.deadline_timestamp_seconds <= cutoff
        ]
        distributed = 0
        if settled:
            used: dict[int, int] = {}
            total = 0
            for record in settled:
                weight = REWARD_WEIGHT_HUNDREDTHS.get(record.topic, 100)
                total += weight * record.total_potential_voting_power
                votes = record.ballots.votes
                for neuron_id, power in record.ballots.power.items():
                    if votes[neuron_id] != Vote.UNSPECIFIED and power:
                        used[neuron_id] = used.get(neuron_id, 0) + weight * power
            rewards = compute_neuron_rewards(used, total, pool)
            updated = []
            for neuron_id, reward in sorted(rewards.items()):
                neuron = self.state.neurons.get(neuron_id)
                if neuron is None:
                    continue
                distributed += reward
                maturity = neuron.maturity_e8s_equivalent
                staked = neuron.staked_maturity_e8s_equivalent
                if neuron.auto_stake_maturity:
                    staked += reward
                else:
                    maturity += reward
                updated.append(with_maturity(neuron, maturity, staked))
            self.state.set_maturities(session, updated)
            for record in settled:
                self._settle(session, record, today)
        event = RewardEvent(
            day_after_genesis=today,
            actual_timestamp_seconds=now,
            settled_proposals=tuple(record.id for record in settled),
            distributed_e8s_equivalent=distributed,
            total_available_e8s_equivalent=pool,
            rounds_since_last_distribution=len(new_days)
            + (0 if latest.settled_proposals else latest.rounds_since_last_distribution),
            latest_round_available_e8s_equivalent=compute_reward_pool_e8s(
                total_supply_e8s, [today - 1]
            ),
        )
        self.state.put(session, LATEST_REWARD_EVENT, event)
        return event

    def _settle(self, session: Session, record: ProposalRecord, round_number: int) -> None:
        """Mark settled, keep its Yes/No ballots in the neurons' history, drop the ballots."""
        votes = record.ballots.votes
        self.state.record_recent_ballots(
            session,
            [
                (neuron_id, record.id, vote)
                for neuron_id, vote in votes.items()
                if vote != Vote.UNSPECIFIED
            ],
        )
        self.state.touch_proposal(record)
        record.reward_event_round = round_number
        record.ballots = type(record.ballots)({})
        self.state.put_proposal(session, record)
