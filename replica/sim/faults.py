"""Faults the simulator injects: crashes, partitions, lossy links and Byzantine replicas.

A crash discards a node's in-memory object; its restart builds a new one from
the node's state directory (`ReplicaNode.restart`), so only what the node
persisted survives. A Byzantine replica runs the honest code, and the
simulator transforms what it sends: it equivocates as block maker (two
different, validly signed blocks for one height, each to half of the peers),
sends invalid signature shares (corrupted bytes, or a valid signature over a
different message), leaves some shares out, stops signing altogether, or
deals wrong shares to some receivers of its DKG dealings (a dealing the
support rule must keep off the chain). The
transformations know the artifacts through a `Forger`, which holds the
Byzantine node's keys, as a real attacker would.

A `FaultPlan` is written as a short text (`crash:1,equivocate:1,partition:2-5`)
so that a failing run prints a one-line command that replays it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

from replica.types import Principal

SECOND_NS: Final = 1_000_000_000


class Forger(Protocol):
    """What a Byzantine transformation needs to know about artifacts (and the node's keys)."""

    def is_share(self, artifact: object) -> bool:
        """A signature share: beacon, tape, notarization, finalization, certification, CUP."""
        ...

    def is_block_proposal(self, artifact: object) -> bool: ...

    def corrupt_share(self, artifact: object) -> object:
        """The share with its signature bytes damaged."""
        ...

    def share_over_other_message(self, artifact: object) -> object:
        """The share with a valid signature by its signer, over a different message."""
        ...

    def equivocate(self, proposal: object) -> object | None:
        """A second, differently built and validly signed proposal for the same height and rank."""
        ...

    def is_own_dealing(self, artifact: object) -> bool:
        """A DKG dealing of the Byzantine node itself."""
        ...

    def bad_dealing(self, artifact: object, *, few: bool = False) -> object:
        """The dealing, validly signed, with wrong shares encrypted for f + 1 of its receivers
        (only f if `few`)."""
        ...

    def support_of(self, artifact: object) -> object | None:
        """The node's own support share of a dealing it sends."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Send:
    """One artifact to some receivers."""

    artifact: object
    receivers: tuple[Principal, ...]


class Behaviour(Protocol):
    @property
    def name(self) -> str: ...

    def transform(
        self,
        artifacts: Sequence[object],
        peers: Sequence[Principal],
        rng: random.Random,
        forger: Forger,
    ) -> list[Send]: ...


@dataclass(frozen=True, slots=True)
class Honest:
    name: str = "honest"

    def transform(
        self,
        artifacts: Sequence[object],
        peers: Sequence[Principal],
        rng: random.Random,
        forger: Forger,
    ) -> list[Send]:
        return [Send(artifact=artifact, receivers=tuple(peers)) for artifact in artifacts]


@dataclass(frozen=True, slots=True)
class StopsSigning:
    """Sends blocks and relays, but no signature share of its own, ever."""

    name: str = "stop-signing"

    def transform(
        self,
        artifacts: Sequence[object],
        peers: Sequence[Principal],
        rng: random.Random,
        forger: Forger,
    ) -> list[Send]:
        return [
            Send(artifact=a, receivers=tuple(peers)) for a in artifacts if not forger.is_share(a)
        ]


@dataclass(frozen=True, slots=True)
class MissingShares:
    """Leaves out each of its shares with some probability (per receiver)."""

    probability: float = 0.5
    name: str = "missing-shares"

    def transform(
        self,
        artifacts: Sequence[object],
        peers: Sequence[Principal],
        rng: random.Random,
        forger: Forger,
    ) -> list[Send]:
        sends = []
        for artifact in artifacts:
            if forger.is_share(artifact):
                receivers = tuple(peer for peer in peers if rng.random() >= self.probability)
            else:
                receivers = tuple(peers)
            if receivers:
                sends.append(Send(artifact=artifact, receivers=receivers))
        return sends


@dataclass(frozen=True, slots=True)
class InvalidShares:
    """Sends every share broken: damaged bytes, or a signature over another message."""

    wrong_message: bool = False
    name: str = "invalid-shares"

    def transform(
        self,
        artifacts: Sequence[object],
        peers: Sequence[Principal],
        rng: random.Random,
        forger: Forger,
    ) -> list[Send]:
        sends = []
        for artifact in artifacts:
            if forger.is_share(artifact):
                broken = (
                    forger.share_over_other_message(artifact)
                    if self.wrong_message
                    else forger.corrupt_share(artifact)
                )
                sends.append(Send(artifact=broken, receivers=tuple(peers)))
            else:
                sends.append(Send(artifact=artifact, receivers=tuple(peers)))
        return sends


@dataclass(frozen=True, slots=True)
class Equivocator:
    """As block maker, sends one block to half of its peers and a different one to the rest."""

    name: str = "equivocate"

    def transform(
        self,
        artifacts: Sequence[object],
        peers: Sequence[Principal],
        rng: random.Random,
        forger: Forger,
    ) -> list[Send]:
        sends = []
        for artifact in artifacts:
            other = forger.equivocate(artifact) if forger.is_block_proposal(artifact) else None
            if other is None:
                sends.append(Send(artifact=artifact, receivers=tuple(peers)))
                continue
            shuffled = list(peers)
            rng.shuffle(shuffled)
            half = len(shuffled) // 2
            sends.append(Send(artifact=artifact, receivers=tuple(shuffled[:half])))
            sends.append(Send(artifact=other, receivers=tuple(shuffled[half:])))
        return sends


@dataclass(frozen=True, slots=True)
class BadDealer:
    """Sends each of its DKG dealings with wrong shares for f + 1 receivers (to everybody)."""

    name: str = "bad-dealing"

    def transform(
        self,
        artifacts: Sequence[object],
        peers: Sequence[Principal],
        rng: random.Random,
        forger: Forger,
    ) -> list[Send]:
        return [
            Send(
                artifact=forger.bad_dealing(a) if forger.is_own_dealing(a) else a,
                receivers=tuple(peers),
            )
            for a in artifacts
        ]


@dataclass(frozen=True, slots=True)
class FewBadShares:
    """Sends each of its dealings with wrong shares for only f receivers, with its own support share
    of it: the dealing can gather n − f supporters, the attack the support rule alone does not stop
    (see `replica.consensus.dealings`). Not in the mixed plans."""

    name: str = "few-bad-shares"

    def transform(
        self,
        artifacts: Sequence[object],
        peers: Sequence[Principal],
        rng: random.Random,
        forger: Forger,
    ) -> list[Send]:
        sends = []
        for artifact in artifacts:
            if forger.is_own_dealing(artifact):
                artifact = forger.bad_dealing(artifact, few=True)
                support = forger.support_of(artifact)
                if support is not None:
                    sends.append(Send(artifact=support, receivers=tuple(peers)))
            sends.append(Send(artifact=artifact, receivers=tuple(peers)))
        return sends


BYZANTINE_BEHAVIOURS: Final[dict[str, Behaviour]] = {
    "equivocate": Equivocator(),
    "invalid-shares": InvalidShares(),
    "wrong-message": InvalidShares(wrong_message=True, name="wrong-message"),
    "missing-shares": MissingShares(),
    "stop-signing": StopsSigning(),
    "bad-dealing": BadDealer(),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Crash:
    """Node `node` (index in the subnet) crashes at `at_ns`; restarts at `restart_ns` if set."""

    node: int
    at_ns: int
    restart_ns: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultPlan:
    """Which faults a run has, in a form that round-trips through text (`--faults`)."""

    crashes: int = 0
    down: int = 0
    byzantine: tuple[tuple[str, int], ...] = ()
    partition_s: tuple[float, float] | None = None
    drop_percent: int = 0

    @property
    def faulty_nodes(self) -> int:
        return self.crashes + self.down + sum(count for _, count in self.byzantine)

    @classmethod
    def parse(cls, text: str) -> FaultPlan:
        crashes = down = drop = 0
        byzantine: list[tuple[str, int]] = []
        partition: tuple[float, float] | None = None
        for token in filter(None, (part.strip() for part in text.split(","))):
            kind, _, value = token.partition(":")
            if kind == "none":
                continue
            if kind == "crash":
                crashes += int(value or 1)
            elif kind == "down":
                down += int(value or 1)
            elif kind == "drop":
                drop = int(value)
            elif kind == "partition":
                start, _, heal = value.partition("-")
                partition = (float(start), float(heal))
            elif kind in BYZANTINE_BEHAVIOURS:
                byzantine.append((kind, int(value or 1)))
            else:
                known = ", ".join(["crash", "down", "drop", "partition", *BYZANTINE_BEHAVIOURS])
                raise ValueError(f"unknown fault {kind!r} (known: {known})")
        return cls(
            crashes=crashes,
            down=down,
            byzantine=tuple(byzantine),
            partition_s=partition,
            drop_percent=drop,
        )

    def to_text(self) -> str:
        parts = []
        if self.crashes:
            parts.append(f"crash:{self.crashes}")
        if self.down:
            parts.append(f"down:{self.down}")
        parts += [f"{kind}:{count}" for kind, count in self.byzantine]
        if self.partition_s is not None:
            parts.append(f"partition:{self.partition_s[0]:g}-{self.partition_s[1]:g}")
        if self.drop_percent:
            parts.append(f"drop:{self.drop_percent}")
        return ",".join(parts) or "none"

    @classmethod
    def mixed_for_seed(cls, seed: int, nodes: int) -> FaultPlan:
        """A plan with at most f faulty replicas, varied by seed (what the seed sweep runs)."""
        rng = random.Random(f"fault-plan:{seed}:{nodes}")
        f = (nodes - 1) // 3
        kinds = ["none", "crash", "drop", "partition", *BYZANTINE_BEHAVIOURS]
        choice = kinds[rng.randrange(len(kinds))]
        if choice == "none" or (f == 0 and choice not in ("drop", "partition")):
            return cls()
        if choice == "crash":
            return cls(crashes=f)
        if choice == "drop":
            return cls(drop_percent=rng.choice((5, 10, 20)))
        if choice == "partition":
            start = rng.choice((0.5, 1.0, 1.5))
            return cls(partition_s=(start, start + rng.choice((1.0, 2.0))))
        if f >= 2 and rng.random() < 0.5:
            # One replica crashes and restarts while the others are Byzantine.
            return cls(crashes=1, byzantine=((choice, f - 1),))
        return cls(byzantine=((choice, f),))


@dataclass(slots=True, kw_only=True)
class Assignment:
    """Which nodes of a subnet get which fault, drawn from the seed."""

    crashes: list[Crash] = field(default_factory=list)
    behaviours: dict[int, Behaviour] = field(default_factory=dict)
    partition_groups: tuple[tuple[int, ...], ...] = ()


def assign_faults(plan: FaultPlan, nodes: int, seed: int, *, horizon_ns: int) -> Assignment:
    """Choose the faulty nodes and crash times for `plan` in a subnet of `nodes` replicas."""
    rng = random.Random(f"fault-assignment:{seed}:{nodes}")
    order = list(range(nodes))
    rng.shuffle(order)
    assignment = Assignment()
    position = 0
    for _ in range(plan.crashes):
        at = rng.randint(horizon_ns // 10, horizon_ns // 3)
        restart = at + rng.randint(horizon_ns // 10, horizon_ns // 4)
        assignment.crashes.append(Crash(node=order[position % nodes], at_ns=at, restart_ns=restart))
        position += 1
    for _ in range(plan.down):
        at = rng.randint(0, horizon_ns // 4)
        assignment.crashes.append(Crash(node=order[position % nodes], at_ns=at, restart_ns=None))
        position += 1
    for kind, count in plan.byzantine:
        for _ in range(count):
            assignment.behaviours[order[position % nodes]] = BYZANTINE_BEHAVIOURS[kind]
            position += 1
    if plan.partition_s is not None:
        # Two halves: for n <= 5 neither has n - f replicas, so finalization stops until it heals.
        half = nodes // 2
        assignment.partition_groups = (tuple(sorted(order[:half])), tuple(sorted(order[half:])))
    return assignment
