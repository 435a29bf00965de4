"""SNS governance refusals, with the error types of governance.proto (`ErrorType`)."""

from __future__ import annotations

from enum import IntEnum

from replica.canister.errors import CanisterError


class ErrorType(IntEnum):
    """rs/sns/governance/proto/ic_sns_governance/pb/v1/governance.proto `GovernanceError.ErrorType`."""

    UNSPECIFIED = 0
    UNAVAILABLE = 1
    NOT_AUTHORIZED = 2
    NOT_FOUND = 3
    INVALID_COMMAND = 4
    REQUIRES_NOT_DISSOLVING = 5
    REQUIRES_DISSOLVING = 6
    REQUIRES_DISSOLVED = 7
    ACCESS_CONTROL_LIST = 8
    RESOURCE_EXHAUSTED = 9
    INVALID_PROPOSAL = 10
    INSUFFICIENT_FUNDS = 11
    PRECONDITION_FAILED = 12
    EXTERNAL = 13
    NEURON_LOCKED = 14
    INVALID_PRINCIPAL = 15
    INVALID_NEURON_ID = 16
    ALREADY_EXISTS = 17
    INCOMPATIBLE_VALUE = 18


class SnsGovernanceError(CanisterError):
    def __init__(self, error_type: ErrorType, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.error_message = message

    def to_candid(self) -> dict[str, object]:
        return {"error_type": int(self.error_type), "error_message": self.error_message}
