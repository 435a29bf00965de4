"""NNS governance: neurons, liquid democracy, proposals and voting rewards.

A neuron locks ICP for a dissolve delay to gain voting power. Neurons vote on
proposals directly or by following other neurons topic by topic; an adopted
proposal is executed by calling its target canister. Voting is rewarded daily
with newly minted maturity, in proportion to the voting power a neuron used.

The rules are the classic NNS rule set (spec nns-governance sections 1-5, 7,
10 and 12). Durations are scaled by the preset, so the same rules run with
mainnet days, one-minute days (local) or one-second days (tests).
"""
