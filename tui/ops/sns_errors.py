"""The SNS clients' refusals as the operations' errors (exit code 3 with the canister's reason)."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, TypeVar

from sns.clients.governance import SnsGovernanceError
from sns.clients.ledger import SnsIndexError
from sns.clients.swap import SwapError
from sns.governance.errors import ErrorType
from sns.swap.core import TicketError
from tui.ops.errors import Refused
from tui.ops.session import Session

T = TypeVar("T")


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _kind(error_type: int) -> str:
    try:
        return _camel(ErrorType(error_type).name)
    except ValueError:
        return f"SnsGovernanceError{error_type}"


def _swap_kind(error_type: int) -> str:
    try:
        return _camel(TicketError(error_type).name)
    except ValueError:
        return f"SwapError{error_type}"


def run(session: Session, coroutine: Coroutine[Any, Any, T]) -> T:
    """`session.run`, with the SNS canisters' refusals turned into `Refused`."""
    try:
        return session.run(coroutine)
    except SnsGovernanceError as error:
        raise Refused(
            f"SNS governance refused: {error.error_message or _kind(error.error_type)}",
            kind=_kind(error.error_type),
        ) from error
    except SwapError as error:
        raise Refused(
            f"the swap refused: {error.error_message}",
            kind=_swap_kind(error.error_type),
        ) from error
    except SnsIndexError as error:
        raise Refused(f"the SNS index refused: {error}", kind="IndexError") from error
