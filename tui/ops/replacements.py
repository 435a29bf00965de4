"""Node replacement proposals as governance holds them: open ones and recent ones.

A replacement is an ExecuteNnsFunction proposal of ChangeSubnetMembership
(NNS function 31) whose payload names the subnet, the nodes added and the
nodes removed; the payload is decoded with the registry's own Candid type.
`list_membership_changes` reads the latest proposals (by default those open
or adopted and not yet executed, which are the ones that will still change
the registry), so a monitor that restarts sees what it filed before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nns.clients.base import variant_of
from nns.governance.enums import ProposalStatus
from nns.governance.nns_functions import NnsFunction
from registry.errors import RegistryError
from registry.interface import decode_payload
from replica.candid import CandidError
from replica.types import Principal
from tui.ops.proposals import status_name
from tui.ops.session import Session

PENDING: tuple[ProposalStatus, ...] = (ProposalStatus.OPEN, ProposalStatus.ADOPTED)


@dataclass(frozen=True, slots=True, kw_only=True)
class MembershipChange:
    proposal_id: int
    status: str
    proposer: int | None
    created_s: int
    subnet_id: Principal
    added: tuple[Principal, ...]
    removed: tuple[Principal, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "proposal": self.proposal_id,
            "status": self.status,
            "proposer": self.proposer,
            "created_timestamp_seconds": self.created_s,
            "subnet": self.subnet_id.to_text(),
            "added": [node.to_text() for node in self.added],
            "removed": [node.to_text() for node in self.removed],
        }


def membership_change_of(info: dict[str, Any]) -> MembershipChange | None:
    """The membership change a proposal makes, or None for any other proposal."""
    action = (info.get("proposal") or {}).get("action")
    if not action:
        return None
    tag, value = variant_of(action)
    function = int(NnsFunction.CHANGE_SUBNET_MEMBERSHIP)
    if tag != "ExecuteNnsFunction" or int(value["nns_function"]) != function:
        return None
    try:
        payload = decode_payload(function, bytes(value["payload"]))
    except (CandidError, RegistryError, ValueError):
        return None
    return MembershipChange(
        proposal_id=int(info["id"]["id"]),
        status=status_name(int(info["status"])),
        proposer=int(info["proposer"]["id"]) if info.get("proposer") else None,
        created_s=int(info["proposal_timestamp_seconds"]),
        subnet_id=payload.subnet_id,
        added=tuple(payload.node_ids_add),
        removed=tuple(payload.node_ids_remove),
    )


def list_membership_changes(
    session: Session, *, status: Sequence[ProposalStatus] = PENDING, limit: int = 100
) -> list[MembershipChange]:
    """The latest ChangeSubnetMembership proposals in `status` (any status if empty)."""
    infos = session.run(
        session.governance.list_proposals(
            limit=limit, include_status=[int(s) for s in status], certified=False
        )
    )
    changes = (membership_change_of(info) for info in infos)
    return [change for change in changes if change is not None]
