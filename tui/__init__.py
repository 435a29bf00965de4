"""The front ends of icbox: the `icbox` command line and the Textual dashboard.

Both reach the network only through the replica's agent, through the
operations of `tui.ops`; `tui.Client` offers the same operations to scripts.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    # `from tui import Client` without making `icbox --help` import the agent.
    if name == "Client":
        from tui.client import Client

        return Client
    raise AttributeError(name)
