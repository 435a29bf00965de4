"""Wasm canisters on a network, through the agent: what `icbox canister ...` runs.

`NetworkCanisters` runs the management canister's operations
(`replica.execution.wasm.operations.ManagementOperations`) on a live network.
Each call goes to a replica of the subnet that hosts the canister it
concerns: the registry canister's routing table says which subnet, and its
node records where that subnet's replicas answer. A call to `aaaaa-aa` names
that canister as its effective canister id, as the interface spec requires;
`create_canister` names the first canister id of the subnet chosen
(`--subnet`, else the first application subnet).

Arguments and replies are Candid text, typed by the module's `candid:service`
metadata. Installing or upgrading a module keeps its service description in
`<icbox home>/candid/<module hash>.did` (as dfx keeps a canister's `.did`
beside its build), and a call looks it up by the canister's certified module
hash, so any module installed from this machine prints typed replies; `--candid
FILE` gives one explicitly. Without a description, arguments must be `()` and
replies print at their own wire types.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from registry.client import RegistryClient
from registry.records import ROUTING_TABLE_KEY, RoutingTable, SubnetType
from replica.agent.sync import Agent
from replica.candid import CandidError, decode, encode, parse_text, to_text
from replica.candid.did import Interface, parse_did
from replica.crypto.hashtree import Found
from replica.execution.wasm.install import EOP_SECTION
from replica.execution.wasm.module import InvalidModule, PreparedModule, prepare_module
from replica.execution.wasm.operations import CanisterStatus, ManagementOperations, format_reply
from replica.types import Principal
from tui.ops.errors import NetworkUnreachable, OpsError, Refused, UsageError
from tui.ops.identities import icbox_home
from tui.ops.session import Session, translate
from tui.ops.topology import fetch_registry

EMPTY_ARGUMENT: Final = b"DIDL\x00\x00"
CYCLE_UNITS: Final = {"": 1, "k": 10**3, "m": 10**6, "b": 10**9, "t": 10**12}


def parse_principal(text: str, what: str = "canister id") -> Principal:
    try:
        return Principal.from_text(text.strip())
    except Exception as error:
        raise UsageError(f"{text!r} is not a {what}", kind="MalformedPrincipal") from error


def parse_cycles(text: str) -> int:
    """Cycles as an integer with `_` separators, or with a unit: `1.5T`, `200B`, `3M`, `10k`."""
    match = re.fullmatch(r"\s*([0-9_]+(?:\.[0-9]+)?)\s*([kKmMbBtT]?)\s*", text)
    if match is None:
        raise UsageError(f"{text!r} is not an amount of cycles (e.g. 2T or 500_000_000)")
    number, unit = match.groups()
    whole, _, fraction = number.replace("_", "").partition(".")
    scale = CYCLE_UNITS[unit.lower()]
    amount = int(whole) * scale
    if fraction:
        amount += int(fraction) * scale // 10 ** len(fraction)
    return amount


def read_module(path: Path) -> tuple[bytes, PreparedModule]:
    """A module file and its decoded form (checked as the replica checks it)."""
    try:
        module = path.read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error}", kind="NoSuchFile") from error
    try:
        return module, prepare_module(module)
    except InvalidModule as error:
        raise UsageError(
            f"{path} is not a canister module: {error}", kind="InvalidModule"
        ) from error


def service_text(prepared: PreparedModule) -> str | None:
    service = prepared.metadata("candid:service")
    return None if service is None else service.decode(errors="replace")


def parse_interface(text: str, origin: str) -> Interface:
    try:
        return parse_did(text)
    except CandidError as error:
        raise UsageError(
            f"{origin} is not a Candid interface: {error}", kind="BadCandid"
        ) from error


def encode_argument(text: str | None, types: list[Any] | None, what: str) -> bytes:
    """A Candid text argument at `types`; with no types known only `()` is accepted."""
    if text is None or not text.strip():
        text = "()"
    if types is None:
        if text.replace(" ", "") != "()":
            raise UsageError(
                f"no Candid interface is known for {what}: give --candid FILE.did to type "
                "the argument",
                kind="NoInterface",
            )
        return EMPTY_ARGUMENT
    try:
        return encode(types, parse_text(text, types))
    except CandidError as error:
        raise UsageError(
            f"the argument of {what} does not parse: {error}", kind="BadArgument"
        ) from error


def format_reply_at(reply: bytes, types: list[Any] | None) -> str:
    """A reply as Candid text: at the method's result types if known, else at its own."""
    if types is not None:
        try:
            return to_text(decode(reply, types), types)
        except CandidError:
            pass
    return format_reply(reply)


