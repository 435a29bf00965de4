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
as block maker, holds its block back on every link until the receiver has
signed a notarization share for another block of the height (its notary delay
for the next rank has ended), so that honest notaries sign both and two blocks
of one height are notarized (the case the finalizer rule is for; see
`HeldBackMaker`); and, in a subnet of more than 3f + 1 replicas, combines
notarizations from honest shares and its own at heights where it is outside the
committee (`OutsideCommittee`). Behaviours combine with `+`
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
from typing import Final, Protocol, runtime_checkable

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

    stash: dict[int, HeldBack]
    """What a behaviour holds back, by height."""

    gathered: dict[int, HeldBack]
    """The honest shares `outside-committee` gathered, by height (apart from `stash`, so that it
    combines with `held-back` on one replica)."""

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

    def proposed_block(self, artifact: object) -> bytes | None:
        """The id of the block a proposal carries (None: not a proposal)."""
        ...

    def notarization_share_of(self, artifact: object) -> tuple[int, bytes, Principal] | None:
        """(height, block, signer) of a notarization share (None: not one)."""
        ...

    def quorum(self) -> int:
        """n − f of the node's subnet."""
        ...

    def notarization(self, height: int, block: bytes, shares: Sequence[object]) -> object | None:
        """The notarization of `block` combined from peers' notarization `shares` and this node's
        own share (anyone can aggregate), if they make n − f signers."""
        ...

    def outside_committee(self, height: int) -> bool:
        """Whether the node is known to be outside the notarization committee of `height` (only
        possible in a subnet of more than 3f + 1 replicas)."""
        ...

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


@dataclass(slots=True)
class HeldBack:
    """What a held-back block maker holds at one height, and what it saw of it."""

    proposals: list[object] = field(default_factory=list)
    signed_other: set[Principal] = field(default_factory=set)
    """Honest notaries that signed a share for another block of the height."""
    released: set[Principal] = field(default_factory=set)
    shares: dict[bytes, list[object]] = field(default_factory=dict)
    """Honest notarization shares of the height, by block."""
    combined: set[bytes] = field(default_factory=set)


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


