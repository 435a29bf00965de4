"""ManageNeuron commands that change a neuron itself (spec section 2).

Configuration, following and maturity commands change only governance state.
Commands that move ICP (claim or refresh, disburse, split, merge, disburse to
neuron) lock the neuron, call the ledger, and finish in the callback that
receives the ledger's answer; the answer to the caller comes from there. A
ledger refusal unlocks the neuron and answers with an External error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Final

from sqlmodel import Session

from nns.governance.contexts import (
    ClaimContext,
    DisburseContext,
    DisburseToNeuronContext,
    MergeContext,
    NeuronTransferContext,
    SplitContext,
)
from nns.governance.core import GovernanceCore
from nns.governance.enums import ErrorType, NeuronState, Topic, Visibility
from nns.governance.errors import (
    GovernanceError,
    insufficient_funds,
    invalid_command,
    not_authorized,
    not_found,
    precondition_failed,
)
from nns.governance.neuron import (
    MaturityDisbursement,
    Neuron,
    compute_disburse_to_neuron_subaccount,
    compute_neuron_staking_subaccount,
    compute_split_subaccount,
    get_minted_stake_e8s,
    get_state,
    update_stake_adjust_age,
)
from nns.governance.neuron_changes import (
    apply_operation,
    merged_neurons,
    split_neurons,
    validate_merge,
)
from nns.governance.parameters import (
    MAX_DISBURSEMENTS_IN_PROGRESS,
    MAX_FOLLOWEES_PER_TOPIC,
    MAX_NEURONS,
    MIN_MATURITY_MODULATION_BASIS_POINTS,
)
from nns.governance.requests import (
    ClaimByMemo,
    ClaimByMemoAndController,
    ClaimByNeuronIdOrSubaccount,
    ClaimOrRefresh,
    ClaimOrRefreshResponse,
    Configure,
    Disburse,
    DisburseMaturity,
    DisburseMaturityResponse,
    DisburseResponse,
    DisburseToNeuron,
    EmptyResponse,
    Follow,
    JoinCommunityFund,
    LeaveCommunityFund,
    Merge,
    MergeResponse,
    SetFollowing,
    Spawn,
    SpawnResponse,
    Split,
    StakeMaturity,
    StakeMaturityResponse,
)
from nns.governance.settings import DEFAULT_FOLLOWEES
from nns.ledger.accounts import AccountIdentifier
from nns.ledger.types import AccountBalanceArgs
from replica.environment import DEFERRED, OutgoingCall, Reject
from replica.types import Principal

E8S_PER_ICP: Final = 100_000_000
MIN_DISBURSE_MATURITY_E8S: Final = E8S_PER_ICP


class ManageNeuronCommands(GovernanceCore):
    """The neuron commands of ManageNeuron, each validated before it changes anything."""

    # -- configure (spec 2.2) ---------------------------------------------------------------

    def configure(
        self, session: Session, caller: Principal, neuron_id: int, command: Configure
    ) -> EmptyResponse:
        """governance.rs configure_neuron then neuron/types.rs Neuron::configure: the neuron's
        lock, the neuron, the operation, then who may (controller; hot keys too for the
        Neurons' Fund), each with the IC's type and text."""
        self.require_unlocked(neuron_id)
        neuron = self.get_neuron(neuron_id)
        operation = command.operation
        if operation is None:
            raise invalid_command("Configure must have an operation.")
        if isinstance(operation, JoinCommunityFund | LeaveCommunityFund):
            if not neuron.is_authorized(caller):
                raise not_authorized(
                    f"Caller '{caller}' must be the controller or hotkey of the neuron to join "
                    "or leave the neuron fund."
                )
        elif caller != neuron.controller:
            raise not_authorized(
                f"Caller '{caller}' must be the controller of the neuron to perform this "
                f"operation: {type(operation).__name__}"
            )
        updated = apply_operation(
            neuron, operation, self.now_seconds(), self.durations.max_dissolve_delay_seconds
        )
        self.state.put_neuron(session, updated)
        return EmptyResponse(command="Configure")

    # -- following (spec 3.2) ---------------------------------------------------------------

    def follow(
        self, session: Session, caller: Principal, neuron_id: int, command: Follow
    ) -> EmptyResponse:
        self._apply_following(session, caller, neuron_id, {command.topic: command.followees})
        return EmptyResponse(command="Follow")

    def set_following(
        self, session: Session, caller: Principal, neuron_id: int, command: SetFollowing
    ) -> EmptyResponse:
        entries = command.topic_following or ()
        changes: dict[int, tuple[int, ...]] = {}
        for entry in entries:
            topic = 0 if entry.topic is None else entry.topic
            if topic in changes:
                raise invalid_command(f"Topic {topic} appears more than once.")
            changes[topic] = entry.followees or ()
        self._apply_following(session, caller, neuron_id, changes)
        return EmptyResponse(command="SetFollowing")

    def _apply_following(
        self,
        session: Session,
        caller: Principal,
        neuron_id: int,
        changes: Mapping[int, tuple[int, ...]],
    ) -> None:
        neuron = self.get_neuron(neuron_id)
        if not neuron.is_authorized(caller):
            raise not_authorized()
        for topic, followees in changes.items():
            if topic not in Topic._value2member_map_ or topic == Topic.SNS_DECENTRALIZATION_SALE:
                raise invalid_command(f"Not a known topic number: {topic}.")
            if len(followees) > MAX_FOLLOWEES_PER_TOPIC:
                raise invalid_command(
                    f"Too many followees: {len(followees)} (at most {MAX_FOLLOWEES_PER_TOPIC})."
                )
            if topic == Topic.NEURON_MANAGEMENT and caller != neuron.controller:
                raise not_authorized(
                    "Only the controller may set following on the NeuronManagement topic."
                )
            if topic != Topic.NEURON_MANAGEMENT:
                self._check_follow_restrictions(neuron, topic, followees)
        followees_by_topic = dict(neuron.followees)
        for topic, followees in changes.items():
            if followees:
                followees_by_topic[topic] = tuple(followees)
            else:
                followees_by_topic.pop(topic, None)
        updated = replace(
            neuron,
            followees=followees_by_topic,
            voting_power_refreshed_timestamp_seconds=self.now_seconds(),
        )
        self.state.put_neuron(session, updated)

    def _check_follow_restrictions(
        self, follower: Neuron, topic: int, followees: tuple[int, ...]
    ) -> None:
        """A newly added followee must be public, or share the controller, or list it as hot key."""
        existing = set(follower.followees.get(topic, ()))
        invalid = []
        for followee_id in followees:
            if followee_id in existing:
                continue
            followee = self.state.neurons.get(followee_id)
            if followee is None or not (
                followee.visibility == Visibility.PUBLIC
                or followee.controller == follower.controller
                or follower.controller in followee.hot_keys
            ):
                invalid.append(followee_id)
        if invalid:
            listed = ", ".join(str(i) for i in sorted(set(invalid)))
            raise precondition_failed(
                f"Neurons may only follow public neurons or neurons of the same controller; "
                f"not allowed: {listed}."
            )

    # -- claim or refresh (spec 2.3) --------------------------------------------------------

    def claim_or_refresh(
        self,
        session: Session,
        caller: Principal,
        neuron_id: int | None,
        subaccount: bytes | None,
        command: ClaimOrRefresh,
    ) -> object:
        by = command.by
        if isinstance(by, ClaimByMemo):
            subaccount, controller = compute_neuron_staking_subaccount(caller, by.memo), caller
        elif isinstance(by, ClaimByMemoAndController):
            controller = by.controller or caller
            subaccount = compute_neuron_staking_subaccount(controller, by.memo)
        elif isinstance(by, ClaimByNeuronIdOrSubaccount):
            if neuron_id is not None:
                subaccount = self.get_neuron(neuron_id).subaccount
            if subaccount is None or subaccount not in self.state.by_subaccount:
                raise not_found("No neuron with this id or subaccount.")
            controller = self.state.neurons[self.state.by_subaccount[subaccount]].controller
        else:
            raise invalid_command("ClaimOrRefresh requires `by`.")
        existing = self.state.by_subaccount.get(subaccount)
        if existing is not None:
            self.lock_neuron(session, existing, "ClaimOrRefresh")
        elif len(self.state.neurons) >= MAX_NEURONS:
            raise GovernanceError(
                ErrorType.RESOURCE_EXHAUSTED, "Reached the maximum number of neurons."
            )
        self.environment.call(
            OutgoingCall(
                callee=self.ledger_id,
                method="account_balance",
                argument=AccountBalanceArgs(
                    account=AccountIdentifier.of(self.governance_id, subaccount)
                ),
                on_reply="_on_claim_balance",
                on_reject="_on_claim_rejected",
                context=ClaimContext(subaccount=subaccount, controller=controller),
            )
        )
        return DEFERRED

    def _on_claim_balance(self, context: ClaimContext, balance: object) -> object:
        subaccount = context.subaccount
        if not isinstance(balance, int):
            raise TypeError("the ledger answered a balance that is not an integer")
        with self.transaction() as session:
            existing = self.state.by_subaccount.get(subaccount)
            if existing is not None:
                self.unlock_neuron(session, existing)
            minimum = self.economics.neuron_minimum_stake_e8s
            if balance < minimum:
                # governance.rs claim_neuron / refresh_neuron: the same check, its own verb.
                verb = "stake" if existing is None else "refresh"
                return insufficient_funds(
                    f"Account does not have enough funds to {verb} a neuron. Please make sure "
                    f"that account has at least {minimum} e8s (was {balance} e8s)"
                )
            now = self.now_seconds()
            if existing is not None:
                neuron = self.state.neurons[existing]
                if balance != neuron.cached_neuron_stake_e8s:
                    self.state.put_neuron(session, update_stake_adjust_age(neuron, balance, now))
                return ClaimOrRefreshResponse(refreshed_neuron_id=existing)
            self.take_rate_limit_slot(session)
            neuron = Neuron(
                id=self.new_neuron_id(),
                subaccount=subaccount,
                controller=context.controller,
                created_timestamp_seconds=now,
                voting_power_refreshed_timestamp_seconds=now,
                cached_neuron_stake_e8s=balance,
                dissolve_delay_seconds=self.durations.initial_neuron_dissolve_delay_seconds,
                aging_since_timestamp_seconds=now,
                followees=dict(self.state.get(DEFAULT_FOLLOWEES)),
            )
            self.state.put_neuron(session, neuron)
            return ClaimOrRefreshResponse(refreshed_neuron_id=neuron.id)

    def _on_claim_rejected(self, context: ClaimContext, reject: object) -> object:
        subaccount = context.subaccount
        with self.transaction() as session:
            existing = self.state.by_subaccount.get(subaccount)
            if existing is not None:
                self.unlock_neuron(session, existing)
        return _external(reject)

    # -- disburse (spec 2.4) ----------------------------------------------------------------

    def disburse(
        self,
        session: Session,
        caller: Principal,
        neuron_id: int,
        command: Disburse,
        proposal_id: int | None,
    ) -> object:
        neuron = self.get_controlled_neuron(caller, neuron_id)
        require_dissolved(neuron, self.now_seconds())
        if not neuron.kyc_verified:
            raise precondition_failed(f"Neuron {neuron_id} is not kyc verified.")
        fee = self.economics.transaction_fee_e8s
        # governance.rs disburse_neuron: the fees owed are burned first and taken out of the
        # requested amount (saturating); the amount is not compared with the stake, the
        # ledger refuses what the account cannot pay.
        if command.amount_e8s is None:
            amount = get_minted_stake_e8s(neuron)
        else:
            amount = max(0, command.amount_e8s - neuron.neuron_fees_e8s)
        if amount > fee:
            amount -= fee
        destination = command.to_account or AccountIdentifier.of(caller)
        self.lock_neuron(session, neuron_id, "Disburse")
        step = DisburseContext(
            neuron_id=neuron_id, amount=amount, to=destination, proposal_id=proposal_id
        )
        if neuron.neuron_fees_e8s > fee:
            self.call_ledger_transfer(
                from_subaccount=neuron.subaccount,
                to=self.minting_account(),
                amount_e8s=neuron.neuron_fees_e8s,
                fee_e8s=0,
                memo=0,
                on_reply="_on_disburse_fees_burned",
                on_reject="_on_neuron_ledger_rejected",
                context=step,
            )
        else:
            self._disburse_transfer(step)
        return DEFERRED

    def _disburse_transfer(self, context: DisburseContext) -> None:
        neuron = self.state.neurons[context.neuron_id]
        self.call_ledger_transfer(
            from_subaccount=neuron.subaccount,
            to=context.to,
            amount_e8s=context.amount,
            fee_e8s=self.economics.transaction_fee_e8s,
            memo=0,
            on_reply="_on_disbursed",
            on_reject="_on_neuron_ledger_rejected",
            context=context,
        )

    def _on_disburse_fees_burned(self, context: DisburseContext, block: object) -> object:
        with self.transaction() as session:
            neuron = self.state.neurons[context.neuron_id]
            self.state.put_neuron(
                session,
                replace(
                    neuron,
                    cached_neuron_stake_e8s=neuron.cached_neuron_stake_e8s - neuron.neuron_fees_e8s,
                    neuron_fees_e8s=0,
                ),
            )
            self._disburse_transfer(context)
        return DEFERRED

    def _on_disbursed(self, context: DisburseContext, block: object) -> object:
        if not isinstance(block, int):
            raise TypeError("the ledger answered a block index that is not an integer")
        with self.transaction() as session:
            neuron = self.state.neurons[context.neuron_id]
            spent = context.amount + self.economics.transaction_fee_e8s
            self.state.put_neuron(
                session,
                replace(
                    neuron, cached_neuron_stake_e8s=max(0, neuron.cached_neuron_stake_e8s - spent)
                ),
            )
            self.unlock_neuron(session, neuron.id)
            return self.finish_command(
                session, context.proposal_id, DisburseResponse(transfer_block_height=block)
            )

    def _on_neuron_ledger_rejected(self, context: NeuronTransferContext, reject: object) -> object:
        with self.transaction() as session:
            self.unlock_neuron(session, context.neuron_id)
            return self.finish_command(session, context.proposal_id, _external(reject))

    # -- split (spec 2.5) -------------------------------------------------------------------

    def split(
        self,
        session: Session,
        caller: Principal,
        neuron_id: int,
        command: Split,
        proposal_id: int | None,
    ) -> object:
        """governance.rs split_neuron: its checks in its order, types and texts."""
        neuron = self.get_neuron(neuron_id)
        self.require_not_spawning(neuron)
        if caller != neuron.controller:
            raise not_authorized("")
        economics = self.economics
        minimum, fee = economics.neuron_minimum_stake_e8s, economics.transaction_fee_e8s
        if command.amount_e8s < minimum + fee:
            raise insufficient_funds(
                f"Trying to split a neuron with argument {command.amount_e8s} e8s. This is too "
                f"little: at the minimum, one needs the minimum neuron stake, which is {minimum} "
                f"e8s, plus the transaction fee, which is {fee}. Hence the minimum split amount "
                f"is {minimum + fee}."
            )
        minted = get_minted_stake_e8s(neuron)
        if minted < minimum + command.amount_e8s:
            raise insufficient_funds(
                f"Trying to split {command.amount_e8s} e8s out of neuron {neuron_id}. This is "
                f"not allowed, because the parent has stake {minted} e8s. If the requested amount "
                f"was subtracted from it, there would be less than the minimum allowed stake, "
                f"which is {minimum} e8s. "
            )
        if command.memo is not None:
            child_subaccount = compute_split_subaccount(neuron.controller, command.memo)
            if child_subaccount in self.state.by_subaccount:
                raise precondition_failed("There is already a neuron with the same subaccount.")
        else:
            child_subaccount = self.new_subaccount()
        self.take_rate_limit_slot(session)
        self.lock_neuron(session, neuron_id, "Split")
        child_id = self.new_neuron_id()
        self.call_ledger_transfer(
            from_subaccount=neuron.subaccount,
            to=AccountIdentifier.of(self.governance_id, child_subaccount),
            amount_e8s=command.amount_e8s - fee,
            fee_e8s=fee,
            memo=0,
            on_reply="_on_split_transferred",
            on_reject="_on_neuron_ledger_rejected",
            context=SplitContext(
                neuron_id=neuron_id,
                child_id=child_id,
                child_subaccount=child_subaccount,
                amount=command.amount_e8s,
                proposal_id=proposal_id,
            ),
        )
        return DEFERRED

    def _on_split_transferred(self, context: SplitContext, block: object) -> object:
        with self.transaction() as session:
            parent = self.state.neurons[context.neuron_id]
            amount = context.amount
            new_parent, child = split_neurons(
                parent,
                context.child_id,
                context.child_subaccount,
                amount,
                self.now_seconds(),
                self.economics.transaction_fee_e8s,
            )
            self.state.put_neurons(session, [new_parent, child])
            self.unlock_neuron(session, parent.id)
            return self.finish_command(
                session,
                context.proposal_id,
                SpawnResponse(created_neuron_id=child.id, command="Split"),
            )

    # -- merge (spec 2.6) -------------------------------------------------------------------

    def merge(
        self,
        session: Session,
        caller: Principal,
        neuron_id: int,
        command: Merge,
        proposal_id: int | None,
    ) -> object:
        source, target = validate_merge(
            self.state, self.locks, caller, neuron_id, command.source_neuron_id, self.now_seconds()
        )
        self.lock_neuron(session, source.id, "Merge")
        self.lock_neuron(session, target.id, "Merge")
        step = MergeContext(source_id=source.id, target_id=target.id, proposal_id=proposal_id)
        fee = self.economics.transaction_fee_e8s
        if source.neuron_fees_e8s > fee:
            self.call_ledger_transfer(
                from_subaccount=source.subaccount,
                to=self.minting_account(),
                amount_e8s=source.neuron_fees_e8s,
                fee_e8s=0,
                memo=0,
                on_reply="_on_merge_fees_burned",
                on_reject="_on_merge_rejected",
                context=step,
            )
            return DEFERRED
        return self._merge_transfer(session, step)

    def _on_merge_fees_burned(self, context: MergeContext, block: object) -> object:
        with self.transaction() as session:
            source = self.state.neurons[context.source_id]
            self.state.put_neuron(
                session,
                replace(
                    source,
                    cached_neuron_stake_e8s=source.cached_neuron_stake_e8s - source.neuron_fees_e8s,
                    neuron_fees_e8s=0,
                ),
            )
            return self._merge_transfer(session, context)

    def _merge_transfer(self, session: Session, context: MergeContext) -> object:
        source = self.state.neurons[context.source_id]
        target = self.state.neurons[context.target_id]
        fee = self.economics.transaction_fee_e8s
        amount = get_minted_stake_e8s(source) - fee
        if amount <= 0:
            return self._finish_merge(session, context, 0)
        self.call_ledger_transfer(
            from_subaccount=source.subaccount,
            to=self.neuron_account(target),
            amount_e8s=amount,
            fee_e8s=fee,
            memo=0,
            on_reply="_on_merge_transferred",
            on_reject="_on_merge_rejected",
            context=replace(context, amount=amount),
        )
        return DEFERRED

    def _on_merge_transferred(self, context: MergeContext, block: object) -> object:
        with self.transaction() as session:
            return self._finish_merge(session, context, context.amount)

    def _finish_merge(self, session: Session, context: MergeContext, amount: int) -> object:
        source = self.state.neurons[context.source_id]
        target = self.state.neurons[context.target_id]
        new_source, new_target = merged_neurons(
            source, target, amount, self.now_seconds(), self.economics.transaction_fee_e8s
        )
        self.state.put_neurons(session, [new_source, new_target])
        self.unlock_neuron(session, source.id)
        self.unlock_neuron(session, target.id)
        return self.finish_command(
            session,
            context.proposal_id,
            MergeResponse(source_neuron_id=source.id, target_neuron_id=target.id),
        )

    def _on_merge_rejected(self, context: MergeContext, reject: object) -> object:
        with self.transaction() as session:
            self.unlock_neuron(session, context.source_id)
            self.unlock_neuron(session, context.target_id)
            return self.finish_command(session, context.proposal_id, _external(reject))

    # -- spawn, stake and disburse maturity (spec 2.7-2.9) ----------------------------------

    def spawn(
        self, session: Session, caller: Principal, neuron_id: int, command: Spawn
    ) -> SpawnResponse:
        """governance.rs spawn_neuron: its checks in its order, types and texts."""
        parent = self.get_neuron(neuron_id)
        if get_state(parent, self.now_seconds()) == NeuronState.SPAWNING:
            raise precondition_failed(
                "Can't perform operation on neuron: Target neuron is spawning."
            )
        if caller != parent.controller:
            raise not_authorized("")
        percentage = 100 if command.percentage_to_spawn is None else command.percentage_to_spawn
        if not 1 <= percentage <= 100:
            raise precondition_failed(
                "The percentage of maturity to spawn must be a value between 1 and 100 (inclusive)."
            )
        maturity = parent.maturity_e8s_equivalent * percentage // 100
        minimum = self.economics.neuron_minimum_stake_e8s
        # The IC's own float: (maturity_to_spawn as f64 * (1f64 - 0.05)) as u64.
        if int(maturity * (1.0 - 0.05)) < minimum:
            raise insufficient_funds(
                "There isn't enough maturity to spawn a new neuron due to worst case maturity "
                "modulation."
            )
        controller = command.new_controller or parent.controller
        if command.nonce is not None:
            subaccount = compute_neuron_staking_subaccount(controller, command.nonce)
            if subaccount in self.state.by_subaccount:
                raise precondition_failed("There is already a neuron with the same subaccount.")
        else:
            subaccount = self.new_subaccount()
        now = self.now_seconds()
        spawn_at = now + self.economics.neuron_spawn_dissolve_delay_seconds
        child = Neuron(
            id=self.new_neuron_id(),
            subaccount=subaccount,
            controller=controller,
            created_timestamp_seconds=now,
            voting_power_refreshed_timestamp_seconds=now,
            hot_keys=parent.hot_keys,
            followees=dict(parent.followees),
            kyc_verified=parent.kyc_verified,
            when_dissolved_timestamp_seconds=spawn_at,
            spawn_at_timestamp_seconds=spawn_at,
            maturity_e8s_equivalent=maturity,
        )
        self.state.put_neurons(
            session,
            [
                replace(parent, maturity_e8s_equivalent=parent.maturity_e8s_equivalent - maturity),
                child,
            ],
        )
        return SpawnResponse(created_neuron_id=child.id)

    def stake_maturity(
        self, session: Session, caller: Principal, neuron_id: int, command: StakeMaturity
    ) -> StakeMaturityResponse:
        """governance.rs stake_maturity_of_neuron: its checks in its order, types and texts."""
        neuron = self.get_neuron(neuron_id)
        self.require_not_spawning(neuron)
        if caller != neuron.controller:
            raise not_authorized("")
        percentage = 100 if command.percentage_to_stake is None else command.percentage_to_stake
        if not 1 <= percentage <= 100:
            raise precondition_failed(
                "The percentage of maturity to stake must be a value between 0 (exclusive) and "
                "100 (inclusive)."
            )
        moved = neuron.maturity_e8s_equivalent * percentage // 100
        updated = replace(
            neuron,
            maturity_e8s_equivalent=neuron.maturity_e8s_equivalent - moved,
            staked_maturity_e8s_equivalent=neuron.staked_maturity_e8s_equivalent + moved,
        )
        self.state.put_neuron(session, updated)
        return StakeMaturityResponse(
            maturity_e8s=updated.maturity_e8s_equivalent,
            staked_maturity_e8s=updated.staked_maturity_e8s_equivalent,
        )

    def disburse_maturity(
        self, session: Session, caller: Principal, neuron_id: int, command: DisburseMaturity
    ) -> DisburseMaturityResponse:
        """governance/disburse_maturity.rs initiate_maturity_disbursement: its checks, types and order."""
        percentage = command.percentage_to_disburse
        if not 1 <= percentage <= 100:
            raise invalid_command("Invalid percentage: must be between 1 and 100")
        if command.to_account is not None and command.to_account_identifier is not None:
            raise invalid_command("Give at most one of to_account and to_account_identifier.")
        neuron = self.get_neuron(neuron_id)
        amount = neuron.maturity_e8s_equivalent * percentage // 100
        worst_case = amount * (10_000 + MIN_MATURITY_MODULATION_BASIS_POINTS) // 10_000
        if worst_case < MIN_DISBURSE_MATURITY_E8S:
            raise precondition_failed(
                f"Disbursement ({amount}) is too small. After the worst case maturity modulation "
                f"({MIN_MATURITY_MODULATION_BASIS_POINTS}) the amount should be at least: "
                f"{MIN_DISBURSE_MATURITY_E8S} e8s"
            )
        if get_state(neuron, self.now_seconds()) == NeuronState.SPAWNING:
            raise invalid_command("Neuron is spawning and cannot be disbursed")
        if caller != neuron.controller:
            raise invalid_command("Caller is not the neuron controller")
        if len(neuron.maturity_disbursements_in_progress) >= MAX_DISBURSEMENTS_IN_PROGRESS:
            raise precondition_failed(
                f"Too many disbursements in progress. Max: {MAX_DISBURSEMENTS_IN_PROGRESS}"
            )
        if command.to_account is not None:
            destination = command.to_account.identifier()
        elif command.to_account_identifier is not None:
            destination = command.to_account_identifier
        else:
            destination = AccountIdentifier.of(caller)
        now = self.now_seconds()
        disbursement = MaturityDisbursement(
            amount_e8s=amount,
            timestamp_of_disbursement_seconds=now,
            finalize_disbursement_timestamp_seconds=now
            + self.durations.disburse_maturity_delay_seconds,
            account_identifier=destination.raw,
        )
        self.state.put_neuron(
            session,
            replace(
                neuron,
                maturity_e8s_equivalent=neuron.maturity_e8s_equivalent - amount,
                maturity_disbursements_in_progress=(
                    *neuron.maturity_disbursements_in_progress,
                    disbursement,
                ),
            ),
        )
        return DisburseMaturityResponse(amount_disbursed_e8s=amount)

    # -- disburse to neuron (spec 2.10) -----------------------------------------------------

    def disburse_to_neuron(
        self,
        session: Session,
        caller: Principal,
        neuron_id: int,
        command: DisburseToNeuron,
        proposal_id: int | None,
    ) -> object:
        parent = self.get_controlled_neuron(caller, neuron_id)
        require_dissolved(parent, self.now_seconds())
        if not parent.kyc_verified:
            raise precondition_failed(f"Neuron {neuron_id} is not kyc verified.")
        if command.new_controller is None:
            raise invalid_command("Must specify a new controller for disburse to neuron.")
        economics = self.economics
        minimum, fee = economics.neuron_minimum_stake_e8s, economics.transaction_fee_e8s
        if command.amount_e8s < minimum + fee:
            raise insufficient_funds("The amount is below the minimum stake plus the fee.")
        if get_minted_stake_e8s(parent) < minimum + command.amount_e8s:
            raise insufficient_funds("The parent would keep less than the minimum stake.")
        subaccount = compute_disburse_to_neuron_subaccount(command.new_controller, command.nonce)
        if subaccount in self.state.by_subaccount:
            raise precondition_failed("A neuron already uses the subaccount of this nonce.")
        self.take_rate_limit_slot(session)
        self.lock_neuron(session, neuron_id, "DisburseToNeuron")
        self.call_ledger_transfer(
            from_subaccount=parent.subaccount,
            to=AccountIdentifier.of(self.governance_id, subaccount),
            amount_e8s=command.amount_e8s - fee,
            fee_e8s=fee,
            memo=self.now_seconds(),
            on_reply="_on_disbursed_to_neuron",
            on_reject="_on_neuron_ledger_rejected",
            context=DisburseToNeuronContext(
                neuron_id=neuron_id,
                child_id=self.new_neuron_id(),
                child_subaccount=subaccount,
                amount=command.amount_e8s,
                controller=command.new_controller,
                dissolve_delay_seconds=command.dissolve_delay_seconds,
                kyc_verified=command.kyc_verified,
                proposal_id=proposal_id,
            ),
        )
        return DEFERRED

    def _on_disbursed_to_neuron(self, context: DisburseToNeuronContext, block: object) -> object:
        with self.transaction() as session:
            parent = self.state.neurons[context.neuron_id]
            amount = context.amount
            now = self.now_seconds()
            delay = min(context.dissolve_delay_seconds, self.durations.max_dissolve_delay_seconds)
            child = Neuron(
                id=context.child_id,
                subaccount=context.child_subaccount,
                controller=context.controller,
                created_timestamp_seconds=now,
                voting_power_refreshed_timestamp_seconds=now,
                cached_neuron_stake_e8s=amount - self.economics.transaction_fee_e8s,
                dissolve_delay_seconds=delay if delay > 0 else None,
                aging_since_timestamp_seconds=now,
                when_dissolved_timestamp_seconds=None if delay > 0 else now,
                kyc_verified=context.kyc_verified,
                followees=dict(self.state.get(DEFAULT_FOLLOWEES)),
            )
            self.state.put_neurons(
                session,
                [
                    replace(
                        parent, cached_neuron_stake_e8s=parent.cached_neuron_stake_e8s - amount
                    ),
                    child,
                ],
            )
            self.unlock_neuron(session, parent.id)
            return self.finish_command(
                session,
                context.proposal_id,
                SpawnResponse(created_neuron_id=child.id, command="DisburseToNeuron"),
            )

    # -- the end of a command ---------------------------------------------------------------

    def finish_command(self, session: Session, proposal_id: int | None, outcome: object) -> object:
        """Hook for commands run by an adopted ManageNeuron proposal (see voting)."""
        return outcome


def require_dissolved(neuron: Neuron, now_seconds: int) -> None:
    """PreconditionFailed unless dissolved, with the IC's text (governance.rs disburse_neuron)."""
    state = get_state(neuron, now_seconds)
    if state != NeuronState.DISSOLVED:
        name = "".join(word.capitalize() for word in state.name.split("_"))
        raise precondition_failed(
            f"Neuron {neuron.id} has NOT been dissolved. It is in state {name}"
        )


def _external(reject: object) -> GovernanceError:
    message = reject.message if isinstance(reject, Reject) else str(reject)
    return GovernanceError(ErrorType.EXTERNAL, f"Ledger refused the transfer: {message}")
