"""The releases of one node, by replica version: what the orchestrator prepares and launches.

The node runs the version it was installed with from the installed tree (as
an IC node boots the GuestOS image it was set up with). Any other version is
looked up in the registry (its `replica_version_<id>` record: SHA-256 and
URLs), prepared ahead of time (`prepare`, downloaded, verified, unpacked) and
launched from its unpacked code (`launch`). A version whose archive does not
hash to the elected SHA-256 is refused: `prepare` raises, nothing is kept,
and `launch` refuses a version that was never prepared, so it is never run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol

from registry.records import ReplicaVersionRecord
from replica.release.errors import ReleaseError
from replica.release.fetch import Fetcher, PreparedRelease, ReleaseCache, fetch_url
from replica.release.launch import ReplicaLaunch, make_replica_launch

RELEASES_DIRECTORY: Final = "releases"
INSTALLED_FILE: Final = "installed.json"


class VersionRecords(Protocol):
    """Reads `replica_version_<id>` records (a `registry.client.RegistryClient` does)."""

    def get_replica_version_record(
        self, version_id: str, version: int | None = None
    ) -> ReplicaVersionRecord | None: ...


class ReleaseNotPrepared(ReleaseError):
    """A version is to be launched whose release this node has not verified."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Installed:
    """The version the node was set up with, which runs from the installed tree."""

    version_id: str | None


class NodeReleases:
    """Prepares and launches replica versions for the node in `node_dir`."""

    def __init__(
        self,
        node_dir: Path,
        *,
        node_id: bytes,
        installed_version: str | None,
        fetch: Fetcher = fetch_url,
    ) -> None:
        self.node_dir = node_dir
        self.node_id = node_id
        self.cache = ReleaseCache(node_dir / RELEASES_DIRECTORY, fetch=fetch)
        self.installed = self._remember_installed(installed_version)
        self.prepared: dict[str, PreparedRelease] = {}

    def _remember_installed(self, installed_version: str | None) -> Installed:
        """The installed version is fixed the first time the node starts (later starts keep it)."""
        path = self.node_dir / RELEASES_DIRECTORY / INSTALLED_FILE
        try:
            return Installed(version_id=json.loads(path.read_text())["version_id"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"version_id": installed_version}))
        return Installed(version_id=installed_version)

    def is_installed(self, version_id: str | None) -> bool:
        return version_id is None or version_id == self.installed.version_id

    def is_prepared(self, version_id: str | None) -> bool:
        return self.is_installed(version_id) or version_id in self.prepared

    def prepare(
        self, registry: VersionRecords, version_id: str, *, registry_version: int | None = None
    ) -> PreparedRelease | None:
        """Make `version_id` ready to launch; None for the installed version.

        Raises `ReleaseError` (`ReleaseHashMismatch` for a tampered archive) when it cannot.
        """
        if self.is_installed(version_id):
            return None
        record = registry.get_replica_version_record(version_id, registry_version)
        if record is None:
            raise ReleaseError(f"the registry has no record of replica version {version_id}")
        prepared = self.cache.prepare(
            version_id,
            record.release_package_sha256_hex,
            record.release_package_urls,
            node_id=self.node_id,
        )
        self.prepared[version_id] = prepared
        return prepared

    def launch(self, version_id: str | None) -> ReplicaLaunch:
        """The replica process of `version_id`: installed code, or its verified release."""
        if self.is_installed(version_id):
            return make_replica_launch(self.node_dir, replica_version=version_id)
        prepared = self.prepared.get(version_id or "")
        if prepared is None or not self.cache.is_prepared(prepared.sha256_hex):
            raise ReleaseNotPrepared(f"replica version {version_id} has no verified release here")
        return make_replica_launch(
            self.node_dir, replica_version=version_id, code_dir=prepared.code_dir
        )
