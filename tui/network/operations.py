"""`icbox up`, `status` and `down` as functions: what the CLI (and tests) call.

`bring_up` is idempotent: on a running network it only reports; on a stopped
one it starts the missing processes (the replicas resume from disk); `clean`
stops everything and starts anew. It returns when every subnet has finalized
and certified a height above what it had when it started.
"""

from __future__ import annotations

import json
import shutil
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import cbor2

from tui.network.create import NetworkError, NetworkOptions, create_network
from tui.network.paths import NetworkPaths
from tui.network.processes import NodeProcesses, inspect_network, start_network, stop_network

UP_TIMEOUT_S: Final = 120.0

Progress = Callable[[str, dict[str, int]], None]
"""Called while waiting: a phase and, per subnet id, the highest certified height so far."""


@dataclass(frozen=True, slots=True, kw_only=True)
class UpResult:
    network: dict[str, Any]
    already_running: bool
    resumed: bool
    created: bool
    seconds: float
    heights: dict[str, int] = field(default_factory=dict)


def read_network(paths: NetworkPaths) -> dict[str, Any] | None:
    try:
        value = json.loads(paths.network_file.read_text())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def certified_heights(
    network: dict[str, Any], nodes: list[NodeProcesses], *, live: bool = True
) -> dict[str, int]:
    """Per subnet, the highest height finalized and certified that a running replica reports
    (`live=False`: that any replica reported last, running or not)."""
    heights = {subnet["subnet_id"]: -1 for subnet in network["subnets"]}
    for node in nodes:
        status = node.live_status if live else node.status
        if status is not None and status.subnet_id in heights:
            heights[status.subnet_id] = max(
                heights[status.subnet_id], min(status.certified_height, status.finalized_height)
            )
    return heights


def replica_health(url: str) -> str | None:
    """The `replica_health_status` a replica's `/api/v2/status` reports (None: no answer)."""
    try:
        with urllib.request.urlopen(f"{url}/api/v2/status", timeout=2.0) as response:
            value = cbor2.loads(response.read())
    except (OSError, ValueError, cbor2.CBORDecodeError):
        return None
    value = value.value if isinstance(value, cbor2.CBORTag) else value
    health = value.get("replica_health_status") if isinstance(value, Mapping) else None
    return health if isinstance(health, str) else None


def unhealthy_replicas(network: dict[str, Any], nodes: list[NodeProcesses]) -> list[str]:
    """The HTTP endpoints of running replicas that do not yet answer `healthy` (an application
    replica is healthy once it holds the NNS delegation its certificates need)."""
    urls = {entry["index"]: entry["http"] for entry in network["nodes"]}
    running = [node for node in nodes if node.live_status is not None and node.index in urls]
    return [urls[node.index] for node in running if replica_health(urls[node.index]) != "healthy"]


def bring_up(
    directory: Path,
    options: NetworkOptions,
    *,
    clean: bool = False,
    timeout_s: float = UP_TIMEOUT_S,
    progress: Progress | None = None,
) -> UpResult:
    began = time.monotonic()
    paths = NetworkPaths.in_directory(directory)
    if clean and paths.root.exists():
        stop_network(paths)
        shutil.rmtree(paths.root)
    network = read_network(paths)
    created = network is None
    if network is None:
        if progress:
            progress("creating the network", {})
        network = create_network(paths, options)
    nodes = inspect_network(paths)
    if nodes and all(node.supervisor_pid is not None for node in nodes):
        heights = certified_heights(network, nodes)
        if all(height >= 1 for height in heights.values()):
            return UpResult(
                network=network,
                already_running=True,
                resumed=False,
                created=False,
                seconds=time.monotonic() - began,
                heights=heights,
            )
    baseline = {
        subnet: max(0, height)
        for subnet, height in certified_heights(network, nodes, live=False).items()
    }
    resumed = not created and any(
        node.status is not None or (node.directory / "state").exists() for node in nodes
    )
    if progress:
        progress("starting processes", {})
    start_network(paths)
    deadline = time.monotonic() + timeout_s
    while True:
        heights = certified_heights(network, inspect_network(paths))
        if progress:
            progress("waiting for every subnet to certify a height", heights)
        if all(heights[subnet] > baseline[subnet] for subnet in heights):
            unhealthy = unhealthy_replicas(network, inspect_network(paths))
            if not unhealthy:
                break
            if progress:
                progress(f"waiting for {len(unhealthy)} replica(s) to report healthy", heights)
        if time.monotonic() > deadline:
            raise NetworkError(
                f"subnets did not certify a height and report healthy within {timeout_s:.0f} s: "
                f"{heights} (logs in {paths.logs})"
            )
        time.sleep(0.2)
    return UpResult(
        network=network,
        already_running=False,
        resumed=resumed,
        created=created,
        seconds=time.monotonic() - began,
        heights=heights,
    )


def network_status(directory: Path) -> dict[str, Any]:
    """What `icbox status --json` prints."""
    paths = NetworkPaths.in_directory(directory)
    network = read_network(paths)
    if network is None:
        raise NetworkError(f"no network in {paths.root} (run `icbox up`)")
    nodes = inspect_network(paths)
    by_index = {node.index: node for node in nodes}
    subnets = []
    for subnet in network["subnets"]:
        members = [n for n in network["nodes"] if n["subnet_id"] == subnet["subnet_id"]]
        replicas = []
        for member in members:
            node = by_index.get(member["index"])
            status = node.live_status if node is not None else None
            replicas.append(
                {
                    "index": member["index"],
                    "node_id": member["node_id"],
                    "http": member["http"],
                    "supervisor_pid": None if node is None else node.supervisor_pid,
                    "replica_pid": None if node is None else node.replica_pid,
                    "alive": node is not None and node.replica_pid is not None,
                    "finalized_height": None if status is None else status.finalized_height,
                    "certified_height": None if status is None else status.certified_height,
                    "finalization_rate": None
                    if status is None
                    else round(status.finalization_rate, 3),
                    "replica_version": None if status is None else status.replica_version,
                    "peers_connected": None if status is None else status.peers_connected,
                }
            )
        subnets.append(
            {"subnet_id": subnet["subnet_id"], "type": subnet["type"], "replicas": replicas}
        )
    unassigned = [
        {
            "index": n["index"],
            "node_id": n["node_id"],
            "supervisor_pid": by_index[n["index"]].supervisor_pid
            if n["index"] in by_index
            else None,
        }
        for n in network["nodes"]
        if n["subnet_id"] is None
    ]
    return {
        "directory": str(paths.root),
        "root_key": network["root_key"],
        "nns_subnet_id": network["nns_subnet_id"],
        "subnets": subnets,
        "unassigned_nodes": unassigned,
        "processes_alive": sum(
            (node.supervisor_pid is not None) + (node.replica_pid is not None) for node in nodes
        ),
        "running": bool(nodes) and all(node.supervisor_pid is not None for node in nodes),
    }


def bring_down(directory: Path) -> list[int]:
    """Stop every process of the network in `directory`; the pids that were running."""
    paths = NetworkPaths.in_directory(directory)
    return stop_network(paths)
