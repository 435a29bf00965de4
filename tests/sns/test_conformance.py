"""Each SNS canister (and SNS-W) against its official .did, strictly and in one direction.

The official files are vendored in tests/sns/official/ (each names the IC commit it came from);
the comparison is `replica.candid.conformance.compare_service`, as for the NNS canisters
(tests/nns/test_conformance.py): a missing method or one of the wrong mode, a reply field that is
not opt and not sent at exactly its official type, a reply variant case the official type lacks,
an argument field icbox does not read. Each difference must be a deliberate omission written in
`OMISSIONS` with its reason; an omission that no longer matches a difference fails too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import pytest

from nns.sns_wasm import SNS_WASM_CANISTER_ID
from replica.candid.conformance import Difference
from replica.types import Principal
from tests.conformance import differences_from_official
from tests.sns.life.harness import Life, make_life

OFFICIAL: Final = Path(__file__).parent / "official"

NO_BUILD: Final = "icbox's canisters are not built from a commit to report"
NO_TIMERS: Final = "icbox's SNS canisters run their periodic work from the heartbeat, not timers"
NO_EXTENSIONS: Final = "SNS extensions are not implemented"
NO_FRAMEWORK_UPGRADES: Final = (
    "upgrades of the SNS framework itself (versions, target version, journal) are not run by "
    "icbox's SNS governance"
)
NO_SETTINGS: Final = "icbox canisters have no settings beyond controllers to manage"
NO_ACCESS_CONTROL: Final = "only NNS governance deploys SNSs; SNS-W keeps no allow list"
NO_WASM_STORE: Final = (
    "the blessed SNS canisters are icbox's Python canisters, known by name and hash; their code "
    "is not served as Wasm"
)


def record_fields(path: Path, name: str) -> list[str]:
    """The field names of record type `name` in a .did file."""
    body = re.search(rf"type {name} = record {{(.*?)\n}};", path.read_text(), re.DOTALL)
    assert body is not None, name
    return re.findall(r"^\s*(\w+) :", body.group(1), re.MULTILINE)


OMISSIONS: Final[dict[str, dict[str, str]]] = {
    "governance": {
        "get_build_metadata": NO_BUILD,
        "get_timers": NO_TIMERS,
        "reset_timers": NO_TIMERS,
        "fail_stuck_upgrade_in_progress": NO_FRAMEWORK_UPGRADES,
        "get_running_sns_version": NO_FRAMEWORK_UPGRADES,
        "get_upgrade_journal": NO_FRAMEWORK_UPGRADES,
        "manage_neuron arg0.command.MakeProposal.action.AdvanceSnsTargetVersion": (
            NO_FRAMEWORK_UPGRADES
        ),
        "get_metrics": "the metrics API is not implemented",
        "get_metrics_replicated": "the metrics API is not implemented",
        "get_sns_initialization_parameters": "the init payload is not kept as text",
        "manage_neuron arg0.command.MergeMaturity": "obsolete (StakeMaturity replaces it)",
        **{
            "manage_neuron arg0.command.MakeProposal.action.ManageDappCanisterSettings."
            + field: NO_SETTINGS
            for field in (
                "freezing_threshold",
                "wasm_memory_threshold",
                "reserved_cycles_limit",
                "log_visibility",
                "wasm_memory_limit",
                "memory_allocation",
                "compute_allocation",
            )
        },
        **{
            f"manage_neuron arg0.command.MakeProposal.action.{action}": NO_EXTENSIONS
            for action in ("ExecuteExtensionOperation", "UpgradeExtension", "RegisterExtension")
        },
        "manage_neuron arg0.command.MakeProposal.action.UpgradeSnsControlledCanister."
        "chunked_canister_wasm": "the chunk store (chunked Wasm uploads) is not implemented",
        "manage_neuron arg0.command.MakeProposal.action.ManageLedgerParameters": (
            "changing the ledger's token parameters by proposal is not implemented"
        ),
    },
    "ledger": {},
    "index": {
        "get_fee_collectors_ranges": "the SNS ledger has no fee collector (fees are burned)",
    },
    "root": {
        "get_build_metadata": NO_BUILD,
        "get_timers": NO_TIMERS,
        "reset_timers": NO_TIMERS,
        "manage_dapp_canister_settings": NO_SETTINGS,
        "register_extension": NO_EXTENSIONS,
    },
    "sns_wasm": {
        **{
            f"deploy_new_sns arg0.sns_init_payload.{field}": (
                "NNS governance hands SNS-W the checked CreateServiceNervousSystem payload "
                "in-process (both are NNS canisters of icbox); it is not re-encoded as Candid"
            )
            for field in record_fields(OFFICIAL / "sns_wasm.did", "SnsInitPayload")
        },
        "get_allowed_principals": NO_ACCESS_CONTROL,
        "update_allowed_principals": NO_ACCESS_CONTROL,
        "update_sns_subnet_list": (
            "SNSs are deployed on the subnet of SNS-W; the SNS subnet list is not kept"
        ),
        "get_wasm": NO_WASM_STORE,
        "get_wasm_metadata": NO_WASM_STORE,
        "get_proposal_id_that_added_wasm": NO_WASM_STORE,
        "insert_upgrade_path_entries": NO_FRAMEWORK_UPGRADES,
        "list_upgrade_steps": NO_FRAMEWORK_UPGRADES,
    },
    "swap": {
        "get_timers": NO_TIMERS,
        "reset_timers": NO_TIMERS,
        "get_canister_status": (
            "the IC's swap reads its own status as one of its controllers (NNS root and the "
            "swap itself); icbox's swap is controlled by NNS root alone, and its status is read "
            "through SNS root's get_sns_canisters_summary"
        ),
    },
}


@pytest.fixture(scope="module")
def life(tmp_path_factory: pytest.TempPathFactory) -> Life:
    life = make_life(tmp_path_factory.mktemp("sns-conformance"))
    life.propose_sns(
        min_direct_icp=30_000,
        max_direct_icp=300_000,
        min_participant_icp=10_000,
        max_participant_icp=150_000,
    )
    return life


def canister_of(life: Life, canister: str) -> Principal:
    if canister == "sns_wasm":
        return SNS_WASM_CANISTER_ID
    return life.deployed(1)[canister]  # the SNS of the first proposal


def differences(life: Life, canister: str) -> list[Difference]:
    record = life.harness.engine.canisters[canister_of(life, canister)]
    return differences_from_official(record.interface, OFFICIAL / f"{canister}.did")


def test_every_vendored_file_names_its_revision() -> None:
    for canister in OMISSIONS:
        header = (OFFICIAL / f"{canister}.did").read_text().splitlines()[0]
        assert header.startswith("// Vendored: dfinity/ic ") and (
            "commit" in header or "@" in header
        ), header


@pytest.mark.parametrize("canister", sorted(OMISSIONS))
def test_the_service_conforms_to_its_official_interface(life: Life, canister: str) -> None:
    omissions = OMISSIONS[canister]
    found = differences(life, canister)
    unexplained = [str(difference) for difference in found if difference.key not in omissions]
    assert not unexplained, f"{canister} departs from its official .did:\n" + "\n".join(unexplained)
    stale = sorted(set(omissions) - {difference.key for difference in found})
    assert not stale, (
        f"{canister}: these omissions are closed now, remove them from OMISSIONS: {stale}"
    )
    assert all(reason.strip() for reason in omissions.values())
