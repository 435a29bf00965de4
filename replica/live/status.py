"""What a running replica reports about itself, in its node directory's `status.json`.

The file is rewritten atomically twice a second, so `icbox status`, `icbox up`
(waiting for every subnet to certify) and the tests read heights and peers
without talking to the process. A status whose `pid` is not alive, or whose
time is old, describes a replica that is gone.
"""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicaStatus:
    pid: int
    node_id: str
    subnet_id: str
    replica_version: str
    time_ns: int
    started_ns: int
    finalized_height: int
    certified_height: int
    executed_height: int
    cup_height: int
    checkpoint_height: int
    checkpoint_hash: str
    peers_connected: int
    peers: int
    refused_connections: int
    ingress_pool: int
    ingress_submitted: int
    state_syncs: int
    steps: int
    recent_finalizations: tuple[tuple[int, int], ...]
    """(height, wall-clock ns) of the latest finalizations this replica saw."""
    cpu_s: float
    cup_registry_version: int = -1
    """The registry version of the latest CUP's summary (-1: unknown): its subnet record names
    the version to run."""
    oldest_registry_version_in_use: int = -1
    """The oldest registry version the latest CUP still uses (what the orchestrator's leaving rule reads)."""
    upgrade_due: str | None = None
    """The version the subnet moved to at the latest CUP, which this replica does not run
    (it stopped there, spec D.8); None while it runs the subnet's version."""
    code_dir: str = ""
    """Where the code of this process comes from (the installed tree or an unpacked release)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, value: Any) -> ReplicaStatus | None:
        if not isinstance(value, dict):
            return None
        try:
            data = {
                f.name: value[f.name]
                for f in fields(cls)
                if f.name in value or f.default is MISSING
            }
            data["recent_finalizations"] = tuple(
                tuple(pair) for pair in data["recent_finalizations"]
            )
            return cls(**data)
        except (KeyError, TypeError):
            return None

    @property
    def finalization_rate(self) -> float:
        """Finalized heights per second over the recent finalizations (0 when too few)."""
        recent = self.recent_finalizations
        if len(recent) < 2 or recent[-1][1] <= recent[0][1]:
            return 0.0
        return (recent[-1][0] - recent[0][0]) / ((recent[-1][1] - recent[0][1]) / 1e9)
