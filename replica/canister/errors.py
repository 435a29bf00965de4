"""How a canister says no.

A canister method that refuses a request raises a subclass of `CanisterError`
(each canister package has its own base, such as `LedgerError`). The runtime
rolls the message back and answers the caller with a reject of code
CANISTER_REJECT carrying the error's message. Any other exception is a trap:
also rolled back, answered with CANISTER_ERROR.
"""

from __future__ import annotations

from replica.environment import Reject, RejectCode


class CanisterError(Exception):
    """A refusal the canister means to give, as opposed to a trap."""

    def to_reject(self) -> Reject:
        return Reject(code=RejectCode.CANISTER_REJECT, message=str(self))


class CallRejected(Exception):
    """Raised to a test or a driver whose call was answered with a reject."""

    def __init__(self, reject: Reject, cause: BaseException | None = None) -> None:
        super().__init__(f"{reject.code.name}: {reject.message}")
        self.reject = reject
        self.cause = cause


def reject_for(error: BaseException) -> Reject:
    """The reject a caller sees for an exception raised while executing its message."""
    if isinstance(error, CanisterError):
        return error.to_reject()
    return Reject(
        code=RejectCode.CANISTER_ERROR,
        message=f"canister trapped: {type(error).__name__}: {error}",
    )
