"""Where a live replica gets its subnet's canisters: a `module:function` named in `node.json`.

The replica never imports a concrete canister (DESIGN section 1): the network
builder names a function, the process imports it by name and calls it with the
node's genesis arguments and its registry client (the genesis registry is
public: the NNS registry canister starts from the same records). It returns the factory table of the
system canisters
the subnet runs and the genesis that creates the subnet's first canisters, the
same on every replica of the subnet (the NNS at its mainnet ids, for one).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from registry.client import RegistryClient
from replica.execution.engine import ExecutionEngine, SystemCanister


@dataclass(frozen=True, slots=True, kw_only=True)
class SubnetCanisters:
    factories: Mapping[str, SystemCanister] = field(default_factory=dict)
    install_genesis: Callable[[ExecutionEngine], None] | None = None
    engine_options: Mapping[str, Any] = field(default_factory=dict)
    """Options of the subnet's execution engine (e.g. the NNS's system installers and cycles
    minters), as `ExecutionEngine` takes them."""


class GenesisFunction(Protocol):
    def __call__(
        self, arguments: Mapping[str, Any], registry: RegistryClient
    ) -> SubnetCanisters: ...


class GenesisError(Exception):
    """The genesis reference in `node.json` names nothing callable."""


def load_subnet_canisters(
    reference: str | None, arguments: Mapping[str, Any], registry: RegistryClient
) -> SubnetCanisters:
    if not reference:
        return SubnetCanisters()
    module_name, _, attribute = reference.partition(":")
    try:
        function = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise GenesisError(f"cannot load genesis {reference!r}: {error}") from error
    result = function(arguments, registry)
    if not isinstance(result, SubnetCanisters):
        raise GenesisError(
            f"genesis {reference!r} returned {type(result).__name__}, not SubnetCanisters"
        )
    return result
