"""A workload that keeps every call until its certified reply comes, across replica restarts.

When a whole subnet restarts (an upgrade), a client's connection breaks
mid-call. The IC keeps a call's reply in the certified ingress history until
the call expires, and a replica ignores a signed request it already has; so
the client sends the *same* signed envelope again, to the next replica of
the subnet, until it reads the certified reply. A call is given up only after
`GIVE_UP_S`; then it counts as lost.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Final

from replica.agent.errors import AgentError, RejectError
from replica.agent.identity import sign_envelope
from replica.agent.sync import Agent
from replica.candid import decode, encode
from replica.candid.types import Nat
from replica.http.envelope import call_content
from replica.types import Principal

COUNTER: Final = Principal.from_canister_id(1 << 20)
GIVE_UP_S: Final = 180.0


class PersistentLoad:
    """Threads sending `add(1)` to a subnet's counter; the certified replies."""

    def __init__(self, agents: list[Agent], *, start: int = 0, threads: int = 2) -> None:
        self.agents = agents
        self.start = start
        """The counter's value before the load: its replies are start+1, start+2, ..."""
        self.replies: list[int] = []
        self.resent = 0
        self.lost = 0
        self.rejected: list[str] = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(offset,), daemon=True)
            for offset in range(threads)
        ]

    def _call_once(self, offset: int) -> None:
        first = self.agents[offset % len(self.agents)].inner
        content = call_content(
            "call",
            canister_id=COUNTER,
            method_name="add",
            arg=encode([Nat], [1]),
            sender=first.identity.principal,
            ingress_expiry_ns=first.now_ns() + 240 * 1_000_000_000,
            nonce=os.urandom(16),
        )
        envelope = sign_envelope(first.identity, content)
        body, request_id = envelope.to_cbor(), envelope.request_id
        deadline = time.monotonic() + GIVE_UP_S
        attempt = 0
        while True:
            agent = self.agents[(offset + attempt) % len(self.agents)]
            try:
                reply = agent.run(agent.inner._submit_call(COUNTER, body, request_id))
            except RejectError as error:
                self.rejected.append(str(error))
                return
            except AgentError:
                if time.monotonic() > deadline:
                    self.lost += 1
                    return
                attempt += 1
                self.resent += 1
                time.sleep(0.3)
                continue
            self.replies.append(int(decode(reply, [Nat])[0]))
            return

    def _run(self, offset: int) -> None:
        while not self._stop.is_set():
            self._call_once(offset)

    def __enter__(self) -> PersistentLoad:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=GIVE_UP_S + 30)

    def check(self) -> None:
        """Every call answered once: the replies are exactly start+1..start+N."""
        replies = sorted(self.replies)
        assert self.lost == 0 and not self.rejected, (self.lost, self.rejected)
        expected = list(range(self.start + 1, self.start + len(replies) + 1))
        assert replies == expected, "a reply was lost, repeated or changed"
