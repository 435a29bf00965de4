"""What a proposal must be to be submitted (spec 4.2): sizes, its action's own rules, and the
topic it falls under: functions of the governance state (`core`) that refuse a malformed
proposal before anyone votes.
"""

from __future__ import annotations

from typing import Final, Protocol, runtime_checkable
from urllib.parse import urlparse

from nns.governance import action_execution
from nns.governance.core import GovernanceCore
from nns.governance.enums import (
    Topic,
)
from nns.governance.errors import (
    invalid_proposal,
)
from nns.governance.nns_functions import (
    OBSOLETE_FUNCTIONS,
    PAYLOAD_TYPES,
    TARGETS,
    IcpXdrConversionRatePayload,
    NnsFunction,
)
from nns.governance.parameters import (
    MAX_MOTION_TEXT_BYTES,
    MAX_PAYLOAD_BYTES,
    MAX_SUMMARY_BYTES,
    MAX_TITLE_BYTES,
    MAX_URL_CHARS,
    MIN_TITLE_BYTES,
    MIN_URL_CHARS,
)
from nns.governance.requests import (
    ExecuteNnsFunction,
    InstallCode,
    InstallMode,
    MakeProposal,
    ManageNetworkEconomics,
    ManageNeuronProposal,
    Motion,
    Proposal,
    RegisterKnownNeuron,
)
from registry.errors import InvalidPayload
from replica.canister import codec
from replica.canister.nns_ids import (
    CYCLES_MINTING_CANISTER_ID,
    GOVERNANCE_CANISTER_ID,
    LEDGER_CANISTER_ID,
    REGISTRY_CANISTER_ID,
)

# The canisters NNS root controls and may change by an InstallCode proposal: registry,
# governance, ledger and cycles minting (root itself is changed through the lifeline).
ROOT_CONTROLLED_CANISTERS: Final = frozenset(
    (REGISTRY_CANISTER_ID, GOVERNANCE_CANISTER_ID, LEDGER_CANISTER_ID, CYCLES_MINTING_CANISTER_ID)
)
MAX_KNOWN_NEURON_NAME_BYTES = 200
MAX_KNOWN_NEURON_DESCRIPTION_BYTES = 3_000
MAX_KNOWN_NEURON_LINKS = 10
MAX_KNOWN_NEURON_LINK_BYTES = 100


@runtime_checkable
class ValidatedPayload(Protocol):
    """A payload that checks itself; it raises `InvalidPayload` for a malformed one."""

    def validate(self) -> None: ...


def validate_install_code(action: InstallCode) -> None:
    """An InstallCode proposal names a canister root controls, a module and a mode."""
    if action.canister_id not in ROOT_CONTROLLED_CANISTERS:
        raise invalid_proposal(
            f"Canister {action.canister_id} is not an NNS canister that root controls."
        )
    if action.install_mode not in tuple(InstallMode):
        raise invalid_proposal(f"Invalid install mode: {action.install_mode}.")
    if not action.wasm_module:
        raise invalid_proposal("InstallCode needs a wasm module.")
    size = len(action.wasm_module) + len(action.arg)
    if size > MAX_PAYLOAD_BYTES:
        raise invalid_proposal(
            f"The maximum InstallCode size is {MAX_PAYLOAD_BYTES} bytes, this one is {size} bytes."
        )


