"""Service Nervous Systems: DAOs that govern a dapp's canisters.

An SNS is launched by an NNS proposal and consists of its own governance,
ICRC ledger, root and decentralization swap canisters.
"""
