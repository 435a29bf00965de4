"""The SNS governance canister: the core behind the official Candid interface.

Calls out: the SNS ledger (stake balances, disbursements, treasury, minting),
the ICP ledger (the ICP treasury), SNS root (upgrades and dapp registration)
and custom functions' validators and targets. A refused command answers
`Command_1::Error` and changes nothing; an adopted proposal is carried out at
the next heartbeat (rs/sns/governance/canister/canister.rs `heartbeat`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from nns.ledger.accounts import Account
from nns.ledger.types import Icrc1TransferArgs
from replica.candid import decode
from replica.candid.types import Text, Variant
from replica.canister.errors import CanisterError
from replica.canister.nns_ids import CYCLES_MINTING_CANISTER_ID
from replica.canister.nns_ids import LEDGER_CANISTER_ID as ICP_LEDGER_CANISTER_ID
from replica.canister.sdk import CanisterEnvironment, heartbeat, query, update
from replica.environment import DEFERRED, NANOS_PER_SECOND, OutgoingCall, Reject
from replica.types import Principal
from sns.governance import candid, split, topics
from sns.governance.actions import (
    DeregisterDappCanisters,
    ExecuteGenericNervousSystemFunction,
    MintSnsTokens,
    RegisterDappCanisters,
    TransferSnsTreasuryFunds,
    UpgradeSnsControlledCanister,
)
from sns.governance.core import (
    Execution,
    Metadata,
    Mode,
    NeuronRecipe,
    SnsGovernanceCore,
    treasury_subaccount,
)
from sns.governance.did import GOVERNANCE_INTERFACE
from sns.governance.errors import ErrorType, SnsGovernanceError
from sns.governance.neuron import Neuron, staking_subaccount
from sns.governance.parameters import (
    NervousSystemParameters,
    Permission,
    VotingRewardsParameters,
)
from sns.governance.proposals import Vote
from sns.root import status_result

VALIDATOR_REPLY: Final = [Variant({"Ok": Text, "Err": Text})]
SWAP_NEURON_STATUS: Final = {"created": 1, "already exists": 4}


def _signature(method: str) -> dict[str, Any]:
    function = GOVERNANCE_INTERFACE.method(method)
    return {"args": function.arguments, "results": function.results}


def _message(answer: object) -> str:
    return answer.message if isinstance(answer, Reject) else str(answer)


def _error_reply(problem: SnsGovernanceError) -> dict[str, Any]:
    return {"command": {"Error": problem.to_candid()}}


class SnsGovernance:
    def __init__(self, environment: CanisterEnvironment, path: str | None, init: Any) -> None:
        self.environment = environment
        now = self.now_seconds()
        changes = dict(init.get("parameters", {}))
        rewards = changes.get("voting_rewards_parameters")
        if isinstance(rewards, Mapping):
            changes["voting_rewards_parameters"] = VotingRewardsParameters(**rewards)
        parameters = NervousSystemParameters().updated(changes)
        self.core = SnsGovernanceCore(
            parameters=parameters,
            governance_id=environment.canister_id,
            ledger_id=init["ledger_id"],
            root_id=init["root_id"],
            swap_id=init["swap_id"],
            genesis_timestamp_seconds=now,
            mode=Mode(init.get("mode", int(Mode.PRE_INITIALIZATION_SWAP))),
            metadata=Metadata(**init.get("metadata", {})),
        )
        self.icp_ledger_id: Principal = init.get("icp_ledger_id", ICP_LEDGER_CANISTER_ID)
        self.core.dapp_canisters.extend(init.get("dapp_canisters", []))
        for developer in init.get("developer_neurons", []):
            controller = developer["controller"]
            self.core.add_neuron(
                Neuron(
                    id=staking_subaccount(controller, developer["memo"]),
                    permissions={controller: self.core.claimer_permissions()},
                    cached_neuron_stake_e8s=developer["stake_e8s"],
                    created_timestamp_seconds=now,
                    aging_since_timestamp_seconds=now,
                    dissolve_delay_seconds=developer["dissolve_delay_seconds"],
                    vesting_period_seconds=developer.get("vesting_period_seconds"),
                )
            )
        self.executing: set[int] = set()
        self.rewards_pending = False
        self.modulation_pending = False

    def now_seconds(self) -> int:
        return self.environment.now_ns() // NANOS_PER_SECOND

    def _call(
        self,
        callee: Principal,
        method: str,
        argument: object,
        on_reply: str,
        on_reject: str,
        context: object,
    ) -> None:
        self.environment.call(
            OutgoingCall(
                callee=callee,
                method=method,
                argument=argument,
                on_reply=on_reply,
                on_reject=on_reject,
                context=context,
            )
        )

    # -- manage_neuron ------------------------------------------------------------------------

    @update(**_signature("manage_neuron"))
    def manage_neuron(self, caller: Principal, request: Mapping[str, Any]) -> object:
        try:
            return self._manage_neuron(caller, bytes(request["subaccount"]), request["command"])
        except SnsGovernanceError as problem:
            return _error_reply(problem)

    def _manage_neuron(self, caller: Principal, neuron_id: bytes, command: Any) -> object:
        if command is None:
            raise candid.invalid("No command given.")
        core, now = self.core, self.now_seconds()
        tag, inner = candid.variant(command)
        match tag:
            case "ClaimOrRefresh":
                by = inner["by"]
                if by is None:
                    raise candid.invalid("ClaimOrRefresh needs `by`.")
                kind, detail = candid.variant(by)
                if kind == "MemoAndController":
                    controller, memo = detail["controller"] or caller, detail["memo"]
                    neuron_id = staking_subaccount(controller, memo)
                    context = {"controller": controller.raw, "memo": memo, "caller": caller.raw}
                else:
                    core.neuron(neuron_id)
                    context = {"neuron_id": neuron_id, "caller": caller.raw}
                self._call(
                    core.ledger_id,
                    "icrc1_balance_of",
                    Account.of(core.governance_id, neuron_id),
                    "_on_stake_balance",
                    "_on_ledger_failed",
                    context,
                )
                return DEFERRED
            case "Configure":
                operation = inner["operation"]
                if operation is None:
                    raise candid.invalid("Configure needs an operation.")
                kind, detail = candid.variant(operation)
                if kind == "IncreaseDissolveDelay":
                    core.increase_dissolve_delay(
                        caller, neuron_id, detail["additional_dissolve_delay_seconds"], now
                    )
                elif kind == "SetDissolveTimestamp":
                    core.set_dissolve_timestamp(
                        caller, neuron_id, detail["dissolve_timestamp_seconds"], now
                    )
                elif kind == "ChangeAutoStakeMaturity":
                    core.change_auto_stake_maturity(
                        caller, neuron_id, detail["requested_setting_for_auto_stake_maturity"]
                    )
                elif kind == "StartDissolving":
                    core.start_dissolving(caller, neuron_id, now)
                else:
                    core.stop_dissolving(caller, neuron_id, now)
                return {"command": {"Configure": {}}}
            case "Follow":
                core.follow(
                    caller,
                    neuron_id,
                    inner["function_id"],
                    [candid.neuron_id_value(f) for f in inner["followees"]],
                )
                return {"command": {"Follow": {}}}
            case "SetFollowing":
                core.set_following(
                    caller, neuron_id, candid.followees_value(inner["topic_following"])
                )
                return {"command": {"SetFollowing": {}}}
            case "RegisterVote":
                if inner["proposal"] is None:
                    raise candid.invalid("RegisterVote needs a proposal id.")
                try:
                    vote = Vote(inner["vote"])
                except ValueError:
                    raise candid.invalid("Unknown vote.") from None
                core.register_vote(caller, neuron_id, inner["proposal"]["id"], vote, now)
                return {"command": {"RegisterVote": {}}}
            case "AddNeuronPermissions":
                who = inner["principal_id"]
                if who is None:
                    raise candid.invalid("AddNeuronPermissions needs principal_id.")
                core.add_permissions(
                    caller, neuron_id, who, candid.permissions_value(inner["permissions_to_add"])
                )
                return {"command": {"AddNeuronPermission": {}}}
            case "RemoveNeuronPermissions":
                who = inner["principal_id"]
                if who is None:
                    raise candid.invalid("RemoveNeuronPermissions needs principal_id.")
                core.remove_permissions(
                    caller, neuron_id, who, candid.permissions_value(inner["permissions_to_remove"])
                )
                return {"command": {"RemoveNeuronPermission": {}}}
            case "StakeMaturity":
                core.stake_maturity(caller, neuron_id, inner["percentage_to_stake"])
                neuron = core.neuron(neuron_id)
                return {
                    "command": {
                        "StakeMaturity": {
                            "maturity_e8s": neuron.maturity_e8s_equivalent,
                            "staked_maturity_e8s": neuron.staked_maturity_e8s_equivalent,
                        }
                    }
                }
            case "DisburseMaturity":
                to = candid.account_value(inner["to_account"], caller)
                amount = core.disburse_maturity(
                    caller, neuron_id, inner["percentage_to_disburse"], to, now
                )
                return {
                    "command": {
                        "DisburseMaturity": {
                            "amount_disbursed_e8s": amount,
                            "amount_deducted_e8s": amount,
                        }
                    }
                }
            case "Disburse":
                return self._disburse(caller, neuron_id, inner, now)
            case "Split":
                return self._split(caller, neuron_id, inner, now)
            case "MakeProposal":
                return self._make_proposal(caller, neuron_id, inner, now)
        raise candid.invalid(f"Command {tag} is not supported.")

    def _on_stake_balance(self, context: Mapping[str, Any], balance: int) -> dict[str, Any]:
        caller = Principal(context["caller"])
        try:
            if "neuron_id" in context:
                neuron_id = context["neuron_id"]
                self.core.refresh(neuron_id, balance, self.now_seconds())
            else:
                neuron_id = self.core.claim_or_refresh(
                    caller,
                    Principal(context["controller"]),
                    context["memo"],
                    balance,
                    self.now_seconds(),
                )
        except SnsGovernanceError as problem:
            return _error_reply(problem)
        return {"command": {"ClaimOrRefresh": {"refreshed_neuron_id": {"id": neuron_id}}}}

    def _on_ledger_failed(self, context: object, answer: object) -> dict[str, Any]:
        return _error_reply(
            SnsGovernanceError(ErrorType.EXTERNAL, f"The ledger call failed: {_message(answer)}")
        )

    def _disburse(
        self, caller: Principal, neuron_id: bytes, inner: Mapping[str, Any], now: int
    ) -> object:
        core = self.core
        neuron = core.require_permission(caller, neuron_id, Permission.DISBURSE)
        core.require_normal_mode("Disburse")
        if not neuron.is_dissolved_at(now):
            raise SnsGovernanceError(ErrorType.REQUIRES_DISSOLVED, "The neuron is not dissolved.")
        fee = core.parameters.transaction_fee_e8s
        available = neuron.stake_e8s()
        amount = available - fee if inner["amount"] is None else inner["amount"]["e8s"]
        if amount <= 0 or amount + fee > available:
            raise SnsGovernanceError(
                ErrorType.INSUFFICIENT_FUNDS,
                f"The neuron's stake {available} cannot pay {amount} + fee.",
            )
        owner, subaccount = candid.account_value(inner["to_account"], caller)
        self._call(
            core.ledger_id,
            "icrc1_transfer",
            Icrc1TransferArgs(
                from_subaccount=neuron_id,
                to=Account.of(owner, subaccount),
                amount_e8s=amount,
                fee_e8s=fee,
            ),
            "_on_disbursed",
            "_on_ledger_failed",
            {"neuron_id": neuron_id, "spent": amount + fee},
        )
        return DEFERRED

    def _on_disbursed(self, context: Mapping[str, Any], block_index: int) -> dict[str, Any]:
        neuron = self.core.neurons.get(context["neuron_id"])
        if neuron is not None:
            neuron.cached_neuron_stake_e8s -= context["spent"]
        return {"command": {"Disburse": {"transfer_block_height": block_index}}}

    def _split(
        self, caller: Principal, neuron_id: bytes, inner: Mapping[str, Any], now: int
    ) -> object:
        core, amount = self.core, inner["amount_e8s"]
        child_id = split.prepare_split(core, caller, neuron_id, amount, inner["memo"], now)
        fee = core.parameters.transaction_fee_e8s
        self._call(
            core.ledger_id,
            "icrc1_transfer",
            Icrc1TransferArgs(
                from_subaccount=neuron_id,
                to=Account.of(core.governance_id, child_id),
                amount_e8s=amount - fee,
                fee_e8s=fee,
            ),
            "_on_split",
            "_on_split_failed",
            {"parent": neuron_id, "child": child_id, "amount": amount},
        )
        return DEFERRED

    def _on_split(self, context: Mapping[str, Any], block_index: int) -> dict[str, Any]:
        split.complete_split(self.core, context["parent"], context["child"], context["amount"])
        return {"command": {"Split": {"created_neuron_id": {"id": context["child"]}}}}

    def _on_split_failed(self, context: Mapping[str, Any], answer: object) -> dict[str, Any]:
        split.abandon_split(self.core, context["child"])
        return self._on_ledger_failed(context, answer)

    def _make_proposal(
        self, caller: Principal, neuron_id: bytes, inner: Mapping[str, Any], now: int
    ) -> object:
        action = candid.action_value(inner["action"])
        fields = {"title": inner["title"], "summary": inner["summary"], "url": inner["url"]}
        if isinstance(action, ExecuteGenericNervousSystemFunction):
            self.core.require_permission(caller, neuron_id, Permission.SUBMIT_PROPOSAL)
            self.core.validate_action(action)
            function = self.core.functions[action.function_id]
            self._call(
                function.validator_canister_id,
                function.validator_method_name,
                action.payload,
                "_on_validated",
                "_on_validator_failed",
                {
                    "caller": caller.raw,
                    "neuron_id": neuron_id,
                    **fields,
                    "function_id": action.function_id,
                    "payload": action.payload,
                },
            )
            return DEFERRED
        proposal_id = self.core.make_proposal(caller, neuron_id, action=action, now=now, **fields)
        return {"command": {"MakeProposal": {"proposal_id": {"id": proposal_id}}}}

    def _on_validated(self, context: Mapping[str, Any], reply: object) -> dict[str, Any]:
        if isinstance(reply, bytes):
            (reply,) = decode(reply, VALIDATOR_REPLY)
        outcome = candid.variant(reply) if isinstance(reply, Mapping) else ("Err", str(reply))
        if outcome[0] != "Ok":
            return _error_reply(
                SnsGovernanceError(
                    ErrorType.INVALID_PROPOSAL, f"The validator refused the payload: {outcome[1]}"
                )
            )
        try:
            proposal_id = self.core.make_proposal(
                Principal(context["caller"]),
                context["neuron_id"],
                title=context["title"],
                summary=context["summary"],
                url=context["url"],
                action=ExecuteGenericNervousSystemFunction(
                    function_id=context["function_id"], payload=context["payload"]
                ),
                now=self.now_seconds(),
                payload_text_rendering=str(outcome[1]),
            )
        except SnsGovernanceError as problem:
            return _error_reply(problem)
        return {"command": {"MakeProposal": {"proposal_id": {"id": proposal_id}}}}

    def _on_validator_failed(self, context: object, answer: object) -> dict[str, Any]:
        return _error_reply(
            SnsGovernanceError(ErrorType.EXTERNAL, f"The validator failed: {_message(answer)}")
        )

    # -- the swap's methods --------------------------------------------------------------------

    @update(**_signature("claim_swap_neurons"))
    def claim_swap_neurons(self, caller: Principal, request: Mapping[str, Any]) -> dict[str, Any]:
        recipes = []
        for recipe in (request["neuron_recipes"] or {"neuron_recipes": []})["neuron_recipes"]:
            participant = recipe["participant"]
            nns_controller = None
            source = None
            if participant is not None and "NeuronsFund" in participant:
                fund = participant["NeuronsFund"]
                nns_controller, source = fund["nns_neuron_controller"], fund["nns_neuron_id"]
            recipes.append(
                NeuronRecipe(
                    neuron_id=candid.neuron_id_value(recipe["neuron_id"]),
                    controller=recipe["controller"],
                    stake_e8s=recipe["stake_e8s"] or 0,
                    dissolve_delay_seconds=recipe["dissolve_delay_seconds"] or 0,
                    followees=tuple(
                        candid.neuron_id_value(f)
                        for f in (recipe["followees"] or {"neuron_ids": []})["neuron_ids"]
                    ),
                    source_nns_neuron_id=source,
                    nns_neuron_controller=nns_controller,
                )
            )
        try:
            results = self.core.claim_swap_neurons(caller, recipes, self.now_seconds())
        except SnsGovernanceError as problem:
            return {"claim_swap_neurons_result": {"Err": int(problem.error_type)}}
        return {
            "claim_swap_neurons_result": {
                "Ok": {
                    "swap_neurons": [
                        {"id": {"id": neuron_id}, "status": SWAP_NEURON_STATUS.get(status, 3)}
                        for neuron_id, status in results
                    ]
                }
            }
        }

    @update(**_signature("set_mode"))
    def set_mode(self, caller: Principal, request: Mapping[str, Any]) -> dict[str, Any]:
        self.core.set_mode(caller, Mode(request["mode"]))
        return {}

    # -- queries ------------------------------------------------------------------------------

    @query(**_signature("get_neuron"))
    def get_neuron(self, caller: Principal, request: Mapping[str, Any]) -> dict[str, Any]:
        try:
            neuron = self.core.neuron(candid.neuron_id_value(request["neuron_id"]))
        except SnsGovernanceError as problem:
            return {"result": {"Error": problem.to_candid()}}
        return {"result": {"Neuron": candid.neuron_candid(neuron)}}

    @query(**_signature("list_neurons"))
    def list_neurons(self, caller: Principal, request: Mapping[str, Any]) -> dict[str, Any]:
        owner = request["of_principal"]
        neurons = (
            self.core.neurons_of(owner)
            if owner is not None
            else [n for _, n in sorted(self.core.neurons.items())]
        )
        start = request["start_page_at"]
        if start is not None:
            neurons = [n for n in neurons if n.id > bytes(start["id"])]
        limit = request["limit"] or 100
        return {"neurons": [candid.neuron_candid(n) for n in neurons[:limit]]}

    @query(**_signature("get_proposal"))
    def get_proposal(self, caller: Principal, request: Mapping[str, Any]) -> dict[str, Any]:
        if request["proposal_id"] is None:
            problem = candid.invalid("No proposal id given.")
            return {"result": {"Error": problem.to_candid()}}
        try:
            proposal = self.core.proposal(request["proposal_id"]["id"])
        except SnsGovernanceError as problem:
            return {"result": {"Error": problem.to_candid()}}
        return {"result": {"Proposal": candid.proposal_candid(proposal)}}

    @query(**_signature("list_proposals"))
    def list_proposals(self, caller: Principal, request: Mapping[str, Any]) -> dict[str, Any]:
        before = request["before_proposal"]
        excluded = set(request["exclude_type"])
        selectors = request.get("include_topics")
        # include_topics filters by topic; a selector without a topic selects proposals that have
        # none (list_proposals of rs/sns/governance/src/governance.rs)
        topics = None if selectors is None else {candid.topic_value(s["topic"]) for s in selectors}
        chosen = [
            p
            for p_id, p in sorted(self.core.proposals.items(), reverse=True)
            if (before is None or p_id < before["id"])
            and p.function_id not in excluded
            and (topics is None or p.topic in topics)
        ][: request["limit"] or 100]
        return {
            "proposals": [candid.proposal_candid(p, with_ballots=False) for p in chosen],
            "include_ballots_by_caller": None,
            "include_topic_filtering": True,
        }

    @query(**_signature("get_nervous_system_parameters"))
    def get_nervous_system_parameters(
        self, caller: Principal, argument: object = None
    ) -> dict[str, Any]:
        return candid.parameters_candid(self.core.parameters)

    @query(**_signature("get_mode"))
    def get_mode(self, caller: Principal, argument: object = None) -> dict[str, Any]:
        return {"mode": int(self.core.mode)}

    @query(**_signature("list_nervous_system_functions"))
    def list_nervous_system_functions(
        self, caller: Principal, argument: object = None
    ) -> dict[str, Any]:
        return topics.list_nervous_system_functions(self.core.functions.values())

    @query(**_signature("list_topics"))
    def list_topics(self, caller: Principal, argument: object = None) -> dict[str, Any]:
        return topics.list_topics(self.core.functions.values())

    @update(**_signature("get_root_canister_status"))
    def get_root_canister_status(self, caller: Principal, argument: object = None) -> object:
        """SNS root's status, asked of the management canister by governance, root's controller
        (rs/sns/governance/canister/canister.rs `get_root_canister_status`; SNS root's summary
        lists itself this way on the IC)."""
        self._call(
            Principal.management_canister(),
            "canister_status",
            {"canister_id": self.core.root_id},
            "_on_root_status",
            "_on_root_status_failed",
            {},
        )
        return DEFERRED

    def _on_root_status(self, context: object, status: Mapping[str, Any]) -> dict[str, Any]:
        return status_result(status)

    def _on_root_status_failed(self, context: object, answer: object) -> None:
        raise CanisterError(f"The status of SNS root is not available: {_message(answer)}")

    @query(**_signature("get_latest_reward_event"))
    def get_latest_reward_event(self, caller: Principal, argument: object = None) -> dict[str, Any]:
        event = self.core.latest_reward_event
        return {
            "round": event.round,
            "actual_timestamp_seconds": event.actual_timestamp_seconds,
            "end_timestamp_seconds": event.end_timestamp_seconds,
            "settled_proposals": [{"id": i} for i in event.settled_proposals],
            "distributed_e8s_equivalent": event.distributed_e8s_equivalent,
            "total_available_e8s_equivalent": event.total_available_e8s_equivalent,
            "rounds_since_last_distribution": event.rounds_since_last_distribution,
        }

    @query(**_signature("get_metadata"))
    def get_metadata(self, caller: Principal, argument: object = None) -> dict[str, Any]:
        m = self.core.metadata
        return {"url": m.url, "logo": m.logo, "name": m.name, "description": m.description}

    # -- the heartbeat: decide, execute, reward, settle disbursements --------------------------

    @heartbeat
    def run_periodic_tasks(self) -> None:
        now = self.now_seconds()
        for execution in self.core.process_proposals(now):
            self._execute(execution, now)
        if not self.rewards_pending and self.core.due_reward_round(now) is not None:
            self.rewards_pending = True
            self._call(
                self.core.ledger_id,
                "icrc1_total_supply",
                None,
                "_on_supply",
                "_on_supply_failed",
                {},
            )
        if not self.modulation_pending and self.core.maturity_modulation_due(now):
            self.modulation_pending = True
            self._call(
                CYCLES_MINTING_CANISTER_ID,
                "neuron_maturity_modulation",
                None,
                "_on_modulation",
                "_on_modulation_failed",
                {},
            )
        modulation = self.core.effective_maturity_modulation()
        if modulation is None:  # disbursements wait for the first modulation
            return
        for neuron_id, amount, owner, subaccount in self.core.due_disbursements(now):
            self._call(
                self.core.ledger_id,
                "icrc1_transfer",
                Icrc1TransferArgs(
                    from_subaccount=None,
                    to=Account.of(owner, subaccount),
                    amount_e8s=self.core.modulated(amount, modulation),
                ),
                "_ignore",
                "_on_disbursement_failed",
                {
                    "neuron_id": neuron_id,
                    "amount": amount,
                    "owner": owner.raw,
                    "subaccount": subaccount,
                },
            )

    def _on_modulation(self, context: object, answer: Mapping[str, Any]) -> None:
        self.modulation_pending = False
        if "Ok" in answer:
            self.core.set_maturity_modulation(int(answer["Ok"]), self.now_seconds())

    def _on_modulation_failed(self, context: object, answer: object) -> None:
        self.modulation_pending = False  # asked again at the next heartbeat

    @update(**_signature("get_maturity_modulation"))
    def get_maturity_modulation(self, caller: Principal, argument: object = None) -> dict[str, Any]:
        """The modulation last fetched from the CMC, if any (governance.rs)."""
        if self.core.maturity_modulation_basis_points is None:
            return {"maturity_modulation": None}
        return {
            "maturity_modulation": {
                "current_basis_points": self.core.maturity_modulation_basis_points,
                "updated_at_timestamp_seconds": self.core.maturity_modulation_updated_at_seconds,
            }
        }

    def _on_supply(self, context: object, supply: int) -> None:
        self.rewards_pending = False
        self.core.distribute_rewards(self.now_seconds(), supply)

    def _on_supply_failed(self, context: object, answer: object) -> None:
        self.rewards_pending = False

    def _ignore(self, context: object, answer: object) -> None:
        return None

    def _on_disbursement_failed(self, context: Mapping[str, Any], answer: object) -> None:
        """A failed mint is retried at the next heartbeat."""
        neuron = self.core.neurons.get(context["neuron_id"])
        if neuron is not None:
            neuron.disbursements.append(
                (
                    self.now_seconds(),
                    context["amount"],
                    Principal(context["owner"]),
                    context["subaccount"],
                )
            )

    def _execute(self, execution: Execution, now: int) -> None:
        core, action, proposal_id = self.core, execution.action, execution.proposal_id
        if core.apply_local_action(execution):
            core.mark_executed(proposal_id, None, now)
            return
        context = {"proposal_id": proposal_id}

        def send(callee: Principal, method: str, argument: object) -> None:
            self._call(callee, method, argument, "_on_executed", "_on_execution_failed", context)

        match action:
            case UpgradeSnsControlledCanister():
                send(
                    core.root_id,
                    "change_canister",
                    {
                        "stop_before_installing": True,
                        "mode": {action.mode: None},
                        "canister_id": action.canister_id,
                        "wasm_module": action.new_canister_wasm,
                        "arg": action.canister_upgrade_arg or b"",
                        "memory_allocation": None,
                        "compute_allocation": None,
                        "chunked_canister_wasm": None,
                    },
                )
            case ExecuteGenericNervousSystemFunction():
                function = core.functions.get(action.function_id)
                if function is None:
                    core.mark_executed(proposal_id, "The function was removed.", now)
                    return
                send(function.target_canister_id, function.target_method_name, action.payload)
            case TransferSnsTreasuryFunds():
                icp = action.from_treasury == 1
                send(
                    self.icp_ledger_id if icp else core.ledger_id,
                    "icrc1_transfer",
                    Icrc1TransferArgs(
                        from_subaccount=None if icp else treasury_subaccount(core.governance_id),
                        to=Account.of(action.to_principal, action.to_subaccount),
                        amount_e8s=action.amount_e8s,
                    ),
                )
            case MintSnsTokens():
                send(
                    core.ledger_id,
                    "icrc1_transfer",
                    Icrc1TransferArgs(
                        from_subaccount=None,
                        to=Account.of(action.to_principal, action.to_subaccount),
                        amount_e8s=action.amount_e8s,
                    ),
                )
            case RegisterDappCanisters():
                send(
                    core.root_id,
                    "register_dapp_canisters",
                    {"canister_ids": list(action.canister_ids)},
                )
            case DeregisterDappCanisters():
                send(
                    core.root_id,
                    "set_dapp_controllers",
                    {
                        "canister_ids": {"canister_ids": list(action.canister_ids)},
                        "controller_principal_ids": list(action.new_controllers),
                    },
                )

    def _on_executed(self, context: Mapping[str, Any], reply: object) -> None:
        failure = None
        if isinstance(reply, Mapping) and "Err" in reply:
            failure = str(reply["Err"])
        self.core.mark_executed(context["proposal_id"], failure, self.now_seconds())

    def _on_execution_failed(self, context: Mapping[str, Any], answer: object) -> None:
        self.core.mark_executed(context["proposal_id"], _message(answer), self.now_seconds())