@dataclass(frozen=True, slots=True, kw_only=True)
class CallResult:
    canister_id: Principal
    method: str
    reply: bytes
    text: str
    query: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "canister_id": self.canister_id.to_text(),
            "method": self.method,
            "query": self.query,
            "reply": self.text,
            "reply_hex": self.reply.hex(),
        }


def status_json(canister_id: Principal, status: CanisterStatus) -> dict[str, Any]:
    return {
        "canister_id": canister_id.to_text(),
        "status": status.status,
        "controllers": [c.to_text() for c in status.controllers],
        "module_hash": None if status.module_hash is None else status.module_hash.hex(),
        "memory_size": status.memory_size,
        "cycles": status.cycles,
        "idle_cycles_burned_per_day": status.idle_cycles_burned_per_day,
        "freezing_threshold": status.freezing_threshold,
    }


class NetworkCanisters(ManagementOperations):
    """The management operations over a session's network, one agent per subnet reached."""

    def __init__(
        self, session: Session, *, subnet: str | None = None, home: Path | None = None
    ) -> None:
        self.session = session
        self.subnet = None if subnet is None else parse_principal(subnet, "subnet id")
        self.home = home or icbox_home()
        self._registry: RegistryClient | None = None
        self._agents: dict[str, Agent] = {}

    # -- where calls go -----------------------------------------------------------------------

    @property
    def registry(self) -> RegistryClient:
        if self._registry is None:
            try:
                self._registry = fetch_registry(self.session)
            except OpsError:
                raise
            except Exception as error:
                raise translate(error) from error
        return self._registry

    def _routing(self) -> RoutingTable:
        table: RoutingTable | None = self.registry.get(ROUTING_TABLE_KEY)
        if table is None:
            raise NetworkUnreachable("the registry holds no routing table")
        return table

    def subnet_of(self, canister_id: Principal) -> Principal:
        subnet = self.registry.route(canister_id)
        if subnet is None:
            raise Refused(f"canister {canister_id} is on no subnet", kind="CanisterNotFound")
        return subnet

    def creation_target(self) -> Principal:
        """The effective canister id of a create: the first canister id of the chosen subnet."""
        subnets = self.registry.get_subnet_ids()
        if self.subnet is not None:
            if self.subnet not in subnets:
                raise UsageError(f"there is no subnet {self.subnet}", kind="UnknownSubnet")
            chosen = self.subnet
        else:
            application = [
                s
                for s in subnets
                if (record := self.registry.get_subnet_record(s)) is not None
                and record.subnet_type == SubnetType.APPLICATION
            ]
            if not application:
                raise UsageError("the network has no application subnet: give --subnet")
            chosen = application[0]
        for entry in self._routing().entries:
            if entry.subnet_id == chosen:
                return Principal.from_canister_id(entry.start)
        raise UsageError(f"subnet {chosen} hosts no canister range", kind="UnknownSubnet")

    def agent_for(self, canister_id: Principal) -> Agent:
        subnet = self.subnet_of(canister_id)
        record = self.registry.get_subnet_record(subnet)
        urls = []
        for node_id in record.membership if record is not None else ():
            node = self.registry.get_node_record(node_id)
            if node is not None:
                urls.append(f"http://{node.http.ip_addr}:{node.http.port}")
        if not urls:
            raise NetworkUnreachable(f"subnet {subnet} has no node to call")
        url = urls[0] if self.session.target.urls[0] not in urls else self.session.target.urls[0]
        if url not in self._agents:
            self._agents[url] = Agent(
                url,
                identity=self.session.identity,
                root_key_der=self.session.agent.inner.root_key_der,
                fetch_root_key=self.session.agent.inner.root_key_der is None,
                request_timeout_seconds=30.0,
            )
        return self._agents[url]

    def close(self) -> None:
        for agent in self._agents.values():
            agent.close()
        self._agents.clear()

    # -- the calls ------------------------------------------------------------------------------

    def submit_update(
        self,
        canister_id: Principal,
        method: str,
        arg: bytes,
        effective_canister_id: Principal | None,
    ) -> bytes:
        effective = effective_canister_id or self.creation_target()
        agent = self.agent_for(effective)
        try:
            return agent.update(canister_id, method, arg, effective_canister_id=effective)
        except Exception as error:
            raise translate(error) from error

    def query(self, canister_id: Principal, method: str, arg: bytes = EMPTY_ARGUMENT) -> bytes:
        agent = self.agent_for(canister_id)
        try:
            return agent.query(canister_id, method, arg)
        except Exception as error:
            raise translate(error) from error

    def module_hash(self, canister_id: Principal) -> bytes | None:
        """The canister's module hash, read from a certificate of its subnet."""
        path = [b"canister", canister_id.raw, b"module_hash"]
        try:
            found = self.agent_for(canister_id).read_state(canister_id, [path]).lookup(path)
        except Exception as error:
            raise translate(error) from error
        return bytes(found.value) if isinstance(found, Found) else None

    # -- Candid interfaces ----------------------------------------------------------------------

    def _interface_path(self, module_hash: bytes) -> Path:
        return self.home / "candid" / f"{module_hash.hex()}.did"

    def remember_interface(self, prepared: PreparedModule) -> None:
        service = service_text(prepared)
        if service is None:
            return
        path = self._interface_path(prepared.module_hash)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(service)

    def interface_of(self, canister_id: Principal, candid: Path | None) -> Interface | None:
        if candid is not None:
            try:
                return parse_interface(candid.read_text(), str(candid))
            except OSError as error:
                raise UsageError(f"cannot read {candid}: {error}", kind="NoSuchFile") from error
        module_hash = self.module_hash(canister_id)
        if module_hash is None:
            return None
        path = self._interface_path(module_hash)
        return parse_interface(path.read_text(), str(path)) if path.exists() else None

    # -- what the commands run ------------------------------------------------------------------

    def install_file(
        self,
        canister_id: Principal,
        path: Path,
        *,
        argument: str | None,
        mode: str,
        persistence: str = "auto",
        skip_pre_upgrade: bool = False,
    ) -> dict[str, Any]:
        module, prepared = read_module(path)
        service = service_text(prepared)
        init = parse_interface(service, str(path)).init if service is not None else None
        arg = encode_argument(argument, init if service is not None else None, f"{path}'s init")
        keep = (
            prepared.metadata(EOP_SECTION) is not None
            if persistence == "auto"
            else persistence == "keep"
        )
        self.remember_interface(prepared)
        if mode == "upgrade":
            self.upgrade(
                canister_id, module, arg, keep_memory=keep, skip_pre_upgrade=skip_pre_upgrade
            )
        else:
            self.install(canister_id, module, arg, mode=mode)
        return {
            "canister_id": canister_id.to_text(),
            "mode": mode,
            "module_hash": hashlib.sha256(module).hexdigest(),
            "module_bytes": len(module),
            "wasm_memory_persistence": "keep" if mode == "upgrade" and keep else "replace",
        }

    def call_text(
        self,
        canister_id: Principal,
        method: str,
        argument: str | None,
        *,
        query: bool,
        candid: Path | None = None,
    ) -> CallResult:
        interface = self.interface_of(canister_id, candid)
        signature = None
        if interface is not None and interface.service is not None:
            try:
                signature = interface.method(method)
            except CandidError as error:
                raise UsageError(
                    f"canister {canister_id} has no method {method!r} in its interface",
                    kind="NoSuchMethod",
                ) from error
        arg = encode_argument(
            argument, None if signature is None else list(signature.arguments), method
        )
        reply = (
            self.query(canister_id, method, arg) if query else self.call(canister_id, method, arg)
        )
        text = format_reply_at(reply, None if signature is None else list(signature.results))
        return CallResult(
            canister_id=canister_id, method=method, reply=reply, text=text, query=query
        )
