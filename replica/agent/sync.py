"""The synchronous agent: an `AsyncAgent` on a private event loop in its own thread.

Scripts and the command line call `Agent` methods directly; each runs the
`AsyncAgent` coroutine on the agent's loop and waits for it, so the
synchronous API behaves exactly as the asyncio one (same retries, same
verification). `Agent.run(coroutine)` runs any coroutine there, which is how
the typed canister clients offer a synchronous form.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

from replica.agent.agent import AsyncAgent
from replica.agent.identity import Identity
from replica.crypto.certificate import Certificate
from replica.crypto.hashtree import LabelPath
from replica.types import Principal

T = TypeVar("T")


class Agent:
    def __init__(self, url: str, **options: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="icbox-agent", daemon=True
        )
        self._thread.start()
        self.inner = AsyncAgent(url, **options)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    @property
    def identity(self) -> Identity:
        return self.inner.identity

    def status(self) -> dict[str, Any]:
        return self.run(self.inner.status())

    def fetch_root_key(self) -> bytes:
        return self.run(self.inner.fetch_root_key())

    def update(
        self,
        canister_id: Principal,
        method: str,
        arg: bytes,
        *,
        effective_canister_id: Principal | None = None,
    ) -> bytes:
        return self.run(
            self.inner.update(canister_id, method, arg, effective_canister_id=effective_canister_id)
        )

    def query(
        self,
        canister_id: Principal,
        method: str,
        arg: bytes,
        *,
        effective_canister_id: Principal | None = None,
    ) -> bytes:
        return self.run(
            self.inner.query(canister_id, method, arg, effective_canister_id=effective_canister_id)
        )

    def read_state(
        self, effective_canister_id: Principal, paths: Sequence[LabelPath]
    ) -> Certificate:
        return self.run(self.inner.read_state(effective_canister_id, paths))

    def read_subnet_state(self, subnet_id: Principal, paths: Sequence[LabelPath]) -> Certificate:
        return self.run(self.inner.read_subnet_state(subnet_id, paths))

    def close(self) -> None:
        if not self._loop.is_running():
            return
        self.run(self.inner.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def __enter__(self) -> Agent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
