"""A toy replica for testing the simulator's own machinery (not a consensus protocol).

The first member of the subnet is a fixed leader: every 100 ms it makes a block
on its chain and broadcasts it; a follower finalizes a block when its parent is
its own last block (and keeps early ones until then). Ingress sent to anyone is
gossiped and the leader includes it. The finalized chain is appended to a file
in the state directory, so a restart resumes from disk. It has no fault
tolerance at all, which is what makes it useful: an equivocating leader splits
the followers, and the checks must notice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from replica.execution.messages import IngressMessage, IngressStatus, Status
from replica.sim.faults import Attack, HeldBack
from replica.sim.replica import ReplicaSpec
from replica.types import Principal

ROUND_NS = 100_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class ToyBlock:
    height: int
    parent: bytes
    maker: Principal
    ingress: tuple[bytes, ...] = ()
    salt: int = 0

    @property
    def id(self) -> bytes:
        ingress = ",".join(m.hex() for m in self.ingress)
        data = f"{self.height}|{self.parent.hex()}|{self.maker}|{ingress}|{self.salt}"
        return hashlib.sha256(data.encode()).digest()


@dataclass(frozen=True, slots=True, kw_only=True)
class ToyIngress:
    message_id: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class ToyShare:
    height: int
    signer: Principal
    signature: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class ToyOutput:
    broadcast: tuple[Any, ...] = ()
    wake_at_ns: int | None = None
    events: tuple[Any, ...] = ()


GENESIS = b"\x00" * 32


@dataclass
class ToyReplica:
    spec: ReplicaSpec
    leader: bool
    chain: list[ToyBlock] = field(default_factory=list)
    early: dict[int, ToyBlock] = field(default_factory=dict)
    mempool: list[bytes] = field(default_factory=list)
    executed: dict[bytes, int] = field(default_factory=dict)
    calls: int = 0

    @property
    def path(self) -> Any:
        return self.spec.state_dir / "chain.jsonl"

    def load(self) -> None:
        if self.path.exists():
            for line in self.path.read_text().splitlines():
                item = json.loads(line)
                self._append(
                    ToyBlock(
                        height=item["h"],
                        parent=bytes.fromhex(item["p"]),
                        maker=Principal.from_text(item["m"]),
                        ingress=tuple(bytes.fromhex(m) for m in item["i"]),
                        salt=item["s"],
                    ),
                    persist=False,
                )

    def _append(self, block: ToyBlock, *, persist: bool = True) -> None:
        self.chain.append(block)
        for message_id in block.ingress:
            self.executed[message_id] = self.executed.get(message_id, 0) + 1
            if message_id in self.mempool:
                self.mempool.remove(message_id)
        if persist:
            self.spec.state_dir.mkdir(parents=True, exist_ok=True)
            with self.path.open("a") as handle:
                handle.write(
                    json.dumps(
                        {
                            "h": block.height,
                            "p": block.parent.hex(),
                            "m": str(block.maker),
                            "i": [m.hex() for m in block.ingress],
                            "s": block.salt,
                        }
                    )
                    + "\n"
                )

    @property
    def tip(self) -> bytes:
        return self.chain[-1].id if self.chain else GENESIS

    def on_artifacts(self, artifacts: Sequence[Any], now_ns: int) -> ToyOutput:
        self.calls += 1
        for artifact in artifacts:
            if isinstance(artifact, ToyBlock) and not self.leader:
                self.early.setdefault(artifact.height, artifact)
            elif (
                isinstance(artifact, ToyIngress)
                and artifact.message_id not in self.executed
                and artifact.message_id not in self.mempool
            ):
                self.mempool.append(artifact.message_id)
        while (block := self.early.get(len(self.chain) + 1)) is not None:
            del self.early[block.height]
            if block.parent != self.tip:
                break
            self._append(block)
        return ToyOutput()

    def on_timer(self, now_ns: int) -> ToyOutput:
        self.calls += 1
        next_wake = (now_ns // ROUND_NS + 1) * ROUND_NS
        if not self.leader:
            return ToyOutput(wake_at_ns=next_wake)
        block = ToyBlock(
            height=len(self.chain) + 1,
            parent=self.tip,
            maker=self.spec.node_id,
            ingress=tuple(self.mempool),
        )
        self._append(block)
        share = ToyShare(height=block.height, signer=self.spec.node_id, signature=b"ok")
        return ToyOutput(
            broadcast=(block, share), wake_at_ns=next_wake, events=(("finalized", block.height),)
        )

    def submit_ingress(self, message: IngressMessage, now_ns: int) -> ToyOutput:
        if message.message_id not in self.mempool and message.message_id not in self.executed:
            self.mempool.append(message.message_id)
        return ToyOutput(broadcast=(ToyIngress(message_id=message.message_id),))

    @property
    def finalized_height(self) -> int:
        return len(self.chain)

    @property
    def executed_height(self) -> int:
        return len(self.chain)

    @property
    def certified_height(self) -> int:
        return len(self.chain)

    def finalized_block(self, height: int) -> ToyBlock | None:
        return self.chain[height - 1] if 0 < height <= len(self.chain) else None

    def state_hash(self, height: int) -> bytes | None:
        block = self.finalized_block(height)
        return None if block is None else hashlib.sha256(b"state" + block.id).digest()

    def certification(self, height: int) -> Any | None:
        state_hash = self.state_hash(height)
        return None if state_hash is None else ("cert", height, state_hash)

    def ingress_status(self, message_id: bytes) -> IngressStatus | None:
        if message_id in self.executed:
            return IngressStatus(status=Status.REPLIED, time_ns=0, expiry_ns=0, reply=b"ok")
        return None

    def is_member(self, height: int) -> bool:
        return True

    def pool_artifacts(self) -> Iterable[Any]:
        return list(self.chain)


class ToyForger:
    def __init__(self) -> None:
        self.stash: dict[int, HeldBack] = {}
        self.gathered: dict[int, HeldBack] = {}

    def note(self, artifact: object) -> None:
        return None

    def proposed_block(self, artifact: object) -> bytes | None:
        return None

    def notarization_share_of(self, artifact: object) -> tuple[int, bytes, Principal] | None:
        return None

    def quorum(self) -> int:
        return 1

    def notarization(self, height: int, block: bytes, shares: Sequence[object]) -> object | None:
        return None

    def forge(self, attack: Attack, artifact: object) -> list[object]:
        return []

    def replaces(self, attack: Attack, artifact: object) -> bool:
        return False

    def is_share(self, artifact: object) -> bool:
        return isinstance(artifact, ToyShare)

    def is_block_proposal(self, artifact: object) -> bool:
        return isinstance(artifact, ToyBlock)

    def outside_committee(self, height: int) -> bool:
        return False

    def corrupt_share(self, artifact: object) -> object:
        assert isinstance(artifact, ToyShare)
        return ToyShare(height=artifact.height, signer=artifact.signer, signature=b"bad")

    def share_over_other_message(self, artifact: object) -> object:
        assert isinstance(artifact, ToyShare)
        return ToyShare(height=artifact.height + 1, signer=artifact.signer, signature=b"ok")

    def equivocate(self, proposal: object) -> object | None:
        assert isinstance(proposal, ToyBlock)
        return ToyBlock(
            height=proposal.height,
            parent=proposal.parent,
            maker=proposal.maker,
            ingress=proposal.ingress,
            salt=1,
        )

    def is_own_dealing(self, artifact: object) -> bool:
        return False

    def bad_dealing(self, artifact: object, *, few: bool = False) -> object:
        return artifact

    def support_of(self, artifact: object) -> object | None:
        return None


class ToyFactory:
    """Builds toy replicas; the first genesis member of each subnet leads."""

    def __init__(self) -> None:
        self.started: list[Principal] = []
        self.leaders: set[Principal] = set()

    def _leader(self, spec: ReplicaSpec) -> bool:
        members = spec.registry.get_subnet_members(spec.subnet_id, 1)
        return bool(members) and members[0] == spec.node_id

    def start(self, spec: ReplicaSpec) -> ToyReplica:
        self.started.append(spec.node_id)
        return ToyReplica(spec=spec, leader=self._leader(spec))

    def restart(self, spec: ReplicaSpec) -> ToyReplica:
        replica = ToyReplica(spec=spec, leader=self._leader(spec))
        replica.load()
        return replica

    def block_id(self, block: Any) -> bytes:
        assert isinstance(block, ToyBlock)
        return block.id

    def ingress_of(self, block: Any) -> Sequence[bytes]:
        assert isinstance(block, ToyBlock)
        return block.ingress

    def make_auditor(self, subnet_id: Principal, subnet_public_key: bytes, registry: Any) -> None:
        return None

    def verify_certification(
        self, certification: Any, height: int, subnet_public_key: bytes
    ) -> bool:
        return bool(
            certification[0] == "cert"
            and certification[1] == height
            and subnet_public_key == b"toy-key"
        )

    def forger(self, spec: ReplicaSpec) -> ToyForger:
        return ToyForger()

    def subnet_public_key(self, replica: Any) -> bytes:
        return b"toy-key"

    def describe_violation(self, event: Any) -> str | None:
        return None

    def certified_reply(
        self, replica: Any, message_id: bytes, subnet_public_key: bytes
    ) -> bytes | None:
        status = replica.ingress_status(message_id)
        return None if status is None else status.reply
