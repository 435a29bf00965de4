"""What the operations raise: one base error, three kinds, each with its exit code.

The command line maps them one to one onto its exit codes: 1 bad usage (an
argument that does not parse, an unknown identity), 2 the network is
unreachable or answered with something that does not verify, 3 a canister
refused the request (with the canister's error type, e.g. `InsufficientFunds`
or `NotAuthorized`).
"""

from __future__ import annotations

from typing import Final

EXIT_OK: Final = 0
EXIT_USAGE: Final = 1
EXIT_NETWORK: Final = 2
EXIT_REFUSED: Final = 3


class OpsError(Exception):
    """Base of every expected failure of an operation; `kind` names it for `--json`."""

    exit_code: int = EXIT_USAGE
    kind: str = "Error"

    def __init__(self, message: str, *, kind: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if kind is not None:
            self.kind = kind

    def to_json(self) -> dict[str, object]:
        return {"error": {"kind": self.kind, "message": self.message, "exit_code": self.exit_code}}


class UsageError(OpsError):
    """The request itself is wrong: a malformed principal, an unknown identity or name."""

    exit_code = EXIT_USAGE
    kind = "BadUsage"


class NetworkUnreachable(OpsError):
    """No answer from the network, or an answer whose certificate does not verify."""

    exit_code = EXIT_NETWORK
    kind = "NetworkUnreachable"


class Refused(OpsError):
    """A canister refused the request; `kind` is its error type."""

    exit_code = EXIT_REFUSED
    kind = "Refused"
