"""Candid, the interface description language of the Internet Computer.

The binary wire format with its type table and subtyping rules, and a textual
form for printing values and typing arguments on a command line.
"""

from replica.candid.binary import decode, encode
from replica.candid.types import CandidError, CandidTypeMismatch, Some, idl_hash

__all__ = ["CandidError", "CandidTypeMismatch", "Some", "decode", "encode", "idl_hash"]
