"""Errors of the crypto package.

Every expected failure of a cryptographic operation is a `CryptoError`: a
malformed point or key, a secret out of range, too few signature shares. DKG
failures (an invalid dealing, a share that does not match its commitments, a
transcript that cannot be built) are `DkgError`s. Verification functions do not
raise on bad input: they return False, because a bad signature from a peer is an
ordinary event, not an error.
"""

from __future__ import annotations


class CryptoError(Exception):
    """A cryptographic operation refused its input."""


class DkgError(CryptoError):
    """A dealing, a decrypted share or a transcript is invalid."""
