"""How a canister says no.

A canister method that refuses a request raises a subclass of `CanisterError`
(each canister package has its own base, such as `LedgerError`). The runtime
rolls the message back and answers the caller with a reject of code
CANISTER_REJECT carrying the error's message. Any other exception is a trap:
also rolled back, answered with CANISTER_ERROR.

The execution engine and the management canister refuse with `SystemReject`,
which names the IC error code (and so the reject code) of the refusal.
"""

from __future__ import annotations

from replica.environment import ErrorCode, Reject


class CanisterError(Exception):
    """A refusal the canister means to give, as opposed to a trap."""

    def to_reject(self) -> Reject:
        return Reject.of(ErrorCode.CANISTER_REJECTED_MESSAGE, str(self))


class SystemReject(CanisterError):
    """A refusal by the system (the engine or the management canister) with its IC error code."""

    def __init__(self, error_code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code

    def to_reject(self) -> Reject:
        return Reject.of(self.error_code, str(self))


class CallRejected(Exception):
    """Raised to a test or a driver whose call was answered with a reject."""

    def __init__(self, reject: Reject, cause: BaseException | None = None) -> None:
        super().__init__(f"{reject.code.name}: {reject.message}")
        self.reject = reject
        self.cause = cause


def reject_for(error: BaseException) -> Reject:
    """The reject a caller sees for an exception raised while executing its message.

    An uncaught exception is the Python form of a canister calling `ic0.trap`
    (IC0503, CANISTER_ERROR).
    """
    if isinstance(error, CanisterError):
        return error.to_reject()
    return Reject.of(
        ErrorCode.CANISTER_CALLED_TRAP, f"canister trapped: {type(error).__name__}: {error}"
    )
