"""The native nervous-system functions and the topics as SNS governance lists them.

`NATIVE_FUNCTIONS` are the built-in functions with the names and descriptions of
rs/sns/governance/src/types.rs (`native_action_ids::nervous_system_functions()`), listed first by
`list_nervous_system_functions` (governance.rs). `TOPIC_DESCRIPTIONS` is `topic_descriptions()` of
rs/sns/governance/src/topics.rs: each topic's name, description, native functions and
criticality, which `list_topics` answers together with the custom functions of each topic and
those without a topic ("uncategorized"). The topics of the native actions are the ones
`sns.governance.proposals.NATIVE_ACTION_TOPICS` decides proposals by; a test keeps the two equal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from sns.governance.actions import GenericFunction
from sns.governance.candid import function_candid, topic_candid
from sns.governance.proposals import Action, Topic, is_critical


@dataclass(frozen=True, slots=True)
class NativeFunction:
    id: Action
    name: str
    description: str

    def to_candid(self) -> dict[str, Any]:
        return {
            "id": int(self.id),
            "name": self.name,
            "description": self.description,
            "function_type": {"NativeNervousSystemFunction": {}},
        }


NATIVE_FUNCTIONS: Final = tuple(
    NativeFunction(action, name, description)
    for action, name, description in (
        (
            Action.MOTION,
            "Motion",
            "Side-effect-less proposals to set general governance direction.",
        ),
        (
            Action.MANAGE_NERVOUS_SYSTEM_PARAMETERS,
            "Manage nervous system parameters",
            "Proposal to change the core parameters of SNS governance.",
        ),
        (
            Action.UPGRADE_SNS_CONTROLLED_CANISTER,
            "Upgrade SNS controlled canister",
            "Proposal to upgrade the wasm of an SNS controlled canister.",
        ),
        (
            Action.ADD_GENERIC_NERVOUS_SYSTEM_FUNCTION,
            "Add nervous system function",
            "Proposal to add a new, user-defined, nervous system function: a canister call "
            "which can then be executed by proposal.",
        ),
        (
            Action.REMOVE_GENERIC_NERVOUS_SYSTEM_FUNCTION,
            "Remove nervous system function",
            "Proposal to remove a user-defined nervous system function, which will be no longer "
            "executable by proposal.",
        ),
        (
            Action.EXECUTE_GENERIC_NERVOUS_SYSTEM_FUNCTION,
            "Execute nervous system function",
            "Proposal to execute a user-defined nervous system function, previously added by an "
            "AddNervousSystemFunction proposal. A canister call will be made when executed.",
        ),
        (
            Action.UPGRADE_SNS_TO_NEXT_VERSION,
            "Upgrade SNS to next version",
            "Proposal to upgrade the WASM of a core SNS canister.",
        ),
        (
            Action.MANAGE_SNS_METADATA,
            "Manage SNS metadata",
            "Proposal to change the metadata associated with an SNS.",
        ),
        (
            Action.TRANSFER_SNS_TREASURY_FUNDS,
            "Transfer SNS treasury funds",
            "Proposal to transfer funds from an SNS Governance controlled treasury account",
        ),
        (
            Action.REGISTER_DAPP_CANISTERS,
            "Register dapp canisters",
            "Proposal to register a dapp canister with the SNS.",
        ),
        (
            Action.DEREGISTER_DAPP_CANISTERS,
            "Deregister Dapp Canisters",
            "Proposal to deregister a previously-registered dapp canister from the SNS.",
        ),
        (
            Action.MINT_SNS_TOKENS,
            "Mint SNS tokens",
            "Proposal to mint SNS tokens to a specified recipient.",
        ),
        (
            Action.MANAGE_LEDGER_PARAMETERS,
            "Manage ledger parameters",
            "Proposal to change some parameters in the ledger canister.",
        ),
        (
            Action.MANAGE_DAPP_CANISTER_SETTINGS,
            "Manage dapp canister settings",
            "Proposal to change canister settings for some dapp canisters.",
        ),
        (
            Action.ADVANCE_SNS_TARGET_VERSION,
            "Advance SNS target version",
            "Proposal to advance the target version of this SNS.",
        ),
        (
            Action.SET_TOPICS_FOR_CUSTOM_PROPOSALS,
            "Set topics for custom proposals",
            "Proposal to set the topics for custom SNS proposals.",
        ),
        (
            Action.REGISTER_EXTENSION,
            "Register SNS extension",
            "Proposal to register a new SNS extension.",
        ),
        (
            Action.EXECUTE_EXTENSION_OPERATION,
            "Execute SNS extension operation",
            "Proposal to execute an operation on a registered SNS extension.",
        ),
        (
            Action.UPGRADE_EXTENSION,
            "Upgrade SNS extension",
            "Proposal to upgrade the WASM of a registered SNS extension.",
        ),
    )
)
NATIVE_BY_ID: Final = {function.id: function for function in NATIVE_FUNCTIONS}


@dataclass(frozen=True, slots=True)
class TopicInfo:
    topic: Topic
    name: str
    description: str
    native_functions: tuple[Action, ...]


TOPIC_DESCRIPTIONS: Final = (
    TopicInfo(
        Topic.DAO_COMMUNITY_SETTINGS,
        "DAO community settings",
        "Proposals to set the direction of the DAO by tokenomics & branding, such as the name "
        "and description, token name etc",
        (
            Action.MANAGE_NERVOUS_SYSTEM_PARAMETERS,
            Action.MANAGE_LEDGER_PARAMETERS,
            Action.MANAGE_SNS_METADATA,
        ),
    ),
    TopicInfo(
        Topic.SNS_FRAMEWORK_MANAGEMENT,
        "SNS framework management",
        "Proposals to upgrade and manage the SNS DAO framework.",
        (Action.UPGRADE_SNS_TO_NEXT_VERSION, Action.ADVANCE_SNS_TARGET_VERSION),
    ),
    TopicInfo(
        Topic.DAPP_CANISTER_MANAGEMENT,
        "Dapp canister management",
        "Proposals to upgrade the registered dapp canisters and dapp upgrades via built-in or "
        "custom logic and updates to frontend assets.",
        (
            Action.UPGRADE_SNS_CONTROLLED_CANISTER,
            Action.REGISTER_DAPP_CANISTERS,
            Action.MANAGE_DAPP_CANISTER_SETTINGS,
        ),
    ),
    TopicInfo(
        Topic.APPLICATION_BUSINESS_LOGIC,
        "Application Business Logic",
        "Proposals that are custom to what the governed dapp requires.",
        (),
    ),
    TopicInfo(
        Topic.GOVERNANCE,
        "Governance",
        "Proposals that represent community polls or other forms of community opinion but don't "
        "have any immediate effect in terms of code changes.",
        (Action.MOTION,),
    ),
    TopicInfo(
        Topic.TREASURY_ASSET_MANAGEMENT,
        "Treasury & asset management",
        "Proposals to move and manage assets that are DAO-owned, including tokens in the "
        "treasury, tokens in liquidity pools, or DAO-owned neurons.",
        (Action.TRANSFER_SNS_TREASURY_FUNDS, Action.MINT_SNS_TOKENS),
    ),
    TopicInfo(
        Topic.CRITICAL_DAPP_OPERATIONS,
        "Critical Dapp Operations",
        "Proposals to execute critical operations on dapps, such as adding or removing dapps "
        "from the SNS, or executing custom logic on dapps.",
        (
            Action.DEREGISTER_DAPP_CANISTERS,
            Action.ADD_GENERIC_NERVOUS_SYSTEM_FUNCTION,
            Action.REMOVE_GENERIC_NERVOUS_SYSTEM_FUNCTION,
            Action.SET_TOPICS_FOR_CUSTOM_PROPOSALS,
            Action.REGISTER_EXTENSION,
            Action.UPGRADE_EXTENSION,
        ),
    ),
)


def list_nervous_system_functions(custom: Iterable[GenericFunction]) -> dict[str, Any]:
    """`list_nervous_system_functions`: the native functions, then the custom ones by id."""
    return {
        "reserved_ids": [],
        "functions": [
            *(function.to_candid() for function in NATIVE_FUNCTIONS),
            *(function_candid(f) for f in sorted(custom, key=lambda f: f.id)),
        ],
    }


def list_topics(custom: Iterable[GenericFunction]) -> dict[str, Any]:
    """`list_topics`: every topic with its native and custom functions, then the custom
    functions without a topic (topics.rs `Governance::list_topics`)."""
    ordered = sorted(custom, key=lambda f: f.id)
    return {
        "topics": [
            {
                "topic": topic_candid(info.topic),
                "name": info.name,
                "description": info.description,
                "native_functions": [NATIVE_BY_ID[a].to_candid() for a in info.native_functions],
                "custom_functions": [function_candid(f) for f in ordered if f.topic == info.topic],
                "is_critical": is_critical(info.topic),
            }
            for info in TOPIC_DESCRIPTIONS
        ],
        "uncategorized_functions": [function_candid(f) for f in ordered if f.topic is None],
    }
