"""Callback contexts are frozen records that survive the engine's canonical CBOR."""

from __future__ import annotations

import dataclasses

import pytest

from nns.governance import contexts
from nns.ledger.accounts import AccountIdentifier
from replica.canister import codec
from replica.types import Principal

OWNER = Principal.self_authenticating(b"owner")
EXAMPLES = [
    contexts.ClaimContext(subaccount=bytes(32), controller=OWNER),
    contexts.DisburseContext(neuron_id=1, amount=5, to=AccountIdentifier.of(OWNER), proposal_id=3),
    contexts.SplitContext(neuron_id=1, child_id=2, child_subaccount=bytes(32), amount=7),
    contexts.DisburseToNeuronContext(
        neuron_id=1,
        child_id=2,
        child_subaccount=bytes(32),
        amount=7,
        controller=OWNER,
        dissolve_delay_seconds=0,
        kyc_verified=True,
    ),
    contexts.MergeContext(source_id=1, target_id=2, amount=9, proposal_id=None),
    contexts.MintContext(neuron_id=4, amount=1),
    contexts.ProposalContext(proposal_id=8),
    contexts.NodeProviderRewardContext(
        proposal_id=8, index=1, failure="x", neuron_id=5, subaccount=bytes(32)
    ),
    contexts.TotalSupplyContext(),
]


def test_every_context_kind_has_an_example() -> None:
    kinds = {
        value
        for value in vars(contexts).values()
        if isinstance(value, type)
        and dataclasses.is_dataclass(value)
        and value.__module__ == contexts.__name__
    }
    assert kinds == {type(example) for example in EXAMPLES}


@pytest.mark.parametrize("context", EXAMPLES, ids=lambda c: type(c).__name__)
def test_a_context_is_frozen_and_round_trips_through_the_codec(context: object) -> None:
    assert codec.decode(codec.encode(context)) == context
    names = [field.name for field in dataclasses.fields(context)]  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(context, names[0] if names else "anything", 99)
