"""The Network Nervous System: the DAO that governs an icbox network.

Its canisters are the ICP ledger (accounts, transfers, the block log), NNS
governance (neurons, proposals, liquid-democracy voting and rewards), and the
canisters that carry out what governance decides on the registry and on the
other canisters. Each is a deterministic system canister: it sees time,
randomness and other canisters only through the environment it is given.
"""
