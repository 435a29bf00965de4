"""Typed clients of the NNS canisters over the agent, shaped like the official JS clients.

    agent = Agent(url, identity=identity, fetch_root_key=True)   # replica.agent.sync
    ledger = LedgerCanister.create(agent)
    ledger.transfer(to=account, amount_e8s=100_000_000)
    governance = GovernanceCanister.create(agent)
    governance.list_proposals(limit=10)

`create(agent)` with an `AsyncAgent` gives coroutine methods; with the
synchronous `Agent` it gives the same methods, run to completion. Reads
take `certified` as the JS clients do (`certified=True` sends the query method
as an update, answered with a certificate); the default is False while the
execution engine refuses ingress to query methods (see `governance`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from nns.clients.governance import GovernanceCanister, GovernanceError
    from nns.clients.ledger import LedgerCanister, TransferError
    from nns.clients.registry import RegistryCanister
    from nns.clients.root import RootCanister

__all__ = [
    "GovernanceCanister",
    "GovernanceError",
    "LedgerCanister",
    "RegistryCanister",
    "RootCanister",
    "TransferError",
]

_MODULES: Final = {
    "GovernanceCanister": "nns.clients.governance",
    "GovernanceError": "nns.clients.governance",
    "LedgerCanister": "nns.clients.ledger",
    "TransferError": "nns.clients.ledger",
    "RegistryCanister": "nns.clients.registry",
    "RootCanister": "nns.clients.root",
}


def __getattr__(name: str) -> Any:
    """Each client is imported when first named, so importing one imports only its own code."""
    if name in _MODULES:
        return getattr(importlib.import_module(_MODULES[name]), name)
    raise AttributeError(f"module 'nns.clients' has no attribute {name!r}")
