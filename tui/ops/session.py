"""A session: which network, which identity, the agent, and the NNS clients over it.

`--network` names the network: nothing (or `local`) means the local network
whose `.icbox/network.json` is in the directory, a URL means that replica (its
root key fetched from it, as dfx does for a local replica), and any other word
is looked up in `<home>/networks.json` (`{"name": {"url": ..., "root_key":
hex, "preset": "local"}}`; the preset, `mainnet` unless given, scales the
durations people type, see `tui.ops.durations`). `Session.run` runs a client coroutine and turns every failure the
agent or a client can raise into one of `tui.ops.errors`.
"""

from __future__ import annotations

import json
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from nns.clients.governance import GovernanceCanister, GovernanceError
from nns.clients.ledger import LedgerCanister, TransferError
from nns.clients.registry import RegistryCanister
from nns.governance.enums import ErrorType
from replica.agent.errors import AgentError, HttpStatusError, RejectError
from replica.agent.identity import Identity
from replica.agent.sync import Agent
from replica.presets import get_preset
from tui.ops.errors import NetworkUnreachable, OpsError, Refused, UsageError
from tui.ops.identities import IdentityStore, icbox_home

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkTarget:
    name: str
    urls: tuple[str, ...]
    root_key_der: bytes | None
    """None: fetched from the replica (a local replica reached by URL)."""
    network_pem: Path | None = None
    neuron_id: int | None = None
    """The local network's big neuron, controlled by its identity."""
    preset: str = "mainnet"
    """The preset that scales the network's governance time (`replica/presets.py`)."""

    @property
    def time_scale(self) -> int:
        """Mainnet seconds of governance time per second of the network."""
        return get_preset(self.preset).governance_time_scale


def local_network_file(directory: Path) -> Path:
    return directory.resolve() / ".icbox" / "network.json"


def resolve_network(network: str | None, directory: Path = Path(".")) -> NetworkTarget:
    if network is None or network == "local":
        path = local_network_file(directory)
        try:
            description = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise NetworkUnreachable(
                f"no local network in {path.parent} (run `icbox up`, or give --network)"
            ) from error
        nns = description["nns_subnet_id"]
        urls = tuple(node["http"] for node in description["nodes"] if node["subnet_id"] == nns)
        return NetworkTarget(
            name="local",
            urls=urls,
            root_key_der=bytes.fromhex(description["root_key"]),
            network_pem=Path(description["identity"]["pem"]),
            neuron_id=int(description["identity"]["neuron_id"]),
            preset=str(description.get("preset", "mainnet")),
        )
    if network.startswith(("http://", "https://")):
        return NetworkTarget(name=network, urls=(network.rstrip("/"),), root_key_der=None)
    config = icbox_home() / "networks.json"
    try:
        entry = json.loads(config.read_text())[network]
        root_key = entry.get("root_key")
        preset = get_preset(str(entry.get("preset", "mainnet"))).name
        return NetworkTarget(
            name=network,
            urls=(str(entry["url"]).rstrip("/"),),
            root_key_der=bytes.fromhex(root_key) if root_key else None,
            preset=preset,
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise UsageError(
            f"unknown network {network!r}: not 'local', a URL, or a name in {config}",
            kind="UnknownNetwork",
        ) from error


def error_type_name(error_type: int) -> str:
    try:
        return "".join(part.capitalize() for part in ErrorType(error_type).name.split("_"))
    except ValueError:
        return f"GovernanceError{error_type}"


def translate(error: Exception) -> OpsError:
    """The one-line error a person sees for what a client or the agent raised."""
    if isinstance(error, OpsError):
        return error
    if isinstance(error, GovernanceError):
        kind = error_type_name(error.error_type)
        # The IC leaves the text of some refusals empty (e.g. NotAuthorized of a split).
        return Refused(f"governance refused: {error.error_message or kind}", kind=kind)
    if isinstance(error, TransferError):
        details = error.details if isinstance(error.details, dict) else {}
        shown = ", ".join(
            f"{key} {value.get('e8s', value) if isinstance(value, dict) else value}"
            for key, value in details.items()
        )
        return Refused(
            f"the ledger refused the transfer: {error.kind}{' (' + shown + ')' if shown else ''}",
            kind=error.kind,
        )
    if isinstance(error, RejectError):
        return Refused(
            f"the canister rejected the call: {error.reject_message}",
            kind=error.error_code or f"Reject{error.reject_code}",
        )
    if isinstance(error, HttpStatusError):
        if error.status >= 500 or error.status in (404, 429):
            return NetworkUnreachable(f"the replica answered HTTP {error.status}: {error.reason}")
        return Refused(
            f"the replica refused the request: HTTP {error.status}: {error.reason}",
            kind=f"Http{error.status}",
        )
    if isinstance(error, AgentError):
        if "connect" in str(error).lower() or "timed out" in str(error).lower():
            return NetworkUnreachable(f"the network is unreachable: {error}")
        return NetworkUnreachable(f"the network did not answer as it should: {error}")
    if isinstance(error, (OSError, TimeoutError)):
        return NetworkUnreachable(f"the network is unreachable: {error}")
    name = type(error).__module__
    if name.startswith(("httpx", "httpcore")):
        return NetworkUnreachable(f"the network is unreachable: {error or type(error).__name__}")
    raise error


class Session:
    """An agent for one identity on one network, and the NNS clients over it."""

    def __init__(
        self, target: NetworkTarget, identity: Identity, *, identity_name: str = ""
    ) -> None:
        self.target = target
        self.identity = identity
        self.identity_name = identity_name
        try:
            self.agent = Agent(
                target.urls[0],
                identity=identity,
                root_key_der=target.root_key_der,
                fetch_root_key=target.root_key_der is None,
                request_timeout_seconds=20.0,
            )
        except Exception as error:
            raise translate(error) from error
        self.governance = GovernanceCanister(self.agent.inner)
        self.ledger = LedgerCanister(self.agent.inner)
        self.registry = RegistryCanister(self.agent.inner)

    @classmethod
    def open(
        cls,
        network: str | None = None,
        identity: str | None = None,
        *,
        directory: Path = Path("."),
        home: Path | None = None,
    ) -> Session:
        target = resolve_network(network, directory)
        store = IdentityStore(home, network_pem=target.network_pem)
        name = identity or store.default_name()
        return cls(target, store.load(name), identity_name=name)

    @property
    def principal(self) -> Any:
        return self.identity.principal

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        try:
            return self.agent.run(coroutine)
        except Exception as error:
            raise translate(error) from error

    def close(self) -> None:
        self.agent.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
