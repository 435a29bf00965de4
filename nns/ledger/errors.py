"""Why the ICP ledger refuses a request.

Each refusal is an exception carrying the fields of the matching variant of
the official ledger interface (`TransferError` of the legacy `transfer`,
`TransferError`, `ApproveError` and `TransferFromError` of ICRC-1/2), so the
Candid layer can answer `Err` with exactly those fields. A refused request
changes nothing.
"""

from __future__ import annotations

from replica.canister.errors import CanisterError


class LedgerError(CanisterError):
    """Base of every ledger refusal."""


class BadFee(LedgerError):
    def __init__(self, expected_fee_e8s: int) -> None:
        super().__init__(f"bad fee: the ledger expects a fee of {expected_fee_e8s} e8s")
        self.expected_fee_e8s = expected_fee_e8s


class BadBurn(LedgerError):
    def __init__(self, min_burn_amount_e8s: int) -> None:
        super().__init__(f"bad burn: burns lower than {min_burn_amount_e8s} e8s are not allowed")
        self.min_burn_amount_e8s = min_burn_amount_e8s


class InsufficientFunds(LedgerError):
    def __init__(self, balance_e8s: int) -> None:
        super().__init__(f"insufficient funds: the balance is {balance_e8s} e8s")
        self.balance_e8s = balance_e8s


class TxTooOld(LedgerError):
    """The transaction's `created_at_time` lies before the deduplication window."""

    def __init__(self, allowed_window_nanos: int) -> None:
        super().__init__(
            f"transaction too old: created_at_time must lie within the last {allowed_window_nanos} "
            "ns"
        )
        self.allowed_window_nanos = allowed_window_nanos


class TxCreatedInFuture(LedgerError):
    def __init__(self, ledger_time_ns: int) -> None:
        super().__init__(f"transaction created in the future (ledger time {ledger_time_ns} ns)")
        self.ledger_time_ns = ledger_time_ns


class TxDuplicate(LedgerError):
    def __init__(self, duplicate_of: int) -> None:
        super().__init__(f"duplicate transaction: already recorded in block {duplicate_of}")
        self.duplicate_of = duplicate_of


class InsufficientAllowance(LedgerError):
    def __init__(self, allowance_e8s: int) -> None:
        super().__init__(f"insufficient allowance: the allowance is {allowance_e8s} e8s")
        self.allowance_e8s = allowance_e8s


class Expired(LedgerError):
    def __init__(self, ledger_time_ns: int) -> None:
        super().__init__(f"the approval expires before ledger time {ledger_time_ns} ns")
        self.ledger_time_ns = ledger_time_ns


class AllowanceChanged(LedgerError):
    def __init__(self, current_allowance_e8s: int) -> None:
        super().__init__(f"allowance changed: the current allowance is {current_allowance_e8s} e8s")
        self.current_allowance_e8s = current_allowance_e8s


class GenericError(LedgerError):
    def __init__(self, error_code: int, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message


class UnsupportedCanisterCall(LedgerError):
    """ICRC-21: the ledger gives no consent message for this method or this argument."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description
