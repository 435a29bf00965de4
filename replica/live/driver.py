"""The synchronous shell around one `ReplicaNode`: the wall clock and durability.

`LiveDriver` gives the node its inputs with the time read from an injected
clock, and before it hands back what the node wants sent it makes the
artifacts the node appended to its pool durable: a replica restarted after
`kill -9` (or a power cut) finds every share it signed and never signs a
conflicting one. Apart from that it passes inputs and outputs through
unchanged, so a live replica computes exactly what a simulated one computes
from the same artifacts at the same times (tests/replica/live checks this).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from replica.consensus.artifacts import Artifact, CatchUpPackage, IngressArtifact
from replica.consensus.node import NodeConfig, NodeOutput, ReplicaNode
from replica.execution.messages import IngressMessage
from replica.live.local_registry import open_local_registry

__all__ = ["Clock", "LiveDriver", "open_local_registry"]

Clock = Callable[[], int]


class LiveDriver:
    """A node on a clock: `on_artifacts`, `on_timer` and `submit_ingress` without a time
    argument."""

    def __init__(self, node: ReplicaNode, clock: Clock, *, durable: bool = True) -> None:
        self.node = node
        self.clock = clock
        self.durable = durable
        self.steps = 0

    @classmethod
    def open(cls, config: NodeConfig, clock: Clock, *, durable: bool = True) -> LiveDriver:
        """The replica of a state directory: fresh at genesis, or resumed from its checkpoint and
        pool."""
        return cls(ReplicaNode.restart(config), clock, durable=durable)

    def _finish(self, output: NodeOutput) -> NodeOutput:
        # Durable before anything is sent: a step that sends nothing promised nothing, and what it
        # appended (flushed to the OS, so a `kill -9` keeps it) is synced with the next one that
        # does.
        if self.durable and output.broadcast:
            self.node.pool.sync()
        self.steps += 1
        return output

    def on_artifacts(self, artifacts: Iterable[Artifact]) -> NodeOutput:
        return self._finish(self.node.on_artifacts(artifacts, self.clock()))

    def on_timer(self) -> NodeOutput:
        return self._finish(self.node.on_timer(self.clock()))

    def submit_ingress(self, message: IngressMessage) -> NodeOutput:
        return self._finish(self.node.submit_ingress(message, self.clock()))

    def resend_above(self, cup_height: int) -> Sequence[Artifact]:
        """What a peer whose catch-up package is at `cup_height` may lack (sent when it
        connects)."""
        return [
            artifact
            for artifact in self.node.pool_artifacts()
            if isinstance(artifact, IngressArtifact)
            or artifact.height > cup_height
            or (isinstance(artifact, CatchUpPackage) and artifact.height >= cup_height)
        ]

    def close(self) -> None:
        self.node.close()
