"""Every `icbox` command against one live network (the module's), `--json` checked against the
written schemas in tests/e2e/schemas/, the refusals of the command line each with its exit code,
its message and no change, and the chain-evolution example script.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from referencing import Registry, Resource

from nns.governance.parameters import Durations
from replica.presets import get_preset
from tests.e2e.conftest import REPOSITORY, LiveNetwork
from tui.cli import main

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]

SCHEMAS = Path(__file__).parent / "schemas"
REGISTRY: Registry = Registry().with_resources(
    (path.name, Resource.from_contents(json.loads(path.read_text())))
    for path in SCHEMAS.glob("*.json")
)


def check(document: Any, schema: str) -> Any:
    contents = json.loads((SCHEMAS / f"{schema}.json").read_text())
    jsonschema.Draft202012Validator(contents, registry=REGISTRY).validate(document)
    return document


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str


class Icbox:
    """`icbox` in this process (Click's runner: the same code path from argv to exit code, without
    a Python start-up per command), or as a real process with `process()`."""

    def __init__(self, network: LiveNetwork, home: Path) -> None:
        self.network = network
        self.home = home
        self.environment = {**os.environ, "PYTHONPATH": str(REPOSITORY), "ICBOX_HOME": str(home)}

    def __call__(self, *arguments: str, stdin: str | None = None) -> Outcome:
        result = CliRunner().invoke(
            main,
            ["--directory", str(self.network.directory), *arguments],
            input=stdin,
            env={"ICBOX_HOME": str(self.home)},
            prog_name="icbox",
            terminal_width=200,
        )
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Outcome(result.exit_code, result.stdout, result.stderr)

    def process(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "tui.cli",
                "--directory",
                str(self.network.directory),
                *arguments,
            ],
            capture_output=True,
            text=True,
            timeout=300,
            env=self.environment,
            cwd=str(REPOSITORY),
        )

    def json(self, *arguments: str, schema: str) -> Any:
        result = self(*arguments, "--json")
        assert result.returncode == 0, result.stdout + result.stderr
        return check(json.loads(result.stdout), schema)

    def refused(
        self, *arguments: str, code: int, kind: str | None = None, text: str = ""
    ) -> dict[str, Any]:
        result = self(*arguments, "--json")
        assert result.returncode == code, result.stdout + result.stderr
        assert result.stdout == ""
        error = check(json.loads(result.stderr), "error")["error"]
        assert kind is None or error["kind"] == kind, error
        assert text.lower() in error["message"].lower(), error
        assert "Traceback" not in result.stderr
        return dict(error)


@pytest.fixture(scope="module")
def icbox(live_network: LiveNetwork, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Icbox]:
    yield Icbox(live_network, tmp_path_factory.mktemp("icbox-home"))


@pytest.fixture(scope="module")
def alice(icbox: Icbox) -> dict[str, Any]:
    return dict(icbox.json("identity", "new", "alice", schema="identity"))


@pytest.fixture(scope="module")
def staked(icbox: Icbox) -> int:
    """A neuron of the network's identity, 8 years of dissolve delay, following neuron 1 on
    everything."""
    stake = icbox.json("neuron", "stake", "10", "--dissolve-delay", "8y", schema="stake")
    neuron_id = int(stake["neuron_id"])
    for topic in ("all", "governance"):
        assert (
            icbox(
                "neuron", "follow", str(neuron_id), "--topic", topic, "--followees", "1"
            ).returncode
            == 0
        )
    return neuron_id


# -- identities
# -------------------------------------------------------------------------------------


def test_identities_are_dfx_pem_files_readable_only_by_their_owner(
    icbox: Icbox, alice: dict[str, Any]
) -> None:
    pem = Path(alice["pem_path"])
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600 and pem.read_text().startswith(
        "-----BEGIN PRIVATE KEY-----"
    )
    listed = icbox("identity", "list", "--json")
    names = [entry["name"] for entry in json.loads(listed.stdout)["identities"]]
    assert names[:2] == ["anonymous", "network"] and "alice" in names
    assert "PRIVATE KEY" not in icbox("identity", "show", "alice").stdout
    exported = icbox("identity", "export", "alice")
    assert exported.stdout == pem.read_text()
    imported = icbox("identity", "import", "bob", "-", "--json", stdin=exported.stdout)
    assert json.loads(imported.stdout)["principal"] == alice["principal"]
    assert icbox.json("identity", "use", "bob", schema="identity")["default"] is True
    icbox.refused("identity", "remove", "bob", "--yes", code=1, kind="IdentityInUse")
    assert icbox("identity", "use", "network").returncode == 0
    assert icbox("identity", "remove", "bob", "--yes").returncode == 0
    icbox.refused("identity", "show", "bob", code=1, kind="UnknownIdentity")
    icbox.refused("identity", "new", "alice", code=1, kind="IdentityExists")


# -- the ledger
# ---------------------------------------------------------------------------------------


def test_a_transfer_shows_its_fee_and_lands_in_both_histories(
    icbox: Icbox, alice: dict[str, Any]
) -> None:
    before = icbox.json("ledger", "balance", schema="balance")
    sent = icbox.json(
        "ledger", "transfer", "2.5", "--to", alice["principal"], "--memo", "77", schema="transfer"
    )
    assert sent["fee_e8s"] == 10_000 and sent["to"] == alice["account_id"] and sent["memo"] == 77
    after = icbox.json("ledger", "balance", schema="balance")
    assert after["balance_e8s"] == before["balance_e8s"] - 250_000_000 - 10_000
    theirs = icbox.json("ledger", "balance", alice["account_id"], schema="balance")
    assert theirs["balance_e8s"] == 250_000_000
    history = icbox.json(
        "ledger", "history", "--identity", "alice", "--limit", "5", schema="history"
    )
    assert history["transactions"][0]["block_index"] == sent["block_index"]
    assert history["transactions"][0]["memo"] == 77
    account = icbox("ledger", "account-id", "--identity", "alice")
    assert account.stdout.strip() == alice["account_id"]
    assert "ICP" in icbox("ledger", "balance").stdout


def test_insufficient_funds_and_a_malformed_principal_are_refused_and_change_nothing(
    icbox: Icbox, alice: dict[str, Any]
) -> None:
    before = icbox.json("ledger", "balance", "--identity", "alice", schema="balance")
    error = icbox.refused(
        "ledger",
        "transfer",
        "1000",
        "--to",
        "ryjl3-tyaaa-aaaaa-aaaba-cai",
        "--identity",
        "alice",
        code=3,
        kind="InsufficientFunds",
        text="insufficientfunds",
    )
    assert "balance" in error["message"]
    icbox.refused(
        "ledger", "transfer", "1", "--to", "not-a-principal", code=1, kind="MalformedPrincipal"
    )
    icbox.refused(
        "ledger",
        "transfer",
        "1.000000001",
        "--to",
        alice["principal"],
        code=1,
        kind="MalformedAmount",
    )
    assert icbox.json("ledger", "balance", "--identity", "alice", schema="balance") == before


def test_an_unreachable_network_exits_2_with_a_json_error(icbox: Icbox) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    icbox.refused(
        "ledger",
        "balance",
        "--network",
        f"http://127.0.0.1:{port}",
        code=2,
        kind="NetworkUnreachable",
    )
    plain = icbox.process("ledger", "balance", "--network", f"http://127.0.0.1:{port}")
    assert (
        plain.returncode == 2
        and plain.stderr.startswith("error:")
        and "Traceback" not in plain.stderr
    )
    icbox.refused("ledger", "balance", "--network", "nowhere", code=1, kind="UnknownNetwork")


# -- neurons
# ------------------------------------------------------------------------------------------


def test_a_staked_neuron_is_listed_and_shown_with_its_following(icbox: Icbox, staked: int) -> None:
    listed = icbox("neuron", "list", "--json")
    ids = [check(neuron, "neuron")["id"] for neuron in json.loads(listed.stdout)["neurons"]]
    assert 1 in ids and staked in ids
    shown = icbox.json("neuron", "show", str(staked), schema="neuron")
    assert (
        shown["followees"] == {"all": [1], "governance": [1]}
        and shown["stake_e8s"] == 10 * 100_000_000
    )
    assert shown["state"] == "not-dissolving"
    # `8y` is governance time: the maximum dissolve delay in the network's preset seconds.
    preset = json.loads((icbox.network.directory / ".icbox" / "network.json").read_text())["preset"]
    eight_years = Durations.of(get_preset(preset)).max_dissolve_delay_seconds
    assert shown["dissolve_delay_seconds"] == eight_years


def test_who_decides_follows_the_chain_to_the_neuron_that_votes(icbox: Icbox, staked: int) -> None:
    follower = icbox.json("neuron", "stake", "1", "--dissolve-delay", "8y", schema="stake")[
        "neuron_id"
    ]
    assert (
        icbox(
            "neuron",
            "follow",
            str(follower),
            "--topic",
            "subnet-management",
            "--followees",
            str(staked),
        ).returncode
        == 0
    )
    result = icbox.json(
        "neuron", "who-decides", str(follower), "--topic", "subnet-management", schema="who_decides"
    )
    (decider,) = result["deciders"]
    assert (
        decider["neuron_id"] == 1
        and decider["sole"]
        and decider["chains"] == [[follower, staked, 1]]
    )
    assert decider["voting_power_behind"] > decider["voting_power"] > 0
    text = icbox("neuron", "who-decides", str(follower), "--topic", "subnet-management").stdout
    assert "decides alone" in text and f"{follower} -> {staked} -> 1" in text
    icbox.refused(
        "neuron",
        "who-decides",
        str(follower),
        "--topic",
        "no-such-topic",
        code=1,
        kind="UnknownTopic",
    )


def test_neuron_configuration_commands_change_the_neuron(
    icbox: Icbox, staked: int, alice: dict[str, Any]
) -> None:
    neuron = str(staked)
    assert icbox("neuron", "hotkey", "add", neuron, alice["principal"]).returncode == 0
    assert icbox.json("neuron", "show", neuron, schema="neuron")["hot_keys"] == [alice["principal"]]
    assert icbox("neuron", "hotkey", "remove", neuron, alice["principal"]).returncode == 0
    assert icbox("neuron", "set-visibility", neuron, "public").returncode == 0
    assert icbox.json("neuron", "show", neuron, schema="neuron")["visibility"] == "public"
    assert icbox("neuron", "start-dissolving", neuron).returncode == 0
    assert icbox.json("neuron", "show", neuron, schema="neuron")["state"] == "dissolving"
    assert icbox("neuron", "stop-dissolving", neuron).returncode == 0
    assert icbox("neuron", "increase-dissolve-delay", neuron, "--by", "1d").returncode == 0
    assert icbox("neuron", "refresh", neuron).returncode == 0
    split = icbox("neuron", "split", neuron, "--amount", "2", "--json")
    assert split.returncode == 0, split.stderr
    created = json.loads(split.stdout)["created_neuron_id"]
    assert icbox("neuron", "merge", neuron, "--from", str(created)).returncode == 0
    shown = icbox.json("neuron", "show", neuron, schema="neuron")
    assert shown["state"] == "not-dissolving" and shown["hot_keys"] == []
    assert icbox("neuron", "unfollow", neuron, "--topic", "governance").returncode == 0
    assert (
        icbox("neuron", "follow", neuron, "--topic", "governance", "--followees", "1").returncode
        == 0
    )


def test_a_hot_key_change_by_a_stranger_is_refused_and_changes_nothing(
    icbox: Icbox, staked: int, alice: dict[str, Any]
) -> None:
    before = icbox.json("neuron", "show", str(staked), schema="neuron")
    icbox.refused(
        "neuron",
        "hotkey",
        "add",
        str(staked),
        alice["principal"],
        "--identity",
        "alice",
        code=3,
        kind="NotAuthorized",
    )
    icbox.refused(
        "neuron", "hotkey", "add", str(staked), "bad principal", code=1, kind="MalformedPrincipal"
    )
    after = icbox.json("neuron", "show", str(staked), schema="neuron")
    assert after["hot_keys"] == before["hot_keys"]


# -- proposals
# ----------------------------------------------------------------------------------------


def test_maturity_commands_and_disburse_refuse_a_neuron_without_maturity_or_not_dissolved(
    icbox: Icbox,
) -> None:
    # A new neuron has the initial 7-day dissolve delay: too short to vote, so no maturity,
    # and not dissolved.
    neuron = str(icbox.json("neuron", "stake", "2", schema="stake")["neuron_id"])
    before = icbox.json("neuron", "show", neuron, schema="neuron")
    assert before["state"] == "not-dissolving" and before["maturity_e8s"] == 0
    balance = icbox.json("ledger", "balance", schema="balance")["balance_e8s"]
    icbox.refused("neuron", "spawn", neuron, code=3, kind="InsufficientFunds", text="maturity")
    icbox.refused("neuron", "disburse-maturity", neuron, code=3, kind="PreconditionFailed")
    icbox.refused("neuron", "disburse", neuron, code=3, kind="PreconditionFailed")
    staked = icbox("neuron", "stake-maturity", neuron, "--json")
    assert staked.returncode == 0, staked.stderr
    assert json.loads(staked.stdout)["staked_maturity_e8s"] == 0
    after = icbox.json("neuron", "show", neuron, schema="neuron")
    assert (after["stake_e8s"], after["maturity_e8s"], after["staked_maturity_e8s"]) == (
        2 * 100_000_000,
        0,
        0,
    )
    assert icbox.json("ledger", "balance", schema="balance")["balance_e8s"] == balance


def proposal_count(icbox: Icbox) -> int:
    return len(
        icbox.json("proposal", "list", "--limit", "100", schema="proposal_list")["proposals"]
    )


def test_a_dry_run_previews_without_submitting(icbox: Icbox, staked: int) -> None:
    before = proposal_count(icbox)
    preview = icbox.json(
        "proposal",
        "make",
        "motion",
        "--neuron",
        "1",
        "--title",
        "Dry",
        "--text",
        "only a preview",
        "--dry-run",
        schema="make",
    )
    assert preview["dry_run"] and preview["preview"]["reject_cost_e8s"] == 100_000_000
    projected = preview["preview"]["projected_tally"]
    assert projected["adopted_at_once"] and staked in projected["neurons_voting_yes"]
    subnet = icbox.network.network["subnets"][1]["subnet_id"]
    halt = icbox.json(
        "proposal",
        "make",
        "update-subnet",
        "--subnet",
        subnet,
        "--halt",
        "--dry-run",
        schema="make",
    )["preview"]["registry"]
    assert halt["valid"] and halt["diff"]["subnets_changed"] == [
        {"id": subnet, "is_halted": {"from": False, "to": True}}
    ]
    text = icbox(
        "proposal", "make", "update-subnet", "--subnet", subnet, "--halt", "--dry-run"
    ).stdout
    assert "reject cost" in text and "is_halted" in text
    assert proposal_count(icbox) == before


def test_a_proposal_the_registry_would_refuse_is_shown_and_not_submitted(icbox: Icbox) -> None:
    before = proposal_count(icbox)
    member = icbox.network.subnet_nodes(1)[0]["node_id"]
    nns_subnet = icbox.network.network["subnets"][0]["subnet_id"]
    preview = icbox.json(
        "proposal",
        "make",
        "add-nodes",
        "--subnet",
        nns_subnet,
        "--nodes",
        member,
        "--dry-run",
        schema="make",
    )["preview"]["registry"]
    assert not preview["valid"] and "member of subnet" in preview["error"]
    icbox.refused(
        "proposal",
        "make",
        "add-nodes",
        "--subnet",
        nns_subnet,
        "--nodes",
        member,
        "--yes",
        code=3,
        kind="InvalidProposal",
    )
    icbox.refused("proposal", "make", "motion", "--text", "x", code=1, text="--yes")
    assert proposal_count(icbox) == before


def test_every_other_proposal_kind_is_previewed_from_the_registry(
    icbox: Icbox, staked: int, tmp_path: Path
) -> None:
    before = proposal_count(icbox)
    topology = icbox.json("topology", schema="topology")
    member = icbox.network.subnet_nodes(1)[0]["node_id"]
    removal = icbox.json(
        "proposal", "make", "remove-nodes", "--nodes", member, "--dry-run", schema="make"
    )["preview"]["registry"]
    assert removal["valid"], removal
    assert [change["nodes_removed"] for change in removal["diff"]["subnets_changed"]] == [[member]]
    unassigned = topology["unassigned_nodes"][0]
    nowhere = icbox.json(
        "proposal", "make", "remove-nodes", "--nodes", unassigned, "--dry-run", schema="make"
    )["preview"]["registry"]
    assert not nowhere["valid"] and "none of the nodes is a member" in nowhere["error"]
    running = topology["subnets"][0]["replica_version"]
    retire = icbox.json(
        "proposal", "make", "retire-version", "--versions", running, "--dry-run", schema="make"
    )["preview"]["registry"]
    assert not retire["valid"] and f"{running} is in use" in retire["error"]
    wasm = tmp_path / "canister.wasm"
    wasm.write_bytes(b"\0asm\x01\0\0\0")
    install = icbox.json(
        "proposal",
        "make",
        "install-code",
        "--canister",
        "rwlgt-iiaaa-aaaaa-aaaaa-cai",
        "--wasm",
        str(wasm),
        "--dry-run",
        schema="make",
    )["preview"]
    assert install["kind"] == "install-code" and install["registry"] is None
    known = icbox.json(
        "proposal",
        "make",
        "register-known-neuron",
        "--known-neuron",
        str(staked),
        "--name",
        "CLI follower",
        "--dry-run",
        schema="make",
    )["preview"]
    assert known["kind"] == "register-known-neuron" and known["topic"] == "governance"
    assert proposal_count(icbox) == before


def test_a_motion_is_made_watched_until_executed_and_shown(icbox: Icbox, staked: int) -> None:
    made = icbox.json(
        "proposal",
        "make",
        "motion",
        "--neuron",
        "1",
        "--title",
        "CLI motion",
        "--text",
        "Aye",
        "--yes",
        schema="make",
    )
    proposal_id = str(made["proposal_id"])
    watched = icbox("proposal", "watch", proposal_id, "--json", "--timeout", "120")
    assert watched.returncode == 0, watched.stderr
    views = [check(json.loads(line), "proposal") for line in watched.stdout.splitlines()]
    assert views[-1]["status"] == "executed" and views[-1]["tally"]["yes"] > 0
    shown = icbox.json("proposal", "show", proposal_id, schema="proposal")
    assert shown["action"] == "Motion" and shown["action_details"] == {"motion_text": "Aye"}
    listed = icbox.json("proposal", "list", "--status", "executed", schema="proposal_list")
    assert int(proposal_id) in [p["id"] for p in listed["proposals"]]
    assert "executed" in icbox("proposal", "list").stdout
    icbox.refused("proposal", "show", "987654", code=3, kind="NotFound")
    icbox.refused(
        "proposal", "vote", "987654", "--neuron", str(staked), "--yes", code=3, kind="NotFound"
    )


def test_too_short_a_dissolve_delay_cannot_vote_and_too_little_stake_cannot_propose(
    icbox: Icbox,
) -> None:
    short = icbox.json("neuron", "stake", "1", schema="stake")["neuron_id"]
    small = icbox.json("neuron", "stake", "1", "--dissolve-delay", "8y", schema="stake")[
        "neuron_id"
    ]
    first = icbox.json(
        "proposal",
        "make",
        "motion",
        "--neuron",
        str(small),
        "--title",
        "Small",
        "--text",
        "open",
        "--yes",
        schema="make",
    )
    proposal_id = str(first["proposal_id"])
    icbox.refused("neuron", "vote", str(short), "--proposal", proposal_id, "--yes", code=3)
    assert str(short) not in json.dumps(
        icbox.json("proposal", "show", proposal_id, schema="proposal")
    )
    before = proposal_count(icbox)
    error = icbox.refused(
        "proposal",
        "make",
        "motion",
        "--neuron",
        str(small),
        "--title",
        "Again",
        "--text",
        "no",
        "--yes",
        code=3,
    )
    assert error["kind"] in ("InsufficientFunds", "PreconditionFailed"), error
    assert proposal_count(icbox) == before
    voted = icbox("proposal", "vote", proposal_id, "--neuron", "1", "--yes")
    assert voted.returncode == 0, voted.stderr


def test_network_economics_are_previewed_from_their_current_values_and_changed(
    icbox: Icbox,
) -> None:
    change = ("proposal", "make", "network-economics", "--max-proposals-per-topic", "150")
    preview = icbox.json(*change, "--dry-run", schema="make")["preview"]
    assert preview["topic"] == "network-economics"
    assert preview["action"] == {"max_proposals_to_keep_per_topic": {"from": 100, "to": 150}}
    made = icbox.json(*change, "--yes", schema="make")
    watched = icbox("proposal", "watch", str(made["proposal_id"]), "--json", "--timeout", "120")
    assert watched.returncode == 0, watched.stderr
    assert json.loads(watched.stdout.splitlines()[-1])["status"] == "executed"
    again = icbox.json(*change, "--dry-run", schema="make")["preview"]["action"]
    assert again == {"max_proposals_to_keep_per_topic": {"from": 150, "to": 150}}
    icbox.refused("proposal", "make", "network-economics", "--yes", code=1, text="at least one")


# -- topology
# -----------------------------------------------------------------------------------------


def test_topology_at_a_version_and_the_diff_after_an_election(icbox: Icbox) -> None:
    first = icbox.json("topology", "--at-version", "1", schema="topology")
    assert len(first["subnets"]) == 2 and len(first["unassigned_nodes"]) == 3
    made = icbox.json(
        "proposal",
        "make",
        "elect-version",
        "--neuron",
        "1",
        "--version",
        "9.9.9-cli",
        "--sha256",
        "ab" * 32,
        "--package-url",
        "https://example.org/r.tar.gz",
        "--yes",
        schema="make",
    )
    assert made["preview"]["registry"]["diff"]["elected_replica_versions"]["added"] == ["9.9.9-cli"]
    watched = icbox("proposal", "watch", str(made["proposal_id"]), "--timeout", "120")
    assert watched.returncode == 0 and "executed" in watched.stdout, watched.stdout + watched.stderr
    latest = icbox.json("topology", schema="topology")
    assert "9.9.9-cli" in latest["elected_replica_versions"]
    diff = icbox.json("topology", "--diff", "1", str(latest["version"]), schema="diff")
    assert "9.9.9-cli" in diff["elected_replica_versions"]["added"]
    assert (
        "elected version added: 9.9.9-cli"
        in icbox("topology", "--diff", "1", str(latest["version"])).stdout
    )
    assert "subnet" in icbox("topology", "--tree").stdout
    icbox.refused("topology", "--at-version", "100000", code=1, kind="UnknownVersion")


def test_a_campaign_script_stakes_and_follows_in_batches_and_every_ballot_follows(
    icbox: Icbox,
) -> None:
    from tui import Client
    from tui.ops.errors import Refused

    with Client.open(directory=icbox.network.directory, identity="network") as client:
        leader = client.network_neuron
        assert leader is not None
        balance = client.balance().balance_e8s
        with pytest.raises(Refused) as refused:
            client.stake_many(3, balance // 100_000_000)
        assert refused.value.kind == "InsufficientFunds"
        assert client.balance().balance_e8s == balance
        staked = client.stake_many(5, 1, dissolve_delay_seconds=8 * 365 * 86_400, concurrency=2)
        assert len(set(staked.neuron_ids)) == 5
        assert [phase.name for phase in staked.phases] == [
            "ledger transfer",
            "claim",
            "dissolve delay",
        ]
        assert client.balance().balance_e8s == balance - 5 * (100_000_000 + staked.fee_e8s)
        followed = client.follow_many(
            staked.neuron_ids, topics=("all", "governance"), followees=[leader]
        )
        assert followed.calls == 5
        shown = client.neuron(staked.neuron_ids[0])
        assert shown.followees == {0: (leader,), 4: (leader,)}
        preview = client.preview(leader, "Batch", client.actions.motion("batch"))
        assert set(staked.neuron_ids) <= set(preview.projected.neurons_voting_yes)
        final = client.wait_for(client.submit(preview), timeout_s=120)
        assert final.status == "executed"
        ballots = client.ballots(final.proposal_id)
        assert all(ballots[n].vote == "yes" for n in staked.neuron_ids)
        assert final.yes >= sum(ballots[n].voting_power for n in staked.neuron_ids)
        with pytest.raises(Refused) as unknown:
            client.ballots(987654)
        assert unknown.value.kind == "NotFound"


# -- the example
# --------------------------------------------------------------------------------------


def test_the_chain_evolution_example_runs_to_the_end(icbox: Icbox) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(REPOSITORY / "examples" / "chain_evolution.py"),
            "--directory",
            str(icbox.network.directory),
            "--json",
            "--version",
            "0.3.0-example",
        ],
        capture_output=True,
        text=True,
        timeout=400,
        env=icbox.environment,
        cwd=str(REPOSITORY),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "executed" and report["follower_voted_yes"]
    assert report["diff"]["elected_replica_versions"]["added"] == ["0.3.0-example"]
    assert [d["neuron_id"] for d in report["who_decides"]["deciders"]] == [report["leader"]]
