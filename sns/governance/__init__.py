"""SNS governance: the DAO of one dapp.

Neurons with 32-byte ids (their staking subaccounts) held by principals with
permissions, nervous-system parameters bounded by the framework, native
proposals and custom (generic) functions on seven topics, topic following,
voting rewards paid as maturity, and the PreInitializationSwap mode while the
decentralization swap runs (dfinity/ic rs/sns/governance). The rules live in
sans-I/O modules; `canister` puts them behind the SNS governance Candid
interface.
"""
