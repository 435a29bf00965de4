"""Upgrading the protocol on a real network, by proposal, under load (DESIGN section 5, flow 3).

One network for the module (an NNS subnet of 4, an application subnet of 4,
one unassigned node) and one release server. The tests run in order, each
leaving the network healthy for the next:

1. a release of this tree is elected and deployed to the application subnet:
   the subnet makes empty blocks after the summary naming it, its CUP hands
   over, and every orchestrator restarts its replica from the archive's code;
2. an archive that does not match its elected hash is refused by the
   unassigned node it is deployed to, and never run;
3. the application subnet is halted and resumed by UpdateSubnet proposals;
4. a broken release (its replica crashes at start) stalls the subnet at the
   handover CUP with its state intact, and the NNS subnet is unaffected; then
   `icbox subnet recover` deploys the previous version, files RecoverSubnet at
   the stalled height and unhalts it: the subnet resumes on the previous version
   with its canister state unchanged (the IC's subnet recovery test with a broken
   replica, `rs/tests/consensus/subnet_recovery/`).

The load is `add(1)` on the application subnet's counter throughout the
upgrade and the halt: its certified replies must be exactly 1..N.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registry.records import catch_up_package_contents_key
from replica.agent.errors import HttpStatusError, VerificationError
from replica.agent.sync import Agent
from replica.crypto.dkg import Transcript
from replica.crypto.hashtree import Found
from replica.live.driver import open_local_registry
from replica.live.layout import REGISTRY_FILE, read_json
from replica.release.archive import RELEASE_PACKAGES, ReleaseArchive, build_archive
from replica.release.server import ReleaseServer, publish
from replica.types import Principal
from tests.e2e.conftest import (
    REPOSITORY,
    LiveNetwork,
    icbox,
    running_network,
    wait_until,
)
from tests.e2e.test_faults import counter_value
from tests.e2e.workload import PersistentLoad

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNetwork]:
    with running_network(tmp_path_factory.mktemp("upgrade"), unassigned=1) as network:
        yield network


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReleaseServer]:
    with ReleaseServer(tmp_path_factory.mktemp("served")) as served:
        yield served


def copy_tree(destination: Path) -> Path:
    for package in RELEASE_PACKAGES:
        shutil.copytree(
            REPOSITORY / package,
            destination / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
    return destination


def served(server: ReleaseServer, archive: ReleaseArchive) -> str:
    publish(archive, Path(server._server.directory))
    return server.url_of(archive)


def run_json(network: LiveNetwork, *arguments: str) -> Any:
    result = icbox(network.directory, *arguments, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def adopt(network: LiveNetwork, kind: str, *options: str) -> int:
    """Make a proposal with the network's neuron (its vote alone adopts it); wait until executed."""
    made = run_json(network, "proposal", "make", kind, *options, "--yes")
    proposal_id = int(made["proposal_id"])
    final = run_json(network, "proposal", "watch", str(proposal_id), "--timeout", "120")
    assert final["status"] == "executed", final
    return proposal_id


def elect(network: LiveNetwork, version: str, sha256: str, url: str) -> None:
    adopt(network, "elect-version", "--version", version, "--sha256", sha256, "--package-url", url)


def app_subnet(network: LiveNetwork) -> str:
    return str(network.network["subnets"][1]["subnet_id"])


def events(network: LiveNetwork, node: dict[str, Any]) -> list[dict[str, Any]]:
    path = network.node_dir(node) / "events.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def runs(network: LiveNetwork, node: dict[str, Any], version: str) -> bool:
    status = network.status(node)
    return status is not None and status.replica_version == version and status.upgrade_due is None


def load_on(network: LiveNetwork, subnet: int) -> PersistentLoad:
    """Calls to every replica of the subnet, each resent to the next one when its replica
    restarts."""
    agents = [
        Agent(
            node["http"],
            identity=network.identity,
            root_key_der=network.root_key,
            poll_timeout_seconds=10.0,
        )
        for node in network.subnet_nodes(subnet)
    ]
    network._agents.extend(agents)
    return PersistentLoad(agents, start=counter_value(network, network.subnet_nodes(subnet)[0]))


def subnet_public_key(network: LiveNetwork, subnet: str) -> bytes:
    """The subnet's public key as the NNS subnet certifies it (from the registry)."""
    subnet_id = Principal.from_text(subnet)
    nns = Principal.from_text(str(network.network["nns_subnet_id"]))
    agent = network.agent(network.subnet_nodes(0)[0], anonymous=True)
    path = [b"subnet", subnet_id.raw, b"public_key"]
    found = agent.read_subnet_state(nns, [path]).lookup(path)
    assert isinstance(found, Found), found
    return found.value


