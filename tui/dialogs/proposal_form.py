"""The form of each chain-evolution proposal: fill in, preview (the CLI's dry run), then submit.

`FORMS` gives, per kind of `icbox proposal make`, its description, its fields
and how the values build the action with `tui.ops.actions` (the same builders
as the command line). `ProposalFormDialog` asks the backend for the preview
(the action, the reject cost, the registry's own verdict and diff, the
projected tally) and sends only a previewed proposal; it dismisses with the
new proposal's id, or None when cancelled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui.dialogs.form import Field, FormValues, field_values, field_widgets
from tui.ops import actions
from tui.ops.actions import ProposalAction
from tui.ops.errors import OpsError, UsageError
from tui.ops.ledger import format_icp
from tui.ops.proposals import ProposalPreview


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _int(text: str, name: str) -> int | None:
    if not text:
        return None
    try:
        return int(text)
    except ValueError as error:
        raise UsageError(f"{name} is a whole number, not {text!r}") from error


def _install(values: FormValues) -> ProposalAction:
    try:
        wasm = Path(values["wasm"]).read_bytes()
        arg = bytes.fromhex(values["arg"])
    except OSError as error:
        raise UsageError(f"cannot read the Wasm module: {error}") from error
    except ValueError as error:
        raise UsageError("the install argument is hex") from error
    return actions.install_code(values["canister"], wasm, mode=values["mode"], arg=arg)


def _update_subnet(values: FormValues) -> ProposalAction:
    halt = {"": None, "halt": True, "unhalt": False}[values["halt"]]
    return actions.update_subnet(
        values["subnet"],
        is_halted=halt,
        dkg_interval_length=_int(values["dkg"], "the DKG interval"),
        unit_delay_millis=_int(values["unit_delay"], "the unit delay"),
    )


SUBNET = Field(name="subnet", label="Subnet id", placeholder="tdb26-...")
NODES = Field(name="nodes", label="Node ids (comma-separated)", placeholder="xtyea-..., wrmfs-...")
VERSION = Field(name="version", label="Replica version", placeholder="0.9.1")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProposalForm:
    kind: str
    description: str
    fields: tuple[Field, ...]
    build: Callable[[FormValues], ProposalAction]


FORMS: dict[str, ProposalForm] = {
    form.kind: form
    for form in (
        ProposalForm(
            kind="motion",
            description="A motion: text the NNS adopts or rejects, with no effect on the network.",
            fields=(Field(name="text", label="Motion text"),),
            build=lambda v: actions.motion(v["text"]),
        ),
        ProposalForm(
            kind="create-subnet",
            description="Create a subnet of unassigned nodes running an elected replica version.",
            fields=(
                NODES,
                VERSION,
                Field(
                    name="type",
                    label="Subnet type",
                    choices=tuple(
                        (t, t)
                        for t in ("application", "verified_application", "system", "cloud_engine")
                    ),
                ),
            ),
            build=lambda v: actions.create_subnet(
                _list(v["nodes"]), replica_version=v["version"], subnet_type=v["type"]
            ),
        ),
        ProposalForm(
            kind="add-nodes",
            description="Add unassigned nodes to a subnet.",
            fields=(SUBNET, NODES),
            build=lambda v: actions.add_nodes_to_subnet(v["subnet"], _list(v["nodes"])),
        ),
        ProposalForm(
            kind="remove-nodes",
            description="Remove nodes from their subnets (they become unassigned).",
            fields=(NODES,),
            build=lambda v: actions.remove_nodes_from_subnet(_list(v["nodes"])),
        ),
        ProposalForm(
            kind="change-membership",
            description="Add and remove subnet members in one step (replace nodes).",
            fields=(
                SUBNET,
                Field(name="add", label="Nodes to add (comma-separated)"),
                Field(name="remove", label="Nodes to remove (comma-separated)"),
            ),
            build=lambda v: actions.change_subnet_membership(
                v["subnet"], _list(v["add"]), _list(v["remove"])
            ),
        ),
        ProposalForm(
            kind="update-subnet",
            description="Change a subnet's configuration, or halt and unhalt it.",
            fields=(
                SUBNET,
                Field(
                    name="halt",
                    label="Halt",
                    choices=(("no change", ""), ("halt", "halt"), ("unhalt", "unhalt")),
                ),
                Field(name="dkg", label="DKG interval length (blank: no change)"),
                Field(name="unit_delay", label="Unit delay in ms (blank: no change)"),
            ),
            build=_update_subnet,
        ),
        ProposalForm(
            kind="elect-version",
            description="Elect a replica version (its package hash and download URLs).",
            fields=(
                VERSION,
                Field(name="sha256", label="Package SHA-256 (hex)"),
                Field(name="urls", label="Package URLs (comma-separated)"),
            ),
            build=lambda v: actions.elect_replica_version(
                v["version"], urls=_list(v["urls"]), sha256_hex=v["sha256"] or None
            ),
        ),
        ProposalForm(
            kind="retire-version",
            description="Retire (unelect) replica versions no node runs any more.",
            fields=(Field(name="versions", label="Versions (comma-separated)"),),
            build=lambda v: actions.retire_replica_versions(_list(v["versions"])),
        ),
        ProposalForm(
            kind="deploy-subnet",
            description="Deploy an elected version to every node of a subnet (an upgrade).",
            fields=(SUBNET, VERSION),
            build=lambda v: actions.deploy_to_subnet(v["subnet"], v["version"]),
        ),
        ProposalForm(
            kind="deploy-unassigned",
            description="Deploy an elected version to every unassigned node.",
            fields=(VERSION,),
            build=lambda v: actions.deploy_to_unassigned(v["version"]),
        ),
        ProposalForm(
            kind="add-node-operator",
            description="Add a node operator with a node allowance in a data center.",
            fields=(
                Field(name="operator", label="Operator principal"),
                Field(name="provider", label="Node provider principal"),
                Field(name="allowance", label="Node allowance", default="1"),
                Field(name="dc", label="Data center id"),
            ),
            build=lambda v: actions.add_node_operator(
                v["operator"],
                v["provider"],
                allowance=_int(v["allowance"], "the allowance") or 0,
                data_center=v["dc"],
            ),
        ),
        ProposalForm(
            kind="data-centers",
            description="Add and remove data centers.",
            fields=(
                Field(name="add", label="Add (id:region:owner, comma-separated)"),
                Field(name="remove", label="Remove (ids, comma-separated)"),
            ),
            build=lambda v: actions.data_centers(_list(v["add"]), _list(v["remove"])),
        ),
        ProposalForm(
            kind="install-code",
            description="Install, reinstall or upgrade the code of an NNS canister.",
            fields=(
                Field(name="canister", label="Canister id"),
                Field(name="wasm", label="Wasm module file"),
                Field(
                    name="mode",
                    label="Mode",
                    choices=tuple((m, m) for m in actions.INSTALL_MODES),
                    default="upgrade",
                ),
                Field(name="arg", label="Install argument (hex)"),
            ),
            build=_install,
        ),
        ProposalForm(
            kind="register-known-neuron",
            description="Give a neuron a public name others can follow.",
            fields=(
                Field(name="known", label="Neuron id to name"),
                Field(name="name", label="Name"),
                Field(name="description", label="Description"),
            ),
            build=lambda v: actions.register_known_neuron(
                _int(v["known"], "the neuron id") or 0, v["name"], v["description"] or None
            ),
        ),
    )
}


def render_preview(preview: ProposalPreview) -> str:
    """The dry run as markup: the action, reject cost, registry verdict and diff, projection."""
    lines = [
        f"[b]{preview.action.kind}[/b] by neuron {preview.neuron_id}: {preview.title}",
        f"topic        {preview.to_json()['topic']}",
    ]
    lines += [f"{key:<12} {value}" for key, value in preview.action.summary_of_action.items()]
    lines.append(f"reject cost  {format_icp(preview.reject_cost_e8s)} ICP if rejected")
    registry = preview.registry
    if registry is not None:
        if not registry.valid:
            lines.append(f"[red]the registry would refuse it:[/red] {registry.error}")
        else:
            diff = registry.diff or {}
            changes = [
                f"  {key}: {value}"
                for key, value in diff.items()
                if value
                and key not in ("from_version", "to_version")
                and value != {"added": [], "removed": []}
            ]
            lines.append(
                f"registry     version {diff.get('from_version')} -> {diff.get('to_version')}"
            )
            lines += changes or ["  no topology change"]
    tally = preview.projected
    lines.append(
        f"projected    yes {format_icp(tally.yes)} of {format_icp(tally.total)} "
        f"({tally.neurons_seen} neurons visible): "
        + ("adopted at once" if tally.adopted_at_once else "needs more votes")
    )
    return "\n".join(lines)


class ProposalFormDialog(ModalScreen[int | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "preview", "Preview", priority=True),
        Binding("ctrl+s", "submit", "Submit", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, form: ProposalForm, neuron_id: int | None) -> None:
        super().__init__()
        self.form = form
        self.common = (
            Field(name="neuron", label="Proposing neuron", default=str(neuron_id or "")),
            Field(name="title", label="Title", default=f"{form.kind} proposal"),
            Field(name="summary", label="Summary"),
        )
        self.previewed: ProposalPreview | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog", classes="wide"):
            yield Static(f"[b]{self.form.kind}[/b]: {self.form.description}", id="question")
            yield from field_widgets((*self.common, *self.form.fields))
            yield Static("", id="preview")
            with Horizontal(id="buttons"):
                yield Button("Preview", variant="primary", id="preview-button")
                yield Button("Submit", variant="success", id="submit", disabled=True)
                yield Button("Cancel", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        {"preview-button": self.action_preview, "submit": self.action_submit}.get(
            event.button.id or "", self.action_cancel
        )()

    def on_input_changed(self) -> None:
        self._forget()

    def on_select_changed(self) -> None:
        self._forget()

    def _forget(self) -> None:
        self.previewed = None
        self.query_one("#submit", Button).disabled = True

    def action_preview(self) -> None:
        values = field_values(self, (*self.common, *self.form.fields))
        try:
            action = self.form.build(values)
            neuron = _int(values["neuron"], "the proposing neuron")
            if neuron is None:
                raise UsageError("give the proposing neuron")
        except (OpsError, ValueError) as error:
            self.app.notify(str(error), title="bad form", severity="error")
            return
        self._preview(neuron, values["title"], values["summary"], action)

    @work(exclusive=True, group="preview")
    async def _preview(self, neuron: int, title: str, summary: str, action: ProposalAction) -> None:
        app: Any = self.app
        self.query_one("#preview", Static).update("asking for a preview...")
        try:
            preview = await asyncio.to_thread(app.backend.preview, neuron, title, summary, action)
        except OpsError as error:
            self.query_one("#preview", Static).update(f"[red]{error}[/red]")
            app.report_error(error)
            return
        self.previewed = preview
        self.query_one("#preview", Static).update(render_preview(preview))
        valid = preview.registry is None or preview.registry.valid
        self.query_one("#submit", Button).disabled = not valid

    def action_submit(self) -> None:
        if self.previewed is None:
            self.app.notify("preview the proposal first (ctrl+r)", severity="warning")
            return
        self._submit(self.previewed)

    @work(exclusive=True, group="submit")
    async def _submit(self, preview: ProposalPreview) -> None:
        app: Any = self.app
        try:
            proposal_id = await asyncio.to_thread(app.backend.submit, preview)
        except OpsError as error:
            app.report_error(error)
            return
        app.notify(f"proposal {proposal_id} made", title="done")
        self.dismiss(proposal_id)

    def action_cancel(self) -> None:
        self.dismiss(None)
