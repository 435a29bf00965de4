"""NNS governance: neurons, liquid democracy, proposals and voting rewards.

A neuron locks ICP for a dissolve delay to gain voting power. Neurons vote on
proposals directly or by following other neurons topic by topic; an adopted
proposal is executed by calling its target canister. Voting is rewarded daily
with newly minted maturity, in proportion to the voting power a neuron used.

The rules are the classic NNS rule set (spec nns-governance sections 1-5, 7,
10 and 12). Durations are scaled by the preset, so the same rules run with
mainnet days, one-minute days (local) or one-second days (tests).

Shape: the state is typed (`state.GovernanceState`, held with the environment by
`core.GovernanceCore`); the rules are modules of functions of that state (`neuron_commands`,
`ledger_commands`, `proposal_validation`, `action_execution`, `sns_launch`, `voting`,
`periodic`, the queries, `simulation`); ManageNeuron is one dispatch table (`commands`);
callback contexts are frozen records (`contexts`); `canister.Governance` is the canister's
face and `interface` its Candid interface.
"""