@runtime_checkable
class Watching(Protocol):
    """A behaviour that also sees what its honest peers send, as the network adversary of the
    partially synchronous model does (it may delay its own messages on any link as long as it
    likes): the world hands it each honest output and delivers what it returns at once."""

    def watch(
        self,
        peer: Principal,
        artifacts: Sequence[object],
        peers: Sequence[Principal],
        rng: random.Random,
        forger: Forger,
    ) -> list[Send]:
        """What to deliver now (to some of `peers`), seeing that `peer` sent `artifacts`."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Seen:
    """What the checks saw honest replicas hold, for `Striking.has_struck`."""

    double_notarized_heights: int = 0


@runtime_checkable
class Striking(Protocol):
    """A behaviour whose strike is more than sending other than the honest code: the sweep waits
    until `has_struck` says the attack happened."""

    def has_struck(self, seen: Seen) -> bool: ...

    @property
    def strike(self) -> str:
        """What the strike is, for the message when it never happened."""
        ...


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
class HeldBackMaker:
    """As block maker, holds its block and its own notarization share back, and acts as the
    network adversary on its own links (`watch`): it releases the block to the honest notaries
    that signed a share for another block of the height as soon as n − f − 1 of them have (their
    notary delay for the next rank has ended), and combines notarizations itself from the honest
    shares and its own, its block's first, then the other block's.

    None of those notaries can notarize the other block yet (it needs one more share, the last
    honest notary's or this node's, which it withholds), and a notary signs a block of a lower
    rank than one it signed, so each signs the held-back block too: both blocks get n − f − 1
    honest shares, this node completes and delivers both notarizations, and two blocks of one
    height are notarized by honest notaries, the only case where the finalizer rule decides (a
    notary that signed both must not finality-sign either; without the rule those notaries and
    the last one finalize the held-back block while the other is notarized). The strike the
    sweep waits for is that: an honest replica holding two notarizations of one height.

    An equivocation (two versions of its own block) would not serve: an honest notary signs at
    most one block of a maker at a height, since it disqualifies a maker once it holds two of its
    blocks, and two blocks need 2(n − 2f) > n − f honest shares; so the pair notarized is the
    held-back block and the next rank's."""

    name: str = "held-back"
    strike: str = "held-back (two notarized blocks at one height)"

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
                forger.stash.setdefault(height, HeldBack()).proposals.append(artifact)
                continue
            share = forger.notarization_share_of(artifact)
            held = forger.stash.get(height)
            if share is not None and held is not None and share[1] in _blocks(held, forger):
                continue  # its own share: it combines the notarization itself
            sends.append(Send(artifact=artifact, receivers=tuple(peers)))
            for old in [h for h in forger.stash if h < height - 1]:
                del forger.stash[old]
        return sends

    def watch(
        self,
        peer: Principal,
        artifacts: Sequence[object],
        peers: Sequence[Principal],
        rng: random.Random,
        forger: Forger,
    ) -> list[Send]:
        sends = []
        for artifact in artifacts:
            share = forger.notarization_share_of(artifact)
            if share is None or share[2] != peer:
                continue
            height, block, _ = share
            held = forger.stash.get(height)
            if held is None or not held.proposals:
                continue
            own = _blocks(held, forger)
            held.shares.setdefault(block, []).append(artifact)
            if block not in own:
                held.signed_other.add(peer)
            if len(held.signed_other) >= forger.quorum() - 1:
                for receiver in sorted(held.signed_other - held.released, key=str):
                    held.released.add(receiver)
                    sends += [Send(artifact=item, receivers=(receiver,)) for item in held.proposals]
            for candidate in [*own, *held.shares]:
                if candidate in held.combined or (candidate not in own and not own & held.combined):
                    continue
                notarization = forger.notarization(
                    height, candidate, held.shares.get(candidate, [])
                )
                if notarization is not None:
                    held.combined.add(candidate)
                    sends.append(Send(artifact=notarization, receivers=tuple(peers)))
        return sends

    def has_struck(self, seen: Seen) -> bool:
        return seen.double_notarized_heights > 0


@dataclass(frozen=True, slots=True)
class OutsideCommittee:
    """A member outside the height's notarization committee (a subnet of 5 or 6 replicas has 4 of
    them in it, drawn anew each height) that signs notarizations all the same: it sends what the
    honest code sends, and as the network adversary (`watch`) it collects the honest notarization
    shares of each block at a height where it is not in the committee, and as soon as it has
    n − f − 1 of them it combines a notarization from them and its own share (a genuine
    multi-signature under its committee key, which every member has) and delivers it to every
    peer at once, before any honest replica holds n − f shares to combine its own. Only the rule
    that every signer is in the height's committee (RULES.md R17) refuses it; without the rule,
    honest replicas notarize the block with it, and the audit, which checks every notarization
    of a finalized block against the committee, sees a signer outside it.

    It strikes only where a member can be outside the committee: a plan that has it in a subnet
    of n = 3f + 1 replicas is refused (`FaultPlan.check_subnet`)."""

    name: str = "outside-committee"

    def transform(
        self,
        artifacts: Sequence[object],
        peers: Sequence[Principal],
        rng: random.Random,
        forger: Forger,
    ) -> list[Send]:
        return [Send(artifact=artifact, receivers=tuple(peers)) for artifact in artifacts]

    def watch(
        self,
        peer: Principal,
        artifacts: Sequence[object],
        peers: Sequence[Principal],
        rng: random.Random,
        forger: Forger,
    ) -> list[Send]:
        sends = []
        for artifact in artifacts:
            share = forger.notarization_share_of(artifact)
            if share is None or share[2] != peer:
                continue
            height, block, _ = share
            if not forger.outside_committee(height):
                continue
            seen = forger.gathered.setdefault(height, HeldBack())
            for old in [h for h in forger.gathered if h < height - 1]:
                del forger.gathered[old]
            shares = seen.shares.setdefault(block, [])
            shares.append(artifact)
            signers = {forger.notarization_share_of(s) for s in shares}
            if block in seen.combined or len(signers) < forger.quorum() - 1:
                continue
            notarization = forger.notarization(height, block, shares)
            if notarization is not None:
                seen.combined.add(block)
                sends.append(Send(artifact=notarization, receivers=tuple(peers)))
        return sends


