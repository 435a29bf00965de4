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
