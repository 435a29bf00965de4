"""Recovering a subnet that a broken release stalled: a recovery CUP from the registry.

A subnet whose new replica version does not start (or crashes) stops at the CUP
that hands over to it, every member holding the checkpoint of that height. A
proposal deploying the previous version does not restart it: the subnet can no
longer finalize a summary naming that version. The IC recovers such a subnet
as its `ic-recovery` tool does for an application subnet
(`rs/recovery/src/app_subnet_recovery.rs`; the system test "upgrade the app
subnet to a broken replica ... upgrade the subnet to a working replica, submit a
recovery CUP, unhalt", `rs/tests/consensus/subnet_recovery/`):

1. read the members' state: the newest checkpoint height whose state hash at
   least n − f members hold (`find_recovery_point`; ic-recovery downloads a
   node's state and replays it, here the checkpoints of the stall are already
   identical on every member);
2. DeployGuestosToAllSubnetNodes with a working version;
3. RecoverSubnet (NNS function 6) with that height, the time and the state hash:
   the registry writes new catch-up package contents with new threshold keys
   and halts the subnet (`do_recover_subnet.rs`); each orchestrator finds the
   registry's CUP newer than its own, restarts its replica at the version named
   at the CUP's registry version, and the replica starts a new chain from its
   own checkpoint at that height;
4. UpdateSubnet unhalting it.

`find_recovery_point` reads node directories; `recover_subnet` files the
proposals with the session's neuron and waits until each is executed.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from replica.live.layout import read_settings
from replica.state.errors import StateError
from replica.state.manager import checkpoint_heights_in, read_checkpoint
from tui.ops import actions
from tui.ops.errors import Refused, UsageError
from tui.ops.proposals import preview_proposal, submit_proposal, watch
from tui.ops.session import Session

STATE_DIRECTORY = "state"


@dataclass(frozen=True, slots=True, kw_only=True)
class RecoveryPoint:
    """The checkpoint a stalled subnet restarts from."""

    subnet_id: str
    height: int
    state_hash: bytes
    nodes: tuple[str, ...]
    """The members whose checkpoint at `height` has `state_hash`."""
    members: int

    def to_json(self) -> dict[str, object]:
        return {
            "subnet_id": self.subnet_id,
            "height": self.height,
            "state_hash": self.state_hash.hex(),
            "nodes": list(self.nodes),
            "members": self.members,
        }


def read_checkpoints(node_directory: Path) -> dict[int, bytes]:
    """Height -> state hash of each complete checkpoint in a node's directory."""
    state = node_directory / STATE_DIRECTORY
    found = {}
    for height in checkpoint_heights_in(state):
        try:
            found[height] = read_checkpoint(state, height).root_hash
        except (StateError, OSError):
            continue
    return found


def find_recovery_point(node_directories: Iterable[Path], subnet_id: str) -> RecoveryPoint:
    """The newest checkpoint (height, state hash) that n − f of the subnet's nodes hold."""
    held: dict[str, dict[int, bytes]] = {}
    for directory in node_directories:
        try:
            settings = read_settings(directory)
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if settings.subnet_id == subnet_id:
            held[settings.node_id] = read_checkpoints(directory)
    if not held:
        raise UsageError(f"no node of subnet {subnet_id} in this network's directory")
    members = len(held)
    needed = members - (members - 1) // 3
    votes = Counter(point for checkpoints in held.values() for point in checkpoints.items())
    agreed = [point for point, count in votes.items() if count >= needed]
    if not agreed:
        raise Refused(
            f"no checkpoint is held with the same state hash by {needed} of the {members} nodes "
            f"of subnet {subnet_id}",
            kind="NoRecoveryPoint",
        )
    height, state_hash = max(agreed)
    nodes = tuple(
        sorted(node for node, checkpoints in held.items() if checkpoints.get(height) == state_hash)
    )
    return RecoveryPoint(
        subnet_id=subnet_id, height=height, state_hash=state_hash, nodes=nodes, members=members
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class FiledProposal:
    kind: str
    proposal_id: int
    status: str


def file_and_wait(
    session: Session,
    action: actions.ProposalAction,
    *,
    neuron_id: int,
    title: str,
    timeout_s: float,
) -> FiledProposal:
    """Make a proposal and wait until it is executed (a failure or rejection raises)."""
    preview = preview_proposal(
        session, neuron_id=neuron_id, title=title, summary="", url="", action=action
    )
    proposal_id = submit_proposal(session, preview)
    final = None
    for view in watch(session, proposal_id, timeout_s=timeout_s):
        final = view
    if final is None or final.status != "executed":
        status = "unknown" if final is None else final.status
        failure = "" if final is None or not final.failure else f": {final.failure}"
        raise Refused(
            f"{action.kind} proposal {proposal_id} is {status}{failure}", kind="ProposalFailed"
        )
    return FiledProposal(kind=action.kind, proposal_id=proposal_id, status=final.status)


def recover_subnet(
    session: Session,
    point: RecoveryPoint,
    *,
    neuron_id: int,
    version: str | None,
    timeout_s: float = 180.0,
    now_ns: Callable[[], int] = time.time_ns,
) -> list[FiledProposal]:
    """Deploy `version` (if given), file RecoverSubnet at `point`, and unhalt the subnet."""
    filed = []
    if version is not None:
        filed.append(
            file_and_wait(
                session,
                actions.deploy_to_subnet(point.subnet_id, version),
                neuron_id=neuron_id,
                title=f"Deploy {version} to subnet {point.subnet_id} before its recovery",
                timeout_s=timeout_s,
            )
        )
    filed.append(
        file_and_wait(
            session,
            actions.recover_subnet(
                point.subnet_id, height=point.height, time_ns=now_ns(), state_hash=point.state_hash
            ),
            neuron_id=neuron_id,
            title=f"Recover subnet {point.subnet_id} at height {point.height}",
            timeout_s=timeout_s,
        )
    )
    filed.append(
        file_and_wait(
            session,
            actions.update_subnet(point.subnet_id, is_halted=False),
            neuron_id=neuron_id,
            title=f"Unhalt subnet {point.subnet_id} after its recovery",
            timeout_s=timeout_s,
        )
    )
    return filed
