"""Typed clients of the SNS canisters over the agent, shaped like `@dfinity/sns`.

    wasm = SnsWasmCanister.create(agent)                 # the NNS's SNS-W
    (deployed, *_) = wasm.list_deployed_snses()
    sns = SnsCanisters.create(agent, deployed)           # root, governance, ledger, swap, index
    sns.swap.get_derived_state()
    sns.governance.list_proposals(limit=10)

As with `nns.clients`, `create(agent)` over an `AsyncAgent` gives coroutine
methods and over the synchronous `Agent` the same methods run to completion.
The SNS canisters have no fixed ids: each client is created with its
canister's id, as SNS-W reports them (`DeployedSns`).
"""

from sns.clients.governance import SnsGovernanceCanister, SnsGovernanceError
from sns.clients.ledger import (
    SnsIndexCanister,
    SnsIndexError,
    SnsLedgerCanister,
    SnsTransferError,
)
from sns.clients.root import SnsRootCanister
from sns.clients.sns import DeployedSns, SnsCanisters
from sns.clients.swap import SnsSwapCanister, SwapError
from sns.clients.wasm import SnsWasmCanister

__all__ = [
    "DeployedSns",
    "SnsCanisters",
    "SnsGovernanceCanister",
    "SnsGovernanceError",
    "SnsIndexCanister",
    "SnsIndexError",
    "SnsLedgerCanister",
    "SnsRootCanister",
    "SnsSwapCanister",
    "SnsTransferError",
    "SnsWasmCanister",
    "SwapError",
]
