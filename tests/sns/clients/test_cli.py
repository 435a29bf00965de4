"""`icbox sns ...` against an SNS launched on a subnet harness: the same command line, operations
and clients as on a live network, with the agent answered by the harness. Each refusal has its
exit code and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from replica.types import Principal
from tests.sns.clients.harness_agent import HarnessSession
from tests.sns.life.harness import ALICE, BUYERS, E8S, ICP_FEE, Life, make_life
from tests.sns.life.test_life import BIG
from tui.cli import main
from tui.ops.session import Session

IDENTITIES = {"alice": ALICE, **{f"buyer{i}": b for i, b in enumerate(BUYERS)}}


class Icbox:
    def __init__(self, life: Life, monkeypatch: pytest.MonkeyPatch) -> None:
        self.life = life

        def open_session(
            cls: type[Session], /, network: str | None = None, identity: str | None = None, **_: Any
        ) -> Session:
            return HarnessSession(life.harness, IDENTITIES[identity or "alice"])

        monkeypatch.setattr(Session, "open", classmethod(open_session))

    def __call__(self, *arguments: str, identity: str = "alice") -> tuple[int, Any, str]:
        result = CliRunner().invoke(
            main, ["sns", *arguments, "--identity", identity, "--json"], prog_name="icbox"
        )
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        document = json.loads(result.stdout) if result.stdout.strip() else None
        return result.exit_code, document, result.stderr

    def plain(self, *arguments: str, identity: str = "alice") -> str:
        result = CliRunner().invoke(
            main,
            ["sns", *arguments, "--identity", identity],
            prog_name="icbox",
            terminal_width=200,
        )
        assert result.exit_code == 0, result.output
        return result.stdout


def refusal(stderr: str) -> dict[str, Any]:
    error: dict[str, Any] = json.loads(stderr)["error"]
    return error


def test_icbox_sns_from_the_swap_to_a_vote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    life = make_life(tmp_path)
    icbox = Icbox(life, monkeypatch)
    code, empty, _ = icbox("list")
    assert code == 0 and empty == {"snses": []}
    life.propose_sns(**BIG)

    code, listed, _ = icbox("list")
    assert code == 0
    (entry,) = listed["snses"]
    assert entry["symbol"] == "DKP" and entry["swap"]["lifecycle"] == "adopted"
    swap = Principal.from_text(entry["canisters"]["swap"])

    # the swap is not open yet: refused with exit code 3, and no ICP moved
    before = life.icp_balance(BUYERS[0])
    code, _, stderr = icbox("participate", "DKP", "100000", "--yes", identity="buyer0")
    assert code == 3 and refusal(stderr)["kind"] == "SaleNotOpen"
    assert life.icp_balance(BUYERS[0]) == before
    code, _, stderr = icbox("show", "NOPE")
    assert code == 1 and refusal(stderr)["kind"] == "UnknownSns"
    code, _, stderr = icbox("show", "7")
    assert code == 1 and refusal(stderr)["kind"] == "UnknownSns"

    life.open_swap(swap)
    code, _, stderr = icbox("participate", "0", "1", "--yes", identity="buyer0")
    assert code == 3 and refusal(stderr)["kind"] == "InvalidUserAmount"  # below the minimum
    assert life.icp_balance(BUYERS[0]) == before
    for number in range(3):
        code, taken, _ = icbox(
            "participate", entry["canisters"]["root"], "100000", "--yes", identity=f"buyer{number}"
        )
        assert code == 0 and taken["accepted_icp_e8s"] == 100_000 * E8S, taken
        assert taken["fee_e8s"] == ICP_FEE
    assert life.icp_balance(BUYERS[0]) == before - 100_000 * E8S - ICP_FEE
    code, progress, _ = icbox("show", "DKP", identity="buyer0")
    assert progress["swap"]["direct_icp_e8s"] == 300_000 * E8S
    assert progress["swap"]["percent_of_max"] == 100.0
    assert progress["my_participation_icp_e8s"] == 100_000 * E8S
    life.rounds(40)  # the maximum is reached: the swap commits and finalizes

    code, shown, _ = icbox("show", "dkp", identity="buyer0")
    assert code == 0 and shown["swap"]["lifecycle"] == "committed" and shown["mode"] == "normal"
    assert shown["dapps"] == [life.dapp.to_text()]
    code, again, _ = icbox("finalize", "0")
    assert code == 0 and again["error_message"] is None  # already finalized: nothing is redone

    code, mine, _ = icbox("neuron", "list", "DKP", identity="buyer0")
    assert code == 0 and len(mine["neurons"]) == 3
    proposer = max(mine["neurons"], key=lambda n: n["dissolve_delay_seconds"])
    assert BUYERS[0].to_text() in proposer["permissions"]
    _, theirs, _ = icbox("neuron", "list", "DKP", identity="buyer1")
    follower = max(theirs["neurons"], key=lambda n: n["dissolve_delay_seconds"])
    code, followed, _ = icbox(
        "neuron", "follow", "DKP", follower["id"], "--topic", "governance",
        "--followee", proposer["id"], identity="buyer1",
    )  # fmt: skip
    assert code == 0 and followed["followees"] == {"Governance": [proposer["id"]]}
    code, _, stderr = icbox(
        "neuron", "follow", "DKP", follower["id"], "--topic", "governance", identity="buyer2"
    )
    assert code == 3 and refusal(stderr)["kind"] == "NotAuthorized"
    assert icbox("neuron", "show", "DKP", follower["id"])[1]["followees"] == followed["followees"]
    code, _, stderr = icbox("neuron", "show", "DKP", "abcd")
    assert code == 1 and refusal(stderr)["kind"] == "MalformedNeuronId"
    code, _, stderr = icbox(
        "neuron", "follow", "DKP", follower["id"], "--topic", "sports", identity="buyer1"
    )
    assert code == 1 and refusal(stderr)["kind"] == "UnknownTopic"
    code, longer, _ = icbox(
        "neuron", "increase-dissolve-delay", "DKP", proposer["id"], "30d", identity="buyer0"
    )
    assert code == 0
    assert longer["dissolve_delay_seconds"] == proposer["dissolve_delay_seconds"] + 30 * 86_400

    code, made, _ = icbox(
        "proposal", "motion", "DKP", "--neuron", proposer["id"], "--title", "Dragons",
        "--text", "More dragons", identity="buyer0",
    )  # fmt: skip
    assert code == 0 and made["status"] == "open" and made["topic"] == "Governance"
    assert made["yes_e8s"] > 0 and made["proposer"] == proposer["id"]
    _, other, _ = icbox("neuron", "list", "DKP", identity="buyer2")
    voter = max(other["neurons"], key=lambda n: n["dissolve_delay_seconds"])
    code, _, stderr = icbox(
        "proposal", "vote", "DKP", str(made["id"]), "--neuron", voter["id"], "--no",
        identity="buyer0",
    )  # fmt: skip
    assert code == 3 and refusal(stderr)["kind"] == "NotAuthorized"
    code, voted, _ = icbox(
        "proposal", "vote", "DKP", str(made["id"]), "--neuron", voter["id"], "--no",
        identity="buyer2",
    )  # fmt: skip
    assert code == 0 and voted["proposal"]["no_e8s"] > 0
    code, listed_proposals, _ = icbox("proposal", "list", "DKP")
    assert [p["id"] for p in listed_proposals["proposals"]] == [made["id"]]
    code, shown_proposal, _ = icbox("proposal", "show", "DKP", str(made["id"]))
    assert shown_proposal == voted["proposal"]

    # the same reads for a person
    assert "DKP" in icbox.plain("list") and "committed" in icbox.plain("list")
    shown_text = icbox.plain("show", "DKP", identity="buyer0")
    assert "Dragginz Tokens (DKP)" in shown_text and "you took part with 100000 ICP" in shown_text
    assert proposer["id"] in icbox.plain("neuron", "list", "DKP", identity="buyer0")
    assert "Dragons" in icbox.plain("proposal", "list", "DKP")