def finalizing(network: LiveNetwork, subnet: int, above: int) -> bool:
    return min(network.heights(subnet)) > above


def test_a_release_elected_and_deployed_by_proposal_runs_from_its_archive(
    network: LiveNetwork, server: ReleaseServer
) -> None:
    archive = build_archive(REPOSITORY)
    elect(network, "0.2.0", archive.sha256_hex, served(server, archive))
    nodes = network.subnet_nodes(1)
    with load_on(network, 1) as load:
        wait_until(lambda: len(load.replies) >= 5, timeout_s=60, what="certified replies")
        before = max(network.heights(1))
        adopt(network, "deploy-subnet", "--subnet", app_subnet(network), "--version", "0.2.0")
        wait_until(
            lambda: all(runs(network, node, "0.2.0") for node in nodes),
            timeout_s=180,
            what="every replica of the subnet running 0.2.0",
        )
        upgraded_at = max(network.heights(1))
        wait_until(
            lambda: finalizing(network, 1, upgraded_at + 5),
            timeout_s=60,
            what="finalization by the new version",
        )
        replied = len(load.replies)
        wait_until(lambda: len(load.replies) >= replied + 5, timeout_s=60, what="more replies")
    assert upgraded_at > before
    for node in nodes:
        status = network.status(node)
        assert status is not None
        # A node whose release was ready before the CUP that switches runs the standby started
        # ahead of the switch (its code loaded before the CUP), not a process started at the
        # switch; one whose release was still being fetched at that CUP starts it once ready.
        whats = [(event["what"], event["why"]) for event in events(network, node)]
        ready = next(
            i for i, (what, why) in enumerate(whats) if what == "release ready" and "0.2.0" in why
        )
        switch = next(i for i, (what, why) in enumerate(whats) if what == "run" and "0.2.0" in why)
        log = Path(node["log"]).read_text(errors="replace")
        if ready < switch:
            assert "replica standby" in [what for what, _ in whats[ready:switch]]
            assert f"standby: code loaded, waiting for go (pid {status.pid})" in log
        else:
            assert "replica switched" in [what for what, _ in whats[ready:]]
        code = Path(status.code_dir)
        assert code.is_relative_to(network.node_dir(node) / "releases"), code
        assert code.name == archive.sha256_hex
        http_status = network.agent(node, anonymous=True).status()
        assert http_status["impl_version"] == "0.2.0"
    for node in network.subnet_nodes(0):
        assert runs(network, node, "0.1.0")
    shown = run_json(network, "status")
    assert shown is not None
    text = icbox(network.directory, "status").stdout
    assert "0.2.0" in text and "0.1.0" in text
    load.check()
    assert counter_value(network, nodes[0]) >= len(load.replies)


def test_an_archive_that_does_not_match_its_hash_is_refused_and_never_run(
    network: LiveNetwork, server: ReleaseServer, tmp_path: Path
) -> None:
    tree = copy_tree(tmp_path / "tree")
    (tree / "replica" / "live" / "__main__.py").write_text(
        (tree / "replica" / "live" / "__main__.py").read_text() + "\n# 0.4.0\n"
    )
    elected = build_archive(tree)
    url = served(server, elected)
    # Someone replaces the file on the server after the election.
    Path(server._server.directory, elected.file_name).write_bytes(build_archive(REPOSITORY).data)
    elect(network, "0.4.0", elected.sha256_hex, url)
    adopt(network, "deploy-unassigned", "--version", "0.4.0")
    unassigned = [node for node in network.network["nodes"] if node["subnet_id"] is None]
    assert unassigned
    for node in unassigned:

        def refusals(node: dict[str, Any] = node) -> list[dict[str, Any]]:
            return [e for e in events(network, node) if e["what"] == "release refused"]

        refused = wait_until(refusals, timeout_s=60, what="the refusal event")
        assert "ReleaseHashMismatch" in refused[0]["why"], refused
        releases = network.node_dir(node) / "releases"
        assert not (releases / elected.sha256_hex).exists()
        assert not (releases / elected.file_name).exists()


