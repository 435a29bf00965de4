"""The cycles minting canister (CMC): ICP burned here become cycles on a canister.

The payment protocol of the IC's CMC (rs/nns/cmc/src/main.rs):

- **top up**: a ledger transfer to the CMC's account whose subaccount is the
  target canister's (`principal_to_subaccount`), memo `TPUP` (0x50555054);
  then anyone calls `notify_top_up { block_index, canister_id }`;
- **create**: a transfer to the CMC's account whose subaccount is the future
  controller's, memo `CREA` (0x41455243); the controller itself calls
  `notify_create_canister` (anyone else: `Other { Unauthorized }`);
- **mint**: a transfer to the CMC's account whose subaccount is the caller's,
  memo `MINT` (0x544e494d); the caller calls `notify_mint_cycles`.

The CMC reads the block from the ledger, checks destination and memo, mints
the cycles the ICP buy at the current rate (`rate.compute_cycles`) and gives
them to the canister (management `deposit_cycles`, or `create_canister` with
the cycles attached); then it burns the ICP (a transfer to the minting account,
fee 0). If the canister cannot be reached or created, the ICP go back to the
payer less the transfer fee and the action's refund fee, which is burned
(`Refunded`, naming the refund block). Each block is
processed once: a second notification answers the first one's result;
`Processing` while it runs. `create_canister` creates a canister with the
cycles a canister attaches to the call.

Deliberate differences: icbox's CMC creates canisters on its own subnet only,
so a subnet selection, a subnet type or a setting other than the controllers
is refused with a clear error; there is no cycles ledger, so `notify_mint_cycles`
checks the payment and refunds it with the IC's answer for a CMC that has no
cycles ledger configured.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from typing import Any, Final

from nns.cycles_minting.interface import arguments, results
from nns.cycles_minting.rate import compute_cycles
from nns.cycles_minting.state import GOVERNANCE_CANISTER_ID, CyclesMintingState
from nns.ledger.accounts import Account, AccountIdentifier
from nns.ledger.types import GetBlocksArgs, QueryBlocksResponse, Transfer, TransferArgs
from replica.canister.errors import CanisterError
from replica.canister.sdk import update
from replica.environment import DEFERRED, OutgoingCall, Reject
from replica.types import Principal

LEDGER_CANISTER_ID: Final = Principal.from_canister_id(2)
MEMO_TOP_UP_CANISTER: Final = 0x50555054  # "TPUP"
MEMO_CREATE_CANISTER: Final = 0x41455243  # "CREA"
MEMO_MINT_CYCLES: Final = 0x544E494D  # "MINT"
MAX_DEPOSIT_MEMO_BYTES: Final = 32  # MAX_MEMO_LENGTH of rs/nns/cmc/src/main.rs
NO_CYCLES_LEDGER: Final = "No cycles ledger canister id configured."
TRANSFER_FEE_E8S: Final = 10_000
MINTING_ACCOUNT: Final = Account.of(GOVERNANCE_CANISTER_ID).identifier()
REFUND_FEES_E8S: Final = {  # rs/nns/cmc/src/lib.rs: the fee of a refunded action, burned
    "create": 4 * TRANSFER_FEE_E8S,  # CREATE_CANISTER_REFUND_FEE
    "top-up": 2 * TRANSFER_FEE_E8S,  # TOP_UP_CANISTER_REFUND_FEE
    "mint": 2 * TRANSFER_FEE_E8S,  # MINT_CYCLES_REFUND_FEE
}


class NotifyErrorCode(IntEnum):
    """`NotifyError::Other` codes (rs/nns/cmc/src/lib.rs)."""

    INTERNAL = 1
    FAILED_TO_FETCH_BLOCK = 2
    REFUND_FAILED = 3
    BAD_SUBNET_SELECTION = 4
    UNAUTHORIZED = 5
    DEPOSIT_MEMO_TOO_LONG = 6


def principal_to_subaccount(principal: Principal) -> bytes:
    """The IC's `Subaccount::from(&PrincipalId)`: the length, the bytes, zeros."""
    raw = principal.raw
    return (bytes([len(raw)]) + raw).ljust(32, b"\x00")


