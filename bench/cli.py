"""The icbox command line: start-up, a query on a local network, and a scripted campaign.

- `help_s`: wall time of `icbox --help` (median of runs, a new process each),
  which must stay small because the command groups import lazily; beside it
  `python_s`, a bare `python -c pass` measured in the same run, and the ratio.
- `query_s`: wall time of `icbox proposal list` against a local network that
  this benchmark brings up (`icbox up`, local preset) and down again.
- `campaign_s`: through the operations layer (the same code the command line
  runs), stake N neurons (a ledger transfer and a claim each), make each
  follow the network's neuron on every topic, then make P motions, each
  adopted through the followers' cascade, and wait until each is executed.
  N = 1,000 and P = 20 in full size, 20 and 2 with --smoke.
"""

from __future__ import annotations

import argparse
import asyncio
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
        subprocess.run(
            command, check=True, capture_output=True, env=ENVIRONMENT, cwd=REPOSITORY, timeout=300
        )
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def icbox(directory: Path, *arguments: str) -> list[str]:
    return [sys.executable, "-m", "tui.cli", "--directory", str(directory), *arguments]


async def campaign(session: Any, neurons: int, proposals: int, leader: int) -> None:
    from nns.governance.neuron import compute_neuron_staking_subaccount
    from nns.ledger.accounts import AccountIdentifier
    from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID

    limit = asyncio.Semaphore(32)

    async def stake_and_follow(nonce: int) -> None:
        async with limit:
            subaccount = compute_neuron_staking_subaccount(session.principal, nonce)
            await session.ledger.transfer(
                to=AccountIdentifier.of(GOVERNANCE_CANISTER_ID, subaccount).raw,
                amount_e8s=100_000_000,
                memo=nonce,
                created_at_time_ns=time.time_ns(),
            )
            neuron_id = await session.governance.claim_or_refresh_neuron_from_account(
                memo=nonce, controller=session.principal
            )
            await session.governance.increase_dissolve_delay(
                neuron_id=neuron_id, additional_dissolve_delay_seconds=8 * 365 * 86_400
            )
            for topic in (0, 4):
                await session.governance.set_followees(
                    neuron_id=neuron_id, topic=topic, followees=[leader]
                )

    base = int.from_bytes(os.urandom(4), "big") << 20
    await asyncio.gather(*(stake_and_follow(base + index) for index in range(neurons)))
    await session.governance.manage_neuron(leader, {"RefreshVotingPower": {}})
    for number in range(proposals):
        proposal_id = await session.governance.make_motion_proposal(
            neuron_id=leader, title=f"Campaign {number}", summary="", motion_text="Aye"
        )
        while True:
            info = await session.governance.get_proposal(proposal_id, certified=False)
            if info and info["executed_timestamp_seconds"]:
                break
            if info and info["status"] in (2, 5):
                raise RuntimeError(f"proposal {proposal_id} was not adopted: {info['status']}")
            await asyncio.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--smoke", action="store_true", help="20 neurons and 2 proposals, 3 runs of each start-up"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    runs = 3 if args.smoke else 7
    neurons, proposals = (20, 2) if args.smoke else (1_000, 20)
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
            figures["query_s"] = round(timed(icbox(directory, "proposal", "list"), runs), 3)
            from tui.ops.session import Session

            with Session.open(directory=directory) as session:
                leader = session.target.neuron_id
                assert leader is not None
                began = time.perf_counter()
                session.run(campaign(session, neurons, proposals, leader))
                figures["campaign_s"] = round(time.perf_counter() - began, 2)
            figures["campaign_neurons"] = neurons
            figures["campaign_proposals"] = proposals
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
