"""A scripted chain-evolution story on a local network, told while the dashboard shows it.

`Story` runs its steps on the network of a directory, each by proposal with the
network's own neuron (whose vote alone adopts it), through the operations the
command line uses (`tui.client.Client`, `tui.ops.actions`, `tui.network`):

1. `create-subnet`: an unassigned node becomes a new subnet (CreateSubnet), and
   its replica starts and certifies;
2. `replace-node`: a member of the first application subnet is killed, and a
   ChangeSubnetMembership proposal replaces it by an unassigned node, whose
   orchestrator starts a replica in the subnet;
3. `upgrade`: a release archive of this tree is served over HTTP, elected as a
   new replica version and deployed to the subnet created in step 1, whose
   replica restarts from the archive's code.

Each step says what it does and what happened through `say`; `icbox demo`
(`tui/cli/demo.py`) runs it on a fresh network beside the dashboard.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from tui.client import Client
from tui.network.operations import read_network
from tui.network.paths import NetworkPaths
from tui.network.processes import inspect_node, stop_node
from tui.ops import actions
from tui.ops.actions import ProposalAction
from tui.ops.errors import OpsError

STEPS: Final = ("create-subnet", "replace-node", "upgrade")
STEP_TIMEOUT_S: Final = 240.0
REPOSITORY: Final = Path(__file__).resolve().parents[1]


class DemoError(Exception):
    """A step did not reach its end (a proposal failed, or a wait timed out)."""


class Stopped(DemoError):
    """The story was asked to stop."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StepResult:
    step: str
    text: str
    proposal_ids: tuple[int, ...]


def short(principal: str) -> str:
    return principal.split("-")[0]


