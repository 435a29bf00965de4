"""A node's directory: what a live replica process reads at start and writes as it runs.

```
<node dir>/
  node.json            NodeSettings: who the node is, its subnet, endpoints, genesis
  registry.sqlite      the node's local copy of the registry (its local store)
  keys/                the node's own secrets (`replica.crypto.keystore`): its keys, its TLS
                       certificate and key as PEM, its encrypted initial threshold shares
  state/               the replica's state: consensus pool file and checkpoints
  status.json          what the running replica reports (heights, peers), rewritten atomically
  events.jsonl         the orchestrator's decisions (`replica.orchestrator.events`)
  supervisor.pid       the orchestrator's pid and start time (the node's supervising process)
  replica.pid          the replica process's pid and start time
```
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

NODE_FILE: Final = "node.json"
REGISTRY_FILE: Final = "registry.sqlite"
KEYS_DIRECTORY: Final = "keys"
STATUS_FILE: Final = "status.json"
SUPERVISOR_PID_FILE: Final = "supervisor.pid"
REPLICA_PID_FILE: Final = "replica.pid"


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeSettings:
    """The contents of `node.json`."""

    node_id: str
    node_index: int
    subnet_id: str | None
    """None: an unassigned node (its orchestrator runs no replica)."""
    p2p_host: str
    p2p_port: int
    http_host: str
    http_port: int
    log_file: str
    genesis: str | None = None
    """`module:function` building the subnet's canisters at genesis (see `replica.live.genesis`)."""
    genesis_arguments: dict[str, Any] = field(default_factory=dict)
    replica_version: str | None = None
    root_key_hex: str | None = None
    """The NNS subnet's public key (DER), which the HTTP interface reports on a local network."""
    nns_subnet_id: str | None = None
    application_genesis: str | None = None
    """The genesis reference of a subnet this node joins after genesis (not the NNS)."""
    nns_genesis: str | None = None
    """The NNS subnet's genesis reference, for a node that joins the NNS after genesis (with
    `genesis_arguments`, the NNS's public genesis description: a joining node state-syncs the
    NNS canisters' state, it needs their factories, not their genesis)."""
    idle_block_delay_ms: int = 0
    """How much longer a block with nothing in it waits (the preset's;
    `NodeConfig.idle_block_delay_ns`)."""


def node_file(directory: Path) -> Path:
    return directory / NODE_FILE


def read_settings(directory: Path) -> NodeSettings:
    data = json.loads(node_file(directory).read_text())
    return NodeSettings(**data)


def write_settings(directory: Path, settings: NodeSettings) -> None:
    write_json_atomically(node_file(directory), asdict(settings))


def write_json_atomically(path: Path, value: Any, *, durable: bool = False) -> None:
    """Write JSON so a reader sees the old file or the new one, never half of one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("w") as out:
        json.dump(value, out, indent=1, sort_keys=True)
        if durable:
            out.flush()
            os.fsync(out.fileno())
    temporary.replace(path)


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