def _other(code: NotifyErrorCode, message: str) -> dict[str, Any]:
    return {"Err": {"Other": {"error_code": int(code), "error_message": message}}}


def _invalid(message: str) -> dict[str, Any]:
    return {"Err": {"InvalidTransaction": message}}


def _refused_settings(
    settings: Mapping[str, Any] | None, subnet_type: str | None, selection: Any
) -> str | None:
    if subnet_type is not None or selection is not None:
        return (
            "icbox's cycles minting canister creates canisters on its own subnet only: no subnet "
            "type or selection"
        )
    others = sorted(
        name
        for name, value in (settings or {}).items()
        if value is not None and name != "controllers"
    )
    if others:
        return (
            "icbox's cycles minting canister sets only the controllers of a new canister, not "
            f"{', '.join(others)}"
        )
    return None


class CyclesMinting(CyclesMintingState):
    # -- fetching and checking a payment ------------------------------------------------------

    def _fetch_block(self, block_index: int, on_reply: str, context: dict[str, Any]) -> object:
        self.environment.call(
            OutgoingCall(
                callee=LEDGER_CANISTER_ID,
                method="query_blocks",
                argument=GetBlocksArgs(start=block_index, length=1),
                on_reply=on_reply,
                on_reject="_on_fetch_failed",
                context=context,
            )
        )
        return DEFERRED

    def _on_fetch_failed(self, context: Mapping[str, Any], answer: object) -> dict[str, Any]:
        message = answer.message if isinstance(answer, Reject) else str(answer)
        return _other(
            NotifyErrorCode.FAILED_TO_FETCH_BLOCK,
            f"failed to fetch block {context['block_index']}: {message}",
        )

    def _check_payment(
        self, answer: QueryBlocksResponse, block_index: int, beneficiary: Principal, memo: int
    ) -> tuple[int, AccountIdentifier] | dict[str, Any]:
        """The amount and payer of a block paying the CMC for `beneficiary`, or the error reply."""
        if not answer.blocks or answer.first_block_index != block_index:
            return _other(NotifyErrorCode.FAILED_TO_FETCH_BLOCK, f"block {block_index} not found")
        transaction = answer.blocks[0].transaction
        operation = transaction.operation
        if not isinstance(operation, Transfer):
            return _invalid(
                f"notification transaction must be of type transfer, not {type(operation).__name__}"
            )
        expected = AccountIdentifier.of(
            self.environment.canister_id, principal_to_subaccount(beneficiary)
        )
        if operation.to != expected:
            return _invalid(
                f"destination account in the block ({operation.to.to_hex()}) different than in the "
                f"notification ({expected.to_hex()})"
            )
        icrc1_memo = transaction.icrc1_memo
        if transaction.memo != memo and icrc1_memo != memo.to_bytes(8, "little"):
            return _invalid(
                f"intent in the block ({transaction.memo}) different than in the notification "
                f"({memo})"
            )
        if operation.amount_e8s < TRANSFER_FEE_E8S:
            return _invalid(
                f"the payment of {operation.amount_e8s} e8s is below the minimum of "
                f"{TRANSFER_FEE_E8S}"
            )
        return operation.amount_e8s, operation.from_account

    def _earlier_result(self, block_index: int, kind: str) -> dict[str, Any] | None:
        """The answer to a block notified before: its result, `Processing`, or the other kind's
        refusal."""
        earlier = self.get_notification(block_index)
        if earlier is None:
            return None
        earlier_kind, result = earlier
        if earlier_kind == "processing":
            return {"Err": {"Processing": None}}
        if earlier_kind != kind:
            return _invalid(f"the same payment is already processed as a {earlier_kind} request")
        answer: dict[str, Any] = result
        return answer

    def _start(self, block_index: int, kind: str) -> tuple[int, dict[str, Any]] | dict[str, Any]:
        """Mark a block as being processed and mint its cycles, or answer why not."""
        earlier = self._earlier_result(block_index, kind)
        if earlier is not None:
            return earlier
        rate = self.current_rate()
        if rate is None:
            return _other(
                NotifyErrorCode.INTERNAL,
                "no conversion rate found in the CMC, notification aborted",
            )
        self.put_notification(block_index, "processing", None)
        return rate.xdr_permyriad_per_icp, {}

    def _finish(self, context: Mapping[str, Any], result: dict[str, Any]) -> dict[str, Any]:
        self.put_notification(context["block_index"], context["kind"], result)
        return result

    def _burn(
        self, context: Mapping[str, Any], on_reply: str, *, amount_e8s: int | None = None
    ) -> object:
        """Burn the payment (or `amount_e8s` of it): a transfer to the minting account, fee 0."""
        subaccount = principal_to_subaccount(Principal.from_text(context["beneficiary"]))
        self.environment.call(
            OutgoingCall(
                callee=LEDGER_CANISTER_ID,
                method="transfer",
                argument=TransferArgs(
                    memo=0,
                    amount_e8s=context["amount_e8s"] if amount_e8s is None else amount_e8s,
                    fee_e8s=0,
                    from_subaccount=subaccount,
                    to=MINTING_ACCOUNT,
                ),
                on_reply=on_reply,
                on_reject=on_reply,
                context=dict(context),
            )
        )
        return DEFERRED

    def _refund(self, context: Mapping[str, Any], reason: str) -> object:
        """Send the payment back to the payer less the transfer fee and the action's refund fee,
        which is burned (`refund_icp` in rs/nns/cmc/src/main.rs: a payment too small to cover
        both is burned whole); answer `Refunded` once done."""
        amount, extra_fee = context["amount_e8s"], REFUND_FEES_E8S[context["kind"]]
        refund = amount - TRANSFER_FEE_E8S - extra_fee
        context = {**context, "reason": reason, "burn_e8s": extra_fee if refund > 0 else amount}
        if refund <= 0:
            return self._burn_refund_fee(context, None)
        subaccount = principal_to_subaccount(Principal.from_text(context["beneficiary"]))
        self.environment.call(
            OutgoingCall(
                callee=LEDGER_CANISTER_ID,
                method="transfer",
                argument=TransferArgs(
                    memo=0,
                    amount_e8s=refund,
                    fee_e8s=TRANSFER_FEE_E8S,
                    from_subaccount=subaccount,
                    to=AccountIdentifier(bytes.fromhex(context["payer"])),
                ),
                on_reply="_burn_refund_fee",
                on_reject="_on_refund_failed",
                context=context,
            )
        )
        return DEFERRED

    def _burn_refund_fee(self, context: Mapping[str, Any], refund_block: int | None) -> object:
        """Burn what the refund kept, unless it is below the fee (`burn_and_log`: "amount too
        small"); then answer `Refunded`."""
        context = {**context, "refund_block": refund_block}
        if context["burn_e8s"] < TRANSFER_FEE_E8S:
            return self._on_refunded(context, None)
        return self._burn(context, "_on_refunded", amount_e8s=context["burn_e8s"])

    def _on_refunded(self, context: Mapping[str, Any], answer: object) -> dict[str, Any]:
        refunded = {"reason": context["reason"], "block_index": context["refund_block"]}
        return self._finish(context, {"Err": {"Refunded": refunded}})

    def _on_refund_failed(self, context: Mapping[str, Any], answer: object) -> dict[str, Any]:
        message = answer.message if isinstance(answer, Reject) else str(answer)
        self.forget_notification(context["block_index"])
        return _other(
            NotifyErrorCode.REFUND_FAILED, f"{context['reason']}; the refund failed: {message}"
        )

    # -- top up -------------------------------------------------------------------------------

    @update(args=arguments("notify_top_up"), results=results("notify_top_up"))
    def notify_top_up(self, caller: Principal, argument: Mapping[str, Any]) -> object:
        block_index, canister_id = argument["block_index"], argument["canister_id"]
        earlier = self._earlier_result(block_index, "top-up")
        if earlier is not None:
            return earlier
        return self._fetch_block(
            block_index,
            "_on_top_up_block",
            {"block_index": block_index, "beneficiary": canister_id.to_text(), "kind": "top-up"},
        )

    def _mint_for_payment(
        self, context: Mapping[str, Any], answer: QueryBlocksResponse, memo: int, kind: str
    ) -> tuple[int, dict[str, Any]] | dict[str, Any]:
        """Check the block paying for `kind`, mark it processing and mint its cycles: the cycles and
        the callback context that carries the payment, or the error reply."""
        payment = self._check_payment(
            answer, context["block_index"], Principal.from_text(context["beneficiary"]), memo
        )
        if isinstance(payment, dict):
            return payment
        started = self._start(context["block_index"], kind)
        if isinstance(started, dict):
            return started
        amount, payer = payment
        cycles = compute_cycles(amount, started[0])
        self.environment.mint_cycles(cycles)
        return cycles, {**context, "amount_e8s": amount, "payer": payer.to_hex(), "cycles": cycles}

    def _on_top_up_block(self, context: Mapping[str, Any], answer: QueryBlocksResponse) -> object:
        minted = self._mint_for_payment(context, answer, MEMO_TOP_UP_CANISTER, "top-up")
        if isinstance(minted, dict):
            return minted
        cycles, paid = minted
        self.environment.call(
            OutgoingCall(
                callee=Principal.management_canister(),
                method="deposit_cycles",
                argument={"canister_id": Principal.from_text(context["beneficiary"])},
                on_reply="_on_deposited",
                on_reject="_on_deposit_failed",
                cycles=cycles,
                context=paid,
            )
        )
        return DEFERRED

    def _on_deposited(self, context: Mapping[str, Any], answer: object) -> object:
        return self._burn(context, "_on_top_up_burned")

    def _on_top_up_burned(self, context: Mapping[str, Any], answer: object) -> dict[str, Any]:
        return self._finish(context, {"Ok": context["cycles"]})

    def _on_deposit_failed(self, context: Mapping[str, Any], answer: object) -> object:
        message = answer.message if isinstance(answer, Reject) else str(answer)
        return self._refund(
            context, f"depositing cycles to {context['beneficiary']} failed: {message}"
        )

    # -- mint cycles to the cycles ledger ----------------------------------------------------

    @update(args=arguments("notify_mint_cycles"), results=results("notify_mint_cycles"))
    def notify_mint_cycles(self, caller: Principal, argument: Mapping[str, Any]) -> object:
        """ICP sent to the CMC's account with the caller's subaccount and memo `MINT` become
        cycles deposited into the caller's account on the cycles ledger (`notify_mint_cycles` in
        rs/nns/cmc/src/main.rs). icbox runs no cycles ledger, so the payment is checked as the IC
        checks it and then refunded with the IC's answer for a CMC without one
        (`do_mint_cycles`: "No cycles ledger canister id configured."), less the fees."""
        to_subaccount = argument["to_subaccount"]
        if to_subaccount is not None and len(to_subaccount) != 32:
            raise CanisterError(
                f"a cycles ledger subaccount has 32 bytes, not {len(to_subaccount)}"
            )  # the IC's `Account` does not decode
        memo = argument["deposit_memo"] or b""
        if len(memo) > MAX_DEPOSIT_MEMO_BYTES:
            return _other(
                NotifyErrorCode.DEPOSIT_MEMO_TOO_LONG,
                f"Memo length {len(memo)} exceeds the maximum length of {MAX_DEPOSIT_MEMO_BYTES}",
            )
        block_index = argument["block_index"]
        earlier = self._earlier_result(block_index, "mint")
        if earlier is not None:
            return earlier
        return self._fetch_block(
            block_index,
            "_on_mint_block",
            {"block_index": block_index, "beneficiary": caller.to_text(), "kind": "mint"},
        )

    def _on_mint_block(self, context: Mapping[str, Any], answer: QueryBlocksResponse) -> object:
        payment = self._check_payment(
            answer,
            context["block_index"],
            Principal.from_text(context["beneficiary"]),
            MEMO_MINT_CYCLES,
        )
        if isinstance(payment, dict):
            return payment
        started = self._start(context["block_index"], "mint")
        if isinstance(started, dict):
            return started
        amount, payer = payment
        paid = {**context, "amount_e8s": amount, "payer": payer.to_hex()}
        return self._refund(paid, NO_CYCLES_LEDGER)

    # -- create a canister from ICP -----------------------------------------------------------

    @update(args=arguments("notify_create_canister"), results=results("notify_create_canister"))
    def notify_create_canister(self, caller: Principal, argument: Mapping[str, Any]) -> object:
        block_index, controller = argument["block_index"], argument["controller"]
        if caller != controller:
            return _other(
                NotifyErrorCode.UNAUTHORIZED,
                f"only the controller {controller} may notify the creation of its canister, not "
                f"{caller}",
            )
        refused = _refused_settings(
            argument["settings"], argument["subnet_type"], argument["subnet_selection"]
        )
        if refused is not None:
            return _other(NotifyErrorCode.BAD_SUBNET_SELECTION, refused)
        earlier = self._earlier_result(block_index, "create")
        if earlier is not None:
            return earlier
        controllers = (argument["settings"] or {}).get("controllers") or [controller]
        return self._fetch_block(
            block_index,
            "_on_create_block",
            {
                "block_index": block_index,
                "beneficiary": controller.to_text(),
                "kind": "create",
                "controllers": [principal.to_text() for principal in controllers],
            },
        )

    def _on_create_block(self, context: Mapping[str, Any], answer: QueryBlocksResponse) -> object:
        minted = self._mint_for_payment(context, answer, MEMO_CREATE_CANISTER, "create")
        if isinstance(minted, dict):
            return minted
        cycles, paid = minted
        controllers = [Principal.from_text(text) for text in context["controllers"]]
        self.environment.call(
            OutgoingCall(
                callee=Principal.management_canister(),
                method="create_canister",
                argument={"settings": {"controllers": controllers}},
                on_reply="_on_created",
                on_reject="_on_deposit_failed",
                cycles=cycles,
                context=paid,
            )
        )
        return DEFERRED

    def _on_created(self, context: Mapping[str, Any], answer: Mapping[str, Principal]) -> object:
        return self._burn(
            {**context, "canister_id": answer["canister_id"].to_text()}, "_on_create_burned"
        )

    def _on_create_burned(self, context: Mapping[str, Any], answer: object) -> dict[str, Any]:
        return self._finish(context, {"Ok": Principal.from_text(context["canister_id"])})

    # -- create a canister from attached cycles -----------------------------------------------

    @update(args=arguments("create_canister"), results=results("create_canister"))
    def create_canister(self, caller: Principal, argument: Mapping[str, Any]) -> object:
        """A canister attaches cycles; the CMC creates a canister with them (controllers: the caller
        by default)."""
        offered = self.environment.cycles_available()
        refused = _refused_settings(
            argument["settings"], argument["subnet_type"], argument["subnet_selection"]
        )
        if offered == 0:
            refused = "creating a canister needs cycles attached to the call"
        if refused is not None:  # nothing accepted: the attached cycles go back with the reply
            return {"Err": {"Refunded": {"refund_amount": offered, "create_error": refused}}}
        cycles = self.environment.accept_cycles(offered)
        controllers = (argument["settings"] or {}).get("controllers") or [caller]
        self.environment.call(
            OutgoingCall(
                callee=Principal.management_canister(),
                method="create_canister",
                argument={"settings": {"controllers": list(controllers)}},
                cycles=cycles,
                on_reply="_on_cycles_canister_created",
                on_reject="_on_cycles_canister_failed",
                context={"caller": caller.to_text(), "cycles": cycles},
            )
        )
        return DEFERRED

    def _on_cycles_canister_created(
        self, context: Mapping[str, Any], answer: Mapping[str, Principal]
    ) -> dict[str, Any]:
        return {"Ok": answer["canister_id"]}

    def _on_cycles_canister_failed(self, context: Mapping[str, Any], answer: object) -> object:
        message = answer.message if isinstance(answer, Reject) else str(answer)
        self.environment.call(
            OutgoingCall(
                callee=Principal.management_canister(),
                method="deposit_cycles",
                argument={"canister_id": Principal.from_text(context["caller"])},
                cycles=context["cycles"],
                on_reply="_on_cycles_returned",
                on_reject="_on_cycles_returned",
                context={**context, "error": message},
            )
        )
        return DEFERRED

    def _on_cycles_returned(self, context: Mapping[str, Any], answer: object) -> dict[str, Any]:
        return {
            "Err": {
                "Refunded": {"refund_amount": context["cycles"], "create_error": context["error"]}
            }
        }
