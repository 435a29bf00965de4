"""Chain evolution on the live network: proposals adopted, and how long the processes take to
follow.

Brings up a network of real processes (`icbox up`: an NNS subnet of 4, an
application subnet of 4, four unassigned nodes, the `local` preset) in a
temporary directory, keeps `add(1)` calls running on the application subnet,
and measures in one run:

- `registry_lag_s`: a registry version written (first seen by a query of the
  registry canister) until every node's orchestrator has replicated and
  verified it (the time of its `registry replicated` event);
- `node_replacement_s`: ChangeSubnetMembership written until the added node
  is in step (finalized within 3 heights of the members that stayed);
- `state_synced_mb`, `state_sync_mb_per_s`: what the added node's state sync
  fetched from its peers (the bytes of the chunks it lacked, from its
  `StateSyncCompleted` event) and the rate of the transfer itself (the
  event's `fetch_ns`: from the first chunks asked for to the last one checked
  and written); `state_sync_s` and `state_sync_total_mb_per_s` are the whole
  sync, from its `StateSyncStarted` to its `StateSyncCompleted` (also the wait
  for the manifest, the fsync of the checkpoint and the restart of consensus
  from it; `bench/statesync.py` measures the transfer alone between
  processes). Before the replacement a
  Wasm canister (`bench/_ballast.py`) grows its stable memory to 100 MB (16 MB
  with `--smoke`) of distinct pseudo-random chunks, so the sync moves that much;
  `checkpoint_mb` is the size of the whole checkpoint;
- `subnet_creation_s`: the CreateSubnet proposal adopted until the new
  subnet's first finalized block; `subnet_keys_s` is the part until the
  registry wrote the subnet (the NNS subnet's remote DKG: its next summary
  schedules the dealings, a data block carries the transcripts as soon as the
  dealings on chain make them);
- `upgrade_gap_s`: the longest gap between finalized blocks while the
  application subnet (its members after the replacement) is upgraded by
  proposal to a release built from this tree (`bench/upgrade.py`'s flow, with
  its other figures); `--smoke` leaves it null, since CI runs
  `bench/upgrade.py --smoke` on its own network.

Each time is also given as a ratio to its structural figure on the IC's
pattern, computed from this run's own block time: a change acts at the next
interval boundary, so replacement is one DKG interval plus the work (the
replicator's poll, the state sync); creation waits for the NNS subnet's next
summary (up to one interval) plus the poll, the few blocks of dealings and the
new replicas' start being the work; the replication lag is one registry poll
period. `--smoke` is
the same flows with shorter waits (CI).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _report import print_figures

from bench._ballast import MIB, ballast_wasm, decode_size, grow_argument
from bench.upgrade import measure_upgrade
from replica.agent.identity import Ed25519Identity
from replica.agent.sync import Agent
from replica.candid import decode, encode
from replica.candid.types import Nat, Nat64
from replica.canister.nns_ids import REGISTRY_CANISTER_ID
from replica.consensus.statesync import STATE_SYNC_LAG
from replica.live.layout import STATUS_FILE, read_json
from replica.live.status import ReplicaStatus
from replica.orchestrator.events import read_events
from replica.orchestrator.orchestrator import OrchestratorConfig
from replica.presets import get_preset
from replica.types import Principal
from tui.network.create import NetworkOptions
from tui.network.operations import bring_down, bring_up

REPOSITORY = Path(__file__).resolve().parent.parent
COUNTER = Principal.from_canister_id(1 << 20)
LOG_TIME = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) .*(StateSync\w+) height=(\d+)"
    r"(?: fetched_bytes=(\d+) checkpoint_bytes=(\d+))?"
    r"(?: fetch_ns=(\d+))?(?: manifest_ns=(\d+))?"
)
STATE_MB = 100
SMOKE_STATE_MB = 16
GROW_STEP_MB = 20


def icbox(directory: Path, *arguments: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", "--directory", str(directory), *arguments],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=str(REPOSITORY),
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
    )
    if result.returncode != 0:
        raise RuntimeError(result.stdout + result.stderr)
    value: dict[str, Any] = json.loads(result.stdout)
    return value


def status(node: dict[str, Any]) -> ReplicaStatus | None:
    return ReplicaStatus.from_json(read_json(Path(node["directory"]) / STATUS_FILE))


def wait(condition: Any, timeout_s: float, what: str, period_s: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(period_s)
    raise TimeoutError(f"{what} not within {timeout_s} s")


class Watcher:
    """Polls the registry canister's latest version; the wall time each version was first seen."""

    def __init__(self, network: dict[str, Any], identity: Ed25519Identity) -> None:
        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        url = network["nodes"][0]["http"]
        self.agent = Agent(url, identity=identity, root_key_der=bytes.fromhex(network["root_key"]))
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                reply = self.agent.query(REGISTRY_CANISTER_ID, "get_latest_version", encode([], []))
                version = int(decode(reply, [Nat64])[0])
                self.seen.setdefault(version, time.time())
            except Exception:  # a slow replica: ask again
                pass
            time.sleep(0.05)

    def close(self) -> None:
        self._stop.set()
        self.thread.join()
        self.agent.close()


