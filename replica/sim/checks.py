"""Safety and liveness properties of a simulated subnet, checked as the run goes.

Safety: never two different finalized blocks at one height (across all
replicas that are not Byzantine; a Byzantine replica's own view is not
trusted), and never a finalized block of a replica replaced or its finalized
height lowered; every honest replica has the same state hash at every height
it reached, heights a restarted replica computes again included; every
certification verifies against the subnet's public key; no ingress message on
the finalized chain twice. Liveness: the subnet keeps finalizing (and, see
`World.check_rate`, fast enough).

An `Auditor` (the factory's, for the real replica: `audit.ConsensusAuditor`)
checks what honest replicas accepted against the protocol's own rules.

The world calls `observe` after every input it gives a replica, so what a
replica finalized is recorded before it is purged from its pool.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from replica.types import Principal


class SimError(Exception):
    """Base of the simulator's errors."""


class PropertyViolation(SimError):
    """A safety or liveness property failed; the message says which and where."""


class ObservedReplica(Protocol):
    """The read-outs of a replica that the checks use."""

    @property
    def finalized_height(self) -> int: ...

    @property
    def executed_height(self) -> int: ...

    @property
    def certified_height(self) -> int: ...

    def finalized_block(self, height: int) -> object | None: ...

    def state_hash(self, height: int) -> bytes | None: ...

    def certification(self, height: int) -> object | None: ...


BlockId = Callable[[object], bytes]
IngressOf = Callable[[object], Sequence[bytes]]
VerifyCertification = Callable[[object, int], bool]


class Auditor(Protocol):
    """Checks what an honest replica accepted against the protocol (see `replica.sim.audit`)."""

    @property
    def violations(self) -> list[str]: ...

    @property
    def double_notarized(self) -> set[int]:
        """Heights at which an honest replica held notarizations of two blocks."""
        ...

    def observe(self, node: Principal, replica: object, now_ns: int) -> None: ...

    def restarted(self, node: Principal) -> None: ...


@dataclass(slots=True)
class _Progress:
    finalized: int = 0
    hashed: int = 0
    certified: int = 0
    top_block: bytes | None = None


@dataclass(slots=True)
class SubnetChecker:
    """Records what every replica of one subnet finalized, computed and certified."""

    block_id: BlockId
    verify_certification: VerifyCertification | None = None
    ingress_of: IngressOf | None = None
    auditor: Auditor | None = None
    finalized: dict[int, dict[bytes, set[Principal]]] = field(default_factory=dict)
    state_hashes: dict[int, dict[bytes, set[Principal]]] = field(default_factory=dict)
    certifications_checked: int = 0
    violations: list[str] = field(default_factory=list)
    _progress: dict[Principal, _Progress] = field(default_factory=dict)
    _ingress: dict[bytes, tuple[int, bytes]] = field(default_factory=dict)

    def observe(
        self, node: Principal, replica: ObservedReplica, *, honest: bool, now_ns: int = 0
    ) -> None:
        progress = self._progress.setdefault(node, _Progress())
        top = replica.finalized_height
        if honest:
            self._check_no_revert(node, replica, progress)
            for height in range(progress.finalized + 1, top + 1):
                block = replica.finalized_block(height)
                if block is not None:
                    block_id = self.block_id(block)
                    self._record(self.finalized, height, block_id, node, "finalized blocks")
                    self._record_ingress(block, height, block_id)
                    if height == top:
                        progress.top_block = block_id
            progress.finalized = max(progress.finalized, top)
            self._observe_state(node, replica, progress)
            if self.auditor is not None:
                self.auditor.observe(node, replica, now_ns)
                if self.auditor.violations:
                    self.violations.extend(self.auditor.violations)
                    self.auditor.violations.clear()

    def restarted(self, node: Principal, replica: ObservedReplica) -> None:
        """A replica started again from its disk: what it computes again is compared again."""
        progress = self._progress.get(node)
        if progress is not None:
            executed = replica.executed_height
            progress.hashed = min(progress.hashed, executed)
            progress.certified = min(progress.certified, replica.certified_height)
            progress.finalized = min(progress.finalized, replica.finalized_height)
            progress.top_block = None
        if self.auditor is not None:
            self.auditor.restarted(node)

    def _check_no_revert(
        self, node: Principal, replica: ObservedReplica, progress: _Progress
    ) -> None:
        if replica.finalized_height < progress.finalized:
            self.violations.append(
                f"finalized height went back from {progress.finalized} to "
                f"{replica.finalized_height} at {node}"
            )
            return
        if progress.top_block is None or progress.finalized == 0:
            return
        block = replica.finalized_block(progress.finalized)
        if block is not None and self.block_id(block) != progress.top_block:
            self.violations.append(
                f"the finalized block at height {progress.finalized} reverted at {node}"
            )

    def _record_ingress(self, block: object, height: int, block_id: bytes) -> None:
        if self.ingress_of is None:
            return
        for message_id in self.ingress_of(block):
            first = self._ingress.setdefault(message_id, (height, block_id))
            if first != (height, block_id):
                self.violations.append(
                    f"double execution: message {message_id.hex()[:12]} finalized at heights "
                    f"{first[0]} and {height}"
                )

    def _observe_state(
        self, node: Principal, replica: ObservedReplica, progress: _Progress
    ) -> None:
        executed = replica.executed_height
        for height in range(progress.hashed + 1, executed + 1):
            state_hash = replica.state_hash(height)
            if state_hash is not None:
                self._record(self.state_hashes, height, state_hash, node, "state hashes")
        progress.hashed = max(progress.hashed, executed)
        if self.verify_certification is None:
            return
        certified = replica.certified_height
        for height in range(progress.certified + 1, certified + 1):
            certification = replica.certification(height)
            if certification is None:
                continue
            self.certifications_checked += 1
            if not self.verify_certification(certification, height):
                self.violations.append(
                    f"certification of height {height} at {node} does not verify"
                )
        progress.certified = max(progress.certified, certified)

    def _record(
        self,
        table: dict[int, dict[bytes, set[Principal]]],
        height: int,
        value: bytes,
        node: Principal,
        what: str,
    ) -> None:
        seen = table.setdefault(height, {})
        seen.setdefault(value, set()).add(node)
        if len(seen) > 1 and len(seen[value]) == 1:
            groups = "; ".join(
                f"{v.hex()[:16]} at {sorted(str(n)[:5] for n in nodes)}"
                for v, nodes in seen.items()
            )
            self.violations.append(f"two different {what} at height {height}: {groups}")

    # -- verdicts ---------------------------------------------------------------------------

    @property
    def top_finalized_height(self) -> int:
        return max(self.finalized, default=0)

    def digest(self) -> bytes:
        """A hash of every finalized block and state hash recorded, height by height: equal
        digests mean two runs agreed on everything the checks saw."""
        digest = hashlib.sha256()
        for table in (self.finalized, self.state_hashes):
            for height in sorted(table):
                digest.update(height.to_bytes(8, "big") + b"".join(sorted(table[height])))
        return digest.digest()

    def check_safety(self) -> None:
        if self.violations:
            raise PropertyViolation(self.violations[0])

    def finalized_height_of(self, node: Principal) -> int:
        return self._progress.get(node, _Progress()).finalized
