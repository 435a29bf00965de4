"""The orchestrator: one process per node that makes the node follow the registry.

As on the IC (`rs/orchestrator`, spec C), it owns the node's directory and keys,
replicates the registry from the NNS (every answer checked against the NNS
public key, `replicator`), decides from the registry and the node's latest
catch-up package which subnet the node is in and which replica version it runs
(`decision`, sans-I/O, shared with the simulator), starts, restarts and stops
the node's replica process (`replica_process`), and wipes a node that has left
its subnet. Every decision is a structured event in the node's
`events.jsonl` (`events`), the feed `icbox events` and the dashboard read.
"""
