"""The swap canister: the swap core and its finalization journal behind swap.did.

Participation reads the buyer's subaccount on the ICP ledger
(`refresh_buyer_tokens`); the heartbeat opens, commits and aborts on the
governance clock and, when `should_auto_finalize` is set, finalizes. Every call
of a finalization run is made one after the other; the run answers
`finalize_swap` when it is done or when a call failed (then it can be run
again and resumes, §3.4).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from nns.ledger.accounts import Account
from nns.ledger.types import Icrc1TransferArgs
from replica.canister.errors import CanisterError
from replica.canister.sdk import CanisterEnvironment, heartbeat, query, update
from replica.environment import DEFERRED, NANOS_PER_SECOND, OutgoingCall, Reject
from replica.types import Principal
from sns.swap import reads
from sns.swap.core import (
    Lifecycle,
    SwapCore,
    SwapError,
    SwapParams,
    Ticket,
    principal_to_subaccount,
)
from sns.swap.did import SWAP_INTERFACE
from sns.swap.finalize import Action, Finalization, StepCounts
from sns.swap.neurons_fund import FundPortion, MatchingFunction, NeuronsFundConstraints

MAX_LIST_DIRECT_PARTICIPANTS: Final = 30_000


def _signature(method: str) -> dict[str, Any]:
    function = SWAP_INTERFACE.method(method)
    return {"args": function.arguments, "results": function.results}


def _message(answer: object) -> str:
    return answer.message if isinstance(answer, Reject) else str(answer)


def params_from_init(init: Mapping[str, Any]) -> SwapParams:
    constraints = None
    nf = init.get("neurons_fund_constraints")
    if nf is not None:
        constraints = NeuronsFundConstraints(
            min_direct_participation_threshold_icp_e8s=nf[
                "min_direct_participation_threshold_icp_e8s"
            ],
            max_neurons_fund_participation_icp_e8s=nf["max_neurons_fund_participation_icp_e8s"],
            matching=MatchingFunction(**nf["matching"]),
        )
    return SwapParams(
        min_participants=init["min_participants"],
        min_direct_participation_icp_e8s=init["min_direct_participation_icp_e8s"],
        max_direct_participation_icp_e8s=init["max_direct_participation_icp_e8s"],
        min_participant_icp_e8s=init["min_participant_icp_e8s"],
        max_participant_icp_e8s=init["max_participant_icp_e8s"],
        sns_token_e8s=init["sns_token_e8s"],
        swap_start_timestamp_seconds=init["swap_start_timestamp_seconds"],
        swap_due_timestamp_seconds=init["swap_due_timestamp_seconds"],
        basket_count=init["basket_count"],
        basket_dissolve_delay_interval_seconds=init["basket_dissolve_delay_interval_seconds"],
        sns_transaction_fee_e8s=init["sns_transaction_fee_e8s"],
        icp_transaction_fee_e8s=init.get("icp_transaction_fee_e8s", 10_000),
        confirmation_text=init.get("confirmation_text"),
        neurons_fund_participation=init.get("neurons_fund_participation", False),
        neurons_fund_constraints=constraints,
        nns_proposal_id=init.get("nns_proposal_id"),
    )


def _sweep(counts: StepCounts | None) -> dict[str, int] | None:
    if counts is None:
        return None
    return {
        "success": counts.success,
        "failure": counts.failure,
        "skipped": counts.skipped,
        "invalid": counts.invalid,
        "global_failures": 0,
    }


class SnsSwap:
    def __init__(self, environment: CanisterEnvironment, path: str | None, init: Any) -> None:
        self.environment = environment
        self.core = SwapCore(params_from_init(init))
        self.nns_governance_id: Principal = init["nns_governance_id"]
        self.sns_governance_id: Principal = init["sns_governance_id"]
        self.sns_ledger_id: Principal = init["sns_ledger_id"]
        self.icp_ledger_id: Principal = init["icp_ledger_id"]
        self.sns_root_id: Principal = init["sns_root_id"]
        self.fallback_controllers: list[Principal] = list(init["fallback_controller_principal_ids"])
        self.should_auto_finalize: bool = init.get("should_auto_finalize", True)
        self.finalization = Finalization()
        self.refunded: set[Principal] = set()
        self.init: dict[str, Any] = dict(init)
        self.auto_finalizing = False
        self.already_tried_to_auto_finalize = False
        self.auto_finalize_swap_response: dict[str, Any] | None = None

    def now_seconds(self) -> int:
        return self.environment.now_ns() // NANOS_PER_SECOND

    def _call(
        self,
        callee: Principal,
        method: str,
        argument: object,
        context: object,
        on_reply: str = "_on_step",
        on_reject: str = "_on_step_failed",
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

    def buyer_account(self, buyer: Principal) -> Account:
        return Account.of(self.environment.canister_id, principal_to_subaccount(buyer))

    # -- the clock ----------------------------------------------------------------------------

    @heartbeat
    def run_periodic_tasks(self) -> None:
        lifecycle = self.core.advance(self.now_seconds())
        decided = lifecycle in (Lifecycle.COMMITTED, Lifecycle.ABORTED)
        if (
            decided
            and self.should_auto_finalize
            and not self.finalization.in_progress
            and self.finalization.error_message is None
            and not self.finalization.is_done(self.core)
            and not self.already_tried_to_auto_finalize
        ):
            self.already_tried_to_auto_finalize = self.auto_finalizing = True
            self._start_finalization()

    # -- participation ------------------------------------------------------------------------

    @update(**_signature("new_sale_ticket"))
    def new_sale_ticket(self, caller: Principal, request: Mapping[str, Any]) -> dict[str, Any]:
        self.core.advance(self.now_seconds())
        try:
            ticket = self.core.new_sale_ticket(
                caller, request["amount_icp_e8s"], request["subaccount"], self.now_seconds()
            )
        except SwapError as problem:
            existing = self.core.tickets.get(caller)
            p = self.core.params
            return {
                "result": {
                    "Err": {
                        "error_type": int(problem.ticket_error),
                        "existing_ticket": None if existing is None else self._ticket(existing),
                        "invalid_user_amount": {
                            "min_amount_icp_e8s_included": p.min_participant_icp_e8s,
                            "max_amount_icp_e8s_included": p.max_participant_icp_e8s,
                        }
                        if problem.ticket_error == 4
                        else None,
                    }
                }
            }
        return {"result": {"Ok": {"ticket": self._ticket(ticket)}}}

    def _ticket(self, ticket: Ticket) -> dict[str, Any]:
        return {
            "creation_time": ticket.creation_time_seconds * NANOS_PER_SECOND,
            "ticket_id": ticket.ticket_id,
            "account": {"owner": ticket.buyer, "subaccount": ticket.subaccount},
            "amount_icp_e8s": ticket.amount_icp_e8s,
        }

    @query(**_signature("get_open_ticket"))
    def get_open_ticket(self, caller: Principal, argument: object = None) -> dict[str, Any]:
        if self.core.lifecycle != Lifecycle.OPEN:
            return {"result": {"Err": {"error_type": 1}}}
        ticket = self.core.tickets.get(caller)
        return {"result": {"Ok": {"ticket": None if ticket is None else self._ticket(ticket)}}}

    @update(**_signature("refresh_buyer_tokens"))
    def refresh_buyer_tokens(self, caller: Principal, request: Mapping[str, Any]) -> object:
        buyer = Principal.from_text(request["buyer"]) if request["buyer"] else caller
        self.core.advance(self.now_seconds())
        if self.core.lifecycle != Lifecycle.OPEN:
            raise CanisterError("The swap is not open: participation cannot be refreshed.")
        self._call(
            self.icp_ledger_id,
            "icrc1_balance_of",
            self.buyer_account(buyer),
            {"buyer": buyer.raw, "confirmation_text": request["confirmation_text"]},
            on_reply="_on_buyer_balance",
            on_reject="_on_balance_failed",
        )
        return DEFERRED

    def _on_buyer_balance(self, context: Mapping[str, Any], balance: int) -> dict[str, int]:
        try:
            accepted, seen = self.core.refresh_buyer_tokens(
                Principal(context["buyer"]), balance, context["confirmation_text"]
            )
        except SwapError as problem:
            raise CanisterError(str(problem)) from None
        return {"icp_accepted_participation_e8s": accepted, "icp_ledger_account_balance_e8s": seen}

    def _on_balance_failed(self, context: object, answer: object) -> None:
        raise CanisterError(f"The ICP ledger did not answer: {_message(answer)}")

    @update(**_signature("error_refund_icp"))
    def error_refund_icp(self, caller: Principal, request: Mapping[str, Any]) -> object:
        """Once the swap is over and this buyer's participation was swept or refunded, whatever
        remains in its subaccount goes back to it (minus the fee)."""
        source = request["source_principal_id"] or caller
        done = self.finalization.icp_swept
        if self.core.lifecycle not in (Lifecycle.COMMITTED, Lifecycle.ABORTED) or (
            source in self.core.buyers and source not in done
        ):
            return {
                "result": {
                    "Err": {
                        "description": "The swap is not finalized for this buyer.",
                        "error_type": 1,
                    }
                }
            }
        self._call(
            self.icp_ledger_id,
            "icrc1_balance_of",
            self.buyer_account(source),
            {"source": source.raw},
            on_reply="_on_refund_balance",
            on_reject="_on_balance_failed",
        )
        return DEFERRED

    def _on_refund_balance(self, context: Mapping[str, Any], balance: int) -> object:
        fee = self.core.params.icp_transaction_fee_e8s
        if balance <= fee:
            return {"result": {"Err": {"description": "Nothing to refund.", "error_type": 2}}}
        source = Principal(context["source"])
        self._call(
            self.icp_ledger_id,
            "icrc1_transfer",
            Icrc1TransferArgs(
                from_subaccount=principal_to_subaccount(source),
                to=Account.of(source),
                amount_e8s=balance - fee,
                fee_e8s=fee,
            ),
            {},
            on_reply="_on_refunded",
            on_reject="_on_balance_failed",
        )
        return DEFERRED

    def _on_refunded(self, context: object, block_index: int) -> dict[str, Any]:
        return {"result": {"Ok": {"block_height": block_index}}}

    # -- finalization -------------------------------------------------------------------------

    @update(**_signature("finalize_swap"))
    def finalize_swap(self, caller: Principal, argument: object = None) -> object:
        self.core.advance(self.now_seconds())
        if self.core.lifecycle not in (Lifecycle.COMMITTED, Lifecycle.ABORTED):
            return self._response("The swap is not committed or aborted yet.")
        if self.finalization.in_progress:
            return self._response("A finalization is already in progress.")
        return self._start_finalization()

    def _start_finalization(self) -> object:
        self.finalization.in_progress = True
        self.finalization.error_message = None
        return self._next()

    def _response(self, error: str | None) -> dict[str, Any]:
        f = self.finalization
        counts = f.counts
        ok: dict[str, Any] = {"possibility": {"Ok": {}}}
        return {
            "sweep_icp_result": _sweep(counts.get("sweep_icp")),
            "sweep_sns_result": _sweep(counts.get("sweep_sns")),
            "claim_neuron_result": _sweep(counts.get("claim_neurons")),
            "settle_neurons_fund_participation_result": {
                "possibility": {
                    "Ok": {
                        "neurons_fund_participation_icp_e8s": (
                            self.core.neurons_fund_participation_icp_e8s
                        ),
                        "neurons_fund_neurons_count": len(self.core.neurons_fund_portions or []),
                    }
                }
            }
            if f.neurons_fund_settled
            else None,
            "set_mode_call_result": ok if f.mode_set else None,
            "set_dapp_controllers_call_result": {"possibility": {"Ok": {"failed_updates": []}}}
            if f.controllers_set
            else None,
            "error_message": error,
        }

    def _next(self) -> object:
        """Make the next call of the run, or finish it."""
        f, core = self.finalization, self.core
        fee_icp, fee_sns = core.params.icp_transaction_fee_e8s, core.params.sns_transaction_fee_e8s
        while True:
            action = f.next_action(core, self.nns_governance_id)
            if action is None:
                f.in_progress = False
                return self._ended(self._response(None))
            context = {"kind": action.kind, "key": action.key}
            match action.kind:
                case "sweep_icp":
                    if not isinstance(action.key, Principal):
                        raise TypeError("a sweep_icp action names a buyer")
                    buyer = action.key
                    amount = core.buyers[buyer].amount_icp_e8s - fee_icp
                    if amount <= 0:
                        f.skip_sweep("sweep_icp", buyer)
                        continue
                    committed = core.lifecycle == Lifecycle.COMMITTED
                    to = Account.of(self.sns_governance_id) if committed else Account.of(buyer)
                    self._call(
                        self.icp_ledger_id,
                        "icrc1_transfer",
                        Icrc1TransferArgs(
                            from_subaccount=principal_to_subaccount(buyer),
                            to=to,
                            amount_e8s=amount,
                            fee_e8s=fee_icp,
                        ),
                        context,
                    )
                case "settle_neurons_fund":
                    self._call(
                        self.nns_governance_id,
                        "settle_neurons_fund_participation",
                        {
                            "nns_proposal_id": core.params.nns_proposal_id,
                            "result": "Committed"
                            if core.lifecycle == Lifecycle.COMMITTED
                            else "Aborted",
                            "total_direct_participation_icp_e8s": core.direct_participation_icp_e8s,
                        },
                        context,
                    )
                case "sweep_sns":
                    if not isinstance(action.key, bytes):
                        raise TypeError("a sweep_sns action names a neuron")
                    recipe = f.recipe(action.key)
                    amount = recipe.sns_e8s - fee_sns
                    if amount <= 0:
                        f.skip_sweep("sweep_sns", action.key)
                        continue
                    self._call(
                        self.sns_ledger_id,
                        "icrc1_transfer",
                        Icrc1TransferArgs(
                            from_subaccount=None,
                            to=Account.of(self.sns_governance_id, recipe.neuron_id),
                            amount_e8s=amount,
                            fee_e8s=fee_sns,
                        ),
                        context,
                    )
                case "claim_neurons":
                    keys = action.key if isinstance(action.key, tuple) else ()
                    self._call(
                        self.sns_governance_id,
                        "claim_swap_neurons",
                        {
                            "neuron_recipes": {
                                "neuron_recipes": [self._claim(f.recipe(k)) for k in keys]
                            }
                        },
                        context,
                    )
                case "set_mode":
                    self._call(self.sns_governance_id, "set_mode", {"mode": 1}, context)
                case "set_dapp_controllers":
                    controllers = (
                        [self.sns_root_id]
                        if core.lifecycle == Lifecycle.COMMITTED
                        else self.fallback_controllers
                    )
                    self._call(
                        self.sns_root_id,
                        "set_dapp_controllers",
                        {"canister_ids": None, "controller_principal_ids": controllers},
                        context,
                    )
            return DEFERRED

    def _claim(self, recipe: Any) -> dict[str, Any]:
        fee = self.core.params.sns_transaction_fee_e8s
        participant: dict[str, Any] = {"Direct": {}}
        if recipe.nns_neuron_id is not None:
            participant = {
                "NeuronsFund": {
                    "nns_neuron_controller": recipe.nns_neuron_controller,
                    "nns_neuron_id": recipe.nns_neuron_id,
                    "nns_neuron_hotkeys": None,
                }
            }
        return {
            "controller": recipe.controller,
            "dissolve_delay_seconds": recipe.dissolve_delay_seconds,
            "participant": participant,
            "stake_e8s": recipe.sns_e8s - fee,
            "followees": None,
            "neuron_id": {"id": recipe.neuron_id},
        }

    def _on_step(self, context: Mapping[str, Any], reply: object) -> object:
        action = Action(context["kind"], context["key"])
        ok = True
        if action.kind == "settle_neurons_fund":
            if isinstance(reply, list):
                self.core.neurons_fund_portions = [p for p in reply if isinstance(p, FundPortion)]
            else:
                ok = False
        # most replies are a ledger's block index: the Mapping ABC is asked only of the others
        mapping = reply if type(reply) is not int and isinstance(reply, Mapping) else None
        if action.kind == "claim_neurons" and mapping is not None:
            ok = "Ok" in (mapping.get("claim_swap_neurons_result") or {})
        if mapping is not None and "failed_updates" in mapping and mapping["failed_updates"]:
            ok = False
        self.finalization.record(action, ok)
        if not ok:
            return self._fail(f"{action.kind} failed: {reply}")
        return self._next()

    def _on_step_failed(self, context: Mapping[str, Any], answer: object) -> object:
        self.finalization.record(Action(context["kind"], context["key"]), False)
        return self._fail(f"{context['kind']} failed: {_message(answer)}")

    def _fail(self, message: str) -> dict[str, Any]:
        self.finalization.in_progress = False
        self.finalization.error_message = message
        return self._ended(self._response(message))

    def _ended(self, response: dict[str, Any]) -> dict[str, Any]:
        """The end of a run: the automatic one's answer is kept (`get_auto_finalization_status`)."""
        if self.auto_finalizing:
            self.auto_finalizing = False
            self.auto_finalize_swap_response = response
        return response

    # -- reads --------------------------------------------------------------------------------

    @query(**_signature("get_lifecycle"))
    def get_lifecycle(self, caller: Principal, argument: object = None) -> dict[str, Any]:
        p = self.core.params
        return {
            "lifecycle": int(self.core.lifecycle),
            "decentralization_sale_open_timestamp_seconds": p.swap_start_timestamp_seconds,
            "decentralization_swap_termination_timestamp_seconds": (
                self.core.decided_timestamp_seconds or None
            ),
        }

    @query(**_signature("get_derived_state"))
    def get_derived_state(self, caller: Principal, argument: object = None) -> dict[str, Any]:
        core = self.core
        portions = core.neurons_fund_portions or []
        return {
            "sns_tokens_per_icp": core.tokens_per_icp_e8s(),
            "buyer_total_icp_e8s": core.total_participation_icp_e8s(),
            "cf_participant_count": len({p.controller for p in portions}),
            "neurons_fund_participation_icp_e8s": core.neurons_fund_participation_icp_e8s,
            "direct_participation_icp_e8s": core.direct_participation_icp_e8s,
            "direct_participant_count": len(core.buyers),
            "cf_neuron_count": len(portions),
        }

    @query(**_signature("get_init"))
    def get_init(self, caller: Principal, argument: object = None) -> dict[str, Any]:
        return {"init": reads.init_candid(self.init, self.core)}

    @update(**_signature("get_buyers_total"))
    def get_buyers_total(self, caller: Principal, argument: object = None) -> dict[str, int]:
        """The ICP of every participant, direct and Neurons' Fund (swap.rs `get_buyers_total`:
        `participant_total_icp_e8s`)."""
        return {"buyers_total": self.core.total_participation_icp_e8s()}

    @query(**_signature("get_auto_finalization_status"))
    def get_auto_finalization_status(
        self, caller: Principal, argument: object = None
    ) -> dict[str, Any]:
        return {
            "is_auto_finalize_enabled": self.should_auto_finalize,
            "has_auto_finalize_been_attempted": self.already_tried_to_auto_finalize,
            "auto_finalize_swap_response": self.auto_finalize_swap_response,
        }

    @query(**_signature("list_sns_neuron_recipes"))
    def list_sns_neuron_recipes(
        self, caller: Principal, request: Mapping[str, Any]
    ) -> dict[str, Any]:
        fee = self.core.params.sns_transaction_fee_e8s
        recipes = reads.list_recipes(
            self.finalization, fee, request["offset"] or 0, request["limit"]
        )
        return {"sns_neuron_recipes": recipes}

    @query(**_signature("list_community_fund_participants"))
    def list_community_fund_participants(
        self, caller: Principal, request: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Always empty, as on the IC since matched funding: the Neurons' Fund is settled with NNS
        governance and its neurons are listed by `list_sns_neuron_recipes` (swap.rs keeps
        `cf_participants` only for swaps of the older Community Fund)."""
        return {"cf_participants": []}

    @update(**_signature("notify_payment_failure"))
    def notify_payment_failure(self, caller: Principal, argument: object = None) -> dict[str, Any]:
        """The caller's payment failed: its open ticket is dropped and returned, so that it can
        ask for a new one (swap.rs `notify_payment_failure`)."""
        ticket = self.core.tickets.pop(caller, None)
        return {"ticket": None if ticket is None else self._ticket(ticket)}

    @query(**_signature("get_state"))
    def get_state(self, caller: Principal, argument: object = None) -> dict[str, Any]:
        core, f = self.core, self.finalization
        lifecycle = self.get_lifecycle(caller)
        derived = self.get_derived_state(caller)
        fee = core.params.sns_transaction_fee_e8s
        swap = {
            "lifecycle": int(core.lifecycle),
            "init": reads.init_candid(self.init, core),
            "params": self.get_sale_parameters(caller)["params"],
            "buyers": [
                {"0": buyer.to_text(), "1": self._buyer_state(buyer)}
                for buyer in sorted(core.buyers)
            ],
            "neuron_recipes": [reads.recipe_candid(r, f, fee) for r in f.recipes or []],
            "cf_participants": [],
            "next_ticket_id": core.next_ticket_id,
            "decentralization_sale_open_timestamp_seconds": lifecycle[
                "decentralization_sale_open_timestamp_seconds"
            ],
            "decentralization_swap_termination_timestamp_seconds": lifecycle[
                "decentralization_swap_termination_timestamp_seconds"
            ],
            "finalize_swap_in_progress": f.in_progress,
            "already_tried_to_auto_finalize": self.already_tried_to_auto_finalize,
            "auto_finalize_swap_response": self.auto_finalize_swap_response,
            "neurons_fund_participation_icp_e8s": core.neurons_fund_participation_icp_e8s,
            "direct_participation_icp_e8s": core.direct_participation_icp_e8s,
        }
        return {"swap": swap, "derived": derived}

    @query(**_signature("get_sale_parameters"))
    def get_sale_parameters(self, caller: Principal, argument: object = None) -> dict[str, Any]:
        p = self.core.params
        return {
            "params": {
                "min_participant_icp_e8s": p.min_participant_icp_e8s,
                "neuron_basket_construction_parameters": {
                    "dissolve_delay_interval_seconds": p.basket_dissolve_delay_interval_seconds,
                    "count": p.basket_count,
                },
                "max_icp_e8s": 0,
                "swap_due_timestamp_seconds": p.swap_due_timestamp_seconds,
                "min_participants": p.min_participants,
                "sns_token_e8s": p.sns_token_e8s,
                "sale_delay_seconds": None,
                "max_participant_icp_e8s": p.max_participant_icp_e8s,
                "min_direct_participation_icp_e8s": p.min_direct_participation_icp_e8s,
                "min_icp_e8s": 0,
                "max_direct_participation_icp_e8s": p.max_direct_participation_icp_e8s,
            }
        }

    def _buyer_state(self, buyer: Principal) -> dict[str, Any] | None:
        state = self.core.buyers.get(buyer)
        if state is None:
            return None
        swept = buyer in self.finalization.icp_swept
        fee = self.core.params.icp_transaction_fee_e8s
        return {
            "icp": {
                "transfer_fee_paid_e8s": fee if swept else None,
                "transfer_start_timestamp_seconds": 0,
                "amount_e8s": state.amount_icp_e8s,
                "amount_transferred_e8s": state.amount_icp_e8s - fee if swept else None,
                "transfer_success_timestamp_seconds": 0,
            },
            "has_created_neuron_recipes": self.finalization.recipes is not None,
        }

    @query(**_signature("get_buyer_state"))
    def get_buyer_state(self, caller: Principal, request: Mapping[str, Any]) -> dict[str, Any]:
        return {"buyer_state": self._buyer_state(request["principal_id"] or caller)}

    @query(**_signature("list_direct_participants"))
    def list_direct_participants(
        self, caller: Principal, request: Mapping[str, Any]
    ) -> dict[str, Any]:
        offset = request["offset"] or 0
        limit = min(request["limit"] or MAX_LIST_DIRECT_PARTICIPANTS, MAX_LIST_DIRECT_PARTICIPANTS)
        buyers = sorted(self.core.buyers)[offset : offset + limit]
        return {
            "participants": [
                {"participant_id": b, "participation": self._buyer_state(b)} for b in buyers
            ]
        }
