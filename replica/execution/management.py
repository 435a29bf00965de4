"""The management canister `aaaaa-aa`: the subset the NNS needs.

create_canister, install_code (system canisters by name: the module is the
UTF-8 name, optionally prefixed `icbox:`), canister_status, start_canister,
stop_canister, update_settings, raw_rand, and `setup_initial_dkg`, which only
the registry canister on a system subnet may call and which the subnet's
consensus answers later (`replica.execution.subnet_calls`). Ingress arrives Candid-encoded
with the interface spec's types; canisters call it with the same values
already decoded (checked against the same types). Only controllers may manage a
canister; only the configured installers (NNS root) may install system
canisters. Refusals carry the IC's error codes; an install whose canister code
traps changes nothing (see `replica.execution.canisters`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from replica.candid import CandidError, decode, encode
from replica.candid.types import (
    Blob,
    CandidType,
    Nat,
    Nat64,
    Null,
    Opt,
    PrincipalType,
    Record,
    Variant,
    Vec,
)
from replica.canister.errors import CanisterError, SystemReject
from replica.canister.nns_ids import REGISTRY_CANISTER_ID
from replica.environment import ErrorCode, Reject
from replica.execution.canisters import CanisterRecord, CanisterStatus, InstallMode
from replica.execution.messages import IngressMessage, Request
from replica.execution.wasm.management import wasm_methods
from replica.execution.wasm.pending import WAITS, ManagementCall, execute_call
from replica.types import Principal

if TYPE_CHECKING:
    from replica.execution.engine import ExecutionEngine

CANISTER_ID_RECORD: Final = Record({"canister_id": PrincipalType})
SETTINGS: Final = Record({"controllers": Opt(Vec(PrincipalType))})
CREATE_CANISTER_ARGS: Final = Record({"settings": Opt(SETTINGS)})
INSTALL_MODE: Final = Variant({"install": Null, "reinstall": Null, "upgrade": Opt(Record({}))})
INSTALL_CODE_ARGS: Final = Record(
    {"mode": INSTALL_MODE, "canister_id": PrincipalType, "wasm_module": Blob(), "arg": Blob()}
)
UPDATE_SETTINGS_ARGS: Final = Record({"canister_id": PrincipalType, "settings": SETTINGS})
STATUS: Final = Variant({"running": Null, "stopping": Null, "stopped": Null})
CANISTER_STATUS_RESULT: Final = Record(
    {
        "status": STATUS,
        "settings": Record({"controllers": Vec(PrincipalType)}),
        "module_hash": Opt(Blob()),
        "memory_size": Nat,
        "cycles": Nat,
    }
)

SETUP_INITIAL_DKG_ARGS: Final = Record({"node_ids": Vec(PrincipalType), "registry_version": Nat64})
INITIAL_TRANSCRIPT_RECORD: Final = Record(
    {
        "threshold": Nat64,
        "committee": Vec(PrincipalType),
        "registry_version": Nat64,
        "public_key_der": Blob(),
        "transcript": Blob(),
        "internal_transcript": Blob(),
    }
)
SETUP_INITIAL_DKG_RESULT: Final = Record(
    {
        "low_threshold_transcript_record": INITIAL_TRANSCRIPT_RECORD,
        "high_threshold_transcript_record": INITIAL_TRANSCRIPT_RECORD,
        "fresh_subnet_id": PrincipalType,
        "subnet_threshold_public_key": Blob(),
    }
)
"""What `setup_initial_dkg` answers (the IC's `SetupInitialDKGResponse`): both initial transcripts
(the commitments, and the whole transcript with the dealings each member decrypts its shares
from), the subnet id (the self-authenticating principal of the key) and the key (DER)."""

Handler = Callable[[Principal, Any], Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class ManagementMethod:
    """One method of the management canister: its Candid signature and what runs it."""

    arguments: list[CandidType]
    results: list[CandidType]
    run: Handler
    by_ingress: bool = True


class ManagementCanister:
    """The management canister of one subnet; it answers at once and never raises."""

    def __init__(self, engine: ExecutionEngine) -> None:
        self.engine = engine
        self.methods: dict[str, ManagementMethod] = {
            "create_canister": ManagementMethod(
                arguments=[CREATE_CANISTER_ARGS],
                results=[CANISTER_ID_RECORD],
                run=self._create_canister,
            ),
            "install_code": ManagementMethod(
                arguments=[INSTALL_CODE_ARGS], results=[], run=self._install_code
            ),
            "canister_status": ManagementMethod(
                arguments=[CANISTER_ID_RECORD],
                results=[CANISTER_STATUS_RESULT],
                run=self._canister_status,
            ),
            "start_canister": ManagementMethod(
                arguments=[CANISTER_ID_RECORD], results=[], run=self._start_canister
            ),
            "stop_canister": ManagementMethod(
                arguments=[CANISTER_ID_RECORD], results=[], run=self._stop_canister
            ),
            "update_settings": ManagementMethod(
                arguments=[UPDATE_SETTINGS_ARGS], results=[], run=self._update_settings
            ),
            "raw_rand": ManagementMethod(
                arguments=[], results=[Blob()], run=self._raw_rand, by_ingress=False
            ),
            "setup_initial_dkg": ManagementMethod(
                arguments=[SETUP_INITIAL_DKG_ARGS],
                results=[SETUP_INITIAL_DKG_RESULT],
                run=self._refuse_unparked,
                by_ingress=False,
            ),
        }
        # the interface spec's full types, and the methods for Wasm canisters
        # (replica.execution.wasm)
        for name, (arguments, results, run, by_ingress) in wasm_methods(
            engine.wasm, self.methods
        ).items():
            self.methods[name] = ManagementMethod(
                arguments=arguments, results=results, run=run, by_ingress=by_ingress
            )

    def execute_ingress(self, message: IngressMessage) -> bytes | Reject | None:
        """The answer to an ingress message: Candid reply bytes or a reject, or None when it is
        answered in a later round (a call that waits for its canister, a long install:
        `replica.execution.wasm.pending`)."""
        method = self.methods.get(message.method)
        if method is None or not method.by_ingress:
            return Reject.of(
                ErrorCode.UNKNOWN_MANAGEMENT_MESSAGE,
                f"management method {message.method!r} cannot be called by ingress",
            )
        try:
            values = decode(message.arg, method.arguments)
        except CandidError as error:
            return Reject.of(ErrorCode.INVALID_MANAGEMENT_PAYLOAD, f"invalid argument: {error}")
        argument = values[0] if values else None
        call = ManagementCall(
            method=message.method, caller=message.sender, argument=argument, ingress=message
        )
        try:
            result = execute_call(
                self.engine.wasm, call, lambda: method.run(message.sender, argument)
            )
        except CanisterError as error:
            return error.to_reject()
        if result is WAITS:
            return None
        return encode(method.results, [] if result is None else [result])

    def execute_request(self, request: Request) -> None:
        """Answer a canister's call; its argument is checked against the method's Candid type
        first."""
        method = self.methods.get(request.method)
        answer: Any
        if method is None:
            answer = Reject.of(
                ErrorCode.UNKNOWN_MANAGEMENT_MESSAGE,
                f"the management canister has no method {request.method!r}",
            )
        else:
            try:
                argument = _checked(method.arguments, request.argument)
                if request.method == "setup_initial_dkg":
                    self._setup_initial_dkg(request, argument)
                    return  # consensus answers it (`replica.execution.subnet_calls`)
                if request.cycles and request.method in ("deposit_cycles", "create_canister"):
                    answer = self._with_cycles(
                        request.caller, request.method, argument, request.cycles
                    )
                    self.engine.deliver_answer(request, answer, kept=request.cycles)
                    return
                call = ManagementCall(
                    method=request.method, caller=request.caller, argument=argument, request=request
                )
                answer = execute_call(
                    self.engine.wasm, call, lambda: method.run(request.caller, argument)
                )
                if answer is WAITS:
                    return
            except CanisterError as error:
                answer = error.to_reject()
        self.engine.deliver_answer(request, answer)

    def _with_cycles(self, caller: Principal, method: str, argument: Any, cycles: int) -> Any:
        """A system canister's deposit_cycles or create_canister: the attached cycles go to the
        canister."""
        if method == "create_canister":
            settings = (argument or {}).get("settings") or {}
            controllers = settings.get("controllers") or [caller]
            return {"canister_id": self.engine.create_canister(controllers, cycles=cycles)}
        record = self.engine.canisters.get(argument["canister_id"])
        if record is None:
            raise SystemReject(
                ErrorCode.CANISTER_NOT_FOUND, f"canister {argument['canister_id']} not found"
            )
        record.cycles += cycles
        return None

    def _controlled(self, caller: Principal, argument: dict[str, Any]) -> CanisterRecord:
        canister_id = argument["canister_id"]
        record = self.engine.canisters.get(canister_id)
        if record is None:
            raise SystemReject(ErrorCode.CANISTER_NOT_FOUND, f"canister {canister_id} not found")
        if caller not in record.controllers:
            raise SystemReject(
                ErrorCode.CANISTER_INVALID_CONTROLLER,
                f"only the controllers of canister {canister_id} may do this",
            )
        return record

    def _create_canister(self, caller: Principal, argument: Any) -> dict[str, Principal]:
        settings = (argument or {}).get("settings") or {}
        controllers = settings.get("controllers") or [caller]
        return {"canister_id": self.engine.create_canister(controllers)}

    def _install_code(self, caller: Principal, argument: Any) -> None:
        engine = self.engine
        record = self._controlled(caller, argument)
        if caller not in engine.system_installers:
            raise SystemReject(
                ErrorCode.CANISTER_REJECTED_MESSAGE, "only NNS root may install system canisters"
            )
        name = bytes(argument["wasm_module"]).decode(errors="replace").removeprefix("icbox:")
        kind = engine.factories.get(name)
        if kind is None:
            raise SystemReject(
                ErrorCode.CANISTER_INVALID_WASM, f"no system canister is called {name!r}"
            )
        (mode,) = argument["mode"]
        try:
            init = kind.to_init(decode(bytes(argument["arg"]), list(kind.init_arguments)))
        except CandidError as error:
            raise SystemReject(
                ErrorCode.INVALID_MANAGEMENT_PAYLOAD, f"invalid init argument: {error}"
            ) from error
        engine.install(record.canister_id, name, init, mode=InstallMode(mode))

    def _canister_status(self, caller: Principal, argument: Any) -> dict[str, Any]:
        record = self._controlled(caller, argument)
        return {
            "status": {record.status.value: None},
            "settings": {"controllers": list(record.controllers)},
            "module_hash": record.module_hash,
            "memory_size": 0,
            "cycles": record.cycles,
        }

    def _start_canister(self, caller: Principal, argument: Any) -> None:
        self._controlled(caller, argument).status = CanisterStatus.RUNNING

    def _stop_canister(self, caller: Principal, argument: Any) -> None:
        record = self._controlled(caller, argument)
        busy = any(
            context.canister_id == record.canister_id
            for context in self.engine.call_contexts.values()
        )
        record.status = CanisterStatus.STOPPING if busy else CanisterStatus.STOPPED

    def _update_settings(self, caller: Principal, argument: Any) -> None:
        record = self._controlled(caller, argument)
        controllers = argument["settings"].get("controllers")
        if controllers is not None:
            record.controllers = tuple(controllers)

    def _refuse_unparked(self, caller: Principal, argument: Any) -> None:
        raise SystemReject(
            ErrorCode.CANISTER_CONTRACT_VIOLATION, "setup_initial_dkg is answered by consensus"
        )

    def _setup_initial_dkg(self, request: Request, argument: Any) -> None:
        """Park the call for the subnet's consensus (the IC allows it only from the NNS: here the
        registry canister on a system subnet)."""
        engine = self.engine
        if request.caller != REGISTRY_CANISTER_ID or engine.subnet_type != "system":
            raise SystemReject(
                ErrorCode.CANISTER_CONTRACT_VIOLATION,
                f"setup_initial_dkg is called by {request.caller}; only the NNS registry may",
            )
        node_ids = tuple(argument["node_ids"])
        if not node_ids or len(set(node_ids)) != len(node_ids):
            raise SystemReject(
                ErrorCode.INVALID_MANAGEMENT_PAYLOAD, "setup_initial_dkg needs distinct node ids"
            )
        engine.subnet_calls.push(
            request=request,
            node_ids=node_ids,
            registry_version=argument["registry_version"],
            height=engine.height,
            time_ns=engine.time_ns,
            random_tape=engine.random_tape,
        )

    def _raw_rand(self, caller: Principal, argument: Any) -> bytes:
        return self.engine.random_bytes_for(caller)


def _checked(types: list[CandidType], argument: Any) -> Any:
    """A canister's argument as the method's Candid type reads it (a wrong shape is refused)."""
    values = [] if argument is None and not types else [argument]
    try:
        decoded = decode(encode(types, values), types)
    except CandidError as error:
        raise SystemReject(
            ErrorCode.INVALID_MANAGEMENT_PAYLOAD, f"invalid argument: {error}"
        ) from error
    return decoded[0] if decoded else None
