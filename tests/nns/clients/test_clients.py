"""The NNS clients over the agent and HTTP, against the NNS on a local subnet."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nns.clients import (
    GovernanceCanister,
    GovernanceError,
    LedgerCanister,
    RegistryCanister,
    RootCanister,
    TransferError,
)
from nns.cycles_minting.certified import CertifiedRateError, verify_rate_response
from nns.cycles_minting.rate import witness
from nns.genesis import NnsConfig, install_nns, nns_factories
from nns.governance.neuron import compute_neuron_staking_subaccount
from nns.ledger.accounts import AccountIdentifier
from replica.agent.errors import RejectError
from replica.agent.identity import Ed25519Identity
from replica.agent.sync import Agent
from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID, LEDGER_CANISTER_ID, ROOT_CANISTER_ID
from replica.crypto import hashtree
from replica.http.local import LocalSubnetSpec
from tests.nns.certified_rate import propose_rate, wait_for_certified_rate
from tests.replica.http.network import network_in_thread

E8S = 100_000_000
ALICE = Ed25519Identity.from_seed(b"\x0a" * 32)
BOB = Ed25519Identity.from_seed(b"\x0b" * 32)


@pytest.fixture
def nns_url(tmp_path: Path) -> Iterator[str]:
    config = NnsConfig(ledger_balances={AccountIdentifier.of(ALICE.principal): 1_000 * E8S})
    spec = LocalSubnetSpec(
        factories=nns_factories(config),
        install_genesis=lambda engine: install_nns(engine, config),
        system_installers=[ROOT_CANISTER_ID],
    )
    with network_in_thread(tmp_path, [spec]) as urls:
        yield urls[0]


def test_a_transfer_a_neuron_and_a_motion_proposal_through_the_clients(nns_url: str) -> None:
    with (
        Agent(nns_url, identity=ALICE, fetch_root_key=True) as agent,
        Agent(nns_url, identity=BOB, fetch_root_key=True) as bob,
    ):
        ledger = LedgerCanister.create(agent)
        bob_account = AccountIdentifier.of(BOB.principal).raw
        block = ledger.transfer(to=bob_account, amount_e8s=5 * E8S)
        assert block >= 0
        assert ledger.account_balance(bob_account) == 5 * E8S
        assert ledger.icrc1_balance_of(BOB.principal) == 5 * E8S
        with pytest.raises(TransferError) as refused:
            LedgerCanister.create(bob).transfer(to=bob_account, amount_e8s=100 * E8S)
        assert refused.value.kind == "InsufficientFunds"
        assert ledger.transaction_fee() == 10_000

        governance = GovernanceCanister.create(agent)
        memo = 7
        subaccount = compute_neuron_staking_subaccount(ALICE.principal, memo)
        ledger.transfer(
            to=AccountIdentifier.of(GOVERNANCE_CANISTER_ID, subaccount).raw,
            amount_e8s=100 * E8S,
            memo=memo,
        )
        neuron_id = governance.claim_or_refresh_neuron_from_account(
            memo=memo, controller=ALICE.principal
        )
        governance.increase_dissolve_delay(
            neuron_id=neuron_id, additional_dissolve_delay_seconds=366 * 24 * 3600
        )
        neuron = governance.get_neuron(neuron_id)
        assert neuron is not None and neuron["cached_neuron_stake_e8s"] == 100 * E8S
        proposal_id = governance.make_motion_proposal(
            neuron_id=neuron_id,
            title="Hello",
            summary="A motion through HTTP",
            motion_text="Be excellent",
        )
        proposals = governance.list_proposals(limit=10)
        assert [p["id"]["id"] for p in proposals] == [proposal_id]
        info = governance.get_proposal(proposal_id)
        assert info is not None and info["proposer"] == {"id": neuron_id}
        with pytest.raises(GovernanceError):
            GovernanceCanister.create(bob).register_vote(
                neuron_id=neuron_id, proposal_id=proposal_id, vote=1
            )

        registry = RegistryCanister.create(agent)
        assert registry.get_latest_version() >= 1
        assert registry.get_subnet_for_canister(LEDGER_CANISTER_ID) is not None
        with pytest.raises(RejectError):
            RootCanister.create(agent).change_nns_canister(
                {
                    "stop_before_installing": False,
                    "mode": {"upgrade": None},
                    "canister_id": LEDGER_CANISTER_ID,
                    "wasm_module": b"",
                    "arg": b"",
                }
            )


def test_the_cmcs_rate_comes_with_a_certificate_of_its_certified_data(nns_url: str) -> None:
    """A non-replicated query hands the canister the certificate of its certified data (interface
    spec, "Certified data"); the CMC answers it with the rate's hash tree, whose root is that data
    (rs/nns/cmc/src/main.rs, get_icp_xdr_conversion_rate)."""
    with Agent(nns_url, identity=ALICE, fetch_root_key=True) as agent:
        ledger, governance = LedgerCanister.create(agent), GovernanceCanister.create(agent)
        memo = 9
        subaccount = compute_neuron_staking_subaccount(ALICE.principal, memo)
        ledger.transfer(
            to=AccountIdentifier.of(GOVERNANCE_CANISTER_ID, subaccount).raw,
            amount_e8s=100 * E8S,
            memo=memo,
        )
        neuron_id = governance.claim_or_refresh_neuron_from_account(
            memo=memo, controller=ALICE.principal
        )
        governance.increase_dissolve_delay(
            neuron_id=neuron_id, additional_dissolve_delay_seconds=366 * 24 * 3600
        )
        propose_rate(governance, neuron_id, permyriad=41_234, timestamp_seconds=1_000)
        response = wait_for_certified_rate(agent)
        rate = verify_rate_response(response, agent.fetch_root_key())
        assert rate.xdr_permyriad_per_icp == 41_234 and rate.timestamp_seconds == 1_000
        forged = {**response, "data": {**response["data"], "xdr_permyriad_per_icp": 1}}
        with pytest.raises(CertifiedRateError, match="not the rate in the reply"):
            verify_rate_response(forged, agent.fetch_root_key())
        other_root = {**response, "hash_tree": witness(hashtree.build({b"x": b"y"}), b"x")}
        with pytest.raises(CertifiedRateError, match="not the CMC's certified data"):
            verify_rate_response(other_root, agent.fetch_root_key())
