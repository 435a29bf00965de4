"""Who decides my vote: the tree of followees of one neuron on one topic, and the deciders."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from tui.ops.decide import Decision, WhoDecides
from tui.ops.ledger import format_icp
from tui.ops.neurons import topic_name
from tui.screens.base import PollingScreen


def label(decision: Decision) -> str:
    name = f" ({decision.name})" if decision.name else ""
    return (
        f"neuron {decision.neuron_id}{name}  {format_icp(decision.voting_power)} ICP power"
        f"  [dim]{decision.rule}[/dim]"
    )


def grow(node: TreeNode[int], decision: Decision) -> None:
    for child in decision.followees:
        branch = node.add(label(child), data=child.neuron_id, expand=True)
        grow(branch, child)
        if not child.followees:
            branch.allow_expand = False


def deciders_text(result: WhoDecides) -> str:
    if not result.deciders:
        return "no neuron decides this vote (a cycle, or following not readable)"
    lines = ["[b]deciders[/b] (vote by themselves; power behind = theirs and their followers')"]
    for decider in result.deciders:
        name = f" ({decider.name})" if decider.name else ""
        chains = "; ".join(" -> ".join(map(str, chain)) for chain in decider.chains)
        lines.append(
            f"  neuron {decider.neuron_id}{name}: {format_icp(decider.voting_power_behind)} ICP "
            f"behind{'  [b]decides alone[/b]' if decider.sole else ''}   via {chains}"
        )
    return "\n".join(lines)


class WhoDecidesScreen(PollingScreen[WhoDecides]):
    TITLE = "Who decides"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "Back")]
    ACTIONS = (("Back to neurons", "Close the graph", "back"),)

    def __init__(self, neuron_id: int, topic: int) -> None:
        super().__init__()
        self.neuron_id = neuron_id
        self.topic = topic

    def body(self) -> ComposeResult:
        yield Static(
            f"who decides neuron {self.neuron_id}'s vote on [b]{topic_name(self.topic)}[/b]",
            id="who-title",
        )
        yield Tree(f"neuron {self.neuron_id}", id="who-tree")
        yield Static("", id="deciders")

    def fetch(self, backend: Any) -> WhoDecides:
        result: WhoDecides = backend.who_decides(self.neuron_id, self.topic)
        return result

    def show(self, data: WhoDecides) -> None:
        tree: Tree[int] = self.query_one("#who-tree", Tree)
        tree.clear()
        tree.root.set_label(label(data.tree))
        tree.root.data = data.tree.neuron_id
        grow(tree.root, data.tree)
        tree.root.expand_all()
        self.query_one("#deciders", Static).update(deciders_text(data))

    def action_back(self) -> None:
        self.dismiss()
