"""Canisters wired together in one process, without a replica.

`LocalRouter` delivers messages between system canister objects the way a
subnet would, minus consensus: each message runs in its own transaction of the
target canister's stable store, outgoing calls made through the shared
environment are delivered after the message commits, and their answers run the
caller's reply or reject method. A method that returns `DEFERRED` replies later
from the callback that receives the answer, as a canister on the Internet
Computer replies from a callback.

Canister conventions it relies on (the canister SDK adapts the same objects):
- a method is `method(caller: Principal, argument) -> reply | DEFERRED`;
- a callback is `callback(context, answer) -> reply | DEFERRED` (the context the call named),
  where `answer` is the reply value or a `Reject`; the first reply or reject
  answers the original message, and callbacks after that only change state;
- refusals raise `CanisterError` subclasses; other exceptions are traps;
- a canister with a `store` attribute (a `StableStore`) gets one transaction
  per message.

Tests of canister logic use it; the execution engine replaces it on a replica.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from replica.canister.errors import CallRejected, reject_for
from replica.canister.stable import store_of
from replica.environment import DEFERRED, ManualEnvironment, OutgoingCall, Reject, RejectCode
from replica.types import Principal


@dataclass(slots=True)
class _Pending:
    """An original message still waiting for its reply."""

    reply: object = DEFERRED
    reject: Reject | None = None
    error: BaseException | None = None

    @property
    def answered(self) -> bool:
        """A message is answered once; later callbacks of its calls only change state."""
        return self.reply is not DEFERRED or self.reject is not None


class LocalRouter:
    """Delivers calls between in-process canisters that share one environment."""

    def __init__(self, environment: ManualEnvironment) -> None:
        self.environment = environment
        self._canisters: dict[Principal, object] = {}
        self.delivered_calls: list[tuple[Principal, OutgoingCall]] = []

    def install(self, canister_id: Principal, canister: object) -> None:
        self._canisters[canister_id] = canister

    def canister(self, canister_id: Principal) -> object:
        return self._canisters[canister_id]

    def call(self, canister_id: Principal, method: str, caller: Principal, argument: object) -> Any:
        """Run an update call to completion (all nested calls delivered) and return its reply.

        A reject raises `CallRejected`; a refusal by the target raises the target's own
        error (a `CanisterError` subclass) so tests can assert on its type.
        """
        pending = _Pending()
        self._run(canister_id, caller, method, argument, pending)
        if pending.error is not None:
            raise pending.error
        if pending.reject is not None:
            raise CallRejected(pending.reject)
        if pending.reply is DEFERRED:
            raise CallRejected(
                Reject(code=RejectCode.CANISTER_ERROR, message="canister did not reply")
            )
        return pending.reply

    def query(
        self, canister_id: Principal, method: str, caller: Principal, argument: object
    ) -> Any:
        """Run a query: its effects are rolled back whatever it does."""
        target = self._target(canister_id)
        function = self._method(target, method)
        store = store_of(target)
        if store is None:
            return function(caller, argument)
        result: Any = None

        class _Discard(Exception):
            pass

        try:
            with store.transaction():
                result = function(caller, argument)
                raise _Discard
        except _Discard:
            pass
        return result

    # -- delivery ---------------------------------------------------------------------------

    def _run(
        self,
        canister_id: Principal,
        caller: Principal,
        method: str,
        argument: object,
        pending: _Pending,
    ) -> None:
        try:
            target = self._target(canister_id)
            function = self._method(target, method)
        except CallRejected as rejected:
            pending.reject = rejected.reject
            return
        self._execute(canister_id, lambda: function(caller, argument), pending)

    def _execute(
        self, canister_id: Principal, body: Callable[[], object], pending: _Pending
    ) -> None:
        """Run one message of `canister_id`, then deliver the calls it made."""
        target = self._canisters[canister_id]
        stale = self.environment.take_outbox()
        if stale:
            raise RuntimeError("outgoing calls were made outside of a message")
        try:
            with self._transaction(target):
                result = body()
        except Exception as error:
            self.environment.take_outbox()
            if not pending.answered:
                pending.reject = reject_for(error)
                pending.error = error
            return
        calls = self.environment.take_outbox()
        if result is not DEFERRED and not pending.answered:
            pending.reply = result
        for outgoing in calls:
            self._deliver(canister_id, outgoing, pending)

    def _deliver(self, caller_id: Principal, outgoing: OutgoingCall, pending: _Pending) -> None:
        self.delivered_calls.append((caller_id, outgoing))
        inner = _Pending()
        self._run(outgoing.callee, caller_id, outgoing.method, outgoing.argument, inner)
        caller = self._canisters[caller_id]
        if inner.reject is not None:
            callback = getattr(caller, outgoing.on_reject)
            answer: object = inner.reject
        elif inner.reply is DEFERRED:
            callback = getattr(caller, outgoing.on_reject)
            answer = Reject(code=RejectCode.CANISTER_ERROR, message="callee did not reply")
        else:
            callback = getattr(caller, outgoing.on_reply)
            answer = inner.reply
        context = outgoing.context
        self._execute(caller_id, lambda: callback(context, answer), pending)

    def _target(self, canister_id: Principal) -> object:
        target = self._canisters.get(canister_id)
        if target is None:
            raise CallRejected(
                Reject(
                    code=RejectCode.DESTINATION_INVALID,
                    message=f"canister {canister_id} does not exist",
                )
            )
        return target

    @staticmethod
    def _method(target: object, method: str) -> Callable[[Principal, object], object]:
        function = None if method.startswith("_") else getattr(target, method, None)
        if not callable(function):
            raise CallRejected(
                Reject(
                    code=RejectCode.DESTINATION_INVALID,
                    message=f"canister has no method {method!r}",
                )
            )
        return function  # type: ignore[no-any-return]

    @staticmethod
    @contextmanager
    def _transaction(target: object) -> Iterator[None]:
        store = store_of(target)
        manager = store.transaction() if store is not None else nullcontext()
        with manager:
            yield
