"""The ICP ledger: accounts, transfers, approvals and the hash-chained block log.

Minting and burning go through the minting account, which is the NNS
governance canister's default account.
"""
