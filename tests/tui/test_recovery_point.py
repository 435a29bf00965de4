"""Where `icbox subnet recover` restarts a stalled subnet: the newest checkpoint n − f of its
nodes hold with the same state hash (the IC's `ic-recovery` takes the state of the members,
`rs/recovery/src/app_subnet_recovery.rs`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from replica.live.layout import NodeSettings, write_settings
from replica.state.manager import CHECKPOINTS_DIRECTORY, MANIFEST_FILE
from replica.state.manifest import manifest_of_contents
from tui.ops.errors import Refused, UsageError
from tui.ops.recovery import find_recovery_point

SUBNET = "subnet-a"


def node(root: Path, index: int, checkpoints: dict[int, bytes], subnet: str = SUBNET) -> Path:
    directory = root / f"node-{index}"
    directory.mkdir(parents=True)
    write_settings(
        directory,
        NodeSettings(
            node_id=f"node{index}",
            node_index=index,
            subnet_id=subnet,
            p2p_host="127.0.0.1",
            p2p_port=1,
            http_host="127.0.0.1",
            http_port=2,
            log_file="log",
        ),
    )
    for height, contents in checkpoints.items():
        checkpoint = directory / "state" / CHECKPOINTS_DIRECTORY / str(height)
        checkpoint.mkdir(parents=True)
        manifest = manifest_of_contents({"engine.cbor": contents})
        (checkpoint / MANIFEST_FILE).write_bytes(manifest.to_cbor())
    return directory


def test_the_newest_checkpoint_three_of_four_agree_on_is_the_recovery_point(
    tmp_path: Path,
) -> None:
    directories = [
        node(tmp_path, 0, {20: b"a", 40: b"b"}),
        node(tmp_path, 1, {20: b"a", 40: b"b"}),
        node(tmp_path, 2, {20: b"a", 40: b"b"}),
        node(tmp_path, 3, {20: b"a", 40: b"diverged", 60: b"alone"}),
        node(tmp_path, 4, {80: b"other subnet"}, subnet="subnet-b"),
    ]
    point = find_recovery_point(directories, SUBNET)
    assert (point.height, point.members) == (40, 4)
    assert point.state_hash == manifest_of_contents({"engine.cbor": b"b"}).root_hash
    assert point.nodes == ("node0", "node1", "node2")


def test_no_agreement_or_no_node_is_refused(tmp_path: Path) -> None:
    directories = [node(tmp_path, i, {20: bytes([i])}) for i in range(4)]
    with pytest.raises(Refused):
        find_recovery_point(directories, SUBNET)
    with pytest.raises(UsageError):
        find_recovery_point(directories, "another")
