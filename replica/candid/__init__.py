"""Candid, the interface description language of the Internet Computer.

- `replica.candid.types`: type objects (`Nat`, `Text`, `Opt(t)`, `Vec(t)`,
  `Blob`, `Record({...})`, `Variant({...})`, `Func`, `Service`, `Rec()`) and
  the mapping of Candid values to Python values (see its docstring);
- `encode(types, values) -> bytes` and `decode(data, types) -> list`: the
  binary format, decoding with the specification's subtyping and coercion;
  `decode_untyped(data)` reads a message at its own types;
- `to_text(values, types)` and `parse_text(text, types)`: the textual form;
- `replica.candid.did.parse_did(text)`: `.did` interface files.
Every failure is a `CandidError` (`CandidTypeMismatch` when well-formed data
does not fit the expected type).
"""

from replica.candid.decoding import decode, decode_untyped
from replica.candid.encoding import encode
from replica.candid.text import parse_text, to_text
from replica.candid.types import CandidError, CandidTypeMismatch, Some, idl_hash

__all__ = [
    "CandidError",
    "CandidTypeMismatch",
    "Some",
    "decode",
    "decode_untyped",
    "encode",
    "idl_hash",
    "parse_text",
    "to_text",
]
