"""Faults the simulator injects: crashes, partitions, lossy links and Byzantine replicas.

A crash discards a node's in-memory object; its restart builds a new one from
the node's state directory (`ReplicaNode.restart`), so only what the node
persisted survives. A Byzantine replica runs the honest code, and the
simulator transforms what it sends: it equivocates as block maker (two
different, validly signed blocks for one height, each to half of the peers),
sends invalid signature shares (corrupted bytes, or a valid signature over a
different message), leaves some shares out, stops signing altogether, or
deals wrong shares to some receivers of its DKG dealings (a dealing the
support rule must keep off the chain). It also mounts the `Attack`s: double
signing as notary or finalizer, blocks on a wrong or unnotarized parent,
certifications and CUPs forged from its own share, replayed stale shares; and,
as block maker, holds its block back until the honest replicas notarize a
block of the next rank, then sends two versions of it with its own
notarization shares on both, so that two blocks of one height can be
notarized (the case the finalizer rule is for). Behaviours combine with `+`
(`equivocate+double-notarize:1`): one node, several kinds of misbehaviour.
The transformations know the artifacts through a `Forger`, which holds the
Byzantine node's keys, as a real attacker would.

A `FaultPlan` is written as a short text (`crash:1,equivocate:1,partition:2-5`)
so that a failing run prints a one-line command that replays it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Final, Protocol

from replica.types import Principal

SECOND_NS: Final = 1_000_000_000


class Attack(Enum):
    """Forgeries a `Forger` makes from one of its node's artifacts and what it has seen."""

    DOUBLE_NOTARIZE = "double-notarize"
    DOUBLE_FINALIZE = "double-finalize"
    WRONG_PARENT = "wrong-parent"
    FORGE_CERTIFICATION = "forge-certification"
    FORGE_CUP = "forge-cup"
    REPLAY_SHARES = "replay-shares"
    BAD_BLOCK = "bad-block"
    FORGE_COMBINED = "forge-combined"


class Forger(Protocol):
    """What a Byzantine transformation needs to know about artifacts (and the node's keys)."""

    stash: dict[int, list[object]]
    """Artifacts a behaviour holds back, by height."""

    def note(self, artifact: object) -> None:
        """An artifact that reached the Byzantine node."""
        ...

    def forge(self, attack: Attack, artifact: object) -> list[object]:
        """The forgeries `attack` makes of `artifact`."""
        ...

    def replaces(self, attack: Attack, artifact: object) -> bool:
        """Whether the forgeries of `attack` go out instead of `artifact` (its own block rebuilt,
        a beacon relabelled), not besides it."""
        ...

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


@dataclass(frozen=True, slots=True)
class Forging:
    """Sends what the honest code sends plus the forgeries of one `Attack` (instead of the
    artifact where `Forger.replaces` says so: its own block rebuilt, for WRONG_PARENT, BAD_BLOCK and
    FORGE_COMBINED, and a beacon relabelled)."""

    attack: Attack
    name: str = ""

    def transform(
        self,
        artifacts: Sequence[object],
        peers: Sequence[Principal],
        rng: random.Random,
        forger: Forger,
    ) -> list[Send]:
        sends = []
        for artifact in artifacts:
            forged = forger.forge(self.attack, artifact)
            if not (forged and forger.replaces(self.attack, artifact)):
                sends.append(Send(artifact=artifact, receivers=tuple(peers)))
            sends.extend(Send(artifact=item, receivers=tuple(peers)) for item in forged)
        return sends


@dataclass(frozen=True, slots=True)
class HeldBackEquivocator:
    """As block maker, holds its block back until it signs a notarization share for another block
    of the height (the honest replicas' notary delay for the next rank has passed); then sends its
    block to half of its peers and a second version to the others, each with its own notarization
    share (and any other block of the height double-signed too)."""

    name: str = "held-back"

    def transform(
        self,
        artifacts: Sequence[object],
        peers: Sequence[Principal],
        rng: random.Random,
        forger: Forger,
    ) -> list[Send]:
        sends = []
        for artifact in artifacts:
            height = getattr(artifact, "height", -1)
            if forger.is_block_proposal(artifact):
                forger.stash.setdefault(height, []).append(artifact)
                continue
            sends.append(Send(artifact=artifact, receivers=tuple(peers)))
            held = forger.stash.pop(height, []) if forger.is_share(artifact) else []
            for old in [h for h in forger.stash if h < height]:
                held += forger.stash.pop(old)
            for proposal in held:
                other = forger.equivocate(proposal)
                shuffled = list(peers)
                rng.shuffle(shuffled)
                half = len(shuffled) // 2
                for version, receivers in ((proposal, shuffled[:half]), (other, shuffled[half:])):
                    if version is None:
                        continue
                    forger.note(version)
                    sends.append(Send(artifact=version, receivers=tuple(receivers)))
                if forger.is_share(artifact):
                    for share in forger.forge(Attack.DOUBLE_NOTARIZE, artifact):
                        sends.append(Send(artifact=share, receivers=tuple(peers)))
        return sends