class Load:
    def __init__(
        self, network: dict[str, Any], node: dict[str, Any], identity: Ed25519Identity
    ) -> None:
        self.replies: list[int] = []
        self._stop = threading.Event()
        self.agent = Agent(
            node["http"], identity=identity, root_key_der=bytes.fromhex(network["root_key"])
        )
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.replies.append(
                    int(decode(self.agent.update(COUNTER, "add", encode([Nat], [1])), [Nat])[0])
                )
            except Exception:
                time.sleep(0.2)

    def close(self) -> None:
        self._stop.set()
        self.thread.join(timeout=120)
        self.agent.close()


def replicated_at(nodes: list[dict[str, Any]], version: int) -> float | None:
    """When the last node's orchestrator had `version` (None if one has not yet)."""
    latest = 0.0
    for node in nodes:
        times = [
            event.time_ns / 1e9
            for event in read_events([Path(node["directory"])])
            if event.what == "registry replicated" and event.registry_version >= version
        ]
        if not times:
            return None
        latest = max(latest, min(times))
    return latest


def fill_ballast(
    directory: Path,
    network: dict[str, Any],
    node: dict[str, Any],
    identity: Ed25519Identity,
    subnet_id: str,
    megabytes: int,
) -> tuple[Principal, float]:
    """A ballast canister on the subnet with `megabytes` of stable memory; the seconds it took."""
    started = time.time()
    module = directory / "ballast.wasm"
    module.write_bytes(ballast_wasm())
    created = icbox(directory, "canister", "create", "--subnet", subnet_id, "--json")
    canister = Principal.from_text(created["canister_id"])
    icbox(directory, "canister", "install", canister.to_text(), str(module), "--json")
    with Agent(
        node["http"], identity=identity, root_key_der=bytes.fromhex(network["root_key"])
    ) as agent:
        held = 0
        while held < megabytes * MIB:
            step = min(GROW_STEP_MB, megabytes - held // MIB)
            held = decode_size(agent.update(canister, "grow", grow_argument(step)))
    return canister, time.time() - started


def state_sync_of(
    node: dict[str, Any], after: float
) -> tuple[float, float, float, float, float] | None:
    """(seconds, MB fetched, MB of the checkpoint, seconds of the transfer, seconds until the
    manifest) of the node's last state sync after `after`."""
    started = completed = None
    fetched = whole = fetch_s = manifest_s = 0.0
    for line in Path(node["log"]).read_text(errors="replace").splitlines():
        match = LOG_TIME.match(line)
        if match is None:
            continue
        moment = (
            time.mktime(time.strptime(match.group(1), "%Y-%m-%d %H:%M:%S"))
            + int(match.group(2)) / 1000
        )
        if moment < after:
            continue
        if match.group(3) == "StateSyncStarted" and started is None:
            started = moment
        elif match.group(3) == "StateSyncCompleted" and started is not None:
            completed = moment
            fetched, whole = int(match.group(5) or 0) / 1e6, int(match.group(6) or 0) / 1e6
            fetch_s = int(match.group(7) or 0) / 1e9
            manifest_s = int(match.group(8) or 0) / 1e9
    if started is None or completed is None:
        return None
    total_s = max(completed - started, 1e-3)
    return total_s, fetched, whole, fetch_s or total_s, manifest_s


def block_time_s(nodes: list[dict[str, Any]]) -> float:
    rates = [
        s.finalization_rate for node in nodes if (s := status(node)) and s.finalization_rate > 0
    ]
    return 1 / max(rates) if rates else 1.0


def measure(directory: Path, network: dict[str, Any], smoke: bool) -> dict[str, Any]:
    identity = Ed25519Identity.from_pem(Path(network["identity"]["pem"]).read_text())
    nodes = network["nodes"]
    app_id = network["subnets"][1]["subnet_id"]
    members = [node for node in nodes if node["subnet_id"] == app_id]
    spare = [node for node in nodes if node["subnet_id"] is None]
    preset = get_preset(network["preset"])
    poll_s = OrchestratorConfig().poll_s
    figures: dict[str, Any] = {}
    sync_s = 0.0
    watcher = Watcher(network, identity)
    load = Load(network, members[0], identity)
    try:
        wait(lambda: load.replies, 120, "a first certified reply", 0.2)
        megabytes = SMOKE_STATE_MB if smoke else STATE_MB
        _, fill_s = fill_ballast(directory, network, members[0], identity, app_id, megabytes)
        figures["ballast_mb"] = megabytes
        figures["ballast_fill_s"] = round(fill_s, 2)
        added, removed = spare[0], members[-1]

        def sync_needed() -> bool:
            # A new node starts at height 0; below a CUP this far up it would replay the blocks
            # its peers still hold instead of syncing the state.
            cups = [s.cup_height for node in members[:-1] if (s := status(node))]
            return len(cups) == len(members) - 1 and min(cups) > STATE_SYNC_LAG

        wait(sync_needed, 120, "a CUP that makes a new node sync")
        before = max(watcher.seen, default=1)
        icbox(
            directory,
            "proposal",
            "make",
            "change-membership",
            "--subnet",
            app_id,
            "--add",
            added["node_id"],
            "--remove",
            removed["node_id"],
            "--yes",
            "--json",
        )
        version = wait(
            lambda: max(watcher.seen, default=0) > before and max(watcher.seen),
            120,
            "the new version",
        )
        written = watcher.seen[version]
        done = wait(lambda: replicated_at(nodes, version), 60, "replication to every node")
        figures["registry_lag_s"] = round(done - written, 2)

        def in_step() -> bool:
            own = status(added)
            heights = [s.finalized_height for node in members[:-1] if (s := status(node))]
            return (
                own is not None
                and own.subnet_id == app_id
                and bool(heights)
                and own.finalized_height >= max(heights) - 3
            )

        wait(in_step, 300, "the added node in step")
        figures["node_replacement_s"] = round(time.time() - written, 2)
        synced = wait(
            lambda: state_sync_of(added, written - 1), 30, "the state sync in the log", 0.5
        )
        sync_s = synced[0]
        figures["state_synced_mb"] = round(synced[1], 3)
        figures["checkpoint_mb"] = round(synced[2], 3)
        figures["state_sync_mb_per_s"] = round(synced[1] / max(synced[3], 1e-3), 2)
        figures["state_sync_fetch_s"] = round(synced[3], 2)
        figures["state_sync_manifest_s"] = round(synced[4], 2)
        figures["state_sync_s"] = round(sync_s, 2)
        figures["state_sync_total_mb_per_s"] = round(synced[1] / synced[0], 2)

        chosen = spare[1:4]
        before = max(watcher.seen)
        adopted = time.time()
        icbox(
            directory,
            "proposal",
            "make",
            "create-subnet",
            "--nodes",
            ",".join(n["node_id"] for n in chosen),
            "--replica-version",
            network["replica_version"],
            "--yes",
            "--json",
        )
        version = wait(
            lambda: max(watcher.seen) > before and max(watcher.seen), 120, "the new version"
        )
        figures["subnet_keys_s"] = round(watcher.seen[version] - adopted, 2)
        wait(
            lambda: any((s := status(n)) is not None and s.finalized_height >= 1 for n in chosen),
            300,
            "the new subnet's first block",
        )
        figures["subnet_creation_s"] = round(time.time() - adopted, 2)
        replies = sorted(load.replies)
        figures["replies_lost_or_repeated"] = int(replies != list(range(1, len(replies) + 1)))
    finally:
        load.close()
        watcher.close()
    # The block time of the members that stayed, measured at the end (at the start, replicas
    # replaying their first heights report rates no interval has).
    block_s = block_time_s(members[:-1])
    interval_s = (preset.dkg_interval_length + 1) * block_s
    figures["block_time_s"] = round(block_s, 3)
    figures["interval_s"] = round(interval_s, 2)
    figures["subnet_creation_ratio_to_structural"] = round(
        figures["subnet_creation_s"] / (interval_s + poll_s), 2
    )
    figures["node_replacement_ratio_to_structural"] = round(
        figures["node_replacement_s"] / (interval_s + poll_s + sync_s), 2
    )
    figures["registry_lag_ratio_to_structural"] = round(figures["registry_lag_s"] / poll_s, 2)
    return figures


def current_network(network: dict[str, Any]) -> dict[str, Any]:
    """The network description with each node's subnet as its running replica reports it now
    (`network.json` names the genesis membership; the flows above changed it)."""
    nodes = []
    for node in network["nodes"]:
        found = status(node)
        running = found is not None and _alive(found.pid)
        nodes.append({**node, "subnet_id": found.subnet_id if running and found else None})
    return {**network, "nodes": nodes}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--smoke", action="store_true", help="the same flows with shorter waits (CI)"
    )
    arguments = parser.parse_args()
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="icbox-bench-evolution-") as name:
        directory = Path(name)
        try:
            result = bring_up(directory, NetworkOptions(unassigned_nodes=4), timeout_s=240)
            figures["up_s"] = round(result.seconds, 1)
            figures.update(measure(directory, result.network, arguments.smoke))
            if arguments.smoke:
                figures["upgrade_gap_s"] = None
            else:
                figures.update(measure_upgrade(directory, current_network(result.network)))
        finally:
            bring_down(directory)
    print_figures(figures, as_json=arguments.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
