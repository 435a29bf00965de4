"""Commands and responses of the governance interface.

Each record mirrors a type of the official `governance.did` (spec section 9),
with units in the field names where the .did has them in the type.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from nns.governance.actions import (
    AddOrRemoveNodeProvider,
    DeregisterKnownNeuron,
    RewardNodeProvider,
    RewardNodeProviders,
    StopOrStartCanister,
    UnsupportedAction,
    UpdateCanisterSettings,
)
from nns.governance.enums import Vote
from nns.governance.neuron import KnownNeuronData
from nns.governance.parameters import NetworkEconomics
from nns.ledger.accounts import Account, AccountIdentifier
from replica.types import Principal

# -- neuron configuration -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class IncreaseDissolveDelay:
    additional_dissolve_delay_seconds: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SetDissolveTimestamp:
    dissolve_timestamp_seconds: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StartDissolving:
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class StopDissolving:
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class AddHotKey:
    new_hot_key: Principal


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoveHotKey:
    hot_key_to_remove: Principal


@dataclass(frozen=True, slots=True, kw_only=True)
class JoinCommunityFund:
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaveCommunityFund:
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeAutoStakeMaturity:
    requested_setting_for_auto_stake_maturity: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SetVisibility:
    visibility: int | None


ConfigureOperation = (
    IncreaseDissolveDelay
    | SetDissolveTimestamp
    | StartDissolving
    | StopDissolving
    | AddHotKey
    | RemoveHotKey
    | JoinCommunityFund
    | LeaveCommunityFund
    | ChangeAutoStakeMaturity
    | SetVisibility
)

# -- manage neuron commands ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Configure:
    operation: ConfigureOperation | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Disburse:
    to_account: AccountIdentifier | None = None
    amount_e8s: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Spawn:
    percentage_to_spawn: int | None = None
    new_controller: Principal | None = None
    nonce: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Split:
    amount_e8s: int
    memo: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Follow:
    topic: int
    followees: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class FolloweesForTopic:
    topic: int | None
    followees: tuple[int, ...] | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SetFollowing:
    topic_following: tuple[FolloweesForTopic, ...] | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterVote:
    proposal: int | None
    vote: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimByMemo:
    memo: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimByMemoAndController:
    memo: int
    controller: Principal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimByNeuronIdOrSubaccount:
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimOrRefresh:
    by: ClaimByMemo | ClaimByMemoAndController | ClaimByNeuronIdOrSubaccount | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Merge:
    source_neuron_id: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class MergeMaturity:
    percentage_to_merge: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StakeMaturity:
    percentage_to_stake: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DisburseMaturity:
    percentage_to_disburse: int
    to_account: Account | None = None
    to_account_identifier: AccountIdentifier | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DisburseToNeuron:
    new_controller: Principal | None
    amount_e8s: int
    dissolve_delay_seconds: int
    kyc_verified: bool
    nonce: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshVotingPower:
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class MakeProposal:
    proposal: Proposal


ManageNeuronCommand = (
    Configure
    | Disburse
    | Spawn
    | Split
    | Follow
    | SetFollowing
    | RegisterVote
    | ClaimOrRefresh
    | Merge
    | MergeMaturity
    | StakeMaturity
    | DisburseMaturity
    | DisburseToNeuron
    | RefreshVotingPower
    | MakeProposal
)


@dataclass(frozen=True, slots=True, kw_only=True)
class NeuronIdOrSubaccount:
    """Exactly one of the two."""

    neuron_id: int | None = None
    subaccount: bytes | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ManageNeuronRequest:
    command: ManageNeuronCommand | None
    neuron_id_or_subaccount: NeuronIdOrSubaccount | None = None
    id: int | None = None


# -- proposals ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Motion:
    motion_text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ManageNetworkEconomics:
    """A NetworkEconomics whose zero fields keep the current values."""

    economics: NetworkEconomics


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterKnownNeuron:
    id: int
    name: str
    description: str | None = None
    links: tuple[str, ...] = ()
    committed_topics: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ManageNeuronProposal:
    neuron_id: int
    command: ManageNeuronCommand


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecuteNnsFunction:
    """A call to a registry (or other NNS canister) method with a typed payload."""

    nns_function: int
    payload: object


class InstallMode(IntEnum):
    """The official InstallCode modes."""

    INSTALL = 1
    REINSTALL = 2
    UPGRADE = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallCode:
    """Install, reinstall or upgrade an NNS canister: NNS root does it when the proposal passes.

    On icbox the module names the system canister (`icbox:ledger`), as the
    management canister's install_code expects.
    """

    canister_id: Principal
    wasm_module: bytes
    arg: bytes = b""
    install_mode: int = InstallMode.UPGRADE
    skip_stopping_before_installing: bool = False


ProposalAction = (
    Motion
    | ManageNetworkEconomics
    | RegisterKnownNeuron
    | ManageNeuronProposal
    | ExecuteNnsFunction
    | InstallCode
    | StopOrStartCanister
    | UpdateCanisterSettings
    | DeregisterKnownNeuron
    | AddOrRemoveNodeProvider
    | RewardNodeProvider
    | RewardNodeProviders
    | UnsupportedAction
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Proposal:
    title: str | None
    summary: str
    url: str
    action: ProposalAction | None


# -- responses ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class EmptyResponse:
    """Follow, Configure, RegisterVote, RefreshVotingPower and SetFollowing answer with nothing."""

    command: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimOrRefreshResponse:
    refreshed_neuron_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SpawnResponse:
    """Spawn, Split and DisburseToNeuron answer with the new neuron's id (under their own name)."""

    created_neuron_id: int
    command: str = "Spawn"


