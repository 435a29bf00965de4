"""What the monitor reports: one event per thing that happened, as a JSON line or a sentence.

Each event has a time, a kind and its details (`node`, `subnet`, `proposal`,
the Nakamoto coefficients before and after, ...). Principals are written in
their textual form, so a line is plain JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from replica.types import Principal


def _plain(value: Any) -> Any:
    if isinstance(value, Principal):
        return value.to_text()
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitorEvent:
    time_s: float
    kind: str
    data: tuple[tuple[str, Any], ...]

    @classmethod
    def of(cls, time_s: float, kind: str, **data: Any) -> MonitorEvent:
        return cls(time_s=time_s, kind=kind, data=tuple((k, _plain(v)) for k, v in data.items()))

    def get(self, name: str) -> Any:
        return dict(self.data).get(name)

    def to_json(self) -> dict[str, Any]:
        return {"time": round(self.time_s, 3), "event": self.kind, **dict(self.data)}

    def to_line(self) -> str:
        return json.dumps(self.to_json(), sort_keys=False)

    def describe(self) -> str:
        """One sentence for a person."""
        data = dict(self.data)
        node, subnet = data.get("node"), data.get("subnet")
        match self.kind:
            case "node_unhealthy":
                return f"node {node} of subnet {subnet} is unhealthy: {data.get('reason')}"
            case "node_recovered":
                return f"node {node} of subnet {subnet} is healthy again"
            case "node_dead":
                return (
                    f"node {node} of subnet {subnet} has been unhealthy for "
                    f"{data.get('unhealthy_for_s')} s: dead"
                )
            case "subnet_stalled":
                return f"subnet {subnet} has not certified a new height for {data.get('seconds')} s"
            case "subnet_resumed":
                return f"subnet {subnet} certifies again (height {data.get('certified_height')})"
            case "replacement_filed" | "replacement_planned":
                verb = (
                    "filed proposal " + str(data.get("proposal"))
                    if self.kind == "replacement_filed"
                    else "would file (dry run)"
                )
                return (
                    f"{verb}: replace {node} by {data.get('added')} in subnet {subnet}; "
                    f"Nakamoto {_coefficients(data.get('before'))} -> {_coefficients(data.get('after'))}"
                    + (f"; status {data['status']}" if data.get("status") else "")
                )
            case "replacement_skipped":
                return f"not replacing {node} in subnet {subnet}: {data.get('reason')}"
            case "open_replacements":
                return f"open replacement proposals: {data.get('proposals') or 'none'}"
            case "error":
                return f"error in {data.get('job')}: {data.get('message')}"
        return f"{self.kind}: {json.dumps(data)}"


def _coefficients(score: Any) -> str:
    if not isinstance(score, dict):
        return "-"
    nakamoto = score.get("nakamoto", {})
    return " ".join(f"{name}={value}" for name, value in nakamoto.items())
