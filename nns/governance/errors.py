"""Governance refusals, each with the IC's `ErrorType`."""

from __future__ import annotations

from nns.governance.enums import ErrorType
from replica.canister.errors import CanisterError


class GovernanceError(CanisterError):
    """`GovernanceError{error_type, error_message}` of the official interface."""

    def __init__(self, error_type: ErrorType, message: str) -> None:
        super().__init__(f"{error_type.name}: {message}")
        self.error_type = error_type
        self.error_message = message

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, GovernanceError)
            and other.error_type == self.error_type
            and other.error_message == self.error_message
        )

    def __hash__(self) -> int:
        return hash((self.error_type, self.error_message))


def not_found(message: str) -> GovernanceError:
    return GovernanceError(ErrorType.NOT_FOUND, message)


def not_authorized(
    message: str = "Caller is not authorized to manage this neuron.",
) -> GovernanceError:
    return GovernanceError(ErrorType.NOT_AUTHORIZED, message)


def invalid_command(message: str) -> GovernanceError:
    return GovernanceError(ErrorType.INVALID_COMMAND, message)


def precondition_failed(message: str) -> GovernanceError:
    return GovernanceError(ErrorType.PRECONDITION_FAILED, message)


def invalid_proposal(message: str) -> GovernanceError:
    return GovernanceError(ErrorType.INVALID_PROPOSAL, message)


def insufficient_funds(message: str) -> GovernanceError:
    return GovernanceError(ErrorType.INSUFFICIENT_FUNDS, message)
