"""The monitor's shell: probe, read the registry and governance, file proposals, on a schedule.

Two APScheduler jobs run one at a time (a single worker thread): `poll`
(every `poll_interval_s`) syncs the registry from the NNS, probes the status
endpoint of every subnet member named there and feeds the answers to the
health tracker; `heal` (every `heal_interval_s`) reads the pending
ChangeSubnetMembership proposals from governance, asks the planner what to do
for each dead member and files the chosen replacement with the monitor's
neuron (through `tui.ops`, with the registry's own validation first), or with
`dry_run` only reports it. Every event goes to `emit`; a job that fails
reports an `error` event and the next run tries again.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

import cbor2
import httpx

from registry.client import RegistryClient
from registry.decentralization import NodeAttributes, get_node_attributes
from replica.types import Principal
from tui.monitor.events import MonitorEvent
from tui.monitor.health import HealthConfig, HealthTracker, Probe
from tui.monitor.planner import Decision, OpenReplacement, RateLimit, plan_replacements
from tui.ops import actions
from tui.ops.errors import OpsError, UsageError
from tui.ops.neurons import list_neurons
from tui.ops.proposals import get_proposal, preview_proposal, submit_proposal
from tui.ops.replacements import MembershipChange, list_membership_changes
from tui.ops.session import Session
from tui.ops.topology import fetch_registry

Emit = Callable[[MonitorEvent], None]
Prober = Callable[[str, float], tuple[int | None, str | None]]
"""(status URL, timeout) -> (certified height, None) or (None, why it failed)."""


class StatusProber:
    """GET `/api/v2/status` of replicas over one HTTP client: a certified height, or why not."""

    def __init__(self) -> None:
        self.client = httpx.Client()

    def __call__(self, url: str, timeout_s: float) -> tuple[int | None, str | None]:
        try:
            response = self.client.get(url, timeout=timeout_s)
        except httpx.HTTPError as error:
            return None, f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        if response.status_code != 200:
            return None, f"HTTP {response.status_code}"
        try:
            status = cbor2.loads(response.content)
            status = status.value if isinstance(status, cbor2.CBORTag) else status
            health = status.get("replica_health_status", "healthy")
            if health != "healthy":
                return None, f"replica health status {health}"
            return int(status["certified_height"]), None
        except (ValueError, KeyError, TypeError, AttributeError, cbor2.CBORDecodeError) as error:
            return None, f"malformed status: {error}"

    def close(self) -> None:
        self.client.close()


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitorConfig:
    health: HealthConfig = field(default_factory=HealthConfig)
    limit: RateLimit = field(default_factory=RateLimit)
    poll_interval_s: float = 2.0
    heal_interval_s: float = 5.0
    probe_timeout_s: float = 1.0
    dry_run: bool = False
    neuron_id: int | None = None
    """The neuron that files proposals; None: the local network's, else the identity's first."""


def open_replacements(changes: list[MembershipChange]) -> list[OpenReplacement]:
    return [
        OpenReplacement(
            proposal_id=change.proposal_id,
            subnet_id=change.subnet_id,
            added=change.added,
            removed=change.removed,
        )
        for change in changes
    ]


class Monitor:
    def __init__(
        self,
        session: Session,
        config: MonitorConfig,
        emit: Emit,
        *,
        clock: Callable[[], float] = time.time,
        prober: Prober | None = None,
    ) -> None:
        self.session = session
        self.config = config
        self.emit = emit
        self.clock = clock
        self.prober: Prober = prober or StatusProber()
        self.tracker = HealthTracker(config.health)
        self.registry: RegistryClient | None = None
        self.neuron_id: int | None = config.neuron_id
        self.filed_at_s: list[float] = []
        self.filed: list[int] = []
        self.reported: dict[Principal, tuple[str, str]] = {}

    # -- start --------------------------------------------------------------------------------

    def start(self) -> None:
        """Find the neuron, read the registry, and report the replacements already pending."""
        if self.neuron_id is None:
            self.neuron_id = self.session.target.neuron_id
        if self.neuron_id is None and not self.config.dry_run:
            mine = list_neurons(self.session)
            if not mine:
                raise UsageError("the identity controls no neuron: give --neuron or use --dry-run")
            self.neuron_id = mine[0].neuron_id
        self.registry = fetch_registry(self.session)
        pending = list_membership_changes(self.session)
        recent = list_membership_changes(self.session, status=())
        now = self.clock()
        self.filed_at_s = [
            float(change.created_s)
            for change in recent
            if change.proposer == self.neuron_id
            and now - change.created_s < self.config.limit.window_s
        ]
        self.emit(
            MonitorEvent.of(
                now,
                "open_replacements",
                proposals=[change.to_json() for change in pending],
                neuron=self.neuron_id,
                registry_version=self.registry.latest_version,
                filed_recently=len(self.filed_at_s),
                dry_run=self.config.dry_run,
            )
        )

    # -- jobs ---------------------------------------------------------------------------------

    def poll(self) -> None:
        registry = self._registry()
        registry.sync()
        probes = []
        for subnet_id in registry.get_subnet_ids():
            for node_id in registry.get_subnet_members(subnet_id):
                record = registry.get_node_record(node_id)
                if record is None:
                    continue
                host = record.http.ip_addr
                host = f"[{host}]" if ":" in host else host
                url = f"http://{host}:{record.http.port}/api/v2/status"
                height, error = self.prober(url, self.config.probe_timeout_s)
                probes.append(
                    Probe(
                        node_id=node_id,
                        subnet_id=subnet_id,
                        reachable=height is not None,
                        certified_height=height,
                        error=error,
                    )
                )
        for event in self.tracker.observe(self.clock(), probes):
            self.emit(event)

    def heal(self) -> list[Decision]:
        registry = self._registry()
        registry.sync()
        dead = self.tracker.dead_nodes()
        if not dead:
            return []
        members: dict[Principal, list[NodeAttributes]] = {
            subnet_id: [
                get_node_attributes(registry, n) for n in registry.get_subnet_members(subnet_id)
            ]
            for subnet_id in registry.get_subnet_ids()
        }
        dead = [
            node
            for node in dead
            if any(a.node_id == node.node_id for a in members.get(node.subnet_id, []))
        ]
        unassigned = [get_node_attributes(registry, n) for n in registry.get_unassigned_nodes()]
        now = self.clock()
        decisions = plan_replacements(
            now_s=now,
            dead=dead,
            members=members,
            unassigned=unassigned,
            open_proposals=open_replacements(list_membership_changes(self.session)),
            filed_at_s=self.filed_at_s,
            limit=self.config.limit,
        )
        for decision in decisions:
            self._act(now, decision)
        return decisions

    def _act(self, now: float, decision: Decision) -> None:
        node, subnet = decision.dead.node_id, decision.dead.subnet_id
        choice = decision.choice
        chosen = None if choice is None else choice.chosen
        details: dict[str, Any] = {"node": node, "subnet": subnet}
        if decision.kind != "file" or choice is None or chosen is None:
            if self.reported.get(node) != (decision.kind, decision.reason):
                self.reported[node] = (decision.kind, decision.reason)
                self.emit(
                    MonitorEvent.of(
                        now,
                        "replacement_skipped",
                        **details,
                        decision=decision.kind,
                        reason=decision.reason,
                        proposal=decision.proposal_id,
                        **({"choice": choice.to_json()} if choice is not None else {}),
                    )
                )
            return
        added = chosen.candidate.node_id
        scores = {"before": choice.before.to_json(), "after": chosen.after.to_json()}
        if self.config.dry_run:
            if self.reported.get(node) != ("planned", str(added)):
                self.reported[node] = ("planned", str(added))
                self.emit(
                    MonitorEvent.of(
                        now,
                        "replacement_planned",
                        **details,
                        added=added,
                        **scores,
                        candidates=choice.to_json()["candidates"],
                    )
                )
            return
        neuron_id = self.neuron_id
        if neuron_id is None:
            raise UsageError("no neuron to file proposals with: give --neuron")
        proposal_id, status = self._file(decision, neuron_id, added)
        self.filed_at_s.append(now)
        self.filed.append(proposal_id)
        self.reported[node] = ("filed", str(proposal_id))
        self.emit(
            MonitorEvent.of(
                now,
                "replacement_filed",
                **details,
                added=added,
                proposal=proposal_id,
                status=status,
                neuron=self.neuron_id,
                **scores,
            )
        )

    def _file(self, decision: Decision, neuron_id: int, added: Principal) -> tuple[int, str]:
        node, subnet = decision.dead.node_id, decision.dead.subnet_id
        choice = decision.choice
        action = actions.change_subnet_membership(
            subnet.to_text(), [added.to_text()], [node.to_text()]
        )
        before = "" if choice is None else _summary_line(choice.before.to_json())
        after = (
            ""
            if choice is None or choice.chosen is None
            else _summary_line(choice.chosen.after.to_json())
        )
        preview = preview_proposal(
            self.session,
            neuron_id=neuron_id,
            title=f"Replace unreachable node {node} in subnet {subnet}",
            summary=(
                f"Node {node} of subnet {subnet} has been unhealthy since "
                f"{datetime.fromtimestamp(decision.dead.unhealthy_since_s).isoformat(timespec='seconds')} "
                f"({decision.dead.last_error}). Replace it with unassigned node {added}, "
                f"which keeps or improves every Nakamoto coefficient.\n\nBefore: {before}\nAfter: {after}"
            ),
            url="",
            action=action,
        )
        proposal_id = submit_proposal(self.session, preview)
        return proposal_id, get_proposal(self.session, proposal_id).status

    def close(self) -> None:
        close = getattr(self.prober, "close", None)
        if close is not None:
            close()

    def _registry(self) -> RegistryClient:
        if self.registry is None:
            self.registry = fetch_registry(self.session)
        return self.registry


def _summary_line(score: dict[str, Any]) -> str:
    return ", ".join(f"{name} {value}" for name, value in score["nakamoto"].items())


def run_monitor(
    monitor: Monitor,
    *,
    duration_s: float | None = None,
    until_filed: int | None = None,
) -> None:
    """Run the two jobs until SIGINT/SIGTERM, `duration_s` passed or `until_filed` filed."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    # A skipped run (the previous one still going) is expected, not worth a warning line.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    scheduler = BackgroundScheduler(executors={"default": ThreadPoolExecutor(1)})
    config = monitor.config
    stop = threading.Event()

    def guarded(name: str, job: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            try:
                job()
            except OpsError as error:
                monitor.emit(
                    MonitorEvent.of(monitor.clock(), "error", job=name, message=error.message)
                )
            except Exception as error:  # a job never dies: the next run tries again
                monitor.emit(
                    MonitorEvent.of(
                        monitor.clock(),
                        "error",
                        job=name,
                        message=f"{type(error).__name__}: {error}",
                    )
                )
            if until_filed is not None and len(monitor.filed) >= until_filed:
                stop.set()

        return run

    now = datetime.now()
    # A run that starts late (the machine is busy, the other job is running) still runs.
    common: dict[str, Any] = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
    scheduler.add_job(
        guarded("poll", monitor.poll),
        "interval",
        seconds=config.poll_interval_s,
        next_run_time=now,
        id="poll",
        **common,
    )
    scheduler.add_job(
        guarded("heal", monitor.heal),
        "interval",
        seconds=config.heal_interval_s,
        next_run_time=now + timedelta(seconds=config.heal_interval_s),
        id="heal",
        **common,
    )

    def on_signal(number: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {
        number: signal.signal(number, on_signal) for number in (signal.SIGTERM, signal.SIGINT)
    }
    deadline = None if duration_s is None else time.monotonic() + duration_s
    scheduler.start()
    try:
        while not stop.wait(0.2):
            if deadline is not None and time.monotonic() > deadline:
                break
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        scheduler.shutdown(wait=True)
