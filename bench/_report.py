"""How every benchmark prints its figures: one JSON object, or one aligned line per figure."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def print_figures(figures: Mapping[str, Any], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(dict(figures)))
        return
    width = max((len(key) for key in figures), default=0)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
