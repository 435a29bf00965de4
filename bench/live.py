"""The live network: real replica processes on this machine, measured through the agent.

Brings up a network of real processes (`icbox up`: an NNS subnet of 4, an
application subnet of 4, the `local` preset) in a temporary directory and
measures, in one run:

- `up_s`: `icbox up` until both subnets have finalized and certified a height;
- `update_p50_s`, `update_p99_s`: update-call latency at light load (one call
  at a time, `add(1)` on the application subnet's counter, each reply
  certified and verified by the agent);
- `updates_per_s`: signed update calls per second with pipelined clients (300
  calls in flight over keep-alive connections, spread over the subnet's four
  replicas);
- `transfers_per_s`: ledger transfers per second, pipelined, on the NNS subnet;
- `queries_per_s`: queries per second, pipelined (node signatures checked);
- `cpu_ms_per_update`: CPU time summed over the four application replicas per
  update call during the pipelined run (each replica checks each signature and
  executes each message);
- `rss_per_process_mib`: the largest resident set of a replica process;
- `baseline_pysyncobj_ops_per_s`: a 4-node PySyncObj (Raft) cluster of four
  processes on this machine replicating a counter, with pipelined operations,
  and `ratio_to_pysyncobj` = updates_per_s / that.

`--smoke` runs a small version for CI.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _report import print_figures

from nns.clients.ledger import LedgerCanister
from nns.ledger.accounts import AccountIdentifier
from replica.agent.agent import AsyncAgent
from replica.agent.identity import Ed25519Identity
from replica.candid import encode
from replica.candid.types import Nat
from replica.live.layout import REPLICA_PID_FILE
from replica.live.lifeline import OWNER_VARIABLE
from replica.live.pidfile import live_pid
from replica.types import Principal
from tui.network.create import NetworkOptions
from tui.network.operations import bring_down, bring_up

COUNTER = Principal.from_canister_id(1 << 20)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def process_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def pipelined(calls: int, in_flight: int, make: Any) -> float:
    """Run `calls` coroutines from `make(i)` with `in_flight` at a time; calls per second."""
    semaphore = asyncio.Semaphore(in_flight)

    async def one(index: int) -> None:
        async with semaphore:
            await make(index)

    began = time.perf_counter()
    await asyncio.gather(*(one(index) for index in range(calls)))
    return calls / (time.perf_counter() - began)


async def measure_network(network: dict[str, Any], smoke: bool) -> dict[str, Any]:
    identity = Ed25519Identity.from_pem(Path(network["identity"]["pem"]).read_text())
    root_key = bytes.fromhex(network["root_key"])
    app_id = network["subnets"][1]["subnet_id"]
    app_nodes = [node for node in network["nodes"] if node["subnet_id"] == app_id]
    nns_nodes = [node for node in network["nodes"] if node["subnet_id"] == network["nns_subnet_id"]]
    app_agents = [
        AsyncAgent(node["http"], identity=identity, root_key_der=root_key) for node in app_nodes
    ]
    nns_agents = [
        AsyncAgent(node["http"], identity=identity, root_key_der=root_key) for node in nns_nodes
    ]
    add = encode([Nat], [1])
    figures: dict[str, Any] = {}
    try:
        latencies = []
        for index in range(5 if smoke else 30):
            began = time.perf_counter()
            await app_agents[index % 4].update(COUNTER, "add", add)
            latencies.append(time.perf_counter() - began)
        figures["update_p50_s"] = round(statistics.median(latencies), 3)
        figures["update_p99_s"] = round(percentile(latencies, 0.99), 3)

        pids = [
            pid
            for node in app_nodes
            if (pid := live_pid(Path(node["directory"]) / REPLICA_PID_FILE))
        ]
        cpu_before = sum(process_cpu_s(pid) for pid in pids)
        updates = 40 if smoke else 1_200
        figures["updates_per_s"] = round(
            await pipelined(
                updates,
                32 if smoke else 300,
                lambda i: app_agents[i % 4].update(COUNTER, "add", add),
            ),
            1,
        )
        cpu_after = sum(process_cpu_s(pid) for pid in pids)
        figures["cpu_ms_per_update"] = round(1_000 * (cpu_after - cpu_before) / updates, 2)

        ledgers = [LedgerCanister(agent) for agent in nns_agents]
        to = AccountIdentifier.of(Principal.self_authenticating(b"bench-live")).raw
        transfers = 20 if smoke else 400
        figures["transfers_per_s"] = round(
            await pipelined(
                transfers,
                16 if smoke else 200,
                lambda i: ledgers[i % 4].transfer(to=to, amount_e8s=1_000, memo=i + 1),
            ),
            1,
        )

        empty = encode([], [])
        queries = 50 if smoke else 2_000
        figures["queries_per_s"] = round(
            await pipelined(
                queries,
                16 if smoke else 128,
                lambda i: app_agents[i % 4].query(COUNTER, "get", empty),
            ),
            1,
        )
        all_pids = [
            pid
            for node in network["nodes"]
            if node["subnet_id"] and (pid := live_pid(Path(node["directory"]) / REPLICA_PID_FILE))
        ]
        figures["rss_per_process_mib"] = round(max(process_rss_mib(pid) for pid in all_pids), 1)
    finally:
        for agent in [*app_agents, *nns_agents]:
            await agent.close()
    return figures


# -- the baseline: PySyncObj ----------------------------------------------------------------------


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def run_raft_node(index: int, ports: list[int], operations: int, results: Any, done: Any) -> None:
    from pysyncobj import SyncObj, SyncObjConf, replicated

    class Counter(SyncObj):  # type: ignore[misc]
        def __init__(self) -> None:
            me = f"127.0.0.1:{ports[index]}"
            others = [f"127.0.0.1:{port}" for i, port in enumerate(ports) if i != index]
            super().__init__(
                me, others, SyncObjConf(dynamicMembershipChange=False, appendEntriesUseBatch=True)
            )
            self.value = 0

        @replicated  # type: ignore[untyped-decorator]  # pysyncobj ships no types
        def add(self, amount: int) -> int:
            self.value += amount
            return self.value

    counter = Counter()
    if index == 0:
        while counter._getLeader() is None:
            time.sleep(0.05)
        finished = [0]

        def callback(result: Any, error: Any) -> None:
            finished[0] += 1

        began = time.perf_counter()
        for _ in range(operations):
            counter.add(1, callback=callback)
        while finished[0] < operations:
            time.sleep(0.001)
        results.put(operations / (time.perf_counter() - began))
        done.set()
    else:
        done.wait(120)
    counter.destroy()


def measure_pysyncobj(operations: int) -> float:
    context = multiprocessing.get_context("spawn")
    ports = free_ports(4)
    results = context.Queue()
    done = context.Event()
    processes = [
        context.Process(target=run_raft_node, args=(i, ports, operations, results, done))
        for i in range(4)
    ]
    for process in processes:
        process.start()
    try:
        rate = float(results.get(timeout=180))
    finally:
        done.set()
        for process in processes:
            process.join(10)
            if process.is_alive():
                process.kill()
                process.join()
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="a small run for CI")
    arguments = parser.parse_args()
    figures: dict[str, Any] = {}
    os.environ[OWNER_VARIABLE] = str(os.getpid())  # the network dies with the benchmark
    with tempfile.TemporaryDirectory(prefix="icbox-bench-live-") as directory:
        try:
            result = bring_up(Path(directory), NetworkOptions(), timeout_s=180)
            figures["up_s"] = round(result.seconds, 1)
            figures.update(asyncio.run(measure_network(result.network, arguments.smoke)))
        finally:
            bring_down(Path(directory))
    figures["baseline_pysyncobj_ops_per_s"] = round(
        measure_pysyncobj(200 if arguments.smoke else 5_000), 1
    )
    figures["ratio_to_pysyncobj"] = round(
        figures["updates_per_s"] / figures["baseline_pysyncobj_ops_per_s"], 3
    )
    print_figures(figures, as_json=arguments.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
