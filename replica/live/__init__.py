"""The live driver: one replica as one operating-system process.

The process runs the same `ReplicaNode` (consensus, the state manager and the
execution engine) that the simulator runs, on the wall clock, with its state in
its own node directory (`layout`). `driver` is the thin synchronous shell
around the node (the clock, durability before sending); `service` is the
asyncio process around it (P2P, timers, the status file, the HTTP interface);
`verified` keeps the calls the service checked on arrival, which the node
trusts without verifying their signatures again;
`replica.orchestrator` is the per-node process that starts the replica process
and restarts it when it dies, following the registry.
"""
