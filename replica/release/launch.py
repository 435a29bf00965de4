"""How a node starts its replica process from a given version's code.

The version the node was installed with runs from the installed tree; any
other version runs from its unpacked release: the release directory is the
only project code on the module path (`python -P`, so neither the current
directory nor a script directory is prepended, with `PYTHONPATH` set to the
release), and the process runs inside it. Third-party libraries come from the
environment, as the operating system's libraries do for the IC's replica
binary. The command line mirrors the IC orchestrator's (`--replica-version`,
`rs/orchestrator/src/upgrade.rs` `ensure_replica_is_running`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from replica.release.archive import default_source_root


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicaLaunch:
    argv: tuple[str, ...]
    cwd: Path
    env: Mapping[str, str] = field(default_factory=dict)
    code_dir: Path


def make_replica_launch(
    node_dir: Path,
    *,
    replica_version: str | None,
    code_dir: Path | None = None,
    base_env: Mapping[str, str] | None = None,
) -> ReplicaLaunch:
    """The replica process of `node_dir` running `replica_version` from `code_dir`.

    `code_dir` None: the installed code (this process's own tree).
    """
    env = dict(os.environ if base_env is None else base_env)
    arguments: list[str] = ["-m", "replica.live", "--node-dir", str(node_dir)]
    if replica_version is not None:
        arguments += ["--replica-version", replica_version]
    if code_dir is None:
        root = default_source_root()
        return ReplicaLaunch(argv=(sys.executable, *arguments), cwd=root, env=env, code_dir=root)
    env["PYTHONPATH"] = str(code_dir)
    env.pop("PYTHONHOME", None)
    return ReplicaLaunch(
        argv=(sys.executable, "-P", *arguments), cwd=code_dir, env=env, code_dir=code_dir
    )
