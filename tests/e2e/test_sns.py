"""An SNS launched on a live network: one CreateServiceNervousSystem proposal, adopted by the local
network's neuron, makes SNS-W deploy the SNS (on the NNS subnet, where icbox's SNS-W creates its
canisters), and `icbox sns` reads it through the agent and refuses a purchase before the swap
opens (it opens more than 24 h after execution, spec sns.md §2.4)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nns.clients.governance import GovernanceCanister
from sns.clients import SnsWasmCanister
from sns.clients.ledger import SnsLedgerCanister
from sns.tip_certificate import CertifiedTip, TipCertificateError
from tests.e2e.conftest import LiveNetwork, icbox, running_network, wait_until
from tests.sns.proposal import create_service_nervous_system

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNetwork]:
    with running_network(tmp_path_factory.mktemp("sns"), unassigned=0) as network:
        yield network


def sns(network: LiveNetwork, *arguments: str) -> tuple[int, Any]:
    result = icbox(network.directory, "sns", *arguments, "--json")
    output = result.stdout if result.returncode == 0 else result.stderr
    return result.returncode, json.loads(output)


def test_an_nns_proposal_deploys_an_sns_that_icbox_sns_reads(
    network: LiveNetwork, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ICBOX_HOME", str(tmp_path))  # the local network's identity signs
    agent = network.agent(network.subnet_nodes(0)[0])
    me = network.identity.principal
    governance = GovernanceCanister.create(agent)
    proposal_id = governance.make_proposal(
        neuron_id=network.network["identity"]["neuron_id"],
        title="Decentralize nothing yet",
        summary="An SNS without dapp canisters",
        action={
            "CreateServiceNervousSystem": create_service_nervous_system(
                dapps=[], fallback=[me], developer=me
            )
        },
    )

    def decided() -> dict[str, Any] | None:
        info = governance.get_proposal(proposal_id)
        done = info and (info["executed_timestamp_seconds"] or info["failed_timestamp_seconds"])
        return info if done else None

    info = wait_until(decided, timeout_s=120, what="the proposal to be executed")
    assert info["executed_timestamp_seconds"], info["failure_reason"]
    wasm = SnsWasmCanister.create(agent)
    deployed = wait_until(
        lambda: wasm.get_deployed_sns_by_proposal_id(proposal_id),
        timeout_s=120,
        what="SNS-W to deploy the SNS",
    )
    # the SNS ledger's tip (its initial distribution) is certified by the subnet (ICRC-3)
    ledger = SnsLedgerCanister.create(agent, deployed.ledger)

    def certified() -> CertifiedTip | None:
        try:
            tip: CertifiedTip = ledger.certified_tip(network.root_key)
        except TipCertificateError:
            return None
        return tip

    tip = wait_until(certified, timeout_s=60, what="the SNS ledger's tip to be certified")
    assert (tip.last_block_index, tip.last_block_hash) == ledger.tip()
    code, listed = sns(network, "list")
    assert code == 0
    (entry,) = listed["snses"]
    assert entry["canisters"] == deployed.to_json() and entry["symbol"] == "DKP"
    assert entry["swap"]["lifecycle"] == "adopted"
    code, shown = sns(network, "show", "DKP")
    assert code == 0 and shown["mode"] == "pre-initialization-swap"
    code, refused = sns(network, "participate", "0", "20", "--yes")
    assert code == 3 and refused["error"]["kind"] == "SaleNotOpen"