@dataclass(frozen=True, slots=True)
class Combined:
    """Several behaviours of one node: each transforms what the one before sends."""

    parts: tuple[Behaviour, ...]
    name: str = ""

    def transform(
        self,
        artifacts: Sequence[object],
        peers: Sequence[Principal],
        rng: random.Random,
        forger: Forger,
    ) -> list[Send]:
        sends = [Send(artifact=artifact, receivers=tuple(peers)) for artifact in artifacts]
        for part in self.parts:
            sends = [
                out
                for send in sends
                for out in part.transform([send.artifact], send.receivers, rng, forger)
            ]
        return sends


BYZANTINE_BEHAVIOURS: Final[dict[str, Behaviour]] = {
    "equivocate": Equivocator(),
    "invalid-shares": InvalidShares(),
    "wrong-message": InvalidShares(wrong_message=True, name="wrong-message"),
    "missing-shares": MissingShares(),
    "stop-signing": StopsSigning(),
    "bad-dealing": BadDealer(),
    "held-back": HeldBackEquivocator(),
    **{attack.value: Forging(attack, name=attack.value) for attack in Attack},
}
"""Every kind of Byzantine replica by its name in a fault plan."""


def get_behaviour(kind: str) -> Behaviour:
    """The behaviour named `kind`, or several joined by `+` (raises ValueError for an unknown
    name)."""
    names = kind.split("+")
    unknown = [name for name in names if name not in BYZANTINE_BEHAVIOURS]
    if unknown:
        raise ValueError(f"unknown fault {unknown[0]!r} (known: {', '.join(FAULT_KINDS)})")
    if len(names) == 1:
        return BYZANTINE_BEHAVIOURS[kind]
    return Combined(tuple(BYZANTINE_BEHAVIOURS[name] for name in names), name=kind)


FAULT_KINDS: Final = ("crash", "down", "drop", "partition", *BYZANTINE_BEHAVIOURS)


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
        """The plan a `--faults` text names (raises ValueError with one clear line if it is
        wrong)."""
        crashes = down = drop = 0
        byzantine: list[tuple[str, int]] = []
        partition: tuple[float, float] | None = None
        for token in filter(None, (part.strip() for part in text.split(","))):
            kind, _, value = token.partition(":")
            if kind == "none":
                continue
            if kind == "partition":
                start_text, _, heal_text = value.partition("-")
                try:
                    partition = (float(start_text), float(heal_text))
                except ValueError:
                    raise ValueError(
                        f"partition needs START-HEAL seconds, e.g. partition:1-3 (got {token!r})"
                    ) from None
                if not 0 <= partition[0] < partition[1]:
                    raise ValueError(
                        f"a partition must heal after it starts, at or after 0 s (got {token!r})"
                    )
                continue
            count = _parse_count(token, value)
            if kind == "crash":
                crashes += count
            elif kind == "down":
                down += count
            elif kind == "drop":
                if not value or not 0 < count < 100:
                    raise ValueError(f"drop needs a percentage between 1 and 99 (got {token!r})")
                drop = count
            else:
                get_behaviour(kind)
                byzantine.append((kind, count))
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
        """A plan with at most f faulty replicas, varied by seed (what the seed sweep runs).

        Every plan has a fault that strikes within a short run: partitions start in the first
        second, and half of the Byzantine plans also lose messages or partition the network; one
        in four gives a Byzantine replica several kinds of misbehaviour at once."""
        rng = random.Random(f"fault-plan:{seed}:{nodes}")
        f = (nodes - 1) // 3
        kinds = ["crash", "drop", "partition", *SWEEP_BEHAVIOURS, "several"]
        choice = kinds[rng.randrange(len(kinds))]
        drop = rng.choice((5, 10, 20))
        start = rng.choice((0.3, 0.6, 0.9))
        partition = (start, start + rng.choice((0.5, 1.0, 1.5)))
        if choice == "drop" or (f == 0 and choice != "partition"):
            return cls(drop_percent=drop)
        if choice == "crash":
            return cls(crashes=f)
        if choice == "partition":
            return cls(partition_s=partition)
        if choice == "several":
            choice = "+".join(rng.sample(SWEEP_BEHAVIOURS, 3))
        extra = rng.choice(("none", "drop", "partition"))
        plan = cls(
            drop_percent=drop if extra == "drop" else 0,
            partition_s=partition if extra == "partition" else None,
        )
        if f >= 2 and rng.random() < 0.5:
            # One replica crashes and restarts while the others are Byzantine.
            return replace(plan, crashes=1, byzantine=((choice, f - 1),))
        return replace(plan, byzantine=((choice, f),))


def _parse_count(token: str, value: str) -> int:
    try:
        count = int(value or 1)
    except ValueError:
        raise ValueError(f"a fault count must be a whole number (got {token!r})") from None
    if count < 0:
        raise ValueError(f"a fault count cannot be negative (got {token!r})")
    return count


SWEEP_BEHAVIOURS: Final = [name for name in BYZANTINE_BEHAVIOURS if name != "few-bad-shares"]


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
            assignment.behaviours[order[position % nodes]] = get_behaviour(kind)
            position += 1
    if plan.partition_s is not None:
        # Two halves: for n <= 5 neither has n - f replicas, so finalization stops until it heals.
        half = nodes // 2
        assignment.partition_groups = (tuple(sorted(order[:half])), tuple(sorted(order[half:])))
    return assignment
