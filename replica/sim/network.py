"""A seeded network between simulated replicas.

Every link has a base latency drawn from the seed, and every message an extra
delay drawn from an exponential distribution, so messages on one link overtake
each other (reordering). A transmission may be dropped; like the IC's p2p layer
the sender keeps the artifact and retransmits it, so a dropped message arrives
later rather than never. A partition cuts the links between groups of nodes
until a given virtual time: messages across the cut wait and are resent when
it heals. A message to a crashed node waits for its restart. Together this is
the eventual-delivery guarantee of the IC's p2p (DESIGN section 4): every
artifact an honest node broadcasts reaches every honest peer, eventually.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Final

from replica.sim.scheduler import Scheduler
from replica.types import Principal

MILLISECOND_NS: Final = 1_000_000

Deliver = Callable[[Principal, Principal, object], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkConfig:
    """How links behave. Latencies in virtual nanoseconds."""

    min_latency_ns: int = 5 * MILLISECOND_NS
    max_latency_ns: int = 40 * MILLISECOND_NS
    mean_jitter_ns: int = 10 * MILLISECOND_NS
    drop_probability: float = 0.0
    retransmit_ns: int = 150 * MILLISECOND_NS

    @classmethod
    def for_seed(cls, seed: int) -> NetworkConfig:
        """Link latencies that vary with the seed: from one data center to across continents."""
        rng = random.Random(seed * 2_654_435_761 + 7)
        low = rng.randint(1, 10) * MILLISECOND_NS
        high = low + rng.randint(5, 120) * MILLISECOND_NS
        return cls(
            min_latency_ns=low,
            max_latency_ns=high,
            mean_jitter_ns=rng.randint(0, 30) * MILLISECOND_NS,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Partition:
    """Groups of nodes that cannot reach each other from `start_ns` until `heal_ns`.

    Nodes named in no group form one more group together."""

    groups: tuple[frozenset[Principal], ...]
    start_ns: int
    heal_ns: int

    def group_of(self, node: Principal) -> int:
        for index, group in enumerate(self.groups):
            if node in group:
                return index
        return len(self.groups)

    def separates(self, a: Principal, b: Principal, now_ns: int) -> bool:
        if not self.start_ns <= now_ns < self.heal_ns:
            return False
        return self.group_of(a) != self.group_of(b)


@dataclass(slots=True)
class NetworkStats:
    sent: int = 0
    delivered: int = 0
    dropped: int = 0
    parked: int = 0


class Network:
    """Delivers messages between nodes on a scheduler, with seeded delays and faults."""

    def __init__(
        self, scheduler: Scheduler, seed: int, deliver: Deliver, config: NetworkConfig | None = None
    ) -> None:
        self.scheduler = scheduler
        self.config = config or NetworkConfig()
        self.stats = NetworkStats()
        self._deliver = deliver
        self._random = random.Random(seed)
        self._latency: dict[tuple[Principal, Principal], int] = {}
        self._partitions: list[Partition] = []
        self._down: set[Principal] = set()
        self._parked_links: dict[tuple[Principal, Principal], list[object]] = {}
        self._parked_down: dict[Principal, list[tuple[Principal, object]]] = {}

    # -- topology ---------------------------------------------------------------------------

    def link_latency_ns(self, sender: Principal, receiver: Principal) -> int:
        """The base latency of a link, drawn once per (ordered) link on first use."""
        key = (sender, receiver)
        latency = self._latency.get(key)
        if latency is None:
            latency = self._random.randint(self.config.min_latency_ns, self.config.max_latency_ns)
            self._latency[key] = latency
        return latency

    def add_partition(
        self, groups: Iterable[Collection[Principal]], *, start_ns: int, heal_ns: int
    ) -> Partition:
        partition = Partition(
            groups=tuple(frozenset(group) for group in groups), start_ns=start_ns, heal_ns=heal_ns
        )
        self._partitions.append(partition)
        self.scheduler.schedule(heal_ns, self._resend_parked_links)
        return partition

    def is_cut(self, sender: Principal, receiver: Principal) -> bool:
        now = self.scheduler.now_ns
        return any(partition.separates(sender, receiver, now) for partition in self._partitions)

    def is_up(self, node: Principal) -> bool:
        return node not in self._down

    def set_down(self, node: Principal) -> None:
        self._down.add(node)

    def set_up(self, node: Principal) -> None:
        """A restarted node: everything that waited for it is sent again."""
        self._down.discard(node)
        for sender, message in self._parked_down.pop(node, []):
            self.send(sender, node, message)

    # -- sending ----------------------------------------------------------------------------

    def send(self, sender: Principal, receiver: Principal, message: object) -> None:
        self.stats.sent += 1
        self._transmit(sender, receiver, message)

    def broadcast(self, sender: Principal, receivers: Iterable[Principal], message: object) -> None:
        for receiver in receivers:
            if receiver != sender:
                self.send(sender, receiver, message)

    def _delay_ns(self, sender: Principal, receiver: Principal) -> int:
        jitter = self.config.mean_jitter_ns
        extra = int(self._random.expovariate(1.0 / jitter)) if jitter > 0 else 0
        return self.link_latency_ns(sender, receiver) + extra

    def _transmit(self, sender: Principal, receiver: Principal, message: object) -> None:
        if self.is_cut(sender, receiver):
            self._park_link(sender, receiver, message)
            return
        if (
            self.config.drop_probability > 0
            and self._random.random() < self.config.drop_probability
        ):
            # Lost on the wire: the sender's p2p layer retransmits it later.
            self.stats.dropped += 1
            self.scheduler.schedule_after(
                self.config.retransmit_ns, lambda: self._transmit(sender, receiver, message)
            )
            return
        delay = self._delay_ns(sender, receiver)
        self.scheduler.schedule_after(delay, lambda: self._arrive(sender, receiver, message))

    def _arrive(self, sender: Principal, receiver: Principal, message: object) -> None:
        if self.is_cut(sender, receiver):
            self._park_link(sender, receiver, message)
            return
        if receiver in self._down:
            self.stats.parked += 1
            self._parked_down.setdefault(receiver, []).append((sender, message))
            return
        self.stats.delivered += 1
        self._deliver(sender, receiver, message)

    def _park_link(self, sender: Principal, receiver: Principal, message: object) -> None:
        self.stats.parked += 1
        self._parked_links.setdefault((sender, receiver), []).append(message)

    def _resend_parked_links(self) -> None:
        parked, self._parked_links = self._parked_links, {}
        for (sender, receiver), messages in parked.items():
            for message in messages:
                self._transmit(sender, receiver, message)
