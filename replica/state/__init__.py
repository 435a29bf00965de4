"""The replicated state of a subnet and its certification.

A replica's state is what its execution engine holds: the canisters with their
databases, queues and call contexts, and the history of ingress messages.
Consensus decides which block comes at each height; the state manager
(`manager`) executes the blocks in order, and after each height builds the
certified state tree (`tree`): the part of the state that clients may read with
proof, namely the subnet's time, the status and reply of every ingress message,
each canister's certified data, module hash and controllers, and the subnet's
public key, canister ranges and node keys. The tree's root hash is the
height's certification content. The subnet signs it with its high-threshold
key, and the resulting certification turns a pruned copy of the tree into a
certificate that any client can check against the subnet's (or the root
subnet's) public key.

Every so often, at the heights of catch-up packages, the state manager writes a
checkpoint (`checkpoint`): the whole state as canonical files, so that honest
replicas with equal states write equal bytes. The checkpoint's manifest
(`manifest`) cuts the files into 1 MiB chunks and hashes them into one root,
the catch-up package's state hash. A replica that crashed restores its latest
checkpoint and replays the finalized blocks after it; a replica that fell far
behind fetches only the chunks it lacks from its peers, each checked against
the manifest, and restores from them.

Like every protocol core here, the package is deterministic and does no I/O
beyond reading and writing its checkpoint directories: time arrives in the
batches, and signatures come from consensus.
"""
