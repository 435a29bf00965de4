"""Network: the registry version, subnets, and every node with its subnet and height."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from tui.backend import NetworkView
from tui.screens.base import PollingScreen, update_table


def short(principal: str) -> str:
    return principal.split("-")[0]


class NetworkScreen(PollingScreen[NetworkView]):
    TITLE = "Network"

    def body(self) -> ComposeResult:
        yield Static("registry version -", id="registry-version")
        yield DataTable(id="subnets", cursor_type="row", zebra_stripes=True)
        yield DataTable(id="nodes", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one("#subnets", DataTable).add_columns(
            "subnet", "type", "nodes", "replica version", "halted"
        )
        self.query_one("#nodes", DataTable).add_columns(
            "node", "subnet", "finalized height", "operator", "http"
        )
        super().on_mount()

    def fetch(self, backend: Any) -> NetworkView:
        view: NetworkView = backend.network()
        return view

    def show(self, data: NetworkView) -> None:
        topology = data.topology
        subnets = topology["subnets"]
        self.query_one("#registry-version", Static).update(
            f"registry version [b]{topology['version']}[/b]   {len(subnets)} subnets   "
            f"{len(topology['nodes'])} nodes ({len(topology['unassigned_nodes'])} unassigned)   "
            f"elected versions: {', '.join(topology['elected_replica_versions']) or '-'}"
        )
        update_table(
            self.query_one("#subnets", DataTable),
            {
                subnet["id"]: (
                    subnet["id"],
                    subnet["type"],
                    str(len(subnet["members"])),
                    subnet["replica_version"],
                    "halted" if subnet["is_halted"] else "",
                )
                for subnet in subnets
            },
        )
        update_table(
            self.query_one("#nodes", DataTable),
            {
                node_id: (
                    node_id,
                    short(node["subnet"]) if node["subnet"] else "unassigned",
                    "-" if data.heights.get(node_id) is None else str(data.heights[node_id]),
                    short(node["operator"]),
                    node["http"],
                )
                for node_id, node in sorted(topology["nodes"].items())
            },
        )
