"""The health monitor and a node on another host, on a live network.

A node made with `icbox node init` on 127.0.0.2 registers itself with its
operator's key (after proposals add its data center and its operator) and is
unassigned; a stranger's add_node and a second node past the allowance are
refused. Then a member of the application subnet is killed: `icbox monitor`
(short timeouts) finds it dead and files the ChangeSubnetMembership that
replaces it with the new node, the one candidate that lowers the share of the
largest node provider; restarted, it files no second proposal while that one
is open; neuron 1 adopts it and the registry changes; the new node's
orchestrator then starts its replica, which catches up and certifies with
its subnet.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from replica.agent.identity import Ed25519Identity
from tests.e2e.conftest import REPOSITORY, LiveNetwork
from tui.cli import main
from tui.monitor.service import StatusProber
from tui.network.processes import stop_nodes

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]

MONITOR_OPTIONS = (
    "--json",
    "--dead-after",
    "3",
    "--poll-interval",
    "1",
    "--heal-interval",
    "2",
    "--probe-timeout",
    "5",
    "--lag-heights",
    "100000",
)


class World:
    def __init__(self, network: LiveNetwork, home: Path, scratch: Path) -> None:
        self.network = network
        self.home = home
        self.scratch = scratch
        self.node_dirs: list[Path] = []
        self.facts: dict[str, Any] = {}

    def __call__(self, *arguments: str) -> tuple[int, Any, str]:
        result = CliRunner().invoke(
            main,
            ["--directory", str(self.network.directory), *arguments, "--json"],
            env={"ICBOX_HOME": str(self.home)},
            prog_name="icbox",
        )
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        document = json.loads(result.stdout) if result.stdout.strip() else None
        return result.exit_code, document, result.stderr

    def ok(self, *arguments: str) -> Any:
        code, document, error = self(*arguments)
        assert code == 0, error
        return document

    def monitor(self, *arguments: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tui.cli",
                "--directory",
                str(self.network.directory),
                "monitor",
                *MONITOR_OPTIONS,
                *arguments,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPOSITORY), "ICBOX_HOME": str(self.home)},
            cwd=str(REPOSITORY),
        )


def read_events_until(
    process: subprocess.Popen[str], wanted: str, *, timeout_s: float
) -> list[dict[str, Any]]:
    """The monitor's events up to the first of kind `wanted`; then it is stopped (SIGTERM)."""
    assert process.stdout is not None
    events: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([process.stdout], [], [], 1.0)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            line = process.stdout.readline()
            if not line:
                break
            event = json.loads(line)
            events.append(event)
            if event.get("event") == wanted:
                return events
        raise AssertionError(f"no {wanted} event within {timeout_s} s: {events}")
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def world(live_network: LiveNetwork, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = World(
        live_network, tmp_path_factory.mktemp("icbox-home"), tmp_path_factory.mktemp("hosts")
    )
    try:
        yield built
    finally:
        stop_nodes([path for path in built.node_dirs if (path / "node.json").exists()])


def test_a_node_on_another_host_registers_with_its_operator_key(world: World) -> None:
    operator = Ed25519Identity.generate()
    pem = world.scratch / "operator.pem"
    pem.write_text(operator.to_pem())
    world.ok(
        "proposal", "make", "data-centers", "--add", "zh1:europe:Green", "--neuron", "1", "--yes"
    )
    provider = Ed25519Identity.generate().principal.to_text()
    world.ok(
        "proposal", "make", "add-node-operator", "--operator", operator.principal.to_text(),
        "--provider", provider, "--allowance", "1", "--dc", "zh1", "--neuron", "1", "--yes",
    )  # fmt: skip
    directory = world.scratch / "host-2"
    made = world.ok("node", "init", str(directory), "--ip", "127.0.0.2", "--operator-pem", str(pem))
    world.node_dirs.append(directory)
    assert made["xnet_endpoint"].startswith("127.0.0.2:")
    world.ok("identity", "new", "stranger")
    code, _, error = world("node", "register", str(directory), "--identity", "stranger")
    assert code == 3 and "not a node operator" in error, error
    started = world.ok("node", "start", str(directory))
    assert started["node_id"] == made["node_id"] and started["registered_now"] is True
    assert started["subnet_id"] is None
    topology = world.ok("topology")
    assert made["node_id"] in topology["unassigned_nodes"]
    assert topology["nodes"][made["node_id"]]["http"] == made["http_endpoint"]
    assert topology["node_operators"][operator.principal.to_text()]["node_allowance"] == 0
    second = world.scratch / "host-2b"
    world.ok("node", "init", str(second), "--ip", "127.0.0.2", "--operator-pem", str(pem))
    code, _, error = world("node", "register", str(second))
    assert code == 3 and "allowance" in error, error
    assert len(world.ok("topology")["unassigned_nodes"]) == len(topology["unassigned_nodes"])
    world.facts["new_node"] = made["node_id"]
    world.facts["provider"] = provider


def test_the_monitor_replaces_a_dead_member_once_and_the_proposal_is_adopted(world: World) -> None:
    new_node = world.facts["new_node"]
    victim = world.network.subnet_nodes(1)[0]
    stop_nodes([world.network.node_dir(victim)])
    stake = world.ok("neuron", "stake", "50", "--dissolve-delay", "8y")
    neuron = str(stake["neuron_id"])  # not followed by neuron 1: its proposals stay open

    events = read_events_until(
        world.monitor("--neuron", neuron, "--until-filed", "1"), "replacement_filed", timeout_s=300
    )
    kinds = [event["event"] for event in events]
    assert kinds[0] == "open_replacements" and events[0]["proposals"] == []
    dead = next(event for event in events if event["event"] == "node_dead")
    assert dead["node"] == victim["node_id"]
    filed = events[-1]
    assert (filed["node"], filed["added"], filed["status"]) == (victim["node_id"], new_node, "open")
    # Every genesis node has one provider: the new node lowers what it controls from 4 to 3.
    before = filed["before"]["actors"]["node_provider"]
    after = filed["after"]["actors"]["node_provider"]
    assert sorted(before.values()) == [4] and sorted(after.values()) == [1, 3]
    assert after[world.facts["provider"]] == 1
    assert all(
        filed["after"]["nakamoto"][name] >= value
        for name, value in filed["before"]["nakamoto"].items()
    )
    proposal = int(filed["proposal"])

    restarted = read_events_until(
        world.monitor("--neuron", neuron), "replacement_skipped", timeout_s=300
    )
    assert [p["proposal"] for p in restarted[0]["proposals"]] == [proposal]
    skipped = restarted[-1]
    assert (skipped["node"], skipped["decision"], skipped["proposal"]) == (
        victim["node_id"],
        "already_open",
        proposal,
    )
    assert "replacement_filed" not in [event["event"] for event in restarted]

    voted = world.ok("proposal", "vote", str(proposal), "--neuron", "1", "--yes")
    assert voted["proposal"]["status"] in ("adopted", "executed")
    deadline = time.monotonic() + 120
    while world.ok("proposal", "show", str(proposal))["status"] != "executed":
        assert time.monotonic() < deadline, "the proposal was not executed"
        time.sleep(1)
    topology = world.ok("topology")
    app = next(
        s
        for s in topology["subnets"]
        if s["id"] == world.network.network["subnets"][1]["subnet_id"]
    )
    assert new_node in app["members"] and victim["node_id"] not in app["members"]
    assert victim["node_id"] in topology["unassigned_nodes"]
    world.facts["http"] = topology["nodes"][new_node]["http"]


def test_the_new_node_joins_its_subnet_and_keeps_in_step(world: World) -> None:
    """Its orchestrator sees the membership in the replicated registry, starts the replica,
    which catches up from its peers and then certifies with them."""
    prober = StatusProber()
    peers = [node["http"] for node in world.network.subnet_nodes(1)[1:]]
    try:

        def heights() -> tuple[int, int]:
            own, _ = prober(f"http://{world.facts['http']}/api/v2/status", 5.0)
            best = max((prober(f"{url}/api/v2/status", 5.0)[0] or -1) for url in peers)
            return (-1 if own is None else own), best

        deadline = time.monotonic() + 300
        while True:
            own, best = heights()
            if own > 0 and own >= best - 5:
                break
            assert time.monotonic() < deadline, f"the new node is at {own}, its subnet at {best}"
            time.sleep(2)
        first = own
        deadline = time.monotonic() + 120
        while heights()[0] <= first:
            assert time.monotonic() < deadline, "the new node stopped certifying"
            time.sleep(1)
    finally:
        prober.close()