class Story:
    def __init__(
        self,
        directory: Path,
        *,
        say: Callable[[str], None] = print,
        timeout_s: float = STEP_TIMEOUT_S,
        stop: threading.Event | None = None,
    ) -> None:
        self.directory = directory
        self.say = say
        self.timeout_s = timeout_s
        self.stop = stop or threading.Event()
        network = read_network(NetworkPaths.in_directory(directory))
        if network is None:
            raise DemoError(f"no local network in {directory} (run `icbox up`)")
        self.network: dict[str, Any] = network
        self.created_subnet: str | None = None
        self._release_dir: tempfile.TemporaryDirectory[str] | None = None
        self._server: Any = None

    # -- helpers --------------------------------------------------------------------------

    def _node_dir(self, node: dict[str, Any]) -> Path:
        return Path(node["directory"])

    def subnet_of(self, node: dict[str, Any]) -> str | None:
        """The subnet the node's replica runs in now (None: no replica running)."""
        status = inspect_node(self._node_dir(node)).live_status
        return None if status is None else status.subnet_id

    def _unassigned(self) -> list[dict[str, Any]]:
        """The network's nodes that are in no subnet of the latest registry version."""
        with Client.open(directory=self.directory) as client:
            free = set(client.topology()["unassigned_nodes"])
        return [node for node in self.network["nodes"] if node["node_id"] in free]

    def _wait(self, condition: Callable[[], Any], what: str) -> Any:
        deadline = time.monotonic() + self.timeout_s
        while True:
            if self.stop.is_set():
                raise Stopped("the story was stopped")
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise DemoError(f"timed out after {self.timeout_s:.0f} s waiting for {what}")
            time.sleep(0.5)

    def _adopt(self, title: str, action: ProposalAction) -> int:
        """Makes the proposal with the network's neuron and waits until it is executed."""
        with Client.open(directory=self.directory) as client:
            neuron = client.network_neuron
            if neuron is None:
                raise DemoError("the network's identity controls no neuron")
            proposal_id = client.make_proposal(neuron, title, action)
            self.say(f"proposal {proposal_id}: {title}")
            view = client.wait_for(proposal_id, timeout_s=self.timeout_s)
        if view.status != "executed":
            raise DemoError(f"proposal {proposal_id} is {view.status}: {view.failure or ''}")
        self.say(f"proposal {proposal_id} executed")
        return proposal_id

    # -- the steps ------------------------------------------------------------------------

    def create_subnet(self) -> StepResult:
        free = self._unassigned()
        if not free:
            raise DemoError("no unassigned node to make a subnet of")
        node = free[0]
        self.say(f"create a subnet of the unassigned node {short(node['node_id'])}")
        proposal = self._adopt(
            "Create a subnet",
            actions.create_subnet(
                [node["node_id"]], replica_version=self.network["replica_version"]
            ),
        )

        def certifying() -> int | None:
            status = inspect_node(self._node_dir(node)).live_status
            return status.certified_height if status and status.certified_height >= 1 else None

        height = self._wait(certifying, "the new subnet to certify")
        subnet = self.subnet_of(node)
        if subnet is None:
            raise DemoError("the new subnet's replica stopped")
        self.created_subnet = subnet
        text = f"subnet {short(subnet)} created on node {short(node['node_id'])}, height {height}"
        self.say(text)
        return StepResult(step="create-subnet", text=text, proposal_ids=(proposal,))

    def replace_node(self) -> StepResult:
        subnet = str(self.network["subnets"][1]["subnet_id"])
        members = [node for node in self.network["nodes"] if self.subnet_of(node) == subnet]
        free = self._unassigned()
        if not members or not free:
            raise DemoError("the application subnet has no running member or no spare node")
        killed, spare = members[-1], free[0]
        self.say(f"kill node {short(killed['node_id'])} of subnet {short(subnet)}")
        stop_node(self._node_dir(killed), grace_s=2.0)
        self.say(f"replace it by the unassigned node {short(spare['node_id'])}")
        proposal = self._adopt(
            "Replace a dead node",
            actions.change_subnet_membership(
                subnet, add=[spare["node_id"]], remove=[killed["node_id"]]
            ),
        )
        self._wait(lambda: self.subnet_of(spare) == subnet, "the new member's replica")
        text = (
            f"node {short(killed['node_id'])} replaced by {short(spare['node_id'])} "
            f"in subnet {short(subnet)}"
        )
        self.say(text)
        return StepResult(step="replace-node", text=text, proposal_ids=(proposal,))

    def upgrade(self, version: str | None = None) -> StepResult:
        from replica.release.archive import build_archive
        from replica.release.server import ReleaseServer, publish

        subnet = self.created_subnet or str(self.network["subnets"][1]["subnet_id"])
        version = version or f"0.2.{int(time.time())}-demo"
        self.say(f"build a release of this tree as version {version} and serve it")
        archive = build_archive(REPOSITORY)
        self._release_dir = tempfile.TemporaryDirectory(prefix="icbox-demo-release-")
        self._server = ReleaseServer(Path(self._release_dir.name)).start()
        publish(archive, Path(self._release_dir.name))
        elected = self._adopt(
            f"Elect replica version {version}",
            actions.elect_replica_version(
                version, urls=[self._server.url_of(archive)], sha256_hex=archive.sha256_hex
            ),
        )
        deployed = self._adopt(
            f"Upgrade subnet {short(subnet)} to {version}",
            actions.deploy_to_subnet(subnet, version),
        )
        members = [node for node in self.network["nodes"] if self.subnet_of(node) == subnet]

        def upgraded() -> bool:
            statuses = [inspect_node(self._node_dir(node)).live_status for node in members]
            return all(s is not None and s.replica_version == version for s in statuses)

        self._wait(upgraded, f"subnet {short(subnet)} to run {version}")
        text = f"subnet {short(subnet)} runs replica version {version}"
        self.say(text)
        return StepResult(step="upgrade", text=text, proposal_ids=(elected, deployed))

    def run(self, steps: Sequence[str] = STEPS) -> list[StepResult]:
        """The steps in order; an operation's failure is a `DemoError`."""
        results = []
        try:
            for step in steps:
                method = {
                    "create-subnet": self.create_subnet,
                    "replace-node": self.replace_node,
                    "upgrade": self.upgrade,
                }[step]
                try:
                    results.append(method())
                except OpsError as error:
                    raise DemoError(f"{step}: {error}") from error
        finally:
            self.close()
        return results

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._release_dir is not None:
            self._release_dir.cleanup()
            self._release_dir = None
