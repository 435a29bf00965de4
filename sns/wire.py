"""Init arguments of the SNS canisters: canonical CBOR of plain values.

SNS-W installs each SNS canister with one blob (the `arg` of `install_code`);
principals travel as a tagged byte string, everything else as CBOR's own
integers, strings, byte strings, arrays and maps.
"""

from __future__ import annotations

from typing import Any, Final

import cbor2

from replica.types import Principal

_PRINCIPAL_TAG: Final = 40_200


def _plain(value: Any) -> Any:
    if isinstance(value, Principal):
        return cbor2.CBORTag(_PRINCIPAL_TAG, value.raw)
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _typed(value: Any) -> Any:
    if isinstance(value, cbor2.CBORTag) and value.tag == _PRINCIPAL_TAG:
        return Principal(bytes(value.value))
    if isinstance(value, list):
        return [_typed(item) for item in value]
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    return value


def encode_init(value: dict[str, Any]) -> bytes:
    return cbor2.dumps(_plain(value), canonical=True)


def decode_init(data: bytes) -> dict[str, Any]:
    decoded = _typed(cbor2.loads(data))
    if not isinstance(decoded, dict):
        raise ValueError("an SNS init argument is a map")
    return decoded
