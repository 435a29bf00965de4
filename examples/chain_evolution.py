"""Chain evolution from a script: stake, follow a known neuron, make a proposal, watch it pass,
see the topology change.

Run it next to a local network (`icbox up`):

    python examples/chain_evolution.py --directory .

It names the local network's big neuron a known neuron (a proposal that neuron
adopts alone), stakes a new neuron that follows it on every topic, proposes to
elect a new replica version, watches the proposal until it is executed, checks
that the new neuron voted Yes through following, and prints the registry diff.
With --json it prints one JSON document of what happened.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tui import Client
from tui.ops.errors import OpsError

EIGHT_YEARS_SECONDS = 8 * 365 * 86_400


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--directory", default=".", help="where the local network's .icbox/ is")
    parser.add_argument("--network", default=None, help="'local', a URL, or a configured name")
    parser.add_argument(
        "--version", default=f"0.2.{int(time.time())}", help="the replica version to elect"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    say = (lambda *_: None) if args.json else print
    try:
        with Client.open(directory=args.directory, network=args.network) as icbox:
            leader = icbox.network_neuron
            if leader is None:
                raise SystemExit("this example needs a local network's neuron (run `icbox up`)")
            icbox.refresh(leader)
            known = icbox.known_neurons()
            if leader not in known:
                action = icbox.actions.register_known_neuron(
                    leader, "icbox genesis", "The local network's neuron"
                )
                named = icbox.wait_for(
                    icbox.make_proposal(leader, "Name the genesis neuron", action)
                )
                say(f"proposal {named.proposal_id} to name neuron {leader}: {named.status}")
            say(f"known neurons: {icbox.known_neurons()}")

            neuron = icbox.stake(10, dissolve_delay_seconds=EIGHT_YEARS_SECONDS)
            icbox.follow(neuron, topic="all", followees=[leader])
            icbox.follow(neuron, topic="governance", followees=[leader])
            say(f"staked neuron {neuron} (10 ICP) following neuron {leader}")
            decides = icbox.who_decides(neuron, topic="ic-os-version-election")
            say(f"who decides neuron {neuron}'s vote: {[d.neuron_id for d in decides.deciders]}")

            before = icbox.topology()["version"]
            package = f"icbox replica {args.version}".encode()
            action = icbox.actions.elect_replica_version(
                args.version,
                urls=[f"https://example.org/icbox-{args.version}.tar.gz"],
                sha256_hex=hashlib.sha256(package).hexdigest(),
            )
            preview = icbox.preview(leader, f"Elect replica version {args.version}", action)
            say(
                f"preview: reject cost {preview.reject_cost_e8s} e8s; registry diff "
                f"{preview.registry.diff if preview.registry else None}; "
                f"projected yes {preview.projected.yes} of {preview.projected.total}"
            )
            proposal_id = icbox.make_proposal(
                leader, f"Elect replica version {args.version}", action
            )
            for view in icbox.watch(proposal_id, timeout_s=300):
                say(
                    f"proposal {proposal_id}: {view.status}, yes {view.yes} no {view.no} of "
                    f"{view.total}"
                )
            final = icbox.proposal(proposal_id)
            ballot = icbox.ballots(proposal_id).get(neuron)
            follower_voted = ballot is not None and ballot.vote == "yes"
            diff = icbox.topology_diff(before)
            say(
                f"registry {diff['from_version']} -> {diff['to_version']}: "
                f"elected {diff['elected_replica_versions']['added']}"
            )
            if args.json:
                print(
                    json.dumps(
                        {
                            "neuron": neuron,
                            "leader": leader,
                            "proposal_id": proposal_id,
                            "status": final.status,
                            "follower_voted_yes": follower_voted,
                            "who_decides": decides.to_json(),
                            "preview": preview.to_json(),
                            "diff": diff,
                        }
                    )
                )
            return (
                0
                if final.status == "executed"
                and args.version in diff["elected_replica_versions"]["added"]
                else 1
            )
    except OpsError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return error.exit_code


if __name__ == "__main__":
    sys.exit(main())
