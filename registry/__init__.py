"""The registry: the versioned store of the network's topology.

Every topology change on an icbox network is a registry change: proposals
write the registry, nodes read it. The registry is an append-only log of
atomic batches of key-value mutations, one version per batch; its records
describe nodes, subnets, replica versions, the routing table and node
operators, and global invariants are checked before every batch.
"""
