"""Replica versions for the orchestrator: prepared ahead of time, launched from their release.

The orchestrator's decision names the version the node must run (the subnet
record's at the CUP's registry version, spec C). `Upgrades` makes sure that
version's code is there before the replica is switched to it, and fetches the
version the *latest* registry version names as soon as it appears, so the
switch at the CUP only restarts a process (the IC's `prepare_upgrade_if_scheduled`
and `execute_upgrade`, `rs/orchestrator/src/upgrade.rs`). A version whose
release is not ready is not started: the replica that runs keeps running (an
old version idles at the CUP that hands the subnet over), and a refused
release (its archive does not hash to the elected SHA-256) is never run.
Every change of a version's preparation is an event.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from registry.client import RegistryClient
from replica.orchestrator.replica_process import LaunchCommand, ReplicaTarget
from replica.release.node import NodeReleases
from replica.release.upgrade import Preparation, ReleasePreparer
from replica.types import Principal

Emit = Callable[[str, str], None]
"""(what, why) of an event, written by the orchestrator with its node, subnet and versions."""


class ReleaseLauncher:
    """A `ReplicaLauncher`: the installed code for the installed version, else the release's."""

    def __init__(self, releases: NodeReleases) -> None:
        self.releases = releases

    def command(self, directory: Path, target: ReplicaTarget) -> LaunchCommand:
        launch = self.releases.launch(target.replica_version)
        environment = None
        if not self.releases.is_installed(target.replica_version):
            environment = {"PYTHONPATH": str(launch.code_dir)}
        return LaunchCommand(argv=launch.argv, cwd=launch.cwd, environment=environment)


class Upgrades:
    """The versions one node prepares, and the events they give."""

    def __init__(
        self,
        directory: Path,
        *,
        node_id: Principal,
        installed_version: str | None,
        emit: Emit,
    ) -> None:
        self.releases = NodeReleases(
            directory, node_id=node_id.raw, installed_version=installed_version
        )
        self.preparer = ReleasePreparer(self.releases)
        self.launcher = ReleaseLauncher(self.releases)
        self.emit = emit
        self._last: dict[str | None, tuple[str, str]] = {}

    def get_preparation(self, registry: RegistryClient, version_id: str | None) -> Preparation:
        """Where `version_id` stands (its download starts here); an event when that changed.

        The record (SHA-256 and URLs) is read at the latest registry version, as the IC does.
        """
        record = None if version_id is None else registry.get_replica_version_record(version_id)
        preparation = self.preparer.get_preparation(version_id, record)
        last = self._last.get(version_id)
        retrying = preparation.state == "pending" and last is not None and last[0] == "refused"
        if not self.releases.is_installed(version_id) and not retrying:
            state = (preparation.state, preparation.why)
            if last != state:
                self._last[version_id] = state
                what = {
                    "ready": "release ready",
                    "pending": "release fetching",
                    "refused": "release refused",
                }[preparation.state]
                self.emit(what, f"replica version {version_id}: {preparation.why}")
        return preparation

    def is_ready(self, registry: RegistryClient, version_id: str | None) -> bool:
        return self.get_preparation(registry, version_id).state == "ready"

    def prepare_ahead(
        self, registry: RegistryClient, subnet_id: Principal | None, running: str | None
    ) -> str | None:
        """Fetch the version the latest registry version names, if it is not the one running;
        that version once its release is ready (the subnet switches to it at a coming CUP)."""
        latest = (
            registry.get_unassigned_replica_version()
            if subnet_id is None
            else registry.get_replica_version(subnet_id)
        )
        if (
            latest is not None
            and latest != running
            and self.get_preparation(registry, latest).state == "ready"
        ):
            return latest
        return None

    def close(self) -> None:
        self.preparer.close()
