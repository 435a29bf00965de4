"""Modules that load on first use, so `icbox GROUP --help` imports no network code.

A command module names the heavy modules it runs on (the operations, the
agent, Candid, the network manager) the same way, typed for mypy and lazy at
run time:

    if TYPE_CHECKING:
        from tui.ops import neurons as ops
    else:
        ops = lazy_module("tui.ops.neurons")

`ops.stake(...)` then imports `tui.ops.neurons` (and what it imports) the
first time a command calls it; `--help`, completion and usage errors never do.
Import at the top only what the decorators need (click, `tui.cli.common`,
`tui.ops.errors`).
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_module(name: str) -> ModuleType:
    """The module `name`, executed when one of its attributes is first read."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
