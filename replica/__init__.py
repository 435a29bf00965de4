"""The node software of icbox.

A replica is one node of a subnet: it takes part in consensus, executes the
canisters of its subnet and certifies their state with threshold signatures.
This package holds the protocol cores (deterministic, sans-I/O state machines),
the canister runtime they drive, the HTTP interface and its client agent, and
the orchestrator that supervises a replica process. The shared vocabulary of
every layer above lives here too: principals, presets and the injected
environment through which cores see time, randomness and other canisters.
"""
