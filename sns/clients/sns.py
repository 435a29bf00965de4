"""One SNS: the ids of its five canisters and a client for each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from replica.agent.agent import AsyncAgent
from replica.agent.sync import Agent
from replica.types import Principal


@dataclass(frozen=True, slots=True, kw_only=True)
class DeployedSns:
    """`DeployedSns` of SNS-W: the canisters of one SNS."""

    root: Principal
    governance: Principal
    ledger: Principal
    swap: Principal
    index: Principal

    @classmethod
    def from_candid(cls, value: dict[str, Any]) -> DeployedSns:
        ids: dict[str, Principal] = {}
        for role in ROLES:
            canister = value.get(f"{role}_canister_id")
            if not isinstance(canister, Principal):
                raise ValueError(f"SNS-W listed an SNS without its {role} canister")
            ids[role] = canister
        return cls(**ids)

    def canister_ids(self) -> dict[str, Principal]:
        return {role: getattr(self, role) for role in ROLES}

    def to_json(self) -> dict[str, str]:
        return {role: canister.to_text() for role, canister in self.canister_ids().items()}


ROLES = ("root", "governance", "ledger", "swap", "index")


class SnsCanisters:
    """The clients of one SNS (`SnsWrapper` of `@dfinity/sns`)."""

    def __init__(self, deployed: DeployedSns, agent: AsyncAgent | Agent) -> None:
        from sns.clients.governance import SnsGovernanceCanister
        from sns.clients.ledger import SnsIndexCanister, SnsLedgerCanister
        from sns.clients.root import SnsRootCanister
        from sns.clients.swap import SnsSwapCanister

        self.deployed = deployed
        self.root = SnsRootCanister.create(agent, deployed.root)
        self.governance = SnsGovernanceCanister.create(agent, deployed.governance)
        self.ledger = SnsLedgerCanister.create(agent, deployed.ledger)
        self.swap = SnsSwapCanister.create(agent, deployed.swap)
        self.index = SnsIndexCanister.create(agent, deployed.index)

    @classmethod
    def create(cls, agent: AsyncAgent | Agent, deployed: DeployedSns) -> SnsCanisters:
        return cls(deployed, agent)
