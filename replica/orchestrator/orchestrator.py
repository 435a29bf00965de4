"""The orchestrator's loop: replicate the registry, decide, act, and say what it did.

Every check period (`OrchestratorConfig`) it polls the NNS for registry changes
(`replicator`), reads the node's latest catch-up package from what its replica
reports (`status.json`: height, registry version, oldest version in use), and
applies `decision.decide`: run the replica of the node's subnet at the version
named at the CUP, keep it running while leaving, or stop it and wipe the
node's state when no registry version in use lists the node any more (spec C,
`UnassignmentDecision`). While the node is in a subnet it also asks its replica
and its peers for a newer catch-up package over HTTP, verified with the
subnet's key, and keeps it for its replica (`cup_provider`). A decision that
differs from the last one, a started, restarted or stopped replica and the
registry versions replicated are written as events (`events`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

import httpx

from registry.records import CatchUpPackageContents, catch_up_package_contents_key
from replica.consensus.artifacts import CatchUpPackage, is_newer_cup
from replica.crypto.initial_shares import NodeInitialShares
from replica.crypto.keystore import load_node_directory, write_initial_shares
from replica.live.layout import (
    KEYS_DIRECTORY,
    REGISTRY_FILE,
    REPLICA_PID_FILE,
    STATUS_FILE,
    read_json,
    read_settings,
    write_settings,
)
from replica.live.local_registry import open_local_registry
from replica.live.status import ReplicaStatus
from replica.orchestrator.cup_provider import (
    PEER_CUP_FILE,
    fetch_newest_cup,
    get_peer_urls,
    read_peer_cup,
    write_peer_cup,
)
from replica.orchestrator.decision import Decision, LocalCup, decide, get_registry_cup
from replica.orchestrator.events import EventLog, OrchestratorEvent
from replica.orchestrator.replica_process import ReplicaLauncher, ReplicaProcess, ReplicaTarget
from replica.orchestrator.replicator import RegistryReplicator
from replica.orchestrator.upgrades import Upgrades
from replica.presets import get_preset
from replica.types import Principal

log = logging.getLogger("icbox.orchestrator")

STATE_DIRECTORY: Final = "state"
CUP_FETCH_TIMEOUT_S: Final = 5.0


@dataclass(frozen=True, slots=True, kw_only=True)
class OrchestratorConfig:
    poll_s: float = 1.0
    """How often the registry is polled (the IC: 5 s, `poll_delay_duration_ms`)."""
    check_s: float = 0.5
    """How often the decision runs (the IC: 10 s, `CHECK_INTERVAL_SECS`)."""
    cup_fetch_s: float = 2.0
    """How often the newest CUP is asked of the subnet's replicas (the IC: every check)."""
    switch_check_s: float = 0.1
    """How often the decision runs while a switch to a prepared version is coming (the CUP
    that hands the subnet over is acted on within this, not within `check_s`)."""


def config_for_preset(name: str | None) -> OrchestratorConfig:
    """The IC's periods on `mainnet`; a fifth of the local DKG interval's pace elsewhere."""
    if name == "mainnet":
        return OrchestratorConfig(poll_s=5.0, check_s=10.0, cup_fetch_s=10.0)
    if name is not None:
        get_preset(name)
    return OrchestratorConfig()


def read_local_cup(directory: Path) -> LocalCup | None:
    """The node's latest CUP as its replica last reported it (it persists with the state)."""
    status = ReplicaStatus.from_json(read_json(directory / STATUS_FILE))
    if status is None or status.cup_registry_version < 0 or not status.subnet_id:
        return None
    return LocalCup(
        subnet_id=Principal.from_text(status.subnet_id),
        height=status.cup_height,
        registry_version=status.cup_registry_version,
        oldest_registry_version_in_use=status.oldest_registry_version_in_use,
    )


