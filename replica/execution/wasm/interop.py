"""Calls between Wasm canisters and the Python system canisters of the same subnet.

A Wasm canister speaks Candid bytes; a Python system canister (the ledger,
governance, the registry...) takes and returns decoded values through its
interface (`replica.canister.sdk.MethodSpec`). The engine bridges the two as
the IC's canisters see each other, bytes on the wire:

- a request from a Wasm canister to a Python canister is decoded with the
  callee method's argument types, as an ingress message is; its reply is
  encoded with the method's result types and reaches the Wasm caller as a
  `RawReply`, and a refusal that the method answers in Candid (an `Err`
  variant) is that Candid reply; other failures are rejects with their codes;
- a Python canister calls a Wasm canister with Candid bytes as the argument,
  and its callback receives the reply as a `RawReply` (or a `Reject`).

What marks a call as coming from a Wasm canister is its callback's context, the
`OutgoingWasmCall` that `ic0.call_new` built; it travels with the request and
the call context, so a checkpoint keeps it.
"""

from __future__ import annotations

from replica.execution.messages import Callback
from replica.execution.wasm.system_api import OutgoingWasmCall


def speaks_candid(callback: Callback | None) -> bool:
    """Whether the caller behind `callback` is a Wasm canister (it sends and reads Candid bytes)."""
    return callback is not None and isinstance(callback.context, OutgoingWasmCall)
