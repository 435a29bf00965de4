"""A two-subnet local network served over HTTP on 127.0.0.1, for end-to-end tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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
async def served_network(tmp_path: Path, **api_options: Any) -> AsyncIterator[Served]:
    spec = LocalSubnetSpec(factories=COUNTER_FACTORIES, install_genesis=install_counter)
    network = LocalNetwork(tmp_path, [spec, spec])
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