class Orchestrator:
    def __init__(
        self,
        directory: Path,
        *,
        config: OrchestratorConfig | None = None,
        launcher: ReplicaLauncher | None = None,
    ) -> None:
        self.directory = directory
        settings = read_settings(directory)
        self.node_id = Principal.from_text(settings.node_id)
        self.config = config or OrchestratorConfig()
        self.store, self.registry = open_local_registry(directory / REGISTRY_FILE)
        self.replicator = RegistryReplicator(
            self.store,
            self.registry,
            root_key_der=bytes.fromhex(settings.root_key_hex or ""),
            nns_subnet_id=Principal.from_text(settings.nns_subnet_id or ""),
        )
        self.events = EventLog(directory)
        self.last: Decision | None = None
        self.switch_coming = False
        """A prepared version is named by the latest registry version: a switch is coming."""
        self.upgrades = Upgrades(
            directory,
            node_id=self.node_id,
            installed_version=settings.replica_version,
            emit=self._emit_upgrade,
        )
        self.process = ReplicaProcess(
            directory,
            log_file=Path(settings.log_file),
            launcher=launcher or self.upgrades.launcher,
        )
        self.stopping = asyncio.Event()

    # -- events -----------------------------------------------------------------------------

    def emit(
        self, what: str, why: str, *, subnet: Principal | None = None, height: int = -1
    ) -> None:
        event = OrchestratorEvent(
            time_ns=time.time_ns(),
            node=str(self.node_id),
            subnet=None if subnet is None else str(subnet),
            registry_version=self.registry.latest_version,
            height=height,
            what=what,
            why=why,
        )
        self.events.append(event)
        log.info("%s: %s (%s)", what, why, event.subnet or "unassigned")

    def _emit_upgrade(self, what: str, why: str) -> None:
        last = self.last
        self.emit(
            what,
            why,
            subnet=None if last is None else last.subnet_id,
            height=-1 if last is None else last.height,
        )

    # -- one check --------------------------------------------------------------------------

    def check(self) -> Decision:
        """Decide and act once (the replica process is started, kept, or stopped and wiped)."""
        decision = decide(self.node_id, self.registry, read_local_cup(self.directory))
        last, self.last = self.last, decision
        changed = last is None or (last.kind, last.subnet_id, last.replica_version) != (
            decision.kind,
            decision.subnet_id,
            decision.replica_version,
        )
        if changed:
            self.emit(
                decision.kind, decision.why, subnet=decision.subnet_id, height=decision.height
            )
        self.switch_coming = False
        if decision.runs_replica and decision.subnet_id is not None:
            if decision.height < 0 or decision.recovery:
                self.receive_initial_shares(decision.subnet_id)
            coming = self.upgrades.prepare_ahead(
                self.registry, decision.subnet_id, decision.replica_version
            )
            if coming is not None and self.process.target is not None:
                # The next version's process loads its code now, in standby; the switch at the
                # CUP only tells it to go.
                self.switch_coming = True
                if self.process.prepare(
                    ReplicaTarget(subnet_id=decision.subnet_id.to_text(), replica_version=coming)
                ):
                    self.emit(
                        "replica standby",
                        f"version {coming} loading ahead of the switch at the next CUP",
                        subnet=decision.subnet_id,
                        height=decision.height,
                    )
            # A replica that died is seen (and its restart backed off) before the target is
            # ensured, so a version that crashes at start is not restarted without a pause.
            restarted = self.process.poll()
            if restarted is not None:
                self.emit(
                    "replica died" if "exited" in restarted else "replica restarted",
                    restarted,
                    subnet=decision.subnet_id,
                    height=decision.height,
                )
            # A version whose release is not verified yet is not started (the one running
            # keeps running); a refused one never is.
            done = (
                self.process.ensure_replica(
                    ReplicaTarget(
                        subnet_id=decision.subnet_id.to_text(),
                        replica_version=decision.replica_version,
                        registry_cup=get_registry_cup(self.registry, decision.subnet_id),
                    )
                )
                if self.upgrades.is_ready(self.registry, decision.replica_version)
                else None
            )
            if done is not None:
                self.emit(
                    f"replica {done}",
                    f"{decision.kind}: version {decision.replica_version}",
                    subnet=decision.subnet_id,
                    height=decision.height,
                )
            if not self.switch_coming:
                # After the switch took it, or when no switch is coming any more (only now: the
                # check that switches is the first in which none is coming).
                self.process.forget_standby()
        elif decision.kind == "leave":
            self.leave(decision)
        else:
            # (the standby, if any, stays: it is the one `prepare` keeps for an unassigned node)
            pid = self.process.stop()
            if pid is not None:
                self.emit("replica stopped", f"process {pid}: the node is unassigned")
            # Unassigned nodes take their version at once (no CUP to wait for, spec C).
            if self.upgrades.is_ready(self.registry, decision.replica_version):
                # A replica process with its code loaded waits for the subnet the node joins.
                self.process.prepare(
                    ReplicaTarget(subnet_id="", replica_version=decision.replica_version)
                )
        return decision

    def receive_initial_shares(self, subnet_id: Principal) -> None:
        """Keep this node's encrypted shares of a new subnet's initial keys (from its CUP contents).

        They stay encrypted to the node's dealing key; the replica decrypts and checks them
        against the transcripts when it starts from the registry CUP.
        """
        contents: CatchUpPackageContents | None = self.registry.get(
            catch_up_package_contents_key(subnet_id)
        )
        if contents is None:
            return
        mine = [data for node, data in contents.encrypted_shares if node == self.node_id]
        if not mine:
            return
        keys = self.directory / KEYS_DIRECTORY
        held = load_node_directory(keys).initial_shares
        received = NodeInitialShares.from_bytes(mine[0])
        kept = held.shares if held is not None else ()
        new = tuple(share for share in received.shares if share not in kept)
        if new:
            write_initial_shares(
                keys, NodeInitialShares(node_id=self.node_id, shares=(*kept, *new))
            )
            self.emit(
                "keys received",
                f"{len(new)} encrypted initial shares of subnet {subnet_id} from its CUP contents",
                subnet=subnet_id,
            )

    def leave(self, decision: Decision) -> None:
        """Stop the replica and wipe the node's state: it is unassigned again (spec C)."""
        pid = self.process.stop_all()
        state = self.directory / STATE_DIRECTORY
        wiped = state.exists()
        shutil.rmtree(state, ignore_errors=True)
        for name in (STATUS_FILE, REPLICA_PID_FILE, PEER_CUP_FILE):
            with contextlib.suppress(OSError):
                (self.directory / name).unlink()
        settings = read_settings(self.directory)
        write_settings(self.directory, replace(settings, subnet_id=None))
        self.emit(
            "left subnet",
            f"stopped replica {pid}, wiped its state "
            f"({'pool and checkpoints' if wiped else 'none'})",
            subnet=decision.subnet_id,
            height=decision.height,
        )

    # -- the loops --------------------------------------------------------------------------

    async def replicate_once(self) -> None:
        before = self.registry.latest_version
        try:
            result = await self.replicator.poll()
        except Exception as error:  # any failure is reported and retried at the next poll
            log.debug("registry poll failed: %s", error)
            return
        if result.appended:
            self.emit(
                "registry replicated",
                f"versions {before + 1}..{result.appended[-1]} from {result.source}, "
                "chained to the certified head under the NNS key",
            )

    async def _replication_loop(self) -> None:
        while not self.stopping.is_set():
            await self.replicate_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), self.config.poll_s)

    async def fetch_cup_once(self, client: httpx.AsyncClient) -> CatchUpPackage | None:
        """Ask the subnet's replicas for a CUP newer than the node's (the one its replica reports,
        or the one fetched before); keep a newer verified one for the replica."""
        last = self.last
        if last is None or not last.runs_replica or last.subnet_id is None:
            return None
        subnet_id = last.subnet_id
        held = read_peer_cup(self.directory)
        local = read_local_cup(self.directory)
        have = None if local is None else (local.height, local.registry_version)
        if held is not None and (
            have is None or is_newer_cup(held.height, held.registry_version, have)
        ):
            have = (held.height, held.registry_version)

        async def post(url: str, body: bytes) -> tuple[int, bytes]:
            response = await client.post(
                url, content=body, headers={"content-type": "application/cbor"}
            )
            return response.status_code, response.content

        cup = await fetch_newest_cup(
            urls=get_peer_urls(self.registry, subnet_id, self.node_id),
            post=post,
            registry=self.registry,
            subnet_id=subnet_id,
            have=have,
        )
        now = self.last
        if cup is not None and (now is None or not now.runs_replica or now.subnet_id != subnet_id):
            # The node left the subnet while the peers answered (its state and peer CUP are
            # wiped): a CUP of that subnet is no longer its business.
            return None
        if cup is not None:
            write_peer_cup(self.directory, cup)
            self.emit(
                "catch-up package fetched",
                f"a peer's CUP at height {cup.height} (registry version {cup.registry_version}), "
                "verified with the subnet key",
                subnet=subnet_id,
                height=cup.height,
            )
        return cup

    async def _cup_loop(self) -> None:
        async with httpx.AsyncClient(timeout=CUP_FETCH_TIMEOUT_S) as client:
            while not self.stopping.is_set():
                try:
                    await self.fetch_cup_once(client)
                except Exception as error:  # reported and retried at the next round
                    log.debug("CUP fetch failed: %s", error)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), self.config.cup_fetch_s)

    async def _check_loop(self) -> None:
        while not self.stopping.is_set():
            self.check()  # in the loop's thread: the replicator changes the registry client
            period = self.config.switch_check_s if self.switch_coming else self.config.check_s
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), period)

    async def run(self) -> None:
        self.emit(
            "started",
            f"orchestrator of node {self.node_id}, registry version {self.registry.latest_version}",
        )
        try:
            await asyncio.gather(self._replication_loop(), self._check_loop(), self._cup_loop())
        finally:
            pid = await asyncio.to_thread(self.process.stop_all)
            self.upgrades.close()
            await self.replicator.close()
            self.emit(
                "stopped", "asked to stop" + ("" if pid is None else f"; stopped replica {pid}")
            )
