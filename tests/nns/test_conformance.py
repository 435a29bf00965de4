"""Each NNS canister against its official .did, strictly and in one direction.

The official files are vendored in tests/nns/official/ (each names the IC commit it came from).
`replica.candid.conformance.compare_service` lists every way icbox's service departs from the
official one: a missing method or a method of the wrong mode, a reply field that is not opt and
is not sent at exactly its official type, a reply variant case the official type lacks, an
argument field that icbox does not read. Each difference must be a deliberate omission written
in `OMISSIONS` below, with its reason; an omission that no longer matches a difference fails
too, so the table shrinks as the gaps close. Methods served with their official types that
refuse what icbox cannot honour, with the IC's own refusal, are written in `REFUSALS`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import pytest

from replica.candid.conformance import Difference
from replica.candid.did import parse_did
from replica.canister.nns_ids import (
    CYCLES_MINTING_CANISTER_ID,
    GOVERNANCE_CANISTER_ID,
    LEDGER_CANISTER_ID,
    REGISTRY_CANISTER_ID,
    ROOT_CANISTER_ID,
)
from replica.execution.harness import SubnetHarness
from replica.types import Principal
from tests.conformance import differences_from_official
from tests.nns.test_nns_on_a_subnet import make_nns

OFFICIAL: Final = Path(__file__).parent / "official"

NO_API_BOUNDARY_NODES: Final = "icbox runs no API boundary nodes"
NO_FIREWALL: Final = "icbox nodes have no firewall to configure"
NO_MIGRATION: Final = "moving canister ranges between subnets is not implemented"
NO_HOSTOS: Final = "icbox nodes have no HostOS"
NO_DIRECT_NODE_CHANGES: Final = "node operators change nodes only through add_node and proposals"

OMISSIONS: Final[dict[str, dict[str, str]]] = {
    "governance": {
        "get_build_metadata": "icbox's canisters are not built from a commit to report",
    },
    "ledger": {},
    "registry": {
        "add_api_boundary_nodes": NO_API_BOUNDARY_NODES,
        "remove_api_boundary_nodes": NO_API_BOUNDARY_NODES,
        "update_api_boundary_nodes_version": NO_API_BOUNDARY_NODES,
        "deploy_guestos_to_some_api_boundary_nodes": NO_API_BOUNDARY_NODES,
        "get_api_boundary_node_ids": NO_API_BOUNDARY_NODES,
        "add_firewall_rules": NO_FIREWALL,
        "remove_firewall_rules": NO_FIREWALL,
        "update_firewall_rules": NO_FIREWALL,
        "set_firewall_config": NO_FIREWALL,
        "clear_provisional_whitelist": "icbox has no provisional whitelist",
        "complete_canister_migration": NO_MIGRATION,
        "prepare_canister_migration": NO_MIGRATION,
        "reroute_canister_ranges": NO_MIGRATION,
        "migrate_canisters": NO_MIGRATION,
        "deploy_hostos_to_some_nodes": NO_HOSTOS,
        "update_elected_hostos_versions": NO_HOSTOS,
        "revise_elected_hostos_versions": NO_HOSTOS,
        "update_nodes_hostos_version": NO_HOSTOS,
        "get_node_operators_and_dcs_of_node_provider": (
            "node provider rewards are computed (get_node_providers_monthly_xdr_rewards); this "
            "dashboard listing of a provider's operators and data centers is not served"
        ),
        "remove_node_directly": NO_DIRECT_NODE_CHANGES,
        "update_node_directly": NO_DIRECT_NODE_CHANGES,
        "update_node_domain_directly": NO_DIRECT_NODE_CHANGES,
        "update_node_ipv4_config_directly": NO_DIRECT_NODE_CHANGES,
        "update_node_operator_config_directly": NO_DIRECT_NODE_CHANGES,
        "swap_node_in_subnet_directly": NO_DIRECT_NODE_CHANGES,
        "get_chunk": "icbox's registry stores no value large enough to be chunked",
        "remove_node_operators": "removing node operators is not implemented",
        "set_subnet_operational_level": (
            "the operational levels of subnet recovery are not implemented"
        ),
        "update_ssh_readonly_access_for_all_unassigned_nodes": (
            "icbox nodes are not reached over SSH"
        ),
        "update_unassigned_nodes_config": (
            "obsolete on the IC (NNS function 22); deploy_guestos_to_all_unassigned_nodes "
            "replaces it"
        ),
    },
    "root": {
        "add_nns_canister": "the NNS of icbox is a fixed set of canisters",
    },
    "cmc": {},
}

REFUSALS: Final[dict[str, dict[str, str]]] = {
    "cmc": {
        "notify_mint_cycles": (
            "icbox runs no cycles ledger: the payment is checked as the IC checks it, then "
            "refunded with the IC's own answer for a CMC without one (Refunded, \"No cycles ledger "
            'canister id configured.")'
        ),
    },
}
"""Official methods that exist with their official types but refuse what icbox cannot honour,
with the IC's own refusal (not differences the comparison sees, so written down here)."""

CANISTERS: Final[dict[str, Principal]] = {
    "governance": GOVERNANCE_CANISTER_ID,
    "ledger": LEDGER_CANISTER_ID,
    "registry": REGISTRY_CANISTER_ID,
    "root": ROOT_CANISTER_ID,
    "cmc": CYCLES_MINTING_CANISTER_ID,
}


@pytest.fixture(scope="module")
def nns(tmp_path_factory: pytest.TempPathFactory) -> SubnetHarness:
    return make_nns(tmp_path_factory.mktemp("conformance"))


def differences(nns: SubnetHarness, canister: str) -> list[Difference]:
    return differences_from_official(
        nns.engine.canisters[CANISTERS[canister]].interface, OFFICIAL / f"{canister}.did"
    )


def test_every_vendored_file_names_its_revision() -> None:
    for canister in CANISTERS:
        header = (OFFICIAL / f"{canister}.did").read_text().splitlines()[0]
        assert header.startswith("// Vendored: dfinity/ic ") and (
            "commit" in header or "@" in header
        ), header


@pytest.mark.parametrize("canister", sorted(CANISTERS))
def test_the_service_conforms_to_its_official_interface(nns: SubnetHarness, canister: str) -> None:
    omissions = OMISSIONS[canister]
    found = differences(nns, canister)
    unexplained = [str(difference) for difference in found if difference.key not in omissions]
    assert not unexplained, f"{canister} departs from its official .did:\n" + "\n".join(unexplained)
    stale = sorted(set(omissions) - {difference.key for difference in found})
    assert not stale, (
        f"{canister}: these omissions are closed now, remove them from OMISSIONS: {stale}"
    )
    assert all(reason.strip() for reason in omissions.values())


@pytest.mark.parametrize("canister", sorted(REFUSALS))
def test_every_written_refusal_is_an_official_method_icbox_serves(
    nns: SubnetHarness, canister: str
) -> None:
    official = parse_did((OFFICIAL / f"{canister}.did").read_text()).service
    assert official is not None
    served = nns.engine.canisters[CANISTERS[canister]].interface.methods
    for method, reason in REFUSALS[canister].items():
        assert method in official.methods and method in served and reason.strip(), method
