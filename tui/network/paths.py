"""Where a local network keeps its files: `<directory>/.icbox/`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class NetworkPaths:
    root: Path
    """The `.icbox` directory."""

    @classmethod
    def in_directory(cls, directory: Path) -> NetworkPaths:
        return cls(directory.resolve() / ".icbox")

    @property
    def network_file(self) -> Path:
        return self.root / "network.json"

    @property
    def identity(self) -> Path:
        return self.root / "identity.pem"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def nodes(self) -> Path:
        return self.root / "nodes"

    def node_dir(self, index: int) -> Path:
        return self.nodes / f"node-{index:02d}"

    def log_file(self, index: int) -> Path:
        return self.logs / f"node-{index:02d}.log"
