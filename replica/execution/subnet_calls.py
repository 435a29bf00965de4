"""Calls the subnet itself answers: the management canister's `setup_initial_dkg`.

On the IC, some management calls are not answered by execution but by the
subnet's consensus: execution parks the call as a *subnet call context*
(`SubnetCallContextManager` in the replicated state, with a callback id and a
fresh 32-byte target id), consensus reads the open contexts from the state at
a block's certified height and runs the work, and a later block carries the
answer, which execution delivers to the caller as the management canister's
response (spec B, "How `setup_initial_dkg` runs on the NNS subnet";
`rs/execution_environment/src/execution_environment.rs` `setup_initial_dkg`,
`rs/consensus/src/consensus/batch_delivery.rs`).

`setup_initial_dkg(node_ids, registry_version)` is the one such call here: the
registry canister asks the NNS subnet for the initial threshold keys of a
subnet it creates, and the subnet's consensus answers with a remote DKG
(`replica.consensus.remote_dkg`). Contexts are part of the replicated state;
an answered one stays (without its request) with the height that answered it,
so "the contexts open at height h" is the same on every replica that has
executed h, whatever it executed since.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any, Final

from replica.types import Principal

TARGET_ID_BYTES: Final = 32
ANSWERED_CONTEXTS_KEPT: Final = 64
"""How many answered contexts the state keeps (their heights tell which were open earlier)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SetupInitialDkgContext:
    """A waiting `setup_initial_dkg` call: who receives the new keys, at which registry version."""

    callback_id: int
    request: Any
    """The caller's `replica.execution.messages.Request` (None once answered)."""
    node_ids: tuple[Principal, ...]
    target: bytes
    registry_version: int
    time_ns: int
    created_height: int
    answered_height: int | None = None

    def is_open_at(self, height: int) -> bool:
        """Whether the state at `height` holds this call unanswered."""
        return self.created_height <= height and (
            self.answered_height is None or height < self.answered_height
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class InitialDkgAnswer:
    """Consensus's answer to one context, delivered by a block: the reply value (the management
    canister's `setup_initial_dkg` result) or a reject message."""

    target: bytes
    reply: Any = None
    reject: str = ""


def compute_target_id(random_tape: bytes, callback_id: int) -> bytes:
    """The request's target id: fresh per call, from the round's random tape (the IC draws it from
    the subnet's replicated randomness)."""
    return hashlib.sha256(
        b"icbox-setup-initial-dkg-target" + random_tape + callback_id.to_bytes(8, "big")
    ).digest()


class SubnetCallContexts:
    """The subnet's waiting `setup_initial_dkg` calls, and the recently answered ones."""

    def __init__(self) -> None:
        self.contexts: dict[int, SetupInitialDkgContext] = {}
        self.next_callback_id = 0

    def push(
        self,
        *,
        request: Any,
        node_ids: tuple[Principal, ...],
        registry_version: int,
        height: int,
        time_ns: int,
        random_tape: bytes,
    ) -> SetupInitialDkgContext:
        callback_id = self.next_callback_id
        self.next_callback_id += 1
        context = SetupInitialDkgContext(
            callback_id=callback_id,
            request=request,
            node_ids=node_ids,
            target=compute_target_id(random_tape, callback_id),
            registry_version=registry_version,
            time_ns=time_ns,
            created_height=height,
        )
        self.contexts[callback_id] = context
        return context

    def get_open_at(self, height: int) -> tuple[SetupInitialDkgContext, ...]:
        """The contexts the state at `height` holds unanswered, in callback order."""
        return tuple(
            context for _, context in sorted(self.contexts.items()) if context.is_open_at(height)
        )

    def answer(self, target: bytes, height: int) -> SetupInitialDkgContext | None:
        """Close the open context of `target` at `height`; it (with its request), or None if no
        context waits for that target (an answer repeated by a later block is ignored)."""
        for callback_id, context in sorted(self.contexts.items()):
            if context.target == target and context.answered_height is None:
                self.contexts[callback_id] = replace(context, request=None, answered_height=height)
                self._forget_old_answers()
                return context
        return None

    def _forget_old_answers(self) -> None:
        answered = sorted(
            (c.answered_height or 0, c.callback_id)
            for c in self.contexts.values()
            if c.answered_height is not None
        )
        for _, callback_id in answered[: max(0, len(answered) - ANSWERED_CONTEXTS_KEPT)]:
            del self.contexts[callback_id]

    def encode(self) -> list[Any]:
        return [
            self.next_callback_id,
            [context for _, context in sorted(self.contexts.items())],
        ]

    def restore(self, value: Any) -> None:
        next_callback_id, contexts = value
        self.next_callback_id = next_callback_id
        self.contexts = {context.callback_id: context for context in contexts}
