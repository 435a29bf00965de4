"""State sync between real processes over loopback TLS, without a whole network.

Writes a checkpoint of `--megabytes` MiB of distinct pseudo-random bytes (one
stable-memory file, as `bench/_ballast.py` grows one), starts `--peers`
serving processes that each hold it (hard links) and answer state-sync
requests as a replica does (`replica.consensus.statesync.StateSyncOwner.answer`
behind the P2P service: TLS 1.3 pinned to the node certificates, the same
frames), and syncs it into an empty state directory in this process with the
replica's own `StateSync`: the manifest checked against the state hash, a
window of chunks asked for, each request to one peer in turn, every chunk
checked against the manifest as it is written, then the checkpoint finished
(fsynced, renamed into place). It prints:

- `state_sync_mb_per_s`: MB fetched / `state_sync_fetch_s`, the transfer
  itself: from the first chunks asked for to the last one checked and
  written (what `StateSyncCompleted.fetch_ns` reports in a live replica);
- `state_sync_total_s` and `state_sync_total_mb_per_s`: from the manifest
  request to the checkpoint installed (manifest, transfer, fsync, rename);
- `state_synced_mb`, `state_sync_install_s`; `chunks_fetched_twice`: chunks
  that arrived again after a repeated request (a request is repeated, of the
  next peer, when its chunks are late);
- `baseline_copy_mb_per_s`: reading the same file and writing a copy with
  fsync in this process (the disk and page cache of this machine, the
  ceiling of any sync on it), and `ratio_to_copy`.

The consensus roles a live replica runs between batches are not in this
figure; `bench/evolution.py` measures the sync inside a live network.
`--smoke` syncs 16 MiB for CI.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _report import print_figures

from replica.consensus.artifacts import (
    Artifact,
    StateChunkArtifact,
    StateManifestArtifact,
    StateSyncRequest,
)
from replica.consensus.statesync import StateSync, StateSyncOwner
from replica.crypto.keys import NodeSecretKeys
from replica.p2p.frames import Hello
from replica.p2p.peers import P2PService, PeerAddress
from replica.p2p.tls import write_tls_files
from replica.state import manifest as manifests
from replica.state.manager import CHECKPOINTS_DIRECTORY, MANIFEST_FILE
from replica.types import Principal

SEED: Final = b"bench-state-sync"
HEIGHT: Final = 100
MIB: Final = 1 << 20
STATE_MB: Final = 100
SMOKE_STATE_MB: Final = 16
BATCH_WINDOW_S: Final = 0.002
"""As the replica collects artifacts from peers before one step (`replica.live.service`)."""


def write_checkpoint(state_dir: Path, megabytes: int) -> bytes:
    """A checkpoint of one stable-memory file of distinct bytes; its state hash."""
    directory = state_dir / CHECKPOINTS_DIRECTORY / str(HEIGHT)
    (directory / "wasm").mkdir(parents=True)
    with (directory / "wasm" / "ballast.stable").open("wb") as handle:
        for index in range(megabytes):
            block = hashlib.sha256(index.to_bytes(8, "big")).digest()
            handle.write(block * (MIB // len(block)))
    manifest = manifests.compute_manifest(directory)
    (directory / MANIFEST_FILE).write_bytes(manifest.to_cbor())
    return manifest.root_hash


def link_checkpoint(source: Path, target: Path) -> None:
    shutil.copytree(source, target, copy_function=os.link)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def keys_of(count: int) -> list[NodeSecretKeys]:
    return [NodeSecretKeys.from_seed(SEED, index) for index in range(count)]


def make_service(
    keys: NodeSecretKeys,
    directory: Path,
    port: int,
    everyone: list[NodeSecretKeys],
    on_artifacts: Any,
) -> P2PService:
    certificate, key = write_tls_files(keys, directory / "tls")
    allowed = {k.node_id: k.tls_certificate_der for k in everyone if k.node_id != keys.node_id}
    return P2PService(
        node_id=keys.node_id,
        listen=("127.0.0.1", port),
        certificate_path=certificate,
        key_path=key,
        get_allowed=lambda: allowed,
        get_hello=lambda: Hello(cup_height=0, registry_version=1),
        resend=lambda hello: [],
        on_artifacts=on_artifacts,
    )


async def serve(index: int, directory: Path, ports: list[int], peers: int) -> None:
    """One serving process: answers every request for the checkpoint it holds."""
    everyone = keys_of(peers + 1)
    keys = everyone[index]
    owner = StateSyncOwner(keys.node_id, directory / "state", b"")
    service: P2PService

    def on_artifacts(sender: Principal, artifacts: tuple[Artifact, ...]) -> None:
        for artifact in artifacts:
            if isinstance(artifact, StateSyncRequest):
                service.send_to(sender, owner.answer(artifact))

    service = make_service(keys, directory, ports[index], everyone, on_artifacts)
    await service.start()
    service.set_peers(
        PeerAddress(node_id=k.node_id, host="127.0.0.1", port=ports[i])
        for i, k in enumerate(everyone)
    )
    await asyncio.Event().wait()


async def receive(
    directory: Path, ports: list[int], peers: int, state_hash: bytes
) -> dict[str, Any]:
    """Sync the checkpoint into an empty state directory as a replica does; the figures."""
    everyone = keys_of(peers + 1)
    keys = everyone[0]
    inbox: list[Artifact] = []
    wake = asyncio.Event()

    def on_artifacts(sender: Principal, artifacts: tuple[Artifact, ...]) -> None:
        inbox.extend(artifacts)
        wake.set()

    service = make_service(keys, directory, ports[0], everyone, on_artifacts)
    await service.start()
    service.set_peers(
        PeerAddress(node_id=k.node_id, host="127.0.0.1", port=ports[i])
        for i, k in enumerate(everyone)
    )
    async with asyncio.timeout(60):
        while len(service.connected_peers) < peers:
            await asyncio.sleep(0.01)
    sync = StateSync(
        height=HEIGHT, state_hash=state_hash, requester=keys.node_id, state_dir=directory / "state"
    )
    started = time.monotonic()
    next_peer = 0
    chunks_received = 0
    async with asyncio.timeout(600):
        while not sync.is_complete:
            now_ns = time.monotonic_ns()
            requests, wake_at_ns = sync.make_requests(now_ns)
            for request in requests:
                if request.chunks is None:
                    service.broadcast([request])
                    continue
                targets = sorted(service.connected_peers, key=lambda peer: peer.raw)
                next_peer = (next_peer + 1) % len(targets)
                service.send_to(targets[next_peer], [request])
            if not inbox:
                with_timeout = max(0.0, (wake_at_ns - time.monotonic_ns()) / 1e9)
                try:
                    async with asyncio.timeout(with_timeout):
                        await wake.wait()
                except TimeoutError:
                    pass
                wake.clear()
            if inbox:
                await asyncio.sleep(BATCH_WINDOW_S)
                batch, inbox[:] = list(inbox), []
                for artifact in batch:
                    if isinstance(artifact, StateManifestArtifact | StateChunkArtifact):
                        chunks_received += isinstance(artifact, StateChunkArtifact)
                        sync.on_artifact(artifact)
    fetched = time.monotonic_ns()
    fetch_s = (fetched - (sync.chunks_asked_at_ns or fetched)) / 1e9
    install_started = time.monotonic()
    sync.install()
    done = time.monotonic()
    await service.close()
    megabytes = sync.fetched_bytes / 1e6
    total_s = done - started
    return {
        "state_synced_mb": round(megabytes, 3),
        "state_sync_fetch_s": round(fetch_s, 3),
        "state_sync_mb_per_s": round(megabytes / max(fetch_s, 1e-6), 1),
        "state_sync_install_s": round(done - install_started, 3),
        "state_sync_total_s": round(total_s, 3),
        "state_sync_total_mb_per_s": round(megabytes / total_s, 1),
        "chunks_fetched_twice": chunks_received
        - len(sync.manifest.chunk_table if sync.manifest else ()),
    }


def measure_copy(source: Path, target: Path) -> float:
    """MB/s of reading a file and writing a synced copy, 1 MiB at a time."""
    started = time.monotonic()
    with source.open("rb") as reader, target.open("wb") as writer:
        while block := reader.read(MIB):
            writer.write(block)
        writer.flush()
        os.fsync(writer.fileno())
    return source.stat().st_size / 1e6 / (time.monotonic() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE_STATE_MB} MiB, for CI")
    parser.add_argument("--megabytes", type=int, default=None)
    parser.add_argument("--peers", type=int, default=3, help="serving processes (default 3)")
    parser.add_argument("--serve", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--directory", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--ports", default="", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve is not None:
        import uvloop

        ports = [int(port) for port in arguments.ports.split(",")]
        uvloop.run(serve(arguments.serve, arguments.directory, ports, arguments.peers))
        return 0
    megabytes = arguments.megabytes or (SMOKE_STATE_MB if arguments.smoke else STATE_MB)
    peers = arguments.peers
    with tempfile.TemporaryDirectory(prefix="icbox-bench-statesync-") as name:
        root = Path(name)
        source = root / "source"
        state_hash = write_checkpoint(source, megabytes)
        ports = [free_port() for _ in range(peers + 1)]
        children = []
        for index in range(1, peers + 1):
            node = root / f"peer-{index}"
            link_checkpoint(source, node / "state")
            children.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        __file__,
                        "--serve",
                        str(index),
                        "--directory",
                        str(node),
                        "--ports",
                        ",".join(map(str, ports)),
                        "--peers",
                        str(peers),
                    ]
                )
            )
        try:
            import uvloop

            (root / "receiver" / "state").mkdir(parents=True)
            figures = uvloop.run(receive(root / "receiver", ports, peers, state_hash))
        finally:
            for child in children:
                child.terminate()
            for child in children:
                child.wait(10)
        stable = Path(CHECKPOINTS_DIRECTORY) / str(HEIGHT) / "wasm" / "ballast.stable"
        copy = measure_copy(source / stable, root / "copy")
        figures["peers"] = peers
        figures["baseline_copy_mb_per_s"] = round(copy, 1)
        figures["ratio_to_copy"] = round(figures["state_sync_mb_per_s"] / copy, 2)
    print_figures(figures, as_json=arguments.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
