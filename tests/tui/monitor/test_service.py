"""The monitor's jobs over a fake network: a registry world, a governance that keeps proposals,
status answers from a table. One proposal per dead member, none again after a restart while it
is pending, the rate limit read back from governance, and a dry run that files nothing."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any

import pytest

from nns.governance.enums import ProposalStatus
from registry.interface import decode_payload
from replica.types import Principal
from tests.registry.world import RegistryWorld, make_registry
from tui.monitor import service
from tui.monitor.events import MonitorEvent
from tui.monitor.health import HealthConfig
from tui.monitor.planner import RateLimit
from tui.monitor.service import Monitor, MonitorConfig
from tui.ops.actions import ProposalAction
from tui.ops.replacements import MembershipChange


@dataclass
class FakeNetwork:
    world: RegistryWorld
    now: float = 1_000.0
    proposals: list[MembershipChange] = field(default_factory=list)
    down: set[str] = field(default_factory=set)
    height: int = 10

    def probe(self, url: str, timeout_s: float) -> tuple[int | None, str | None]:
        host = url.split("//")[1].split("/")[0]
        return (None, "connection refused") if host in self.down else (self.height, None)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        client = self.world.client()

        def fetch_registry(session: Any, log: Any = None) -> Any:
            client.sync()
            return client

        def list_changes(
            session: Any,
            *,
            status: Any = (ProposalStatus.OPEN, ProposalStatus.ADOPTED),
            limit: int = 100,
        ) -> list[MembershipChange]:
            names = {ProposalStatus(s).name.lower() for s in status}
            return [p for p in self.proposals if not names or p.status in names]

        def submit(session: Any, preview: Any) -> int:
            action: ProposalAction = preview.action
            assert action.payload is not None
            payload = decode_payload(31, action.payload)
            proposal_id = len(self.proposals) + 1
            self.proposals.append(
                MembershipChange(
                    proposal_id=proposal_id,
                    status="open",
                    proposer=preview.neuron_id,
                    created_s=int(self.now),
                    subnet_id=payload.subnet_id,
                    added=payload.node_ids_add,
                    removed=payload.node_ids_remove,
                )
            )
            return proposal_id

        monkeypatch.setattr(service, "fetch_registry", fetch_registry)
        monkeypatch.setattr(service, "list_membership_changes", list_changes)
        monkeypatch.setattr(
            service, "preview_proposal", lambda session, **fields: SimpleNamespace(**fields)
        )
        monkeypatch.setattr(service, "submit_proposal", submit)
        monkeypatch.setattr(
            service,
            "get_proposal",
            lambda session, proposal_id: self.proposals[proposal_id - 1],
        )

    def monitor(self, events: list[MonitorEvent], **config: Any) -> Monitor:
        settings: dict[str, Any] = {
            "health": HealthConfig(dead_after_s=5, join_grace_s=0),
            "limit": RateLimit(max_proposals=1, window_s=600),
            **config,
        }
        watcher = Monitor(
            SimpleNamespace(target=SimpleNamespace(neuron_id=1)),  # type: ignore[arg-type]
            MonitorConfig(**settings),
            events.append,
            clock=lambda: self.now,
            prober=self.probe,
        )
        watcher.start()
        return watcher

    def step(self, watcher: Monitor, seconds: float) -> None:
        self.now += seconds
        self.height += 1
        watcher.poll()
        watcher.heal()


def host_of(world: RegistryWorld, node: Principal) -> str:
    record = world.client().get_node_record(node)
    assert record is not None
    return f"{record.http.ip_addr}:{record.http.port}"


def kinds(events: list[MonitorEvent]) -> list[str]:
    return [event.kind for event in events]


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> FakeNetwork:
    fake = FakeNetwork(make_registry())
    fake.install(monkeypatch)
    return fake


def test_one_proposal_per_dead_member_and_none_again_after_a_restart(network: FakeNetwork) -> None:
    victim = network.world.members(network.world.app_subnet)[0]
    events: list[MonitorEvent] = []
    watcher = network.monitor(events)
    network.step(watcher, 1)
    network.down.add(host_of(network.world, victim))
    for _ in range(4):
        network.step(watcher, 2)
    filed = [event for event in events if event.kind == "replacement_filed"]
    assert len(filed) == 1 and filed[0].get("node") == victim.to_text()
    assert filed[0].get("added") in {node.to_text() for node in network.world.unassigned}
    assert watcher.filed == [1]

    restarted: list[MonitorEvent] = []
    again = network.monitor(restarted)
    assert restarted[0].kind == "open_replacements"
    assert [p["proposal"] for p in restarted[0].get("proposals")] == [1]
    for _ in range(4):
        network.step(again, 2)
    assert "replacement_filed" not in kinds(restarted)
    skipped = [event for event in restarted if event.kind == "replacement_skipped"]
    assert len(skipped) == 1  # reported once, not at every run
    assert (skipped[0].get("decision"), skipped[0].get("proposal")) == ("already_open", 1)


def test_the_rate_limit_survives_a_restart_and_a_dry_run_files_nothing(
    network: FakeNetwork,
) -> None:
    first, second = network.world.members(network.world.app_subnet)[:2]
    events: list[MonitorEvent] = []
    watcher = network.monitor(events)
    network.step(watcher, 1)
    network.down.add(host_of(network.world, first))
    for _ in range(4):
        network.step(watcher, 2)
    assert len(network.proposals) == 1
    # governance refused it: no longer pending, but it still counts for the rate limit
    network.proposals[0] = replace(network.proposals[0], status="rejected")

    restarted: list[MonitorEvent] = []
    again = network.monitor(restarted)
    assert restarted[0].get("filed_recently") == 1
    network.down.add(host_of(network.world, second))
    for _ in range(4):
        network.step(again, 2)
    assert len(network.proposals) == 1
    reasons = {e.get("decision") for e in restarted if e.kind == "replacement_skipped"}
    assert reasons == {"rate_limited"}

    network.now += 601  # the window has passed
    dry: list[MonitorEvent] = []
    dry_run = network.monitor(dry, dry_run=True)
    for _ in range(4):
        network.step(dry_run, 2)
    assert len(network.proposals) == 1
    planned = [event for event in dry if event.kind == "replacement_planned"]
    busy = [e.get("node") for e in dry if e.get("decision") == "subnet_busy"]
    # one replacement per subnet at a time, even planned: the other dead member waits
    assert sorted([planned[0].get("node"), *busy]) == sorted([first.to_text(), second.to_text()])
    assert len(planned) == 1 and len(busy) == 1
    assert planned[0].get("before")["nakamoto"]["node_provider"] == 1
