"""`list_topics` and `list_nervous_system_functions` of SNS governance.

Rules: rs/sns/governance/src/topics.rs (`topic_descriptions`, `Governance::list_topics`: seven
topics, each with its native functions, its custom functions, and whether it is critical;
custom functions without a topic are "uncategorized") and governance.rs
`list_nervous_system_functions` (the native functions of types.rs, then the custom ones).
"""

from __future__ import annotations

from replica.types import Principal
from sns.governance.actions import GenericFunction
from sns.governance.proposals import (
    CRITICAL_TOPICS,
    NATIVE_ACTION_TOPICS,
    Action,
    Topic,
)
from sns.governance.topics import NATIVE_FUNCTIONS, list_nervous_system_functions, list_topics

DAPP = Principal.from_canister_id(7)


def custom(function_id: int, topic: Topic | None) -> GenericFunction:
    return GenericFunction(
        id=function_id,
        name=f"f{function_id}",
        description=None,
        target_canister_id=DAPP,
        target_method_name="run",
        validator_canister_id=DAPP,
        validator_method_name="check",
        topic=topic,
    )


def test_each_native_function_is_listed_under_the_topic_proposals_are_decided_by() -> None:
    answer = list_topics([])
    listed = {
        Action(function["id"]): Topic[_upper(next(iter(topic["topic"])))]
        for topic in answer["topics"]
        for function in topic["native_functions"]
    }
    assert listed == NATIVE_ACTION_TOPICS
    assert len(answer["topics"]) == 7
    critical = {Topic[_upper(next(iter(t["topic"])))] for t in answer["topics"] if t["is_critical"]}
    assert critical == CRITICAL_TOPICS
    assert answer["uncategorized_functions"] == []


def test_custom_functions_go_to_their_topic_or_to_uncategorized() -> None:
    answer = list_topics(
        [custom(1_002, None), custom(1_001, Topic.APPLICATION_BUSINESS_LOGIC), custom(1_003, None)]
    )
    by_topic = {next(iter(t["topic"])): t for t in answer["topics"]}
    business = by_topic["ApplicationBusinessLogic"]
    assert [f["id"] for f in business["custom_functions"]] == [1_001]
    assert business["native_functions"] == [] and business["is_critical"] is False
    assert [f["id"] for f in answer["uncategorized_functions"]] == [1_002, 1_003]
    assert all(
        not t["custom_functions"]
        for name, t in by_topic.items()
        if name != "ApplicationBusinessLogic"
    )


def test_list_nervous_system_functions_lists_the_native_functions_first() -> None:
    answer = list_nervous_system_functions([custom(1_000, Topic.GOVERNANCE)])
    ids = [function["id"] for function in answer["functions"]]
    assert ids == [*range(1, 20), 1_000]
    motion = answer["functions"][0]
    assert motion["name"] == "Motion"
    assert motion["function_type"] == {"NativeNervousSystemFunction": {}}
    assert answer["functions"][-1]["function_type"]["GenericNervousSystemFunction"]["topic"] == {
        "Governance": None
    }
    assert len(NATIVE_FUNCTIONS) == 19


def _upper(camel: str) -> str:
    """`DaoCommunitySettings` -> `DAO_COMMUNITY_SETTINGS`."""
    out = "".join("_" + c if c.isupper() and i else c for i, c in enumerate(camel)).upper()
    return out
