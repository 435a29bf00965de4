"""`simulate_manage_neuron`: what a ManageNeuron command would answer, with no effect.

The command runs through the same door as `manage_neuron`, inside a savepoint
that is always rolled back (the undo journal restores the in-memory indexes), with an
environment that keeps the canister's time but draws randomness from its own
stream and holds back every outgoing call. So the answer is the one the
command would give now, and nothing of it remains: not in the tables, not in
the random tape, not in the outbox.

A Merge moves ICP between two neuron accounts of governance, whose balances
governance knows (the cached stakes), so it is simulated with the ledger's
transfers taken as done, as mainnet's `simulate_manage_neuron` does; its answer
carries both neurons and their infos as they would be after the merge. The
other commands that wait for the ledger (ClaimOrRefresh, Disburse, Split,
DisburseToNeuron) cannot be answered without it; they are refused with
mainnet's `InvalidCommand`, before any other check.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from nns.governance.commands import run_command
from nns.governance.core import GovernanceCore
from nns.governance.errors import invalid_command, precondition_failed
from nns.governance.neuron import Neuron
from nns.governance.neuron_queries import neuron_info
from nns.governance.requests import (
    ClaimOrRefresh,
    Disburse,
    DisburseToNeuron,
    ManageNeuronRequest,
    Merge,
    MergeResponse,
    NeuronInfo,
    Split,
)
from replica.environment import DEFERRED, DeterministicRandom, Environment, OutgoingCall
from replica.types import Principal

NOT_SIMULATED: Final = "Simulating manage_neuron is not supported for this request type."
_SIMULATED_BLOCK_INDEX: Final = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulatedMergeResponse:
    """Both neurons after the merge, as full neurons and as infos for the caller."""

    source_neuron: Neuron
    target_neuron: Neuron
    source_neuron_info: NeuronInfo
    target_neuron_info: NeuronInfo


class _SimulationEnvironment:
    """The canister's clock, a private random stream, and an outbox nobody sends."""

    def __init__(self, base: Environment) -> None:
        self.base = base
        self.random = DeterministicRandom(
            hashlib.sha256(b"simulate" + base.now_ns().to_bytes(8, "big")).digest()
        )
        self.calls: list[OutgoingCall] = []

    def now_ns(self) -> int:
        return self.base.now_ns()

    def random_bytes(self, count: int) -> bytes:
        return self.random.random_bytes(count)

    def call(self, call: OutgoingCall) -> None:
        self.calls.append(call)


class _RollBack(Exception):
    """Raised to undo the simulated command's writes."""


def resolve_manage_neuron_target(request: ManageNeuronRequest) -> tuple[int | None, bytes | None]:
    """The neuron id or subaccount a ManageNeuron request names (at most one)."""
    neuron_id, subaccount = request.id, None
    if request.neuron_id_or_subaccount is not None:
        if request.id is not None:
            raise precondition_failed("Both id and neuron_id_or_subaccount fields are set")
        neuron_id = request.neuron_id_or_subaccount.neuron_id
        subaccount = request.neuron_id_or_subaccount.subaccount
        if (neuron_id is None) == (subaccount is None):
            raise invalid_command("Give exactly one of a neuron id and a subaccount.")
    return neuron_id, subaccount


CallbackOf = Callable[[str], Callable[[object, object], object]]
"""The canister's callback named in an outgoing call."""


def simulate_manage_neuron(
    core: GovernanceCore, caller: Principal, request: ManageNeuronRequest, callback_of: CallbackOf
) -> object:
    """Run the command through the door of ManageNeuron and undo everything it did."""
    command = request.command
    if command is None:
        raise invalid_command("No command given in simulate_manage_neuron request.")
    if isinstance(command, ClaimOrRefresh | Disburse | Split | DisburseToNeuron):
        raise invalid_command(NOT_SIMULATED)
    neuron_id, subaccount = resolve_manage_neuron_target(request)
    real = core.environment
    simulated = _SimulationEnvironment(real)
    core.environment = simulated
    outcome: object = None
    try:
        with core.transaction() as session:
            outcome = run_command(core, session, caller, neuron_id, subaccount, command, None)
            while outcome is DEFERRED:
                outcome = _answer_ledger_call(core, command, simulated, callback_of)
            if isinstance(outcome, MergeResponse):
                source = core.state.neurons[outcome.source_neuron_id]
                target = core.state.neurons[outcome.target_neuron_id]
                outcome = SimulatedMergeResponse(
                    source_neuron=source,
                    target_neuron=target,
                    source_neuron_info=neuron_info(core, source, caller),
                    target_neuron_info=neuron_info(core, target, caller),
                )
            raise _RollBack
    except _RollBack:
        pass
    finally:
        core.environment = real
    return outcome


def _answer_ledger_call(
    core: GovernanceCore,
    command: object,
    simulated: _SimulationEnvironment,
    callback_of: CallbackOf,
) -> object:
    """Take the next ledger transfer of a Merge as done, and run the callback that
    receives it."""
    if not isinstance(command, Merge) or not simulated.calls:
        raise invalid_command(NOT_SIMULATED)
    call = simulated.calls.pop(0)
    if call.callee != core.ledger_id or call.method != "transfer":
        raise invalid_command(NOT_SIMULATED)
    return callback_of(call.on_reply)(call.context, _SIMULATED_BLOCK_INDEX)