def test_a_subnet_halted_by_proposal_stops_and_resumes_without_losing_a_reply(
    network: LiveNetwork,
) -> None:
    subnet = app_subnet(network)
    with load_on(network, 1) as load:
        wait_until(lambda: len(load.replies) >= 3, timeout_s=60, what="certified replies")
        adopt(network, "update-subnet", "--subnet", subnet, "--halt")

        def settled() -> int | None:
            first = max(network.heights(1))
            time.sleep(3)
            second = max(network.heights(1))
            return second if second == first else None

        halted_at = wait_until(settled, timeout_s=90, what="the halted subnet to stop")
        replied = len(load.replies)
        time.sleep(3)
        assert max(network.heights(1)) == halted_at, "a halted subnet finalized a block"
        adopt(network, "update-subnet", "--subnet", subnet, "--unhalt")
        wait_until(
            lambda: finalizing(network, 1, halted_at + 3), timeout_s=90, what="resumed finalization"
        )
        wait_until(lambda: len(load.replies) >= replied + 3, timeout_s=60, what="more replies")
    load.check()


def test_a_broken_release_stalls_its_subnet_and_a_recovery_cup_restores_the_previous_version(
    network: LiveNetwork, server: ReleaseServer, tmp_path: Path
) -> None:
    tree = copy_tree(tmp_path / "tree")
    service = tree / "replica" / "live" / "service.py"
    source = service.read_text()
    marker = "    async def run(self) -> None:\n"
    assert marker in source
    service.write_text(
        source.replace(marker, marker + '        raise RuntimeError("a broken release")\n', 1)
    )
    broken = build_archive(tree)
    elect(network, "0.3.0", broken.sha256_hex, served(server, broken))
    nodes = network.subnet_nodes(1)
    subnet = app_subnet(network)
    key_before = subnet_public_key(network, subnet)
    adopt(network, "deploy-subnet", "--subnet", subnet, "--version", "0.3.0")
    wait_until(
        lambda: all(
            any(e["what"] == "replica died" for e in events(network, node)) for node in nodes
        ),
        timeout_s=180,
        what="the broken version's replicas dying",
    )
    cups = {read_json(network.node_dir(node) / "status.json")["cup_height"] for node in nodes}
    assert len(cups) == 1
    stalled_at = cups.pop()
    nns_before = max(network.heights(0))
    wait_until(lambda: finalizing(network, 0, nns_before + 5), timeout_s=60, what="NNS progress")
    for node in nodes:
        checkpoints = network.node_dir(node) / "state" / "checkpoints" / str(stalled_at)
        assert checkpoints.is_dir(), "the stalled subnet lost its checkpoint"

    # The recovery: the previous version deployed, a recovery CUP at the stall, the subnet unhalted.
    point = run_json(network, "subnet", "recover", "--subnet", subnet, "--dry-run")["point"]
    assert point["height"] == stalled_at and len(point["nodes"]) == len(nodes)
    recovered = run_json(
        network, "subnet", "recover", "--subnet", subnet, "--version", "0.2.0", "--yes"
    )
    kinds = [filed["kind"] for filed in recovered["proposals"]]
    assert kinds == ["deploy-subnet", "recover-subnet", "update-subnet"], recovered
    wait_until(
        lambda: all(runs(network, node, "0.2.0") for node in nodes),
        timeout_s=180,
        what="every replica back on 0.2.0",
    )
    wait_until(
        lambda: finalizing(network, 1, stalled_at + 3), timeout_s=120, what="the recovered chain"
    )

    def settled_value() -> int | None:
        # The recovered subnet signs with its new key: its answers verify once the NNS certifies
        # that key and the replicas hold a delegation that names it (until then a replica may
        # also answer 503, `waiting_for_root_delegation`, as the IC's does).
        try:
            return counter_value(network, nodes[0])
        except VerificationError:
            return None
        except HttpStatusError as error:
            if error.status != 503:
                raise
            return None

    value = wait_until(settled_value, timeout_s=120, what="a verified answer of the new key")
    with load_on(network, 1) as load:
        assert load.start == value
        wait_until(lambda: len(load.replies) >= 5, timeout_s=120, what="replies after recovery")
    load.check()
    assert counter_value(network, nodes[1]) >= value + 5
    # A recovery deals new threshold keys (`do_recover_subnet.rs`); the subnet id stays.
    key_after = subnet_public_key(network, subnet)
    assert key_after != key_before
    # The new keys come from the NNS subnet's remote DKG: the recovery CUP contents carry its
    # transcripts, from which each member decrypts its shares with its own key.
    _, registry = open_local_registry(network.node_dir(nodes[0]) / REGISTRY_FILE)
    contents = registry.get(catch_up_package_contents_key(Principal.from_text(subnet)))
    assert contents.encrypted_shares == ()
    for record in (contents.low_threshold_transcript, contents.high_threshold_transcript):
        assert Transcript.from_bytes(record.internal_transcript).dkg_id.target
