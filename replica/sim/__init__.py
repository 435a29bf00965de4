"""The deterministic simulator: every replica of one or more subnets in one process.

It drives the sans-I/O `ReplicaNode` of `replica.consensus` in virtual time
(`scheduler`), over a seeded network with per-link latencies, jitter that
reorders messages, drops with retransmission, partitions that heal and
eventual delivery (`network`). `faults` crashes replicas and restarts them from
disk and makes some Byzantine by transforming what they send (`forgery` signs
their equivocating blocks and broken shares with their own keys). `world`
builds the network from registry genesis, keeps the registry and every
replica's registry client, applies membership changes and submits ingress;
`workload` puts ingress on the `canister` counter, calls its `users` sign;
`checks` holds the run to its safety properties as it goes. A run is a
function of its seed, and `python -m replica.sim` replays one.
"""
