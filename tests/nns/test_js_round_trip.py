"""icbox's replies decoded by an independent Candid implementation, the official JavaScript one
(@dfinity/candid 3.4.3, from npm), at the official types of the vendored .did files, and
compared value for value with what icbox meant to send (icbox's reply read at the same types)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from nns.cycles_minting import principal_to_subaccount
from nns.cycles_minting.canister import MEMO_TOP_UP_CANISTER
from nns.ledger.accounts import AccountIdentifier
from replica.candid import decode, encode
from replica.candid.did import Interface, parse_did
from replica.candid.types import CandidType
from replica.canister.nns_ids import (
    CYCLES_MINTING_CANISTER_ID,
    GOVERNANCE_CANISTER_ID,
    LEDGER_CANISTER_ID,
    REGISTRY_CANISTER_ID,
    ROOT_CANISTER_ID,
)
from replica.environment import Reject
from replica.execution.harness import SubnetHarness
from replica.types import Principal
from tests.nns.js_candid import decode_with_javascript, plain, unavailable_reason
from tests.nns.test_nns_on_a_subnet import ALICE, BOB, E8S, configure, make_nns, manage, stake
from tests.nns.test_node_provider_rewards import configure_registry

pytestmark = pytest.mark.skipif(unavailable_reason() is not None, reason=unavailable_reason() or "")

OFFICIAL = Path(__file__).parent / "official"
CANISTERS = {
    GOVERNANCE_CANISTER_ID: "governance",
    LEDGER_CANISTER_ID: "ledger",
    REGISTRY_CANISTER_ID: "registry",
    ROOT_CANISTER_ID: "root",
    CYCLES_MINTING_CANISTER_ID: "cmc",
}


class Replies:
    """Raw reply bytes of real calls, each with the official result types of its method."""

    def __init__(self, harness: SubnetHarness) -> None:
        self.harness = harness
        self.official: dict[str, Interface] = {
            name: parse_did((OFFICIAL / f"{name}.did").read_text()) for name in CANISTERS.values()
        }
        self.cases: list[tuple[str, list[CandidType], bytes]] = []

    def _record(self, canister: Principal, method: str, reply: bytes) -> bytes:
        official = self.official[CANISTERS[canister]].method(method)
        self.cases.append((f"{CANISTERS[canister]}.{method}", list(official.results), reply))
        return reply

    def call(self, sender: Principal, canister: Principal, method: str, *values: Any) -> list[Any]:
        spec = self.harness.engine.canisters[canister].interface.methods[method]
        reply = self.harness.update(sender, canister, method, encode(spec.arguments, list(values)))
        return decode(self._record(canister, method, reply), spec.results)

    def query(self, sender: Principal, canister: Principal, method: str, *values: Any) -> list[Any]:
        spec = self.harness.engine.canisters[canister].interface.methods[method]
        answer = self.harness.engine.query(
            canister, method, encode(spec.arguments, list(values)), sender
        )
        assert not isinstance(answer, Reject), answer
        return decode(self._record(canister, method, answer), spec.results)


def collect(tmp_path: Path) -> Replies:
    harness = make_nns(tmp_path)
    replies = Replies(harness)
    alice, bob = stake(harness, ALICE, 100, 1), stake(harness, BOB, 50, 2)
    manage(
        harness,
        ALICE,
        alice,
        configure({"IncreaseDissolveDelay": {"additional_dissolve_delay_seconds": 20_000_000}}),
    )
    replies.call(
        BOB,
        GOVERNANCE_CANISTER_ID,
        "manage_neuron",
        {
            "id": {"id": bob},
            "neuron_id_or_subaccount": None,
            "command": {"Follow": {"topic": 0, "followees": [{"id": alice}]}},
        },
    )
    replies.call(
        ALICE,
        GOVERNANCE_CANISTER_ID,
        "manage_neuron",
        {
            "id": {"id": alice},
            "neuron_id_or_subaccount": None,
            "command": {
                "MakeProposal": {
                    "url": "https://example.org",
                    "title": "A motion",
                    "summary": "Say yes",
                    "action": {"Motion": {"motion_text": "yes"}},
                }
            },
        },
    )
    for method, arguments in [
        ("get_neuron_info", [alice]),
        ("get_full_neuron", [alice]),
        ("get_proposal_info", [1]),
        ("get_pending_proposals", []),
        ("get_network_economics_parameters", []),
        ("get_latest_reward_event", []),
        ("list_known_neurons", []),
        ("get_neuron_ids", []),
        ("get_restore_aging_summary", []),
        (
            "list_proposals",
            [
                {
                    "include_reward_status": [],
                    "omit_large_fields": None,
                    "before_proposal": None,
                    "limit": 10,
                    "exclude_topic": [],
                    "include_all_manage_neuron_proposals": None,
                    "include_status": [],
                }
            ],
        ),
        (
            "list_neurons",
            [
                {
                    "neuron_ids": [alice, bob],
                    "include_neurons_readable_by_caller": True,
                    "include_empty_neurons_readable_by_caller": None,
                    "include_public_neurons_in_full_neurons": None,
                    "page_number": None,
                    "page_size": None,
                    "neuron_subaccounts": None,
                }
            ],
        ),
    ]:
        replies.query(ALICE, GOVERNANCE_CANISTER_ID, method, *cast(list[Any], arguments))

    bob_account = AccountIdentifier.of(BOB)
    replies.call(
        ALICE,
        LEDGER_CANISTER_ID,
        "transfer",
        {
            "memo": 7,
            "amount": {"e8s": E8S},
            "fee": {"e8s": 10_000},
            "from_subaccount": None,
            "to": bob_account.raw,
            "created_at_time": None,
        },
    )
    replies.call(
        ALICE,
        LEDGER_CANISTER_ID,
        "icrc2_approve",
        {
            "from_subaccount": None,
            "spender": {"owner": BOB, "subaccount": None},
            "amount": E8S,
            "expected_allowance": None,
            "expires_at": None,
            "fee": None,
            "memo": None,
            "created_at_time": None,
        },
    )
    for method, arguments in [
        ("account_balance", [{"account": bob_account.raw}]),
        ("query_blocks", [{"start": 0, "length": 20}]),
        ("query_encoded_blocks", [{"start": 0, "length": 3}]),
        ("icrc1_metadata", []),
        ("icrc1_total_supply", []),
        ("icrc1_balance_of", [{"owner": BOB, "subaccount": None}]),
        ("tip_of_chain", []),
        ("archives", []),
        ("transfer_fee", [{}]),
        ("icrc1_minting_account", []),
        ("icrc10_supported_standards", []),
        (
            "get_allowances",
            [
                {
                    "from_account_id": AccountIdentifier.of(ALICE).to_hex(),
                    "prev_spender_id": None,
                    "take": None,
                }
            ],
        ),
    ]:
        replies.query(ALICE, LEDGER_CANISTER_ID, method, *cast(list[Any], arguments))
    consent_argument = encode(
        replies.official["ledger"].method("icrc1_transfer").arguments,
        [
            {
                "from_subaccount": None,
                "to": {"owner": BOB, "subaccount": None},
                "amount": 3 * E8S,
                "fee": None,
                "memo": b"rent",
                "created_at_time": None,
            }
        ],
    )
    for device in (None, {"FieldsDisplay": None}):
        replies.call(
            ALICE,
            LEDGER_CANISTER_ID,
            "icrc21_canister_call_consent_message",
            {
                "method": "icrc1_transfer",
                "arg": consent_argument,
                "user_preferences": {
                    "metadata": {"language": "en", "utc_offset_minutes": 60},
                    "device_spec": device,
                },
            },
        )

    replies.query(
        ALICE,
        REGISTRY_CANISTER_ID,
        "get_subnet_for_canister",
        {"principal": GOVERNANCE_CANISTER_ID},
    )
    replies.call(ALICE, ROOT_CANISTER_ID, "canister_status", {"canister_id": LEDGER_CANISTER_ID})

    harness.call(
        GOVERNANCE_CANISTER_ID,
        CYCLES_MINTING_CANISTER_ID,
        "set_icp_xdr_conversion_rate",
        {
            "data_source": "test",
            "timestamp_seconds": 10,
            "xdr_permyriad_per_icp": 42_000,
            "reason": None,
        },
    )
    target = AccountIdentifier.of(
        CYCLES_MINTING_CANISTER_ID, principal_to_subaccount(GOVERNANCE_CANISTER_ID)
    )
    (paid,) = harness.call(
        ALICE,
        LEDGER_CANISTER_ID,
        "transfer",
        {
            "memo": MEMO_TOP_UP_CANISTER,
            "amount": {"e8s": E8S},
            "fee": {"e8s": 10_000},
            "from_subaccount": None,
            "to": target.raw,
            "created_at_time": None,
        },
    )
    replies.call(
        BOB,
        CYCLES_MINTING_CANISTER_ID,
        "notify_top_up",
        {"block_index": paid["Ok"], "canister_id": GOVERNANCE_CANISTER_ID},
    )
    replies.call(
        BOB,
        CYCLES_MINTING_CANISTER_ID,
        "notify_top_up",
        {"block_index": 10_000, "canister_id": GOVERNANCE_CANISTER_ID},
    )
    replies.call(
        ALICE,
        CYCLES_MINTING_CANISTER_ID,
        "notify_mint_cycles",
        {"block_index": paid["Ok"], "to_subaccount": None, "deposit_memo": None},
    )
    # Node provider rewards: the registry's computation (it fails without a rewards table: the
    # Err case) and governance's month, its record and update_node_provider's refusal.
    replies.query(ALICE, REGISTRY_CANISTER_ID, "get_node_providers_monthly_xdr_rewards", None)
    replies.call(ALICE, GOVERNANCE_CANISTER_ID, "get_monthly_node_provider_rewards")
    configure_registry(harness)
    replies.query(ALICE, REGISTRY_CANISTER_ID, "get_node_providers_monthly_xdr_rewards", None)
    replies.call(ALICE, GOVERNANCE_CANISTER_ID, "get_monthly_node_provider_rewards")
    replies.query(ALICE, GOVERNANCE_CANISTER_ID, "get_most_recent_monthly_node_provider_rewards")
    replies.query(
        ALICE, GOVERNANCE_CANISTER_ID, "list_node_provider_rewards", {"date_filter": None}
    )
    replies.call(ALICE, GOVERNANCE_CANISTER_ID, "update_node_provider", {"reward_account": None})
    for method in (
        "get_icp_xdr_conversion_rate",
        "get_subnet_types_to_subnets",
        "get_default_subnets",
        "get_principals_authorized_to_create_canisters_to_subnets",
    ):
        replies.query(ALICE, CYCLES_MINTING_CANISTER_ID, method)
    return replies


def test_the_official_javascript_decoder_reads_icbox_replies_at_the_official_types(
    tmp_path: Path,
) -> None:
    replies = collect(tmp_path)
    decoded = decode_with_javascript([(types, message) for _, types, message in replies.cases])
    assert len(decoded) == len(replies.cases) >= 45
    for (name, types, message), javascript in zip(replies.cases, decoded, strict=True):
        assert "ok" in javascript, (
            f"{name}: @dfinity/candid refused icbox's reply: {javascript.get('error')}"
        )
        ours = [plain(t, value) for t, value in zip(types, decode(message, types), strict=True)]
        assert javascript["ok"] == ours, name


def test_the_comparison_notices_a_reply_the_official_types_do_not_describe(tmp_path: Path) -> None:
    """A reply lacking a required field does not decode in JavaScript: the check above can fail."""
    official = (
        parse_did((OFFICIAL / "cmc.did").read_text()).method("get_icp_xdr_conversion_rate").results
    )
    lacking = parse_did(
        "type R = record { data : record { timestamp_seconds : nat64; xdr_permyriad_per_icp : "
        "nat64 } };"
    )
    message = encode(
        [lacking.types["R"]], [{"data": {"timestamp_seconds": 1, "xdr_permyriad_per_icp": 2}}]
    )
    (result,) = decode_with_javascript([(list(official), message)])
    assert "error" in result
