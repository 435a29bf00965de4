"""What governance remembers across a call: the context each callback receives.

One frozen record per kind of call, so a callback reads typed fields instead
of string keys. The engine keeps a callback's context in its state (as
canonical CBOR, like every record of stable memory), so these are plain
frozen dataclasses of integers, bytes, principals and account identifiers.
`proposal_id` is set on the commands that an adopted ManageNeuron proposal
runs: their outcome is the proposal's execution.
"""

from __future__ import annotations

from dataclasses import dataclass

from nns.ledger.accounts import AccountIdentifier
from replica.types import Principal


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimContext:
    """ClaimOrRefresh waits for the balance of the neuron's account."""

    subaccount: bytes
    controller: Principal


@dataclass(frozen=True, slots=True, kw_only=True)
class DisburseContext:
    """Disburse: the fees are burned, then `amount` goes to `to`."""

    neuron_id: int
    amount: int
    to: AccountIdentifier
    proposal_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SplitContext:
    neuron_id: int
    child_id: int
    child_subaccount: bytes
    amount: int
    proposal_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DisburseToNeuronContext:
    neuron_id: int
    child_id: int
    child_subaccount: bytes
    amount: int
    controller: Principal
    dissolve_delay_seconds: int
    kyc_verified: bool
    proposal_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MergeContext:
    """Merge: the source's fees are burned, then `amount` moves to the target."""

    source_id: int
    target_id: int
    amount: int = 0
    proposal_id: int | None = None


# the commands whose ledger refusal unlocks one neuron and answers External
NeuronTransferContext = DisburseContext | SplitContext | DisburseToNeuronContext


@dataclass(frozen=True, slots=True, kw_only=True)
class MintContext:
    """A mint to a neuron's account (spawning) or out of its maturity (disbursing maturity)."""

    neuron_id: int
    amount: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ProposalContext:
    """An adopted proposal executed by another canister."""

    proposal_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeProviderRewardContext:
    """Reward `index` of a node provider reward proposal (or of the month being minted, when
    `monthly`); `failure` is the first one so far.

    A reward paid into a new neuron names that neuron's id and subaccount."""

    proposal_id: int
    index: int
    failure: str | None = None
    neuron_id: int | None = None
    subaccount: bytes | None = None
    monthly: bool = False


@dataclass(frozen=True, kw_only=True)
class TotalSupplyContext:
    """The ledger's total supply, read before a reward event."""
