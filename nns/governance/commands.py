"""The one door of ManageNeuron: every command, its handler and whether it may run on a
neuron locked by an ongoing ledger update, in one table.

The handlers live in the parts that own them: `neuron_commands` (no ledger),
`ledger_commands` (commands that move ICP and answer from a callback) and `voting`
(RegisterVote, MakeProposal). ClaimOrRefresh names no neuron and comes first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from sqlmodel import Session

from nns.governance import ledger_commands, neuron_commands
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
    Merge,
    MergeMaturity,
    RefreshVotingPower,
    RegisterVote,
    SetFollowing,
    Spawn,
    Split,
    StakeMaturity,
)
from nns.governance.voting import ProposalVoting
from replica.types import Principal


class CommandDispatch:
    """Runs a ManageNeuron command through the handler the table names for its type."""

    def __init__(
        self,
        core: GovernanceCore,
        voting: ProposalVoting,
    ) -> None:
        self.core = core
        self.voting = voting

    def run_command(
        self,
        session: Session,
        caller: Principal,
        neuron_id: int | None,
        subaccount: bytes | None,
        command: object,
        proposal_id: int | None,
    ) -> object:
        """Dispatch a command to its handler."""
        state = self.core.state
        if isinstance(command, ClaimOrRefresh):
            return ledger_commands.claim_or_refresh(
                self.core, session, caller, neuron_id, subaccount, command
            )
        if neuron_id is None:
            if subaccount is None or subaccount not in state.by_subaccount:
                raise not_found("No neuron id or subaccount given, or no neuron has it.")
            neuron_id = state.by_subaccount[subaccount]
        entry = COMMANDS.get(type(command))
        if entry is None:
            raise invalid_command("No command given.")
        handler, allowed_while_locked = entry
        locks = self.core.locks
        if neuron_id in locks and not allowed_while_locked:
            raise GovernanceError(
                ErrorType.LEDGER_UPDATE_ONGOING,
                f"Neuron {neuron_id} has an ongoing ledger update ({locks[neuron_id]}).",
            )
        return handler(self, session, caller, neuron_id, command, proposal_id)


# The commands of ManageNeuron (ClaimOrRefresh aside, which names no neuron): each one's handler
# and whether it runs on a neuron locked by an ongoing ledger update.
Handler = Callable[[CommandDispatch, Session, Principal, int, Any, "int | None"], object]
COMMANDS: Final[dict[type, tuple[Handler, bool]]] = {
    Configure: (
        lambda d, s, c, n, command, p: neuron_commands.configure(d.core, s, c, n, command),
        False,
    ),
    Follow: (lambda d, s, c, n, command, p: neuron_commands.follow(d.core, s, c, n, command), True),
    SetFollowing: (
        lambda d, s, c, n, command, p: neuron_commands.set_following(d.core, s, c, n, command),
        True,
    ),
    RegisterVote: (
        lambda d, s, c, n, command, p: d.voting.register_vote(s, c, n, command),
        True,
    ),
    MakeProposal: (
        lambda d, s, c, n, command, p: d.voting.make_proposal(s, c, n, command),
        True,
    ),
    RefreshVotingPower: (
        lambda d, s, c, n, command, p: neuron_commands.refresh_voting_power(
            d.core, s, c, n, command
        ),
        True,
    ),
    Disburse: (
        lambda d, s, c, n, command, p: ledger_commands.disburse(d.core, s, c, n, command, p),
        False,
    ),
    Split: (
        lambda d, s, c, n, command, p: ledger_commands.split(d.core, s, c, n, command, p),
        False,
    ),
    Merge: (
        lambda d, s, c, n, command, p: ledger_commands.merge(d.core, s, c, n, command, p),
        False,
    ),
    Spawn: (lambda d, s, c, n, command, p: neuron_commands.spawn(d.core, s, c, n, command), False),
    StakeMaturity: (
        lambda d, s, c, n, command, p: neuron_commands.stake_maturity(d.core, s, c, n, command),
        False,
    ),
    DisburseMaturity: (
        lambda d, s, c, n, command, p: neuron_commands.disburse_maturity(d.core, s, c, n, command),
        False,
    ),
    DisburseToNeuron: (
        lambda d, s, c, n, command, p: ledger_commands.disburse_to_neuron(
            d.core, s, c, n, command, p
        ),
        False,
    ),
    MergeMaturity: (
        lambda d, s, c, n, command, p: neuron_commands.merge_maturity(d.core, s, c, n, command),
        False,
    ),
}