@dataclass(frozen=True, slots=True, kw_only=True)
class DisburseResponse:
    transfer_block_height: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MakeProposalResponse:
    proposal_id: int
    message: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StakeMaturityResponse:
    maturity_e8s: int
    staked_maturity_e8s: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DisburseMaturityResponse:
    amount_disbursed_e8s: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MergeResponse:
    source_neuron_id: int
    target_neuron_id: int


ManageNeuronResponse = (
    EmptyResponse
    | ClaimOrRefreshResponse
    | SpawnResponse
    | DisburseResponse
    | MakeProposalResponse
    | StakeMaturityResponse
    | DisburseMaturityResponse
    | MergeResponse
)

# -- listing ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ListProposalInfo:
    limit: int = 100
    before_proposal: int | None = None
    exclude_topic: tuple[int, ...] = ()
    include_reward_status: tuple[int, ...] = ()
    include_status: tuple[int, ...] = ()
    include_all_manage_neuron_proposals: bool | None = None
    omit_large_fields: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ListNeurons:
    neuron_ids: tuple[int, ...] = ()
    include_neurons_readable_by_caller: bool = True
    include_empty_neurons_readable_by_caller: bool | None = None
    include_public_neurons_in_full_neurons: bool | None = None
    page_number: int | None = None
    page_size: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BallotInfo:
    proposal_id: int
    vote: Vote


@dataclass(frozen=True, slots=True, kw_only=True)
class NeuronInfo:
    id: int
    dissolve_delay_seconds: int
    recent_ballots: tuple[BallotInfo, ...]
    neuron_type: int | None
    created_timestamp_seconds: int
    state: int
    stake_e8s: int
    joined_community_fund_timestamp_seconds: int | None
    retrieved_at_timestamp_seconds: int
    visibility: int | None
    known_neuron_name: str | None
    age_seconds: int
    voting_power: int
    voting_power_refreshed_timestamp_seconds: int
    deciding_voting_power: int
    potential_voting_power: int
    known_neuron_data: KnownNeuronData | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ListNeuronsResponse:
    neuron_infos: tuple[NeuronInfo, ...]
    full_neurons: tuple[object, ...]
    total_pages_available: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class KnownNeuron:
    id: int
    name: str
    description: str | None
    links: tuple[str, ...]
    committed_topics: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimOrRefreshNeuronFromAccount:
    controller: Principal | None
    memo: int
