"""What the agent raises."""

from __future__ import annotations


class AgentError(Exception):
    """Base of every agent error."""


class HttpStatusError(AgentError):
    """The replica refused a request: an HTTP status and its one-line reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"HTTP {status}: {reason}")
        self.status = status
        self.reason = reason


class RejectError(AgentError):
    """A call or query was rejected; `certified` says whether a certificate proves it."""

    def __init__(
        self, reject_code: int, reject_message: str, *, error_code: str = "", certified: bool
    ) -> None:
        super().__init__(
            f"rejected (code {reject_code}{', ' + error_code if error_code else ''}): "
            f"{reject_message}"
        )
        self.reject_code = reject_code
        self.reject_message = reject_message
        self.error_code = error_code
        self.certified = certified


class VerificationError(AgentError):
    """A certificate, delegation or node signature that does not verify."""


class PollTimeout(AgentError):
    """An update call whose status did not become terminal in time."""


class RequestDoneError(AgentError):
    """The request completed long ago; its reply is no longer kept (status `done`)."""
