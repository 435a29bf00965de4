"""The icbox command line: start-up, a query on a local network, and a scripted campaign.

- `help_s`: wall time of `icbox --help` (median of runs, a new process each),
  which must stay small because the command groups import lazily; beside it
  `python_s`, a bare `python -c pass` measured in the same run, and the ratio.
- `query_s`: wall time of `icbox proposal list` (median of runs, a new
  process each) against a local network that this benchmark brings up
  (`icbox up`, local preset, a 4-node NNS subnet) and down again.
- `campaign_s`: what a governance script does, through the Python API
  (`tui.Client`, the operations the command line runs): stake N neurons of
  1 ICP with an 8-year dissolve delay (a ledger transfer, a claim and a
  dissolve delay each, sent concurrently, `tui/ops/batch.py`), make each
  follow the network's neuron on the catch-all and Governance topics, then P
  motions made by that neuron (each previewed, submitted, and watched until
  executed), whose Yes reaches every follower's ballot through following.
  Checked: every follower projected to vote Yes by the preview, every motion
  executed, every follower's ballot Yes (`campaign_ballots_yes` counts them),
  the tally's yes at least the followers' voting power. `campaign_phases` gives the wall time
  of each phase; `campaign_claim_retries` the claims governance refused for want of a
  neuron-creation slot (300 at once, then one per 240 s of governance time, as on the IC)
  and that were sent again, paced. N = 1,000 and P = 20 in full size, 50 and 3 with --smoke.
"""

from __future__ import annotations

import argparse
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

REPOSITORY = Path(__file__).resolve().parent.parent
ENVIRONMENT = {**os.environ, "PYTHONPATH": str(REPOSITORY)}


def timed(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        done = subprocess.run(
            command, capture_output=True, text=True, env=ENVIRONMENT, cwd=REPOSITORY, timeout=300
        )
        times.append(time.perf_counter() - began)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command[2:])} failed: {done.stdout}{done.stderr}")
    return statistics.median(times)


def wait_until_answering(command: list[str], timeout_s: float = 120.0) -> None:
    """The network answers `command` (once, untimed): `icbox up` returns when every subnet
    certifies, and a loaded machine may need a moment more before queries are served."""
    deadline = time.monotonic() + timeout_s
    while True:
        done = subprocess.run(
            command, capture_output=True, text=True, env=ENVIRONMENT, cwd=REPOSITORY, timeout=300
        )
        if done.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"{' '.join(command[2:])} failed: {done.stdout}{done.stderr}")
        time.sleep(2)


def icbox(directory: Path, *arguments: str) -> list[str]:
    return [sys.executable, "-m", "tui.cli", "--directory", str(directory), *arguments]


EIGHT_YEARS_SECONDS = 8 * 365 * 86_400


def campaign(client: Any, neurons: int, proposals: int) -> dict[str, Any]:
    """Run the campaign; its figures. Raises if any outcome is not the expected one."""
    leader = client.network_neuron
    assert leader is not None, "the campaign needs the local network's neuron"
    client.refresh(leader)
    began = time.perf_counter()
    staked = client.stake_many(neurons, 1, dissolve_delay_seconds=EIGHT_YEARS_SECONDS)
    followed = client.follow_many(
        staked.neuron_ids, topics=("all", "governance"), followees=[leader]
    )
    phases = {phase.name: round(phase.wall_s, 2) for phase in (*staked.phases, followed)}
    preview_s = submit_s = decide_s = 0.0
    followers = set(staked.neuron_ids)
    ballots_yes = 0
    for number in range(proposals):
        mark = time.perf_counter()
        preview = client.preview(
            leader, f"Campaign motion {number}", client.actions.motion(f"Campaign {number}")
        )
        projected = set(preview.projected.neurons_voting_yes)
        if not followers <= projected:
            raise RuntimeError(
                f"motion {number}: {len(followers - projected)} followers not projected to vote"
            )
        preview_s += time.perf_counter() - mark
        mark = time.perf_counter()
        proposal_id = client.submit(preview)
        submit_s += time.perf_counter() - mark
        mark = time.perf_counter()
        final = client.wait_for(proposal_id, timeout_s=600)
        decide_s += time.perf_counter() - mark
        if final.status != "executed":
            raise RuntimeError(f"proposal {proposal_id} ended {final.status}: {final.failure}")
        ballots = client.ballots(proposal_id)
        voted = {n for n, ballot in ballots.items() if n in followers and ballot.vote == "yes"}
        if voted != followers:
            raise RuntimeError(
                f"proposal {proposal_id}: {len(followers - voted)} followers did not vote yes"
            )
        ballots_yes += len(voted)
        followers_power = sum(ballots[n].voting_power for n in followers)
        if final.yes < followers_power:
            raise RuntimeError(f"proposal {proposal_id}: yes {final.yes} < {followers_power}")
    phases["proposal preview"] = round(preview_s, 2)
    phases["proposal submit"] = round(submit_s, 2)
    phases["until executed"] = round(decide_s, 2)
    return {
        "campaign_s": round(time.perf_counter() - began, 2),
        "campaign_neurons": neurons,
        "campaign_proposals": proposals,
        "campaign_phases": phases,
        "campaign_update_calls": sum(p.calls for p in (*staked.phases, followed)) + proposals,
        "campaign_ballots_yes": ballots_yes,
        "campaign_claim_retries": sum(phase.retries for phase in staked.phases),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--smoke", action="store_true", help="50 neurons and 3 proposals, 3 runs of each start-up"
    )
    parser.add_argument("--neurons", type=int, default=None, help="campaign size (1,000)")
    parser.add_argument("--proposals", type=int, default=None, help="campaign motions (20)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    runs = 3 if args.smoke else 7
    neurons, proposals = (50, 3) if args.smoke else (1_000, 20)
    neurons = args.neurons or neurons
    proposals = args.proposals or proposals
    python_s = timed([sys.executable, "-c", "pass"], runs)
    help_s = timed([sys.executable, "-m", "tui.cli", "--help"], runs)
    figures: dict[str, Any] = {
        "help_s": round(help_s, 3),
        "python_s": round(python_s, 3),
        "help_over_python": round(help_s / python_s, 2),
    }
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        up = subprocess.run(
            icbox(directory, "up", "--app-subnets", "", "--unassigned", "0", "--nns-nodes", "4"),
            capture_output=True,
            text=True,
            env=ENVIRONMENT,
            cwd=REPOSITORY,
            timeout=600,
        )
        try:
            if up.returncode != 0:
                raise SystemExit(f"icbox up failed: {up.stdout}{up.stderr}")
            query = icbox(directory, "proposal", "list")
            wait_until_answering(query)
            figures["query_s"] = round(timed(query, runs), 3)
            from tui import Client

            with Client.open(directory=directory) as client:
                figures.update(campaign(client, neurons, proposals))
        finally:
            subprocess.run(
                icbox(directory, "down"),
                capture_output=True,
                env=ENVIRONMENT,
                cwd=REPOSITORY,
                timeout=120,
            )
    print_figures(figures, as_json=args.json)


if __name__ == "__main__":
    main()
