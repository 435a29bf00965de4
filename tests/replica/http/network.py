"""A two-subnet local network served over HTTP on 127.0.0.1, for end-to-end tests."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from replica.http.api import HttpApi
from replica.http.local import LocalNetwork, LocalSubnetSpec
from replica.http.server import HttpServer
from replica.sim.canister import COUNTER_FACTORIES, install_counter
from replica.types import Principal

NNS_COUNTER = Principal.from_canister_id(0)
APP_COUNTER = Principal.from_canister_id(1 << 20)


@dataclass
class Served:
    network: LocalNetwork
    servers: list[HttpServer]

    @property
    def urls(self) -> list[str]:
        return [server.url for server in self.servers]


@asynccontextmanager
async def served_network(
    tmp_path: Path, *, clock_offset_ns: int = 0, **api_options: Any
) -> AsyncIterator[Served]:
    spec = LocalSubnetSpec(factories=COUNTER_FACTORIES, install_genesis=install_counter)
    network = LocalNetwork(tmp_path, [spec, spec], clock=lambda: time.time_ns() + clock_offset_ns)
    tasks = [asyncio.create_task(replica.run()) for replica in network.replicas]
    servers = [HttpServer(HttpApi(replica, **api_options)) for replica in network.replicas]
    try:
        for server in servers:
            await server.start()
        yield Served(network, servers)
    finally:
        for server in servers:
            await server.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        network.close()


@contextmanager
def network_in_thread(
    tmp_path: Path, specs: Sequence[LocalSubnetSpec] | None = None, **api_options: Any
) -> Iterator[list[str]]:
    """A local network served from its own thread and event loop, for synchronous tests: its
    URLs."""
    counter = LocalSubnetSpec(factories=COUNTER_FACTORIES, install_genesis=install_counter)
    subnets = list(specs) if specs is not None else [counter, counter]
    ready = threading.Event()
    urls: list[str] = []
    control: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
    failures: list[BaseException] = []

    async def serve() -> None:
        network = LocalNetwork(tmp_path, subnets)
        rounds = [asyncio.create_task(replica.run()) for replica in network.replicas]
        servers = [HttpServer(HttpApi(replica, **api_options)) for replica in network.replicas]
        stop = asyncio.Event()
        try:
            for server in servers:
                await server.start()
                urls.append(server.url)
            control.append((asyncio.get_running_loop(), stop))
            ready.set()
            await stop.wait()
        finally:
            for server in servers:
                await server.stop()
            for task in rounds:
                task.cancel()
            await asyncio.gather(*rounds, return_exceptions=True)
            network.close()

    def run() -> None:
        try:
            asyncio.run(serve())
        except BaseException as error:
            failures.append(error)
            ready.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    if not ready.wait(60) or failures:
        raise RuntimeError(f"the network did not start: {failures}")
    try:
        yield urls
    finally:
        loop, stop = control[0]
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)
