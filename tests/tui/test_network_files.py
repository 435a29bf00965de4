"""Building a network's files without starting it: node directories, the identity, pid files, the
CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from replica.crypto.keystore import load_node_directory
from replica.live.layout import KEYS_DIRECTORY, read_settings
from replica.live.pidfile import is_alive, live_pid, read_pid_file, write_pid_file
from tui.cli import COMMANDS, main
from tui.network.create import NetworkOptions, create_network
from tui.network.identity import identity_principal
from tui.network.paths import NetworkPaths


def test_each_node_directory_holds_only_its_own_secrets(tmp_path: Path) -> None:
    paths = NetworkPaths.in_directory(tmp_path)
    network = create_network(
        paths, NetworkOptions(nns_nodes=4, application_subnets=(4,), unassigned_nodes=1)
    )
    assert len(network["nodes"]) == 9
    texts = []
    for node in network["nodes"]:
        directory = Path(node["directory"])
        secrets = load_node_directory(directory / KEYS_DIRECTORY)
        assert str(secrets.keys.node_id) == node["node_id"]
        assigned = node["subnet_id"] is not None
        assert (
            secrets.initial_shares is not None and bool(secrets.initial_shares.shares)
        ) == assigned
        settings = read_settings(directory)
        assert settings.p2p_port != settings.http_port
        texts.append((directory / "node.json").read_text())
    # No node file names the network seed (only the NNS registry canister's own dealer seed).
    assert not any('"seed"' in text or "network_seed" in text for text in texts)
    assert str(identity_principal(paths.identity)) == network["identity"]["principal"]
    assert json.loads(paths.network_file.read_text())["root_key"] == network["root_key"]


def test_a_stale_pid_file_is_detected_and_removed(tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    path = tmp_path / "replica.pid"
    write_pid_file(path, process.pid)
    assert not is_alive(read_pid_file(path))
    assert live_pid(path) is None and not path.exists()
    write_pid_file(path, 1)
    record = read_pid_file(path)
    assert record is not None and is_alive(record)
    (tmp_path / "forged.pid").write_text(
        json.dumps({"pid": 1, "start_ticks": record.start_ticks + 1})
    )
    assert live_pid(tmp_path / "forged.pid") is None  # the pid lives, but it is another process


def test_the_root_group_lists_every_command_and_loads_each_lazily() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output
    status = CliRunner().invoke(main, ["--directory", "/nonexistent-icbox", "status"])
    assert status.exit_code != 0 and "no network" in status.output
