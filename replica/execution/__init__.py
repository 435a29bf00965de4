"""Execution of finalized blocks on one subnet.

Rounds of the scheduler run canister messages from ingress and from other
canisters under an instruction budget, with time and the random tape passed in.
"""
