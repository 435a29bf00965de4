"""CBOR as the HTTP interface uses it, decoded safely.

Requests and responses are CBOR (RFC 8949) with the self-describing tag 55799
in front (IC interface spec, "CBOR encoding of requests and responses").
Bodies come from anyone, so before `cbor2` sees a body, `check_shape` walks it
once without recursion: every length must fit in the body, nesting stays
within `MAX_DEPTH`, the number of items within `MAX_ITEMS`, and no tag but
55799 appears (other tags make `cbor2` build dates, sets or shared references,
which no request needs). A body that passes decodes into plain lists, dicts,
bytes, text and integers.
"""

from __future__ import annotations

from typing import Any, Final

import cbor2

SELF_DESCRIBED_TAG: Final = 55799
SELF_DESCRIBED_PREFIX: Final = b"\xd9\xd9\xf7"
MAX_DEPTH: Final = 32
MAX_ITEMS: Final = 200_000
_INDEFINITE: Final = -1


class CborError(ValueError):
    """A body that is not CBOR of an acceptable shape."""


def _argument(data: bytes, position: int, info: int) -> tuple[int, int]:
    """The argument of an initial byte with additional info `info`, and the next position."""
    if info < 24:
        return info, position
    if info > 27:
        raise CborError(f"reserved additional information {info} at byte {position - 1}")
    size = 1 << (info - 24)
    end = position + size
    if end > len(data):
        raise CborError("CBOR value truncated")
    return int.from_bytes(data[position:end], "big"), end


def check_shape(data: bytes, *, max_depth: int = MAX_DEPTH, max_items: int = MAX_ITEMS) -> None:
    """Raise `CborError` unless `data` is exactly one well-formed CBOR item of bounded shape."""
    length = len(data)
    position = 0
    open_items: list[int] = []  # items still expected by each open container; -1 if indefinite
    items = 0
    while True:
        if position >= length:
            raise CborError("CBOR value truncated")
        items += 1
        if items > max_items:
            raise CborError(f"CBOR value has more than {max_items} items")
        initial = data[position]
        position += 1
        major, info = initial >> 5, initial & 0x1F
        opened = 0
        if initial == 0xFF:
            if not open_items or open_items[-1] != _INDEFINITE:
                raise CborError("unexpected CBOR break")
            open_items.pop()
        elif info == 31:
            if major not in (2, 3, 4, 5):
                raise CborError(f"indefinite length on major type {major}")
            open_items.append(_INDEFINITE)
            opened = 1
        else:
            value, position = _argument(data, position, info)
            if major in (2, 3):
                if value > length - position:
                    raise CborError("CBOR string longer than the body")
                position += value
            elif major in (4, 5):
                count = value * (2 if major == 5 else 1)
                if count > length - position:
                    raise CborError("CBOR container longer than the body")
                if count:
                    open_items.append(count)
                    opened = 1
            elif major == 6:
                if value != SELF_DESCRIBED_TAG:
                    raise CborError(f"CBOR tag {value} is not accepted")
                open_items.append(1)
                opened = 1
            elif major == 7 and info < 24 and value not in range(20, 24):
                raise CborError(f"unassigned CBOR simple value {value}")
        if opened:
            if len(open_items) > max_depth:
                raise CborError(f"CBOR value nested deeper than {max_depth}")
            continue
        # one item is complete: count it against the containers it closes
        while open_items and open_items[-1] != _INDEFINITE:
            open_items[-1] -= 1
            if open_items[-1]:
                break
            open_items.pop()
        if not open_items:
            if position != length:
                raise CborError("bytes after the CBOR value")
            return


def decode(data: bytes) -> Any:
    """Decode a checked body, dropping a leading 55799 tag."""
    check_shape(data)
    while data.startswith(
        SELF_DESCRIBED_PREFIX
    ):  # untagged, cbor2 gives plain (mutable) containers
        data = data[len(SELF_DESCRIBED_PREFIX) :]
    try:
        value = cbor2.loads(data)
    except Exception as error:  # cbor2 raises many types on bad input; all mean "malformed"
        raise CborError(f"invalid CBOR: {error}") from error
    while isinstance(value, cbor2.CBORTag) and value.tag == SELF_DESCRIBED_TAG:
        value = value.value
    return value


def encode(value: Any) -> bytes:
    """Encode with the self-describing tag, as agents and the IC do."""
    return SELF_DESCRIBED_PREFIX + bytes(cbor2.dumps(value))
