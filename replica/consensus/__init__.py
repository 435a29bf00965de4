"""IC consensus for one subnet (spec D, E, H).

`RULES.md` beside this file lists every validity rule with the unit test and the
simulator behaviour that catch its removal.

Per height, a random beacon (low-threshold signature) ranks the block makers;
ranked makers propose blocks after rank-based delays; n−f multi-signature
shares notarize a block and n−f more finalize it when the signers supported
no other block. Finalized blocks are executed by the state manager, whose
per-height state roots the subnet certifies with its high-threshold key.
Every interval ends in a summary block with the DKG transcripts of the
interval and the next (a fresh low-threshold key; the high-threshold key
reshared, so the subnet key never changes), and a catch-up package signed
with the subnet key marks a height any replica can start from.

Each role is one module that looks at the artifact pool and returns a change
set (STYLE rule 6); `node.ReplicaNode` owns the pool, applies the change sets
and is the sans-I/O replica a driver runs:

- `artifacts`: the records replicas exchange and the messages they sign;
- `pool`, `chain`, `context`: the pool, the block tree it holds, and what
  roles ask of a height (`membership` has the pure rules: f, committees,
  thresholds, ranking shuffles, active data of a height);
- `beacon`, `block_maker`, `notary`, `finalizer`, `validator`, `certifier`,
  `catchup`, `purger`: the roles (`shares` and `signing` are their helpers);
- `dkg_payload`, `dealings`: summary blocks, DKG dealings and the receivers'
  support proofs a dealing needs to enter a block; `dkg_pool` and
  `ingress_pool`: the pools beside the artifact pool (dealings and support
  shares, user messages) with the logic of their owners;
- `execution`, `statesync`: the state manager side, and catching up from a
  newer catch-up package with peers' checkpoints;
- `events`: what a replica reports; `shapes`: parsing of records from peers.
"""
