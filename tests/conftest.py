"""Options shared by the test suite."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

# The suite runs beside live networks on two cores: generating an example may be slow there
# through no fault of the property, so slowness is never a failure (properties still are).
settings.register_profile("icbox", suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("icbox")


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
