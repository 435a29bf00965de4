"""The one door of ManageNeuron: every command, its handler and whether it may run on a
neuron locked by an ongoing ledger update, in one table.

A handler is a function of the governance state (`core`), the message's session, the caller,
the neuron, the command and the ManageNeuron proposal that runs it (or None). The handlers live
in the modules that own their rules: `neuron_commands` (no ledger; they answer at once),
`ledger_commands` (commands that move ICP and answer from a callback, which is why they carry
the proposal id) and `voting` (RegisterVote, MakeProposal, which may execute an adopted
proposal and so receive this door, `run_command`). ClaimOrRefresh names no neuron and comes
first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from sqlmodel import Session

from nns.governance import ledger_commands, neuron_commands, voting
from nns.governance.core import GovernanceCore
from nns.governance.enums import ErrorType
from nns.governance.errors import GovernanceError, invalid_command, not_found
from nns.governance.requests import (
    ClaimOrRefresh,
    Configure,
    Disburse,
    DisburseMaturity,
    DisburseToNeuron,
    Follow,
    MakeProposal,
    MakeProposalResponse,
    Merge,
    MergeMaturity,
    RefreshVotingPower,
    RegisterVote,
    SetFollowing,
    Spawn,
    Split,
    StakeMaturity,
)
from replica.types import Principal

Handler = Callable[[GovernanceCore, Session, Principal, int, Any, "int | None"], object]
"""A command's handler: (core, session, caller, neuron id, command, proposal id)."""

ImmediateHandler = Callable[[GovernanceCore, Session, Principal, int, Any], object]
"""A command that answers at once: a proposal that runs it records the answer itself."""


def run_command(
    core: GovernanceCore,
    session: Session,
    caller: Principal,
    neuron_id: int | None,
    subaccount: bytes | None,
    command: object,
    proposal_id: int | None,
) -> object:
    """Run a ManageNeuron command through the handler the table names for its type."""
    state = core.state
    if isinstance(command, ClaimOrRefresh):
        return ledger_commands.claim_or_refresh(
            core, session, caller, neuron_id, subaccount, command
        )
    if neuron_id is None:
        if subaccount is None or subaccount not in state.by_subaccount:
            raise not_found("No neuron id or subaccount given, or no neuron has it.")
        neuron_id = state.by_subaccount[subaccount]
    entry = COMMANDS.get(type(command))
    if entry is None:
        raise invalid_command("No command given.")
    handler, allowed_while_locked = entry
    locks = core.locks
    if neuron_id in locks and not allowed_while_locked:
        raise GovernanceError(
            ErrorType.LEDGER_UPDATE_ONGOING,
            f"Neuron {neuron_id} has an ongoing ledger update ({locks[neuron_id]}).",
        )
    return handler(core, session, caller, neuron_id, command, proposal_id)


def _immediate(handler: ImmediateHandler) -> Handler:
    def run(
        core: GovernanceCore,
        session: Session,
        caller: Principal,
        neuron_id: int,
        command: Any,
        proposal_id: int | None,
    ) -> object:
        return handler(core, session, caller, neuron_id, command)

    return run


def register_vote(
    core: GovernanceCore, session: Session, caller: Principal, neuron_id: int, command: RegisterVote
) -> object:
    return voting.register_vote(core, session, caller, neuron_id, command, run_command)


def make_proposal(
    core: GovernanceCore, session: Session, caller: Principal, neuron_id: int, command: MakeProposal
) -> MakeProposalResponse:
    return voting.make_proposal(core, session, caller, neuron_id, command, run_command)


COMMANDS: Final[dict[type, tuple[Handler, bool]]] = {
    Configure: (_immediate(neuron_commands.configure), False),
    Follow: (_immediate(neuron_commands.follow), True),
    SetFollowing: (_immediate(neuron_commands.set_following), True),
    RegisterVote: (_immediate(register_vote), True),
    MakeProposal: (_immediate(make_proposal), True),
    RefreshVotingPower: (_immediate(neuron_commands.refresh_voting_power), True),
    Disburse: (ledger_commands.disburse, False),
    Split: (ledger_commands.split, False),
    Merge: (ledger_commands.merge, False),
    Spawn: (_immediate(neuron_commands.spawn), False),
    StakeMaturity: (_immediate(neuron_commands.stake_maturity), False),
    DisburseMaturity: (_immediate(neuron_commands.disburse_maturity), False),
    DisburseToNeuron: (ledger_commands.disburse_to_neuron, False),
    MergeMaturity: (_immediate(neuron_commands.merge_maturity), False),
}
"""The commands of ManageNeuron (ClaimOrRefresh aside, which names no neuron): each one's
handler and whether it runs on a neuron locked by an ongoing ledger update."""
