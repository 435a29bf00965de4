"""Neurons: stake, read, and every ManageNeuron command, as quill and the NNS dapp send them.

A refusal comes back as governance's own error, translated by the session
into one line with its error type (`NotAuthorized`, `InsufficientFunds`,
`PreconditionFailed`, ...).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from nns.governance.enums import NeuronState, Topic, Visibility
from nns.governance.neuron import compute_neuron_staking_subaccount
from nns.ledger.accounts import AccountIdentifier
from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID
from replica.types import Principal
from tui.ops.decide import NeuronNode, WhoDecides, who_decides
from tui.ops.errors import Refused, UsageError
from tui.ops.ledger import get_fee, transfer
from tui.ops.session import Session


def parse_topic(text: str) -> Topic:
    """A topic by number or name (`governance`, `subnet-management`, `all` for the catch-all)."""
    cleaned = text.strip().lower().replace("-", "_")
    if cleaned in ("all", "catch_all", "default"):
        return Topic.UNSPECIFIED
    try:
        return Topic(int(cleaned)) if cleaned.isdigit() else Topic[cleaned.upper()]
    except (KeyError, ValueError) as error:
        names = ", ".join(t.name.lower().replace("_", "-") for t in Topic if t != Topic.UNSPECIFIED)
        raise UsageError(
            f"unknown topic {text!r}; one of: all, {names}", kind="UnknownTopic"
        ) from error


def topic_name(topic: int) -> str:
    try:
        return "all" if topic == 0 else Topic(topic).name.lower().replace("_", "-")
    except ValueError:
        return str(topic)


@dataclass(frozen=True, slots=True, kw_only=True)
class NeuronView:
    neuron_id: int
    controller: str | None
    stake_e8s: int
    maturity_e8s: int
    staked_maturity_e8s: int
    dissolve_delay_seconds: int
    state: str
    voting_power: int
    age_seconds: int
    visibility: str
    hot_keys: tuple[str, ...]
    followees: dict[int, tuple[int, ...]] = field(default_factory=dict)
    known_name: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.neuron_id,
            "controller": self.controller,
            "stake_e8s": self.stake_e8s,
            "maturity_e8s": self.maturity_e8s,
            "staked_maturity_e8s": self.staked_maturity_e8s,
            "dissolve_delay_seconds": self.dissolve_delay_seconds,
            "state": self.state,
            "voting_power": self.voting_power,
            "age_seconds": self.age_seconds,
            "visibility": self.visibility,
            "hot_keys": list(self.hot_keys),
            "known_name": self.known_name,
            "followees": {
                topic_name(topic): list(ids) for topic, ids in sorted(self.followees.items())
            },
        }


def _view(info: dict[str, Any], full: dict[str, Any] | None) -> NeuronView:
    followees: dict[int, tuple[int, ...]] = {}
    hot_keys: tuple[str, ...] = ()
    controller = None
    maturity = staked = 0
    if full is not None:
        followees = {
            topic: tuple(int(f["id"]) for f in entry["followees"])
            for topic, entry in map(pair_of, full["followees"])
        }
        hot_keys = tuple(p.to_text() for p in full["hot_keys"])
        controller = full["controller"].to_text() if full["controller"] is not None else None
        maturity = int(full["maturity_e8s_equivalent"])
        staked = int(full["staked_maturity_e8s_equivalent"] or 0)
    known = info.get("known_neuron_data")
    try:
        visibility = Visibility(info.get("visibility") or 0).name.lower()
        state = NeuronState(info["state"]).name.lower().replace("_", "-")
    except ValueError:
        visibility, state = "unspecified", str(info["state"])
    return NeuronView(
        neuron_id=int(info["id"]["id"]) if info.get("id") else int(full["id"]["id"]) if full else 0,
        controller=controller,
        stake_e8s=int(info["stake_e8s"]),
        maturity_e8s=maturity,
        staked_maturity_e8s=staked,
        dissolve_delay_seconds=int(info["dissolve_delay_seconds"]),
        state=state,
        voting_power=int(
            info["voting_power"]
            if info.get("deciding_voting_power") is None
            else info["deciding_voting_power"]
        ),
        age_seconds=int(info["age_seconds"]),
        visibility=visibility,
        hot_keys=hot_keys,
        followees=followees,
        known_name=known["name"] if known else None,
    )


def pair_of(entry: Any) -> tuple[int, dict[str, Any]]:
    """A decoded Candid `record { nat64; T }`: a tuple, or a record with fields '0' and '1'."""
    if isinstance(entry, dict):
        return int(entry["0"]), entry["1"]
    return int(entry[0]), entry[1]


def list_neurons(
    session: Session, neuron_ids: tuple[int, ...] = (), *, mine: bool = True, public: bool = False
) -> list[NeuronView]:
    """The neurons asked for (and the caller's, with `mine`), every page of governance's answer
    (it gives at most 500 neurons a page)."""
    views = []
    page = 0
    while True:
        request = {
            "neuron_ids": list(neuron_ids),
            "include_neurons_readable_by_caller": mine,
            "include_empty_neurons_readable_by_caller": None,
            "include_public_neurons_in_full_neurons": public or None,
            "page_number": page,
            "page_size": None,
            "neuron_subaccounts": None,
        }
        answer = session.run(session.governance.canister.call_one("list_neurons", request))
        full = {int(n["id"]["id"]): n for n in answer["full_neurons"] if n["id"] is not None}
        infos = sorted(
            (pair_of(entry) for entry in answer["neuron_infos"]), key=lambda pair: int(pair[0])
        )
        for neuron_id, info in infos:
            views.append(_view({**info, "id": {"id": int(neuron_id)}}, full.get(int(neuron_id))))
        pages = answer.get("total_pages_available")
        page += 1
        if pages is None or page >= int(pages) or not infos:
            return views


def get_neuron(session: Session, neuron_id: int) -> NeuronView:
    views = list_neurons(session, (neuron_id,), mine=False, public=True)
    if not views:
        raise Refused(f"there is no neuron {neuron_id}", kind="NotFound")
    return views[0]


def list_known_neurons(session: Session) -> dict[int, str]:
    answer = session.run(session.governance.canister.call_one("list_known_neurons"))
    return {
        int(k["id"]["id"]): k["known_neuron_data"]["name"]
        for k in answer["known_neurons"]
        if k["id"] is not None and k["known_neuron_data"] is not None
    }


def manage(session: Session, neuron_id: int | None, command: dict[str, Any]) -> tuple[str, Any]:
    return session.run(session.governance.manage_neuron(neuron_id, command))


def configure(session: Session, neuron_id: int, operation: dict[str, Any]) -> None:
    manage(session, neuron_id, {"Configure": {"operation": operation}})


@dataclass(frozen=True, slots=True, kw_only=True)
class StakeResult:
    neuron_id: int
    stake_e8s: int
    block_index: int
    memo: int
    fee_e8s: int

    def to_json(self) -> dict[str, Any]:
        return {
            "neuron_id": self.neuron_id,
            "stake_e8s": self.stake_e8s,
            "block_index": self.block_index,
            "memo": self.memo,
            "fee_e8s": self.fee_e8s,
        }


def stake(
    session: Session, amount_e8s: int, *, memo: int | None = None, dissolve_delay_seconds: int = 0
) -> StakeResult:
    """Transfer to a fresh neuron account of governance and claim the neuron (quill's `stake`)."""
    nonce = int.from_bytes(os.urandom(8), "big") if memo is None else memo
    subaccount = compute_neuron_staking_subaccount(session.principal, nonce)
    fee = get_fee(session)
    sent = transfer(
        session,
        to=AccountIdentifier.of(GOVERNANCE_CANISTER_ID, subaccount),
        amount_e8s=amount_e8s,
        memo=nonce,
        fee_e8s=fee,
    )
    neuron_id = session.run(
        session.governance.claim_or_refresh_neuron_from_account(
            memo=nonce, controller=session.principal
        )
    )
    if dissolve_delay_seconds:
        increase_dissolve_delay(session, neuron_id, dissolve_delay_seconds)
    return StakeResult(
        neuron_id=neuron_id,
        stake_e8s=amount_e8s,
        block_index=sent.block_index,
        memo=nonce,
        fee_e8s=fee,
    )


def increase_dissolve_delay(session: Session, neuron_id: int, seconds: int) -> None:
    if not 0 < seconds < 2**32:
        raise UsageError("the added dissolve delay is a positive number of seconds below 2^32")
    configure(
        session,
        neuron_id,
        {"IncreaseDissolveDelay": {"additional_dissolve_delay_seconds": seconds}},
    )


def start_dissolving(session: Session, neuron_id: int) -> None:
    configure(session, neuron_id, {"StartDissolving": {}})


def stop_dissolving(session: Session, neuron_id: int) -> None:
    configure(session, neuron_id, {"StopDissolving": {}})


def follow(session: Session, neuron_id: int, topic: int, followees: tuple[int, ...]) -> None:
    manage(
        session,
        neuron_id,
        {"Follow": {"topic": topic, "followees": [{"id": f} for f in followees]}},
    )


def vote(session: Session, neuron_id: int, proposal_id: int, *, yes: bool) -> None:
    manage(
        session,
        neuron_id,
        {"RegisterVote": {"vote": 1 if yes else 2, "proposal": {"id": proposal_id}}},
    )


def add_hot_key(session: Session, neuron_id: int, hot_key: Principal) -> None:
    configure(session, neuron_id, {"AddHotKey": {"new_hot_key": hot_key}})


def remove_hot_key(session: Session, neuron_id: int, hot_key: Principal) -> None:
    configure(session, neuron_id, {"RemoveHotKey": {"hot_key_to_remove": hot_key}})


def set_visibility(session: Session, neuron_id: int, public: bool) -> None:
    value = Visibility.PUBLIC if public else Visibility.PRIVATE
    configure(session, neuron_id, {"SetVisibility": {"visibility": int(value)}})


def _created(value: Any) -> int:
    created = value.get("created_neuron_id")
    if created is None:
        raise Refused("governance created no neuron", kind="Unspecified")
    return int(created["id"])


def split(session: Session, neuron_id: int, amount_e8s: int) -> int:
    _, value = manage(session, neuron_id, {"Split": {"amount_e8s": amount_e8s, "memo": None}})
    return _created(value)


def merge(session: Session, target_id: int, source_id: int) -> None:
    manage(session, target_id, {"Merge": {"source_neuron_id": {"id": source_id}}})


def spawn(
    session: Session, neuron_id: int, percentage: int = 100, controller: Principal | None = None
) -> int:
    _, value = manage(
        session,
        neuron_id,
        {"Spawn": {"percentage_to_spawn": percentage, "new_controller": controller, "nonce": None}},
    )
    return _created(value)


def stake_maturity(session: Session, neuron_id: int, percentage: int = 100) -> int:
    _, value = manage(session, neuron_id, {"StakeMaturity": {"percentage_to_stake": percentage}})
    return int(value["staked_maturity_e8s"])


def disburse(
    session: Session,
    neuron_id: int,
    to: AccountIdentifier | None = None,
    amount_e8s: int | None = None,
) -> int:
    command = {
        "Disburse": {
            "to_account": None if to is None else {"hash": to.raw},
            "amount": None if amount_e8s is None else {"e8s": amount_e8s},
        }
    }
    _, value = manage(session, neuron_id, command)
    return int(value["transfer_block_height"])


def disburse_maturity(
    session: Session, neuron_id: int, percentage: int = 100, to: AccountIdentifier | None = None
) -> int | None:
    command = {
        "DisburseMaturity": {
            "percentage_to_disburse": percentage,
            "to_account_identifier": None if to is None else {"hash": to.raw},
        }
    }
    _, value = manage(session, neuron_id, command)
    amount = value.get("amount_disbursed_e8s")
    return None if amount is None else int(amount)


def refresh(session: Session, neuron_id: int) -> None:
    """Refresh the stake from the ledger, and the voting power's timestamp."""
    manage(session, neuron_id, {"ClaimOrRefresh": {"by": {"NeuronIdOrSubaccount": {}}}})
    manage(session, neuron_id, {"RefreshVotingPower": {}})


def neuron_graph(
    session: Session, start: tuple[int, ...] = (), *, rounds: int = 6
) -> dict[int, NeuronNode]:
    """The neurons the caller can see (its own, known neurons, `start`) and, transitively, their
    followees; a neuron whose following is not readable keeps `followees=None`."""
    known = list_known_neurons(session)
    wanted = {*start, *known}
    nodes: dict[int, NeuronNode] = {}
    first = True
    for _ in range(rounds):
        missing = tuple(sorted(wanted - nodes.keys()))
        if not missing and not first:
            break
        views = list_neurons(session, missing, mine=first, public=True)
        first = False
        for view in views:
            readable = view.controller is not None
            nodes[view.neuron_id] = NeuronNode(
                neuron_id=view.neuron_id,
                voting_power=view.voting_power,
                followees=view.followees if readable else None,
                name=view.known_name or known.get(view.neuron_id),
            )
            for followees in view.followees.values():
                wanted.update(followees)
        wanted -= {n for n in missing if n not in nodes}  # ids governance does not know
    return nodes


def get_who_decides(session: Session, neuron_id: int, topic: int) -> WhoDecides:
    graph = neuron_graph(session, (neuron_id,))
    if neuron_id not in graph:
        raise Refused(f"there is no neuron {neuron_id}", kind="NotFound")
    return who_decides(neuron_id, topic, graph)
