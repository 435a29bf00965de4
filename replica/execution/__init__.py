"""Execution of finalized blocks on one subnet.

Rounds of the scheduler run canister messages from ingress and from other
canisters under an instruction budget, with time and the random tape passed in.
`engine` runs rounds and messages (one message, one atomic outcome); `effects`
checks what a message produced before it commits; `canisters` holds canister
records and installs code atomically; `management` is the management canister;
`ingress` the ingress history and its pruning; `digest` the incremental hash
the state hash uses; `snapshot` the state hash, the certified state and
checkpoints; `harness` drives an engine like a one-node subnet.
"""
