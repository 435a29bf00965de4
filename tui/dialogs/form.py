"""A form in a modal: text inputs, one-of choices and many-of choices, dismissed with the values.

`FormDialog` dismisses with `{field name: value}` (a string for an input or a
choice, a tuple of strings for a many-of choice) when submitted (ctrl+s, or
the button), or None when cancelled (escape). It checks nothing: what the
values mean is the operation's business.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, SelectionList, Static

FormValues = dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Field:
    name: str
    label: str
    placeholder: str = ""
    default: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    """(label, value) pairs: a one-of choice (Select) unless `many`."""
    many: bool = False
    """A many-of choice (SelectionList); `selected` are chosen at first."""
    selected: tuple[str, ...] = field(default_factory=tuple)


def field_widgets(fields: Iterable[Field]) -> Iterable[Widget]:
    for item in fields:
        yield Label(item.label, classes="field-label")
        if item.many:
            yield SelectionList[str](
                *((label, value, value in item.selected) for label, value in item.choices),
                id=f"field-{item.name}",
                classes="field-many",
            )
        elif item.choices:
            yield Select(
                item.choices,
                value=item.default or item.choices[0][1],
                allow_blank=False,
                id=f"field-{item.name}",
            )
        else:
            yield Input(item.default, placeholder=item.placeholder, id=f"field-{item.name}")


def field_values(screen: ModalScreen[Any], fields: Iterable[Field]) -> FormValues:
    values: FormValues = {}
    for item in fields:
        widget = screen.query_one(f"#field-{item.name}")
        if isinstance(widget, SelectionList):
            values[item.name] = tuple(str(v) for v in widget.selected)
        elif isinstance(widget, Select):
            values[item.name] = str(widget.value)
        elif isinstance(widget, Input):
            values[item.name] = widget.value.strip()
    return values


class FormDialog(ModalScreen[FormValues | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Submit", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, title: str, fields: tuple[Field, ...], *, submit: str = "Submit") -> None:
        super().__init__()
        self.form_title = title
        self.fields = fields
        self.submit_label = submit

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            yield Static(self.form_title, id="question")
            yield from field_widgets(self.fields)
            with Horizontal(id="buttons"):
                yield Button(self.submit_label, variant="primary", id="submit")
                yield Button("Cancel", id="cancel")

    def on_input_submitted(self) -> None:
        self.action_submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "submit":
            self.action_submit()
        else:
            self.action_cancel()

    def action_submit(self) -> None:
        self.dismiss(field_values(self, self.fields))

    def action_cancel(self) -> None:
        self.dismiss(None)
