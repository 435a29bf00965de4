"""A protocol upgrade on the live network: how long the subnet stops finalizing.

Brings up a network of real processes (`icbox up`: an NNS subnet of 4, an
application subnet of 4, the `local` preset), builds a release of this tree
(`icbox release build`), serves it, elects it and deploys it to the
application subnet by proposal, and follows the subnet's finalizations
(every replica's status file) until every replica runs the new version from
its archive and has finalized 10 more blocks. It prints:

- `upgrade_gap_s`: the longest gap between consecutive finalized heights of
  the subnet from the deploy proposal to the end (the handover: the old
  version's last block at the CUP, the new version's first after it);
- `block_interval_s`: the median gap between finalized heights from the
  deploy until every replica runs the new version (the pace the upgrade
  waited at, measured in the same run: this flow runs no calls, so the
  blocks are empty and come at the `local` preset's idle pace), and
  `gap_in_blocks` = upgrade_gap_s / block_interval_s;
- `upgrade_s`: from the deploy proposal's submission (it is adopted and
  executed at once: the network's neuron alone decides) to every replica running
  the new version (on the IC this is the wait for the next summary, one more
  interval, and the restart: spec D.8, 1-2 DKG intervals);
- `dkg_interval_s`: one DKG interval at that pace, and
  `upgrade_in_intervals` = upgrade_s / dkg_interval_s, the ratio to the IC's
  structural figure.

The target on a 2-core machine is `upgrade_gap_s` < 5 s. `--smoke` runs the
same flow (it is already the smallest) and only prints fewer samples.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _report import print_figures

from replica.live.layout import STATUS_FILE, read_json
from replica.live.status import ReplicaStatus
from replica.presets import get_preset
from replica.release.archive import build_archive
from replica.release.server import ReleaseServer, publish
from tui.network.create import NetworkOptions
from tui.network.operations import bring_down, bring_up

REPOSITORY = Path(__file__).resolve().parent.parent
NEW_VERSION = "0.2.0"


def icbox_json(directory: Path, *arguments: str) -> Any:
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", "--directory", str(directory), *arguments, "--json"],
        capture_output=True,
        text=True,
        env=environment,
        cwd=str(REPOSITORY),
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(f"icbox {' '.join(arguments)}: {result.stderr or result.stdout}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def adopt(directory: Path, kind: str, *options: str) -> None:
    made = icbox_json(directory, "proposal", "make", kind, *options, "--yes")
    final = icbox_json(directory, "proposal", "watch", str(made["proposal_id"]))
    if final["status"] != "executed":
        raise RuntimeError(f"proposal {made['proposal_id']} is {final['status']}")


class Finalizations:
    """The earliest wall-clock time any replica of the subnet reported each finalized height."""

    def __init__(self, directories: list[Path]) -> None:
        self.directories = directories
        self.first_seen_ns: dict[int, int] = {}

    def sample(self) -> list[ReplicaStatus | None]:
        statuses = [
            ReplicaStatus.from_json(read_json(directory / STATUS_FILE))
            for directory in self.directories
        ]
        for status in statuses:
            if status is None:
                continue
            for height, at_ns in status.recent_finalizations:
                known = self.first_seen_ns.get(height)
                if known is None or at_ns < known:
                    self.first_seen_ns[height] = at_ns
        return statuses

    def gaps_s(self, since_ns: int = 0, until_ns: int | None = None) -> list[float]:
        heights = sorted(h for h, t in self.first_seen_ns.items() if t >= since_ns)
        times = [self.first_seen_ns[h] for h in heights]
        return [
            (later - earlier) / 1e9
            for earlier, later in itertools.pairwise(times)
            if until_ns is None or later <= until_ns
        ]


def wait_sampling(
    finalizations: Finalizations, done: Any, *, timeout_s: float, what: str
) -> list[ReplicaStatus | None]:
    deadline = time.monotonic() + timeout_s
    while True:
        statuses = finalizations.sample()
        if done(statuses):
            return statuses
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.2)


def measure_upgrade(directory: Path, network: dict[str, Any]) -> dict[str, Any]:
    subnet_id = network["subnets"][1]["subnet_id"]
    directories = [Path(n["directory"]) for n in network["nodes"] if n["subnet_id"] == subnet_id]
    finalizations = Finalizations(directories)
    archive = build_archive(REPOSITORY)
    with ReleaseServer(Path(tempfile.mkdtemp(prefix="icbox-releases-"))) as server:
        publish(archive, Path(server._server.directory))
        adopt(
            directory,
            "elect-version",
            "--version",
            NEW_VERSION,
            "--sha256",
            archive.sha256_hex,
            "--package-url",
            server.url_of(archive),
        )
        finalizations.sample()
        deployed_ns = time.time_ns()
        adopt(directory, "deploy-subnet", "--subnet", subnet_id, "--version", NEW_VERSION)

        def upgraded(statuses: list[ReplicaStatus | None]) -> bool:
            return all(
                s is not None and s.replica_version == NEW_VERSION and s.upgrade_due is None
                for s in statuses
            )

        statuses = wait_sampling(finalizations, upgraded, timeout_s=600, what="the upgrade")
        upgraded_ns = time.time_ns()
        # The pace of the wait, without the handover's own gap.
        pace = sorted(finalizations.gaps_s(since_ns=deployed_ns, until_ns=upgraded_ns))[:-1]
        target = max(s.finalized_height for s in statuses if s is not None) + 10
        wait_sampling(
            finalizations,
            lambda ss: all(s is not None and s.finalized_height >= target for s in ss),
            timeout_s=300,
            what="10 blocks of the new version",
        )
    gap = max(finalizations.gaps_s(since_ns=deployed_ns))
    interval = statistics.median(pace) if pace else float("nan")
    dkg_interval_s = (get_preset("local").dkg_interval_length + 1) * interval
    upgrade_s = (upgraded_ns - deployed_ns) / 1e9
    return {
        "upgrade_gap_s": round(gap, 2),
        "block_interval_s": round(interval, 3),
        "gap_in_blocks": round(gap / interval, 1),
        "upgrade_s": round(upgrade_s, 1),
        "dkg_interval_s": round(dkg_interval_s, 1),
        "upgrade_in_intervals": round(upgrade_s / dkg_interval_s, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="a run for CI (the same flow)")
    arguments = parser.parse_args()
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="icbox-bench-upgrade-") as name:
        directory = Path(name)
        try:
            result = bring_up(directory, NetworkOptions(unassigned_nodes=0), timeout_s=300)
            figures.update(measure_upgrade(directory, result.network))
        finally:
            bring_down(directory)
    print_figures(figures, as_json=arguments.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
