"""Options shared by the test suite."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--seeds",
        type=int,
        default=150,
        help="how many seeds the simulator's safety sweep runs (tests/replica/sim)",
    )
    parser.addoption(
        "--first-seed", type=int, default=0, help="the first seed of the simulator's safety sweep"
    )