def _blocks(held: HeldBack, forger: Forger) -> set[bytes]:
    return {block for p in held.proposals if (block := forger.proposed_block(p)) is not None}


@dataclass(frozen=True, slots=True)
class Combined:
    """Several behaviours of one node: each transforms what the one before sends (and what a
    watching part releases goes through the parts after it). Its strike is any output changed: a
    part after `held-back` may replace the held-back block, so two notarizations of a height are
    not awaited."""

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
        return self._through(self.parts, sends, rng, forger)

    def watch(
        self,
        peer: Principal,
        artifacts: Sequence[object],
        peers: Sequence[Principal],
        rng: random.Random,
        forger: Forger,
    ) -> list[Send]:
        """What the watching parts deliver, through the parts after each."""
        sends: list[Send] = []
        for index, part in enumerate(self.parts):
            if isinstance(part, Watching):
                released = part.watch(peer, artifacts, peers, rng, forger)
                sends += self._through(self.parts[index + 1 :], released, rng, forger)
        return sends

    @staticmethod
    def _through(
        parts: Sequence[Behaviour], sends: list[Send], rng: random.Random, forger: Forger
    ) -> list[Send]:
        for part in parts:
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
    "held-back": HeldBackMaker(),
    "outside-committee": OutsideCommittee(),
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

    def check_subnet(self, nodes: int) -> None:
        """Refuse a plan that cannot strike in a subnet of `nodes` replicas (raises ValueError with
        one line): `outside-committee` needs a member outside the committee, so more than
        3f + 1 replicas."""
        if nodes == 3 * ((nodes - 1) // 3) + 1 and any(
            OUTSIDE_COMMITTEE in kind.split("+") for kind, _ in self.byzantine
        ):
            raise ValueError(
                f"{OUTSIDE_COMMITTEE} needs a member outside the committee: every one of {nodes} "
                "replicas (3f + 1) is in it; use 5 or 6"
            )

    def to_text(self) -> str:
        parts = []
        if self.crashes:
            parts.append(f"crash:{self.crashes}")
        if self.down:
            parts.append(f"down:{self.down}")
        parts += [f"{kind}:{count}" for kind, count in self.byzantine]
        if self.partition_s is not None:
            start, heal = self.partition_s
            parts.append(f"partition:{exact(start)}-{exact(heal)}")
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
        if nodes > 3 * f + 1:
            # A member can be outside the committee: each faulty one signs notarizations there
            # (R17), half the time with another kind of misbehaviour.
            kind = OUTSIDE_COMMITTEE
            if rng.random() < 0.5:
                kind += "+" + rng.choice(SWEEP_BEHAVIOURS)
            extra = rng.choice(("none", "drop", "partition"))
            start = rng.choice((0.3, 0.6, 0.9))
            return cls(
                byzantine=((kind, f),),
                drop_percent=rng.choice((5, 10, 20)) if extra == "drop" else 0,
                partition_s=(start, start + 1.0) if extra == "partition" else None,
            )
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


def exact(value: float) -> str:
    """The shortest text of `value` that reads back as the same number (`2.5`, not `2.50000` or
    a rounded `0.333333`), for a replay command that repeats the run exactly."""
    text = f"{value:g}"
    return text if float(text) == value else repr(value)


def _parse_count(token: str, value: str) -> int:
    try:
        count = int(value or 1)
    except ValueError:
        raise ValueError(f"a fault count must be a whole number (got {token!r})") from None
    if count < 0:
        raise ValueError(f"a fault count cannot be negative (got {token!r})")
    return count


OUTSIDE_COMMITTEE: Final = "outside-committee"
SWEEP_BEHAVIOURS: Final = [
    name for name in BYZANTINE_BEHAVIOURS if name not in ("few-bad-shares", OUTSIDE_COMMITTEE)
]
"""The kinds the mixed plans draw from (`outside-committee` is the plan of every subnet with
members outside the committee, and strikes nowhere else)."""


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