def validate_proposal(core: GovernanceCore, proposal: Proposal) -> tuple[Topic, int | None]:
    """Refuse a malformed proposal before anyone votes; return its topic."""
    action = proposal.action
    if action is None:
        raise invalid_proposal("Proposal lacks an action.")
    if len(proposal.summary.encode()) > MAX_SUMMARY_BYTES:
        raise invalid_proposal(
            f"The maximum proposal summary size is {MAX_SUMMARY_BYTES} bytes, this proposal "
            f"is: {len(proposal.summary.encode())} bytes"
        )
    if proposal.url and not MIN_URL_CHARS <= len(proposal.url) <= MAX_URL_CHARS:
        raise invalid_proposal(
            f"The url must be between {MIN_URL_CHARS} and {MAX_URL_CHARS} characters long."
        )
    if not isinstance(action, ManageNeuronProposal):
        title = proposal.title or ""
        if not MIN_TITLE_BYTES <= len(title.encode()) <= MAX_TITLE_BYTES:
            raise invalid_proposal(
                f"Proposal title must be between {MIN_TITLE_BYTES} and {MAX_TITLE_BYTES} "
                "bytes long."
            )
    match action:
        case Motion():
            if len(action.motion_text.encode()) > MAX_MOTION_TEXT_BYTES:
                raise invalid_proposal(
                    f"The maximum motion text size in bytes is {MAX_MOTION_TEXT_BYTES}, this "
                    f"motion text is: {len(action.motion_text.encode())} bytes"
                )
            return Topic.GOVERNANCE, None
        case ManageNetworkEconomics():
            core.economics.inherit(action.economics).validate(core.durations)
            return Topic.NETWORK_ECONOMICS, None
        case RegisterKnownNeuron():
            validate_known_neuron(core, action)
            return Topic.GOVERNANCE, None
        case ManageNeuronProposal():
            managed = core.get_neuron(action.neuron_id)
            if not managed.followees.get(Topic.NEURON_MANAGEMENT):
                raise invalid_proposal(
                    "The neuron to manage has no followees on the NeuronManagement topic."
                )
            if isinstance(action.command, MakeProposal):
                raise invalid_proposal("A ManageNeuron proposal cannot make a proposal.")
            return Topic.NEURON_MANAGEMENT, action.neuron_id
        case ExecuteNnsFunction():
            return validate_nns_function(core, action), None
        case InstallCode():
            validate_install_code(action)
            return Topic.PROTOCOL_CANISTER_MANAGEMENT, None
    return action_execution.validate_canister_and_provider_action(core, action), None


def validate_nns_function(core: GovernanceCore, action: ExecuteNnsFunction) -> Topic:
    try:
        function = NnsFunction(action.nns_function)
    except ValueError:
        raise invalid_proposal(f"Invalid NnsFunction id: {action.nns_function}") from None
    if function in OBSOLETE_FUNCTIONS:
        raise invalid_proposal(f"{function.name} is obsolete.")
    target = TARGETS.get(function)
    payload_type = PAYLOAD_TYPES.get(function)
    if target is None or payload_type is None:
        raise invalid_proposal(f"{function.name} is not supported by this network.")
    if not isinstance(action.payload, payload_type):
        raise invalid_proposal(
            f"{function.name} takes a {payload_type.__name__} payload, got "
            f"{type(action.payload).__name__}."
        )
    size = len(codec.encode(action.payload))
    if size > MAX_PAYLOAD_BYTES:
        raise invalid_proposal(
            f"The maximum NNS function payload size is {MAX_PAYLOAD_BYTES} bytes, "
            f"this payload is {size} bytes."
        )
    if isinstance(action.payload, ValidatedPayload):
        try:
            action.payload.validate()
        except InvalidPayload as error:
            raise invalid_proposal(f"Invalid {function.name} payload: {error}") from error
    if isinstance(action.payload, IcpXdrConversionRatePayload):
        rate = action.payload.xdr_permyriad_per_icp
        if rate < core.economics.minimum_icp_xdr_rate:
            # governance.rs (IcpXdrConversionRate, before the exchange rate canister)
            raise invalid_proposal(f"The proposed rate {rate} is below the minimum allowable rate")
    return target.topic


def validate_known_neuron(core: GovernanceCore, action: RegisterKnownNeuron) -> None:
    if action.id not in core.state.neurons:
        raise invalid_proposal(f"Neuron {action.id} does not exist.")
    name_bytes = len(action.name.encode())
    if not 0 < name_bytes <= MAX_KNOWN_NEURON_NAME_BYTES:
        raise invalid_proposal(
            f"The known neuron name must have between 1 and {MAX_KNOWN_NEURON_NAME_BYTES} bytes."
        )
    for neuron in core.state.neurons.values():
        data = neuron.known_neuron_data
        if data is not None and data.name == action.name and neuron.id != action.id:
            raise invalid_proposal(f"The name {action.name} already belongs to a known neuron.")
    if (
        action.description is not None
        and len(action.description.encode()) > MAX_KNOWN_NEURON_DESCRIPTION_BYTES
    ):
        raise invalid_proposal(
            f"The description has more than {MAX_KNOWN_NEURON_DESCRIPTION_BYTES} bytes."
        )
    if len(action.links) > MAX_KNOWN_NEURON_LINKS:
        raise invalid_proposal(f"A known neuron has at most {MAX_KNOWN_NEURON_LINKS} links.")
    for link in action.links:
        parsed = urlparse(link)
        if len(link.encode()) > MAX_KNOWN_NEURON_LINK_BYTES or not (
            parsed.scheme in ("http", "https") and parsed.netloc
        ):
            raise invalid_proposal(f"Invalid link: {link!r}.")
