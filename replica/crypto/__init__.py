"""Node and subnet cryptography.

Every replica holds node keys (`keys`): an Ed25519 key that signs its block
proposals and whose self-authenticating principal is its node id, an X25519
key to which DKG dealers encrypt its shares, a BLS committee key for the
multi-signatures of notarization and finalization (`multisig`), and a TLS
certificate. A subnet as a whole signs with threshold BLS keys in the IC's
form, signatures in G1 and public keys in G2 (`bls`, checked byte for byte
against the py-ecc reference `bls_reference`): any t members' signature
shares combine into the one group signature (`threshold`). Those keys come out
of a distributed key generation (`dkg`) rerun every interval: the
low-threshold key afresh, the high-threshold key by resharing it to the new
membership, so the subnet's public key outlives any committee. What the subnet
signs (its certified state) is a hash tree (`hashtree`), and a certificate
(`certificate`) is such a tree with the subnet's signature on its root, exactly
as the IC interface spec defines them.

Everything here is a pure function of its inputs: randomness arrives as seeds,
and no module performs I/O. Failures are `CryptoError`s (`DkgError` for the
DKG); verification returns False instead of raising.
"""
