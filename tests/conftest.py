"""Options shared by the test suite."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--seeds", type=int, default=200, help="how many seeds the simulator's safety sweep runs (tests/replica/sim)"
    )
